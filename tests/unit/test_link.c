/* link: the blocking client against a tiny TLS echo server running in a
 * thread of this process on 127.0.0.1 / ::1. The server obeys commands
 * sent as the request type ("send_empty_frame", "close", ...), so each
 * test is a short script of what a misbehaving reflector could do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/link.h"
#include "core/tls.h"
#include "lib/errbuf.h"
#include "lib/frame.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct identity server_id, client_id;

static int setup(void **state)
{
	(void)state;
	uint8_t s[32], c[32];
	memset(s, 0x5e, sizeof(s));
	memset(c, 0xc7, sizeof(c));
	char err[ERRBUF_LEN];
	return identity_from_secret(s, &server_id, err) | identity_from_secret(c, &client_id, err);
}

static int teardown(void **state)
{
	(void)state;
	identity_free(&server_id);
	identity_free(&client_id);
	return 0;
}

/* ---- the in-test server ---- */

struct server {
	int lfd;
	char port[8];
	int reject_client; /* refuse every client certificate */
	const char *alpn;
	pthread_t thread;
	char seen_client_id[ENDPOINT_ID_LEN];
	int handshake_ok;
};

static int srv_read_exact(SSL *ssl, uint8_t *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		int rc = SSL_read(ssl, buf + got, (int)(len - got));
		if (rc <= 0)
			return -1;
		got += (size_t)rc;
	}
	return 0;
}

static void srv_write(SSL *ssl, const void *buf, size_t len)
{
	if (len > 0)
		SSL_write(ssl, buf, (int)len);
}

static void srv_send_frame(SSL *ssl, const char *text)
{
	uint8_t h[FRAME_HEADER_BYTES];
	frame_put_header(h, (uint32_t)strlen(text));
	srv_write(ssl, h, sizeof(h));
	srv_write(ssl, text, strlen(text));
}

static json_t *srv_recv(SSL *ssl)
{
	uint8_t h[FRAME_HEADER_BYTES];
	if (srv_read_exact(ssl, h, sizeof(h)) != 0)
		return NULL;
	size_t len;
	uint8_t body[65536];
	if (frame_parse(h, sizeof(h), sizeof(body), &len) == FRAME_TOO_BIG ||
	    srv_read_exact(ssl, body, len) != 0)
		return NULL;
	return json_loadb((const char *)body, len, 0, NULL);
}

static void srv_reply(SSL *ssl, const char *rid, json_t *payload)
{
	json_t *env = json_pack("{s:s, s:O}", "request_id", rid, "payload", payload);
	char *text = json_dumps(env, JSON_COMPACT);
	srv_send_frame(ssl, text);
	free(text);
	json_decref(env);
}

/* Runs one command; returns 0 to keep serving, 1 to close. */
static int srv_command(SSL *ssl, json_t *msg, struct server *sv)
{
	const char *rid = json_string_value(json_object_get(msg, "request_id"));
	json_t *payload = json_object_get(msg, "payload");
	const char *type = json_string_value(json_object_get(payload, "type"));
	if (rid == NULL || type == NULL)
		return 1;
	if (strcmp(type, "close") == 0) {
		SSL_shutdown(ssl);
		return 1;
	}
	if (strcmp(type, "silent") == 0)
		return 0;
	if (strcmp(type, "send_empty_frame") == 0) {
		srv_write(ssl, "\0\0\0\0", 4);
		return 0;
	}
	if (strcmp(type, "send_huge_header") == 0) {
		uint8_t h[4];
		frame_put_header(h, FRAME_MAX_PAYLOAD_BYTES + 1);
		srv_write(ssl, h, 4);
		return 0;
	}
	if (strcmp(type, "send_bad_json") == 0) {
		srv_send_frame(ssl, "{\"request_id\": \"x\", nope");
		return 0;
	}
	if (strcmp(type, "send_array") == 0) {
		srv_send_frame(ssl, "[1,2,3]");
		return 0;
	}
	if (strcmp(type, "send_two") == 0) {
		/* a stale reply first, then ours */
		json_t *old = json_pack("{s:s}", "type", "stale");
		srv_reply(ssl, "req-999", old);
		json_decref(old);
	}
	if (strcmp(type, "unsolicited_error") == 0) {
		srv_send_frame(ssl, "{\"payload\":{\"type\":\"error\",\"code\":\"unauthorized\"}}");
		SSL_shutdown(ssl);
		return 1;
	}
	if (strcmp(type, "send_half") == 0) {
		/* Half a frame, then the rest after the client's next message. */
		const char *text = "{\"request_id\":\"half\",\"payload\":{\"type\":\"whole\"}}";
		uint8_t h[4];
		frame_put_header(h, (uint32_t)strlen(text));
		srv_write(ssl, h, 4);
		srv_write(ssl, text, 10);
		json_t *next = srv_recv(ssl);
		json_decref(next);
		srv_write(ssl, text + 10, strlen(text) - 10);
		return 0;
	}
	json_t *echo = json_pack("{s:s, s:O, s:s}", "type", "echo", "got", payload, "client_id",
	                         sv->seen_client_id);
	srv_reply(ssl, rid, echo);
	json_decref(echo);
	return 0;
}

