/* paramedic: the diagnostic client. */
#include "lib/argv.h"
#include "paramedic/cli.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: paramedic [--data-dir DIR] [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < pm_command_count(); i++) {
		const struct pm_command *c = pm_command_at(i);
		fprintf(out, "  %s %s\n      %s\n", c->name, c->args, c->help);
	}
	fprintf(out, "\noptions:\n"
	             "  --data-dir DIR   identity, pinned reflectors and history (default\n"
	             "                   $XDG_STATE_HOME/paramedic or ~/.local/state/paramedic)\n"
	             "  --json           machine-readable output\n"
	             "  --version, -h/--help\n");
}

int main(int argc, char **argv)
{
	struct pm_cli cli = {0};
	cli.json = argv_take_flag(&argc, argv, "--json"); /* it may stand anywhere */
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--data-dir") == 0) {
			if (++i == argc) {
				fprintf(stderr, "paramedic: --data-dir needs a directory\n");
				return 2;
			}
			cli.data_dir = argv[i];
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("paramedic %s\n", PP_VERSION);
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "paramedic: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	const struct pm_command *cmd = pm_command_find(argv[i]);
	if (cmd != NULL && cmd->generic_help && argv_wants_help(argc - i, argv + i)) {
		pm_usage(stdout, cmd->name);
		return 0;
	}
	if (cmd != NULL)
		return cmd->fn(&cli, argc - i, argv + i);
	fprintf(stderr, "paramedic: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
