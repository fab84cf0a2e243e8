/*
 * commands: paramedic's command table, the one place that says what each
 * command takes. `paramedic --help`, `paramedic COMMAND --help` and every
 * command's usage error print from it.
 */
#include "paramedic/cli.h"
#include "paramedic/cmd_capture.h"
#include "paramedic/cmd_throughput.h"

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

static const struct pm_command commands[] = {
	{"id", pm_cmd_id, "[--json]", "print this paramedic's endpoint ID", true},
	{"pair", pm_cmd_pair, "HOST[:PORT] --token TOKEN [--expect-id ID] [--json]",
	 "enroll with a reflector and pin its ID", true},
	{"hello", pm_cmd_hello, "HOST[:PORT] [--json]", "the reflector's hello and policy", true},
	{"latency", pm_cmd_latency,
	 "HOST[:PORT] [--interval 10ms] [--duration 10s] [--size 64] [--dscp 0..63] [--timeout 1s] [--json]",
	 "UDP echo test: RTT, jitter, loss by direction", true},
	{"throughput", pm_cmd_throughput,
	 "HOST[:PORT] [--duration S] [--streams N] [--reverse] [--udp [--bitrate RATE]] [--iperf3 PATH] [--json]",
	 "iperf3 test through a granted session (direct or tunneled)", true},
	{"history", pm_cmd_history, "[--kind K] [--target HOST] [--since 2026-11-01|24h] [--limit N] [--json]",
	 "past results, newest first", true},
	/* capture's subcommands answer --help themselves, with their options. */
	{"capture", pm_cmd_capture, "analyze FILE | compare A B  (paramedic capture SUBCOMMAND --help)",
	 "what a packet capture shows; where two captures differ", false},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

size_t pm_command_count(void)
{
	return N_COMMANDS;
}

const struct pm_command *pm_command_at(size_t i)
{
	return i < N_COMMANDS ? &commands[i] : NULL;
}

const struct pm_command *pm_command_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int pm_usage(FILE *out, const char *name)
{
	const struct pm_command *c = pm_command_find(name);
	if (c != NULL)
		fprintf(out, "usage: paramedic %s %s\n  %s\n", c->name, c->args, c->help);
	return 2;
}
