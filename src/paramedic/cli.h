/*
 * cli: what every `paramedic` subcommand receives from main(). Each
 * subcommand lives in its own cmd_*.c and returns the exit status:
 *   0 success (for diagnostics: nothing serious found),
 *   1 the operation failed or something serious was found,
 *   2 bad usage or unreadable input.
 */
#ifndef PP_PARAMEDIC_CLI_H
#define PP_PARAMEDIC_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct pm_cli {
	const char *data_dir; /* --data-dir, or NULL for the default */
	bool json;            /* --json */
};

int pm_cmd_id(struct pm_cli *cli, int argc, char **argv);
int pm_cmd_pair(struct pm_cli *cli, int argc, char **argv);
int pm_cmd_hello(struct pm_cli *cli, int argc, char **argv);
int pm_cmd_history(struct pm_cli *cli, int argc, char **argv);
int pm_cmd_latency(struct pm_cli *cli, int argc, char **argv);

/* The command table (commands.c). */
struct pm_command {
	const char *name;
	int (*fn)(struct pm_cli *cli, int argc, char **argv);
	const char *args; /* what follows the name in a usage line */
	const char *help; /* one line */
	bool generic_help; /* main() answers `COMMAND --help` from this entry */
};
size_t pm_command_count(void);
const struct pm_command *pm_command_at(size_t i);
const struct pm_command *pm_command_find(const char *name);
/* "usage: paramedic NAME ARGS" and the help line on out; returns 2, the
 * exit status of a usage error. */
int pm_usage(FILE *out, const char *name);

/* Prints msg as one line of JSON on stdout and frees it. */
void pm_print_json(json_t *msg);

#endif
