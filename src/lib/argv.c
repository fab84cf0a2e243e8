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
