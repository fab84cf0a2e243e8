/* reflector status [--json]: live state of the running server. */
#include "reflector/cli.h"

#include "lib/errbuf.h"
#include "reflector/control.h"

#include <stdio.h>

static json_int_t num(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(obj, a);
	if (b != NULL)
		v = json_object_get(v, b);
	return json_integer_value(v);
}

static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL ? s : "?";
}

static void print_human(const json_t *st)
{
	json_int_t up = num(st, "uptime_sec", NULL);
	printf("reflector %s: running\n", str(st, "version"));
	printf("  Endpoint ID  : %s\n  Listen       : %s (%s)\n  Config       : %s\n  Data dir     : %s\n",
	       str(st, "endpoint_id"), str(st, "listen"), str(st, "mode"), str(st, "config"), str(st, "data_dir"));
	printf("  Uptime       : %lldd %02lld:%02lld:%02lld\n", up / 86400, up / 3600 % 24, up / 60 % 60, up % 60);
	printf("  Connections  : %lld (%lld authorized, %lld in handshake, %lld pairing)\n",
	       num(st, "connections", "total"), num(st, "connections", "authorized"),
	       num(st, "connections", "handshaking"), num(st, "connections", "pairing"));
	const json_t *peers = json_object_get(st, "peers");
	printf("  Peers        : %zu authorized\n", json_array_size(peers));
	const json_t *pairing = json_object_get(st, "pairing");
	const char *closes = json_string_value(json_object_get(pairing, "closes_at"));
	printf("  Pairing      : %s, window %s%s\n",
	       json_is_true(json_object_get(pairing, "enabled")) ? "enabled" : "disabled",
	       closes ? "open until " : "closed", closes ? closes : "");
	const json_t *q = json_object_get(st, "quotas");
	printf("  Quotas       : %lld s max, %lld concurrent, %lld/hour/peer, cooldown %lld s, %lld bytes/day/peer\n",
	       num(q, "max_test_duration_sec", NULL), num(q, "max_concurrent_tests", NULL),
	       num(q, "max_tests_per_hour_per_peer", NULL), num(q, "cooldown_sec", NULL),
	       num(q, "max_bytes_per_day_per_peer", NULL));
	const json_t *sessions = json_object_get(st, "active_sessions");
	printf("  Active tests : %zu\n", json_array_size(sessions));
	size_t i;
	const json_t *s;
	json_array_foreach(sessions, i, s)
		printf("    %s  %-10s %s  port %lld  %lld s left  peer %s\n", str(s, "test_id"), str(s, "test_type"),
		       str(s, "mode"), num(s, "port", NULL), num(s, "remaining_sec", NULL), str(s, "peer_id"));
}

int cmd_status(struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		return cli_usage(stderr, "status");
	}
	char sock[4096], err[ERRBUF_LEN];
	cli_control_path(cli, sock, sizeof(sock));
	int not_running;
	json_t *st = control_call(sock, json_pack("{s:s}", "cmd", "status"), 5000, &not_running, err);
	if (st == NULL) {
		if (cli->json)
			cli_print_json(json_pack("{s:b, s:s}", "running", 0, "control_socket", sock));
		if (not_running)
			fprintf(stderr, "reflector is not running (no server answers on %s)\n", sock);
		else
			fprintf(stderr, "reflector status: %s\n", err);
		return 1;
	}
	if (cli->json) {
		json_object_set_new(st, "running", json_true());
		cli_print_json(st);
		return 0;
	}
	print_human(st);
	json_decref(st);
	return 0;
}
