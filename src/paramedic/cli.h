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

struct pm_cli {
	const char *data_dir; /* --data-dir, or NULL for the default */
	bool json;            /* --json */
};

int pm_cmd_id(struct pm_cli *cli, int argc, char **argv);
int pm_cmd_pair(struct pm_cli *cli, int argc, char **argv);
int pm_cmd_hello(struct pm_cli *cli, int argc, char **argv);
int pm_cmd_history(struct pm_cli *cli, int argc, char **argv);
int pm_cmd_latency(struct pm_cli *cli, int argc, char **argv);

/* Prints msg as one line of JSON on stdout and frees it. */
void pm_print_json(json_t *msg);

#endif
