/*
 * commands: the reflector's command table, the one place that says what
 * each command takes. `reflector --help`, `reflector COMMAND --help` and
 * every command's usage error print from it.
 */
#include "reflector/cli.h"

#include <string.h>

static const struct cli_command commands[] = {
	{"serve", cmd_serve, "[--bind HOST:PORT]",
	 "run the reflector until SIGTERM/SIGINT (SIGHUP reloads the peer list)"},
	{"show-id", cmd_show_id, "[--json]", "print this reflector's endpoint ID (creates the identity on first use)"},
	{"rotate-identity", cmd_rotate_identity, "[--json]", "replace the identity with a new key (a new endpoint ID)"},
	{"pair", cmd_pair, "[--ttl 10m] [--json]", "create a one-time pairing token, valid for the TTL (90s, 10m, 1h)"},
	{"status", cmd_status, "[--json]", "show the running server's state: uptime, connections, sessions, peers"},
	{"peers", cmd_peers, "list | remove ID", "list the authorized peers, or remove an enrolled one"},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

size_t cli_command_count(void)
{
	return N_COMMANDS;
}

const struct cli_command *cli_command_at(size_t i)
{
	return i < N_COMMANDS ? &commands[i] : NULL;
}

const struct cli_command *cli_command_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int cli_usage(FILE *out, const char *name)
{
	const struct cli_command *c = cli_command_find(name);
	if (c != NULL)
		fprintf(out, "usage: reflector %s %s\n  %s\n", c->name, c->args, c->help);
	return 2;
}
