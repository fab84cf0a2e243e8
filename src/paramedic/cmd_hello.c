/* paramedic hello HOST[:PORT]: the reflector's hello and policy. */
#include "paramedic/cli.h"

#include "core/protocol.h"
#include "lib/errbuf.h"
#include "paramedic/connect.h"

#include <stdio.h>
#include <string.h>

#define HELLO_TIMEOUT_MS 10000

static void print_policy(const char *address, const char *pinned, const json_t *p)
{
	const json_t *pol = json_object_get(p, "policy_summary");
	printf("reflector %s\n  endpoint ID   : %s%s\n  version       : %s\n", address,
	       json_string_value(json_object_get(p, "endpoint_id")), pinned[0] ? " (pinned)" : " (not paired)",
	       json_string_value(json_object_get(p, "version")));
	printf("  features      :");
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(p, "features"), i, v)
		printf(" %s", json_string_value(v));
	printf("\n  test types    :");
	json_array_foreach(json_object_get(pol, "allowed_test_types"), i, v)
		printf(" %s", json_string_value(v));
	printf("\n  mode          : %s\n", json_string_value(json_object_get(pol, "mode")));
	printf("  max duration  : %lld s\n  concurrency   : %lld\n  tests/hour    : %lld\n"
	       "  cooldown      : %lld s\n  bytes/day     : %lld\n  max streams   : %lld\n",
	       json_integer_value(json_object_get(pol, "max_test_duration_sec")),
	       json_integer_value(json_object_get(pol, "max_concurrent_tests")),
	       json_integer_value(json_object_get(pol, "max_tests_per_hour")),
	       json_integer_value(json_object_get(pol, "cooldown_sec")),
	       json_integer_value(json_object_get(pol, "max_bytes_per_day")),
	       json_integer_value(json_object_get(pol, "max_streams")));
	const json_t *left = json_object_get(pol, "bytes_left_today");
	if (json_is_integer(left))
		printf("  bytes left    : %lld today (for this paramedic)\n", (long long)json_integer_value(left));
}

int pm_cmd_hello(struct pm_cli *cli, int argc, char **argv)
{
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2)
			fprintf(stderr, "paramedic hello: unknown option '%s'\n", argv[1]);
		return pm_usage(stderr, "hello");
	}
	struct pm_state st;
	char err[ERRBUF_LEN];
	if (pm_state_open(cli->data_dir, &st, err) != 0) {
		fprintf(stderr, "paramedic: %s\n", err);
		return 1;
	}
	struct pm_target t;
	struct link *l = NULL;
	json_t *res = NULL;
	int rc = 1;
	if (pm_target_parse(&st, argv[1], &t, err) != 0) {
		fprintf(stderr, "paramedic hello: %s\n", err);
		rc = 2;
		goto out;
	}
	if ((l = pm_connect(&st, &t, NULL, err)) == NULL) {
		fprintf(stderr, "paramedic hello: %s\n", err);
		goto out;
	}
	res = link_request(l, "hello",
	                   json_pack("{s:s, s:[s,s,s]}", "version", PP_PROTOCOL_VERSION, "features",
	                             "throughput", "udp_echo", "path_meta"),
	                   HELLO_TIMEOUT_MS, err);
	const json_t *p = json_object_get(res, "payload");
	const char *type = json_string_value(json_object_get(p, "type"));
	if (type == NULL) {
		fprintf(stderr, "paramedic hello: %s\n", res == NULL ? err : "unexpected answer");
		goto out;
	}
	if (strcmp(type, "server_hello") != 0) {
		const char *code = json_string_value(json_object_get(p, "code"));
		const char *msg = json_string_value(json_object_get(p, "message"));
		fprintf(stderr, "paramedic hello: the reflector answered %s: %s\n", code ? code : type, msg ? msg : "");
		if (code != NULL && (strcmp(code, "unauthorized") == 0 || strcmp(code, "pairing_required") == 0))
			fprintf(stderr, "  this paramedic (%s) is not authorized there: run `reflector pair` on the "
			                "reflector, then `paramedic pair %s --token TOKEN`\n", st.id.id, t.address);
		goto out;
	}
	if (cli->json) {
		json_t *out = json_deep_copy(p);
		json_object_del(out, "type");
		json_object_set_new(out, "address", json_string(t.address));
		json_object_set_new(out, "pinned", json_boolean(t.pinned_id[0] != 0));
		pm_print_json(out);
	} else {
		print_policy(t.address, t.pinned_id, p);
	}
	rc = 0;
out:
	json_decref(res);
	link_close(l);
	pm_state_close(&st);
	return rc;
}
