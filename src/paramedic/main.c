/* paramedic: the diagnostic client. */
#include "version.h"
#include "paramedic/cmd_capture.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("paramedic %s\n", PP_VERSION);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "capture") == 0)
		return cmd_capture(argc - 1, argv + 1);
	fprintf(stderr, "usage: paramedic COMMAND [ARGS]\n");
	return 2;
}
