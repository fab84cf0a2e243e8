/* paramedic history [--kind K] [--target HOST] [--since DATE|DURATION]
 * [--limit N] [--json]: past results from <data_dir>/history.sqlite. */
#include "paramedic/cli.h"

#include "lib/clock.h"
#include "lib/errbuf.h"
#include "paramedic/history.h"
#include "paramedic/state.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage_error(const char *why)
{
	fprintf(stderr, "paramedic history: %s\n", why);
	return pm_usage(stderr, "history");
}

static void print_rows(const json_t *rows)
{
	if (json_array_size(rows) == 0) {
		printf("no results\n");
		return;
	}
	printf("%-6s %-20s %-11s %-28s %s\n", "id", "started (UTC)", "kind", "target", "summary");
	size_t i;
	const json_t *row;
	json_array_foreach(rows, i, row) {
		const char *summary = json_string_value(json_object_get(row, "summary"));
		printf("%-6lld %-20s %-11s %-28s %s\n", (long long)json_integer_value(json_object_get(row, "id")),
		       json_string_value(json_object_get(row, "started_at")),
		       json_string_value(json_object_get(row, "kind")),
		       json_string_value(json_object_get(row, "target")), summary ? summary : "-");
	}
}

int pm_cmd_history(struct pm_cli *cli, int argc, char **argv)
{
	struct history_filter f = {0};
	char err[ERRBUF_LEN];
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		bool known = strcmp(opt, "--kind") == 0 || strcmp(opt, "--target") == 0 ||
		             strcmp(opt, "--since") == 0 || strcmp(opt, "--limit") == 0;
		if (!known || i + 1 == argc) {
			snprintf(err, sizeof(err), "%s '%s'",
			         opt[0] != '-' ? "unexpected argument" : known ? "a value is needed after" : "unknown option",
			         opt);
			return usage_error(err);
		}
		const char *val = argv[++i];
		if (strcmp(opt, "--kind") == 0) {
			f.kind = val;
		} else if (strcmp(opt, "--target") == 0) {
			f.target = val;
		} else if (strcmp(opt, "--since") == 0) {
			if (history_parse_since(val, clock_wall_ms(), &f.since_ms, err) != 0)
				return usage_error(err);
		} else if (strcmp(opt, "--limit") == 0) {
			char *end = NULL;
			long n = strtol(val, &end, 10);
			if (end == val || *end != 0 || n < 1 || n > 1000000)
				return usage_error("--limit: expected a number from 1 to 1000000");
			f.limit = (int)n;
		}
	}
	struct pm_state st;
	if (pm_state_open(cli->data_dir, &st, err) != 0) {
		fprintf(stderr, "paramedic: %s\n", err);
		return 1;
	}
	struct history *h = NULL;
	json_t *rows = NULL;
	int rc = 1;
	if (history_open(st.data_dir, &h, err) != 0 || (rows = history_list(h, &f, err)) == NULL) {
		fprintf(stderr, "paramedic history: %s\n", err);
		goto out;
	}
	if (cli->json) {
		pm_print_json(json_pack("{s:O}", "results", rows));
	} else {
		print_rows(rows);
	}
	rc = 0;
out:
	json_decref(rows);
	history_close(h);
	pm_state_close(&st);
	return rc;
}
