/*
 * echo_grant: holds a udp_echo session open for shell tests and benches.
 *
 *   echo_grant HOST PORT KEY_FILE DURATION_SEC
 *
 * Connects with the identity in KEY_FILE (created if missing), asks for a
 * udp_echo session and prints one line "PORT TOKEN_HEX TEST_ID MODE"
 * (TOKEN_HEX: the 16 bytes of the tunnel prefix, for printf '\x..'), then
 * keeps the control connection (and so the session) until it is killed or
 * its stdin reaches end of file. Exit 1 with a message on stderr if the
 * session is denied.
 */
#include "core/identity.h"
#include "core/link.h"
#include "lib/errbuf.h"
#include "lib/probe.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: echo_grant HOST PORT KEY_FILE DURATION_SEC\n");
		return 2;
	}
	char err[ERRBUF_LEN];
	struct identity id;
	int created;
	if (identity_load_or_create(argv[3], &id, &created, err) != 0) {
		fprintf(stderr, "echo_grant: %s\n", err);
		return 1;
	}
	struct link *l = link_connect(argv[1], argv[2], &id, NULL, 10000, err);
	if (l == NULL) {
		fprintf(stderr, "echo_grant: %s\n", err);
		return 1;
	}
	json_t *fields = json_pack("{s:s, s:{s:i}}", "test_type", "udp_echo", "params", "duration_sec",
	                           atoi(argv[4]));
	json_t *reply = link_request(l, "session_request", fields, 10000, err);
	json_t *p = json_object_get(reply, "payload");
	const char *type = json_string_value(json_object_get(p, "type"));
	uint8_t token[PROBE_TUNNEL_TOKEN_BYTES];
	if (type == NULL || strcmp(type, "session_grant") != 0 ||
	    probe_uuid_parse(json_string_value(json_object_get(p, "token")), token) != 0) {
		char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
		fprintf(stderr, "echo_grant: no grant: %s\n", text ? text : err);
		free(text);
		return 1;
	}
	printf("%d ", (int)json_integer_value(json_object_get(p, "port")));
	for (size_t i = 0; i < sizeof(token); i++)
		printf("%02x", token[i]);
	printf(" %s %s\n", json_string_value(json_object_get(p, "test_id")),
	       json_string_value(json_object_get(p, "mode")));
	fflush(stdout);
	json_decref(reply);
	char c;
	while (read(0, &c, 1) > 0) /* until EOF (or a signal ends us) */
		;
	link_close(l);
	identity_free(&id);
	return 0;
}
