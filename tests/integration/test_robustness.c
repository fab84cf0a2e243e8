/* A reflector on the public Internet meets peers that stall, lie and
 * flood. None of them may block another peer, crash or hang the server. */
#include "cmocka_all.h"
#include "rproc.h"

#include "core/protocol.h"
#include "lib/errbuf.h"
#include "lib/frame.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int tcp_connect(const struct rproc *r)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(r->port)),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* 1 when the server closed fd within timeout_ms. */
static int closed_by_server(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[4096];
	for (;;) {
		if (poll(&p, 1, timeout_ms) <= 0)
			return 0;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return 1;
	}
}

static int no_handshakes_in_progress(void *arg)
{
	struct rproc *r = arg;
	char out[8192];
	if (rproc_cli(r, out, sizeof(out), "--json status") != 0)
		return 0;
	json_error_t jerr;
	json_t *st = json_loads(out, 0, &jerr);
	int none = json_integer_value(json_object_get(json_object_get(st, "connections"), "handshaking")) == 0 &&
	           json_object_get(st, "connections") != NULL;
	json_decref(st);
	return none;
}

static json_t *hello(void)
{
	return json_pack("{s:s, s:[]}", "version", "1.0", "features");
}

static struct link *connect_ok(struct rproc *r, const struct identity *id)
{
	char err[ERRBUF_LEN];
	struct link *l = rproc_connect(r, id, err);
	if (l == NULL)
		fail_msg("connect: %s", err);
	return l;
}

/* The error code of the next message, which should precede a close. */
static void expect_error_then_close(struct link *l, const char *code)
{
	char err[ERRBUF_LEN];
	json_t *m = link_recv_json(l, 10000, err);
	const char *got = json_string_value(json_object_get(json_object_get(m, "payload"), "code"));
	if (got == NULL || strcmp(got, code) != 0)
		fail_msg("expected error %s, got %s (%s)", code, got ? got : "nothing", err);
	assert_true(json_is_null(json_object_get(m, "request_id")));
	json_decref(m);
	assert_null(link_recv_json(l, 10000, err));
	assert_int_equal(link_last_status(l), LINK_CLOSED);
}

static void half_open_connection_is_dropped_and_blocks_nobody(void **state)
{
	(void)state;
	struct rproc r;
	struct identity alice;
	assert_int_equal(rproc_setup_with_client(&r, &alice, "handshake_timeout_sec = 2", NULL), 0);
	assert_int_equal(rproc_start(&r), 0);
	int silent = tcp_connect(&r); /* never says a word */
	struct link *l = connect_ok(&r, &alice);
	assert_string_equal(rproc_request(l, "hello", hello(), NULL), "server_hello");
	assert_true(closed_by_server(silent, 15000));
	close(silent);
	assert_string_equal(rproc_request(l, "hello", hello(), NULL), "server_hello");
	link_close(l);
	assert_int_equal(rproc_stop(&r), 0);
	assert_int_equal(rproc_audit_count(&r, "connection_denied", NULL, "handshake_timeout"), 1);
	identity_free(&alice);
	rproc_cleanup(&r);
}

static void stalled_frame_is_cut_off_and_blocks_nobody(void **state)
{
	(void)state;
	struct rproc r;
	struct identity alice;
	char err[ERRBUF_LEN];
	assert_int_equal(rproc_setup_with_client(&r, &alice, "frame_timeout_sec = 2", NULL), 0);
	assert_int_equal(rproc_start(&r), 0);
	struct link *slow = connect_ok(&r, &alice);
	uint8_t partial[6] = {0, 0, 0, 50, '{', '"'}; /* promises 50 bytes, sends 2 */
	assert_int_equal(link_send_raw(slow, partial, sizeof(partial), err), 0);
	struct link *l = connect_ok(&r, &alice);
	assert_string_equal(rproc_request(l, "hello", hello(), NULL), "server_hello");
	expect_error_then_close(slow, "timeout");
	link_close(slow);
	link_close(l);
	identity_free(&alice);
	rproc_cleanup(&r);
}

static void bad_frames_get_an_error_and_a_close(void **state)
{
	(void)state;
	struct rproc r;
	struct identity alice;
	char err[ERRBUF_LEN];
	assert_int_equal(rproc_setup_with_client(&r, &alice, NULL, NULL), 0);
	assert_int_equal(rproc_start(&r), 0);

	struct link *l = connect_ok(&r, &alice);
	uint8_t huge[4];
	frame_put_header(huge, FRAME_MAX_PAYLOAD_BYTES + 1);
	assert_int_equal(link_send_raw(l, huge, sizeof(huge), err), 0);
	expect_error_then_close(l, "frame_too_large");
	link_close(l);

	l = connect_ok(&r, &alice);
	uint8_t empty[4] = {0, 0, 0, 0};
	assert_int_equal(link_send_raw(l, empty, sizeof(empty), err), 0);
	expect_error_then_close(l, "malformed_frame");
	link_close(l);

	l = connect_ok(&r, &alice);
	uint8_t junk[4 + 9];
	frame_put_header(junk, 9);
	memcpy(junk + 4, "{not json", 9);
	assert_int_equal(link_send_raw(l, junk, sizeof(junk), err), 0);
	json_t *m = link_recv_json(l, 10000, err);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "payload"), "code")), "invalid_json");
	json_decref(m);
	assert_null(link_recv_json(l, 10000, err));
	link_close(l);

	l = connect_ok(&r, &alice);
	json_t *unknown = json_pack("{s:s, s:{s:s}}", "request_id", "r1", "payload", "type", "launch_missiles");
	assert_int_equal(link_send_json(l, unknown, err), 0);
	json_decref(unknown);
	m = link_recv_json(l, 10000, err);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "payload"), "code")), "unknown_type");
	assert_string_equal(json_string_value(json_object_get(m, "request_id")), "r1");
	json_decref(m);
	link_close(l);

	/* After all that, a well-behaved peer is served. */
	l = connect_ok(&r, &alice);
	assert_string_equal(rproc_request(l, "hello", hello(), NULL), "server_hello");
	link_close(l);
	assert_int_equal(rproc_stop(&r), 0);
	identity_free(&alice);
	rproc_cleanup(&r);
}

