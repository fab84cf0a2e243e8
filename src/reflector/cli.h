/*
 * cli: what every `reflector` subcommand receives from main(): the global
 * options and the loaded configuration. Each subcommand lives in its own
 * cmd_*.c and returns the process exit status:
 *   0 success, 1 the operation failed, 2 bad usage or bad configuration.
 */
#ifndef PP_REFLECTOR_CLI_H
#define PP_REFLECTOR_CLI_H

#include "reflector/config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cli {
	const char *config_path; /* -c FILE, or NULL */
	struct reflector_config cfg;
	bool json; /* --json */
};

int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_show_id(struct cli *cli, int argc, char **argv);
int cmd_rotate_identity(struct cli *cli, int argc, char **argv);
int cmd_pair(struct cli *cli, int argc, char **argv);
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_peers(struct cli *cli, int argc, char **argv);

/* The command table (commands.c). */
struct cli_command {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	const char *args; /* what follows the name in a usage line */
	const char *help; /* one line */
};
size_t cli_command_count(void);
const struct cli_command *cli_command_at(size_t i);
const struct cli_command *cli_command_find(const char *name);
/* "usage: reflector NAME ARGS" and the help line on out; returns 2, the
 * exit status of a usage error. */
int cli_usage(FILE *out, const char *name);

/* Path of the running server's control socket for this configuration. */
void cli_control_path(const struct cli *cli, char *out, size_t outlen);

/* Prints msg as JSON (compact, one line) on stdout and frees it. */
void cli_print_json(json_t *msg);

/* Writes one audit event from a CLI command (when no server is running). */
void cli_audit(const struct cli *cli, const char *event_type, const char *peer_id, json_t *fields);

#endif
