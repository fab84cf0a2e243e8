/* reflector: the self-hosted, mTLS-authenticated test endpoint (seed 002). */
#include "version.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("reflector %s\n", PP_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: reflector [-c FILE] COMMAND\n");
	return 2;
}
