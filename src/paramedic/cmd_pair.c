/* paramedic pair HOST[:PORT] --token T [--expect-id ID]: enroll and pin. */
#include "paramedic/cli.h"

#include "core/endpoint_id.h"
#include "core/protocol.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "paramedic/connect.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define PAIR_TIMEOUT_MS 10000

static int fail(const struct pm_cli *cli, const char *msg)
{
	if (cli->json)
		pm_print_json(json_pack("{s:b, s:s}", "paired", 0, "error", msg));
	fprintf(stderr, "paramedic pair: %s\n", msg);
	return 1;
}

int pm_cmd_pair(struct pm_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"token", required_argument, NULL, 't'},
	                                     {"expect-id", required_argument, NULL, 'e'},
	                                     {NULL, 0, NULL, 0}};
	const char *token = NULL, *expect_text = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "t:e:", opts, NULL)) != -1) {
		if (ch == 't')
			token = optarg;
		else if (ch == 'e')
			expect_text = optarg;
		else
			goto usage;
	}
	if (token != NULL && token[0] == '\0') {
		fprintf(stderr, "paramedic pair: --token is empty (the reflector's `reflector pair` prints one)\n");
		return 2;
	}
	if (token == NULL || optind != argc - 1)
		goto usage;

	char err[ERRBUF_LEN], expect[ENDPOINT_ID_LEN];
	if (expect_text != NULL && endpoint_id_parse(expect_text, NULL, expect, err) != 0) {
		fprintf(stderr, "paramedic pair: --expect-id: %s\n", err);
		return 2;
	}
	struct pm_state st;
	if (pm_state_open(cli->data_dir, &st, err) != 0)
		return fail(cli, err);
	struct pm_target t;
	struct link *l = NULL;
	json_t *res = NULL;
	int rc = 1;
	if (pm_target_parse(&st, argv[optind], &t, err) != 0) {
		rc = 2;
		fprintf(stderr, "paramedic pair: %s\n", err);
		goto out;
	}
	l = pm_connect(&st, &t, expect_text ? expect : NULL, err);
	if (l == NULL) {
		rc = fail(cli, err);
		goto out;
	}
	res = link_request(l, "pair_request", json_pack("{s:s}", "token", token), PAIR_TIMEOUT_MS, err);
	const json_t *payload = json_object_get(res, "payload");
	const char *type = json_string_value(json_object_get(payload, "type"));
	const char *message = json_string_value(json_object_get(payload, "message"));
	if (res == NULL || type == NULL) {
		rc = fail(cli, res == NULL ? err : "the reflector sent an unexpected answer");
		goto out;
	}
	if (strcmp(type, "pair_response") != 0 || !json_is_true(json_object_get(payload, "success"))) {
		char msg[ERRBUF_LEN];
		snprintf(msg, sizeof(msg), "the reflector refused: %s", message ? message : type);
		rc = fail(cli, msg);
		goto out;
	}
	const char *rid = link_peer_id(l);
	if (pm_pin_store(&st, t.address, rid, clock_wall_ms(), err) != 0) {
		rc = fail(cli, err);
		goto out;
	}
	if (cli->json)
		pm_print_json(json_pack("{s:b, s:s, s:s, s:s}", "paired", 1, "reflector", t.address,
		                        "endpoint_id", rid, "client_id", st.id.id));
	else
		printf("paired with %s\n  reflector ID : %s (pinned)\n  our ID       : %s\n", t.address, rid, st.id.id);
	rc = 0;
out:
	json_decref(res);
	link_close(l);
	pm_state_close(&st);
	return rc;
usage:
	return pm_usage(stderr, "pair");
}
