/* Seed 002 checklist rows 32-38: the audit log of a real reflector. */
#include "cmocka_all.h"
#include "rproc.h"

#include "core/protocol.h"
#include "lib/errbuf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static json_t *hello(void)
{
	return json_pack("{s:s, s:[]}", "version", "1.0", "features");
}

/* A TCP connection that sends garbage instead of a ClientHello. */
static void garbage_connection(const struct rproc *r)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(r->port)),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	char buf[256];
	while (read(fd, buf, sizeof(buf)) > 0) /* until the server closes */
		;
	close(fd);
}

static void rows32_to_37_every_connection_and_session_is_logged_as_valid_json(void **state)
{
	(void)state;
	struct rproc r;
	struct identity alice, mallory;
	char err[ERRBUF_LEN];
	assert_int_equal(rproc_setup_with_client(&r, &alice, NULL,
	                                         "[quotas]\nmax_concurrent_tests = 1\ncooldown_sec = 0\n"),
	                 0);
	assert_int_equal(rproc_client(&r, "mallory", &mallory), 0);
	assert_int_equal(rproc_start(&r), 0);

	/* 2 accepted, 1 unauthorized, 2 failed handshakes = 5 connections. */
	struct link *a = rproc_connect(&r, &alice, err);
	assert_non_null(a);
	struct link *b = rproc_connect(&r, &alice, err);
	assert_non_null(b);
	struct link *m = rproc_connect(&r, &mallory, err);
	assert_non_null(m);
	link_close(m);
	garbage_connection(&r);
	garbage_connection(&r);

	/* 3 session requests: granted, denied (busy), then closed (row 34). */
	json_t *p;
	assert_string_equal(rproc_request(a, "hello", hello(), NULL), "server_hello");
	json_t *req = json_pack("{s:s}", "test_type", "udp_echo");
	assert_string_equal(rproc_request(a, "session_request", req, &p), "session_grant");
	json_t *close_req = json_pack("{s:O}", "test_id", json_object_get(p, "test_id"));
	json_decref(p);
	req = json_pack("{s:s}", "test_type", "udp_echo");
	assert_string_equal(rproc_request(b, "session_request", req, NULL), "session_deny");
	assert_string_equal(rproc_request(a, "session_close", close_req, NULL), "ok");
	link_close(a);
	link_close(b);
	assert_int_equal(rproc_stop(&r), 0); /* flushes coalesced counts */

	/* Row 32. */
	int accepted = rproc_audit_count(&r, "connection_accepted", NULL, NULL);
	int denied = rproc_audit_count(&r, "connection_denied", NULL, NULL);
	assert_int_equal(accepted, 2);
	assert_int_equal(denied, 3);
	assert_int_equal(rproc_audit_count(&r, "connection_denied", NULL, "tls_handshake_failed"), 2);
	/* Row 33 and 34. */
	assert_int_equal(rproc_audit_count(&r, "session_granted", alice.id, NULL), 1);
	assert_int_equal(rproc_audit_count(&r, "session_denied", alice.id, NULL), 1);
	assert_int_equal(rproc_audit_count(&r, "session_completed", alice.id, NULL), 1);

	/* Rows 36 and 37: every line is a JSON object with a UTC RFC 3339
	 * millisecond timestamp, an event_type and a peer_id. */
	regex_t re;
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
	                         REG_EXTENDED | REG_NOSUB), 0);
	json_t *lines = rproc_audit(&r);
	assert_true(json_array_size(lines) >= 10);
	size_t i;
	json_t *e;
	json_array_foreach(lines, i, e) {
		assert_true(json_is_object(e));
		const char *ts = json_string_value(json_object_get(e, "timestamp"));
		assert_non_null(ts);
		assert_int_equal(regexec(&re, ts, 0, NULL, 0), 0);
		assert_non_null(json_string_value(json_object_get(e, "event_type")));
		json_t *pid = json_object_get(e, "peer_id");
		assert_true(json_is_string(pid) || json_is_null(pid));
	}
	regfree(&re);

	/* Row 35: a restart appends; nothing is lost. */
	size_t before = json_array_size(lines);
	char *first = json_dumps(json_array_get(lines, 0), JSON_SORT_KEYS);
	json_decref(lines);
	assert_int_equal(rproc_start(&r), 0);
	assert_int_equal(rproc_stop(&r), 0);
	lines = rproc_audit(&r);
	assert_true(json_array_size(lines) > before);
	char *first_again = json_dumps(json_array_get(lines, 0), JSON_SORT_KEYS);
	assert_string_equal(first, first_again);
	free(first);
	free(first_again);
	json_decref(lines);
	identity_free(&alice);
	identity_free(&mallory);
	rproc_cleanup(&r);
}

static void row38_parent_directories_of_the_audit_log_are_created(void **state)
{
	(void)state;
	struct rproc r;
	assert_int_equal(rproc_setup(&r, NULL, NULL), 0);
	char extra[600];
	snprintf(extra, sizeof(extra), "[logging]\naudit_log_path = \"%s/deep/er/still/audit.jsonl\"\n", r.dir);
	assert_int_equal(rproc_write_config(&r, NULL, extra), 0);
	assert_int_equal(rproc_start(&r), 0);
	assert_int_equal(rproc_stop(&r), 0);
	snprintf(r.audit_path, sizeof(r.audit_path), "%s/deep/er/still/audit.jsonl", r.dir);
	assert_int_equal(rproc_audit_count(&r, "server_started", NULL, NULL), 1);
	assert_int_equal(rproc_audit_count(&r, "server_stopped", NULL, NULL), 1);
	rproc_cleanup(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rows32_to_37_every_connection_and_session_is_logged_as_valid_json),
		cmocka_unit_test(row38_parent_directories_of_the_audit_log_are_created),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