static int reject_all(X509_STORE_CTX *store, void *arg)
{
	(void)arg;
	X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
	return 0;
}

static void *server_main(void *arg)
{
	struct server *sv = arg;
	char err[ERRBUF_LEN];
	SSL_CTX *ctx = tls_server_ctx_new(&server_id, sv->alpn, err);
	if (sv->reject_client)
		SSL_CTX_set_cert_verify_callback(ctx, reject_all, NULL);
	int fd = accept(sv->lfd, NULL, NULL);
	/* A guard against hanging forever if a test goes wrong, not a check. */
	struct timeval tv = {.tv_sec = 20};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1) {
		sv->handshake_ok = 1;
		tls_peer_endpoint_id(ssl, sv->seen_client_id, err);
		json_t *msg;
		while ((msg = srv_recv(ssl)) != NULL) {
			int done = srv_command(ssl, msg, sv);
			json_decref(msg);
			if (done)
				break;
		}
	}
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	OPENSSL_thread_stop();
	return NULL;
}

/* Listens on addr (127.0.0.1 or ::1); 0 ok, -1 when that family is absent. */
static int server_start(struct server *sv, const char *addr, int accept_thread)
{
	memset(sv, 0, sizeof(*sv));
	if (sv->alpn == NULL)
		sv->alpn = PP_ALPN_DEFAULT;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &a->sin_addr);
		len = sizeof(*a);
	}
	sv->lfd = socket(family, SOCK_STREAM, 0);
	if (sv->lfd < 0 || bind(sv->lfd, (struct sockaddr *)&ss, len) != 0) {
		if (sv->lfd >= 0)
			close(sv->lfd);
		return -1;
	}
	assert_int_equal(listen(sv->lfd, 4), 0);
	getsockname(sv->lfd, (struct sockaddr *)&ss, &len);
	int port = family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
	                              : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	snprintf(sv->port, sizeof(sv->port), "%d", port);
	if (accept_thread)
		assert_int_equal(pthread_create(&sv->thread, NULL, server_main, sv), 0);
	return 0;
}

static void server_stop(struct server *sv)
{
	pthread_join(sv->thread, NULL);
	close(sv->lfd);
}

/* A one-connection test server on loopback and our link to it. */
static struct link *start_and_connect(struct server *sv)
{
	char err[ERRBUF_LEN];
	assert_int_equal(server_start(sv, "127.0.0.1", 1), 0);
	struct link *l = link_connect("127.0.0.1", sv->port, &client_id, NULL, 10000, err);
	assert_non_null(l);
	return l;
}

/* ---- tests ---- */