static void handshakes_per_source_and_connections_are_capped(void **state)
{
	(void)state;
	struct rproc r;
	struct identity alice;
	assert_int_equal(rproc_setup_with_client(&r, &alice, "max_handshakes_per_source = 3\nmax_connections = 5",
	                                         NULL), 0);
	assert_int_equal(rproc_start(&r), 0);
	int fds[3];
	for (int i = 0; i < 3; i++)
		fds[i] = tcp_connect(&r); /* three handshakes pending */
	int fourth = tcp_connect(&r);
	assert_true(closed_by_server(fourth, 10000)); /* refused at once */
	close(fourth);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	/* The slots free up when those go away. */
	assert_true(wait_until(no_handshakes_in_progress, &r, 10000));
	struct link *ls[5];
	for (int i = 0; i < 5; i++)
		ls[i] = connect_ok(&r, &alice);
	int sixth = tcp_connect(&r); /* over max_connections */
	assert_true(closed_by_server(sixth, 10000));
	close(sixth);
	for (int i = 0; i < 5; i++)
		link_close(ls[i]);
	assert_int_equal(rproc_stop(&r), 0);
	assert_true(rproc_audit_count(&r, "connection_denied", NULL, "too_many_handshakes") >= 1);
	assert_true(rproc_audit_count(&r, "connection_denied", NULL, "too_many_connections") >= 1);
	identity_free(&alice);
	rproc_cleanup(&r);
}

static void sigterm_ends_sessions_and_flushes_the_audit_log(void **state)
{
	(void)state;
	struct rproc r;
	struct identity alice;
	assert_int_equal(rproc_setup_with_client(&r, &alice, NULL, NULL), 0);
	assert_int_equal(rproc_start(&r), 0);
	struct link *l = connect_ok(&r, &alice);
	json_t *req = json_pack("{s:s}", "test_type", "udp_echo");
	assert_string_equal(rproc_request(l, "session_request", req, NULL), "session_grant");
	assert_int_equal(rproc_stop(&r), 0);
	link_close(l);
	json_t *lines = rproc_audit(&r);
	json_t *last = json_array_get(lines, json_array_size(lines) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "event_type")), "server_stopped");
	json_decref(lines);
	assert_int_equal(rproc_audit_count(&r, "session_completed", alice.id, NULL), 1);
	char sock[400];
	snprintf(sock, sizeof(sock), "%s/control.sock", r.data_dir);
	assert_int_not_equal(access(sock, F_OK), 0); /* removed on the way out */
	identity_free(&alice);
	rproc_cleanup(&r);
}

static void sighup_reloads_the_peer_list(void **state)
{
	(void)state;
	struct rproc r;
	struct identity alice, bob;
	char err[ERRBUF_LEN];
	assert_int_equal(rproc_setup_with_client(&r, &alice, NULL, NULL), 0);
	assert_int_equal(rproc_client(&r, "bob", &bob), 0);
	assert_int_equal(rproc_start(&r), 0);
	struct link *a = connect_ok(&r, &alice);
	char extra[512];
	snprintf(extra, sizeof(extra), "[access]\npairing_enabled = false\nauthorized_peers = [\"%s\"]\n", bob.id);
	assert_int_equal(rproc_write_config(&r, NULL, extra), 0);
	kill(r.pid, SIGHUP);
	/* alice is no longer authorized: told so and closed. */
	json_t *m = link_recv_json(a, 10000, err);
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "payload"), "code")), "unauthorized");
	json_decref(m);
	link_close(a);
	struct link *b = connect_ok(&r, &bob);
	assert_string_equal(rproc_request(b, "hello", hello(), NULL), "server_hello");
	link_close(b);
	assert_int_equal(rproc_stop(&r), 0);
	assert_int_equal(rproc_audit_count(&r, "config_reloaded", NULL, NULL), 1);
	identity_free(&alice);
	identity_free(&bob);
	rproc_cleanup(&r);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(half_open_connection_is_dropped_and_blocks_nobody),
		cmocka_unit_test(stalled_frame_is_cut_off_and_blocks_nobody),
		cmocka_unit_test(bad_frames_get_an_error_and_a_close),
		cmocka_unit_test(handshakes_per_source_and_connections_are_capped),
		cmocka_unit_test(sigterm_ends_sessions_and_flushes_the_audit_log),
		cmocka_unit_test(sighup_reloads_the_peer_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
