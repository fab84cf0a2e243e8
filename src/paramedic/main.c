/* paramedic: the diagnostic client. */
#include "lib/argv.h"
#include "paramedic/cli.h"
#include "paramedic/cmd_capture.h"
#include "paramedic/cmd_throughput.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* capture parses its own options: hand --json back to it. */
static int pm_cmd_capture(struct pm_cli *cli, int argc, char **argv)
{
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	if (args == NULL)
		return 1;
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	if (cli->json)
		args[argc++] = "--json";
	int rc = cmd_capture(argc, args);
	free(args);
	return rc;
}

struct command {
	const char *name;
	int (*fn)(struct pm_cli *cli, int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{"id", pm_cmd_id, "", "print this paramedic's endpoint ID"},
	{"pair", pm_cmd_pair, "HOST[:PORT] --token T [--expect-id ID]", "enroll with a reflector and pin its ID"},
	{"hello", pm_cmd_hello, "HOST[:PORT]", "the reflector's hello and policy"},
	{"latency", pm_cmd_latency, "HOST[:PORT] [--interval T] [--duration T] [--size N] [--dscp N]", "UDP echo test: RTT, jitter, loss by direction"},
	{"history", pm_cmd_history, "[--kind K] [--target H] [--since T] [--limit N]", "past results, newest first"},
	{"throughput", pm_cmd_throughput, "HOST[:PORT] [--duration S] [--streams N] [--reverse] [--udp]",
	 "iperf3 test through a granted session (direct or tunneled)"},
	{"capture", pm_cmd_capture, "analyze FILE | compare A B", "what a packet capture shows; where two captures differ"},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: paramedic [--data-dir DIR] [--json] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		fprintf(out, "  %s %s\n      %s\n", commands[i].name, commands[i].args, commands[i].help);
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
	for (size_t k = 0; k < N_COMMANDS; k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			return commands[k].fn(&cli, argc - i, argv + i);
	fprintf(stderr, "paramedic: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
