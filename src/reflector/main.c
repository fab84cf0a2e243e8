/* reflector: the self-hosted, mTLS-authenticated test endpoint (seed 002). */
#include "lib/argv.h"
#include "lib/errbuf.h"
#include "lib/log.h"
#include "reflector/cli.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out, "usage: reflector [-c FILE] [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < cli_command_count(); i++) {
		const struct cli_command *c = cli_command_at(i);
		char left[64];
		snprintf(left, sizeof(left), "%s %s", c->name, c->args);
		fprintf(out, "  %-34s %s\n", left, c->help);
	}
	fprintf(out, "\noptions:\n"
	             "  -c, --config FILE   configuration file (else $REFLECTOR_CONFIG,\n"
	             "                      /etc/reflector/reflector.toml,\n"
	             "                      $XDG_CONFIG_HOME/reflector/reflector.toml, built-in defaults)\n"
	             "  --json              machine-readable output (status, peers, pair, show-id)\n"
	             "  --version, -h/--help\n");
}

static void print_config_warning(void *ctx, const char *message)
{
	(void)ctx;
	fprintf(stderr, "reflector: warning: %s\n", message);
}

int main(int argc, char **argv)
{
	struct cli cli = {0};
	cli.json = argv_take_flag(&argc, argv, "--json"); /* it may stand anywhere */
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (++i == argc) {
				fprintf(stderr, "reflector: %s needs a file\n", argv[i - 1]);
				return 2;
			}
			cli.config_path = argv[i];
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("reflector %s\n", PP_VERSION);
			return 0;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "reflector: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	const struct cli_command *cmd = cli_command_find(argv[i]);
	if (cmd != NULL && argv_wants_help(argc - i, argv + i)) {
		cli_usage(stdout, cmd->name); /* no configuration needed for that */
		return 0;
	}
	if (cmd == NULL) {
		fprintf(stderr, "reflector: unknown command '%s'\n", argv[i]);
		usage(stderr);
		return 2;
	}
	char err[ERRBUF_LEN];
	if (config_load(cli.config_path, &cli.cfg, print_config_warning, NULL, err) != 0) {
		fprintf(stderr, "reflector: %s\n", err);
		return 2;
	}
	log_set_level(cli.cfg.logging.level);
	int rc = cmd->fn(&cli, argc - i, argv + i);
	config_free(&cli.cfg);
	return rc;
}
