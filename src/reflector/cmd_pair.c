/* reflector pair [--ttl 10m]: open a pairing window with a one-time token. */
#include "reflector/cli.h"

#include "core/identity.h"
#include "core/protocol.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "reflector/control.h"
#include "reflector/pairing.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define PAIR_DEFAULT_TTL "10m"

/* No server running: write the token where the next `serve` finds it. */
static json_t *pair_offline(struct cli *cli, uint32_t ttl_sec, char *err)
{
	struct identity id = {0};
	if (identity_load_or_create(cli->cfg.identity.private_key_path, &id, NULL, err) != 0)
		return NULL;
	struct pairing_store *store = pairing_open(cli->cfg.data_dir, err);
	char token[PAIRING_TOKEN_LEN];
	int64_t expires_ms;
	json_t *out = NULL;
	if (store != NULL && pairing_create(store, ttl_sec, clock_wall_ms(), token, &expires_ms, err) == 0) {
		char expires[PP_RFC3339_BUF_BYTES];
		protocol_format_rfc3339_ms(expires_ms, expires);
		cli_audit(cli, "pairing_enabled", NULL,
		          json_pack("{s:I, s:s, s:s}", "ttl_sec", (json_int_t)ttl_sec, "expires_at", expires, "via", "file"));
		out = json_pack("{s:b, s:s, s:s, s:s, s:I, s:b}", "ok", 1, "token", token, "endpoint_id", id.id,
		                "expires_at", expires, "ttl_sec", (json_int_t)ttl_sec, "pairing_enabled",
		                cli->cfg.access.pairing_enabled);
		OPENSSL_cleanse(token, sizeof(token));
	}
	pairing_free(store);
	identity_free(&id);
	return out;
}

int cmd_pair(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"ttl", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	const char *ttl_text = PAIR_DEFAULT_TTL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (ch != 't') {
			return cli_usage(stderr, "pair");
		}
		ttl_text = optarg;
	}
	char err[ERRBUF_LEN];
	uint32_t ttl_sec;
	if (pairing_parse_ttl(ttl_text, &ttl_sec, err) != 0) {
		fprintf(stderr, "reflector pair: --ttl: %s\n", err);
		return 2;
	}
	char sock[4096];
	cli_control_path(cli, sock, sizeof(sock));
	int not_running = 0;
	json_t *res = control_call(sock, json_pack("{s:s, s:I}", "cmd", "pair", "ttl_sec", (json_int_t)ttl_sec),
	                           5000, &not_running, err);
	int live = res != NULL;
	if (res == NULL && not_running)
		res = pair_offline(cli, ttl_sec, err);
	if (res == NULL || !json_is_true(json_object_get(res, "ok"))) {
		fprintf(stderr, "reflector pair: %s\n",
		        res != NULL ? json_string_value(json_object_get(res, "error")) : err);
		json_decref(res);
		return 1;
	}
	if (!json_is_true(json_object_get(res, "pairing_enabled")))
		fprintf(stderr, "reflector pair: warning: [access] pairing_enabled = false in the config: "
		                "the token cannot be used until it is enabled\n");
	if (cli->json) {
		json_object_set_new(res, "server_running", json_boolean(live));
		cli_print_json(res);
		return 0;
	}
	printf("\n  Pairing Mode Enabled\n  ====================\n"
	       "  Endpoint ID    : %s\n  Pairing Token  : %s\n  Expires In     : %s (at %s)\n\n"
	       "  Share the endpoint ID and pairing token with the peer.\n"
	       "  The peer must connect within the TTL window to be authorized.\n",
	       json_string_value(json_object_get(res, "endpoint_id")),
	       json_string_value(json_object_get(res, "token")), ttl_text,
	       json_string_value(json_object_get(res, "expires_at")));
	if (!live)
		printf("  (no reflector is running: the next `reflector serve` will accept the token)\n");
	printf("\n");
	json_decref(res);
	return 0;
}