static void request_response_over_ipv4(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct server sv;
	struct link *l = start_and_connect(&sv);
	assert_string_equal(link_peer_id(l), server_id.id);
	assert_true(link_fd(l) >= 0);

	json_t *resp = link_request(l, "hello", json_pack("{s:s, s:[s]}", "version", "1.0",
	                                                   "features", "udp_echo"),
	                            10000, err);
	assert_non_null(resp);
	assert_int_equal(link_last_status(l), LINK_OK);
	assert_string_equal(json_string_value(json_object_get(resp, "request_id")), "req-001");
	json_t *got = json_object_get(json_object_get(resp, "payload"), "got");
	assert_string_equal(json_string_value(json_object_get(got, "type")), "hello");
	assert_string_equal(json_string_value(json_object_get(got, "version")), "1.0");
	/* The server saw our ID, computed from our certificate. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(resp, "payload"),
	                                                      "client_id")),
	                    client_id.id);
	json_decref(resp);

	/* The type argument wins over a "type" among the fields; no fields. */
	resp = link_request(l, "ping", json_pack("{s:s}", "type", "sneaky"), 10000, err);
	got = json_object_get(json_object_get(resp, "payload"), "got");
	assert_string_equal(json_string_value(json_object_get(got, "type")), "ping");
	json_decref(resp);
	resp = link_request(l, "bare", NULL, 10000, err);
	assert_string_equal(json_string_value(json_object_get(resp, "request_id")), "req-003");
	json_decref(resp);

	/* send_json + recv_json by hand, and a raw pre-built frame. */
	json_t *m = json_pack("{s:s, s:{s:s}}", "request_id", "mine", "payload", "type", "x");
	assert_int_equal(link_send_json(l, m, err), 0);
	json_decref(m);
	resp = link_recv_json(l, 10000, err);
	assert_string_equal(json_string_value(json_object_get(resp, "request_id")), "mine");
	json_decref(resp);
	const char *text = "{\"request_id\":\"raw\",\"payload\":{\"type\":\"y\"}}";
	uint8_t frame[128];
	frame_put_header(frame, (uint32_t)strlen(text));
	memcpy(frame + 4, text, strlen(text));
	assert_int_equal(link_send_raw(l, frame, 4 + strlen(text), err), 0);
	resp = link_recv_json(l, 10000, err);
	assert_string_equal(json_string_value(json_object_get(resp, "request_id")), "raw");
	json_decref(resp);

	resp = link_request(l, "close", NULL, 10000, err);
	assert_null(resp);
	assert_int_equal(link_last_status(l), LINK_CLOSED);
	assert_non_null(strstr(err, "closed"));
	link_close(l);
	server_stop(&sv);
}

static void works_over_ipv6(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct server sv;
	if (server_start(&sv, "::1", 1) != 0)
		skip(); /* no IPv6 loopback in this environment */
	struct link *l = link_connect("::1", sv.port, &client_id, PP_ALPN_DEFAULT, 10000, err);
	assert_non_null(l);
	assert_string_equal(link_peer_id(l), server_id.id);
	json_t *resp = link_request(l, "hello", NULL, 10000, err);
	assert_non_null(resp);
	json_decref(resp);
	json_decref(link_request(l, "close", NULL, 10000, err));
	link_close(l);
	server_stop(&sv);
}

static void timeout_then_partial_frame_completes(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct server sv;
	struct link *l = start_and_connect(&sv);
	/* The server never answers "silent". */
	assert_null(link_request(l, "silent", NULL, 50, err));
	assert_int_equal(link_last_status(l), LINK_TIMEOUT);
	assert_non_null(strstr(err, "127.0.0.1:"));
	/* Half a frame arrives: still a timeout, and the half is kept. */
	json_t *m = json_pack("{s:s, s:{s:s}}", "request_id", "h", "payload", "type", "send_half");
	assert_int_equal(link_send_json(l, m, err), 0);
	json_decref(m);
	assert_null(link_recv_json(l, 50, err));
	assert_int_equal(link_last_status(l), LINK_TIMEOUT);
	m = json_pack("{s:s, s:{s:s}}", "request_id", "go", "payload", "type", "go_on");
	assert_int_equal(link_send_json(l, m, err), 0);
	json_decref(m);
	json_t *resp = link_recv_json(l, 10000, err);
	assert_non_null(resp);
	assert_string_equal(json_string_value(json_object_get(resp, "request_id")), "half");
	json_decref(resp);
	json_decref(link_request(l, "close", NULL, 10000, err));
	link_close(l);
	server_stop(&sv);
}

static void skips_stale_replies_and_returns_unsolicited_errors(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct server sv;
	struct link *l = start_and_connect(&sv);
	json_t *resp = link_request(l, "send_two", NULL, 10000, err);
	assert_non_null(resp);
	assert_string_equal(json_string_value(json_object_get(resp, "request_id")), "req-001");
	json_decref(resp);
	resp = link_request(l, "unsolicited_error", NULL, 10000, err);
	assert_non_null(resp);
	assert_null(json_object_get(resp, "request_id"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(resp, "payload"), "code")),
	                    "unauthorized");
	json_decref(resp);
	assert_null(link_recv_json(l, 10000, err));
	assert_int_equal(link_last_status(l), LINK_CLOSED);
	link_close(l);
	server_stop(&sv);
}

