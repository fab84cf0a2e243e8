#include "lib/argv.h"

#include <string.h>

bool argv_take_flag(int *argc, char **argv, const char *flag)
{
	bool seen = false;
	int n = *argc > 0 ? 1 : 0;
	for (int i = 1; i < *argc; i++) {
		if (strcmp(argv[i], flag) == 0)
			seen = true;
		else
			argv[n++] = argv[i];
	}
	if (n < *argc)
		argv[n] = NULL;
	*argc = n;
	return seen;
}

bool argv_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}