static void bad_frames_and_json_are_told_apart(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	const struct {
		const char *cmd;
		enum link_status st;
		const char *msg;
	} cases[] = {
		{"send_bad_json", LINK_BAD_JSON, "bad JSON"},
		{"send_array", LINK_BAD_JSON, "not a JSON object"},
		{"send_empty_frame", LINK_BAD_FRAME, "empty frame"},
		{"send_huge_header", LINK_BAD_FRAME, "larger than the maximum"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct server sv;
		struct link *l = start_and_connect(&sv);
		assert_null(link_request(l, cases[i].cmd, NULL, 10000, err));
		assert_int_equal(link_last_status(l), cases[i].st);
		assert_non_null(strstr(err, cases[i].msg));
		link_close(l); /* the server sees EOF and ends */
		server_stop(&sv);
	}
}

static void oversize_message_is_refused_locally(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct server sv;
	struct link *l = start_and_connect(&sv);
	char *big = malloc(FRAME_MAX_PAYLOAD_BYTES + 1);
	memset(big, 'a', FRAME_MAX_PAYLOAD_BYTES);
	big[FRAME_MAX_PAYLOAD_BYTES] = '\0';
	json_t *m = json_pack("{s:s}", "blob", big);
	free(big);
	assert_int_equal(link_send_json(l, m, err), -1);
	assert_int_equal(link_last_status(l), LINK_TOO_BIG);
	json_decref(m);
	json_decref(link_request(l, "close", NULL, 10000, err));
	link_close(l);
	server_stop(&sv);
}

static void refused_certificate_is_a_tls_error(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct server sv;
	assert_int_equal(server_start(&sv, "127.0.0.1", 0), 0);
	sv.reject_client = 1;
	sv.alpn = PP_ALPN_DEFAULT;
	assert_int_equal(pthread_create(&sv.thread, NULL, server_main, &sv), 0);
	/* TLS 1.3: our side finishes first; the refusal comes on the read. */
	struct link *l = link_connect("127.0.0.1", sv.port, &client_id, NULL, 10000, err);
	if (l != NULL) {
		assert_null(link_recv_json(l, 10000, err));
		assert_int_equal(link_last_status(l), LINK_TLS_ERROR);
		link_close(l);
	}
	assert_non_null(strstr(err, "TLS"));
	server_stop(&sv);
	assert_false(sv.handshake_ok);
}

static void connect_failures_name_the_endpoint(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	/* ALPN mismatch: the server refuses in the handshake. */
	struct server sv;
	assert_int_equal(server_start(&sv, "127.0.0.1", 0), 0);
	sv.alpn = "other/1";
	assert_int_equal(pthread_create(&sv.thread, NULL, server_main, &sv), 0);
	assert_null(link_connect("127.0.0.1", sv.port, &client_id, NULL, 10000, err));
	assert_non_null(strstr(err, "127.0.0.1:"));
	assert_non_null(strstr(err, "no application protocol"));
	server_stop(&sv);

	/* A listener that never speaks TLS: the handshake times out. */
	assert_int_equal(server_start(&sv, "127.0.0.1", 0), 0);
	assert_null(link_connect("127.0.0.1", sv.port, &client_id, NULL, 100, err));
	assert_non_null(strstr(err, "timed out"));
	char port[8];
	snprintf(port, sizeof(port), "%s", sv.port);
	close(sv.lfd);

	/* Nobody listening any more. */
	assert_null(link_connect("127.0.0.1", port, &client_id, NULL, 10000, err));
	assert_non_null(strstr(err, "refused"));
	/* Unresolvable (a service name, so that no DNS query leaves the host). */
	assert_null(link_connect("127.0.0.1", "no-such-service", &client_id, NULL, 10000, err));
	assert_non_null(strstr(err, "127.0.0.1:no-such-service: cannot resolve"));
	link_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_response_over_ipv4),
		cmocka_unit_test(works_over_ipv6),
		cmocka_unit_test(timeout_then_partial_frame_completes),
		cmocka_unit_test(skips_stale_replies_and_returns_unsolicited_errors),
		cmocka_unit_test(bad_frames_and_json_are_told_apart),
		cmocka_unit_test(oversize_message_is_refused_locally),
		cmocka_unit_test(refused_certificate_is_a_tls_error),
		cmocka_unit_test(connect_failures_name_the_endpoint),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
