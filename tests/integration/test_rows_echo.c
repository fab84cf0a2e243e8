/* Seed 002 checklist rows 26-28 and the UDP echo engine's guarantees
 * (PROTOCOL.md §9.1-9.3) on a real reflector, each in direct_ephemeral and
 * in tunneled mode. Datagrams only on 127.0.0.1 / 127.0.0.2. */
#include "cmocka_all.h"
#include "rproc.h"

#include "core/protocol.h"
#include "lib/errbuf.h"
#include "lib/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_WAIT_MS 3000 /* generous: only a missing answer waits this long */

struct fixture {
	struct rproc r;
	struct identity alice;
	struct link *l;
	bool tunneled;
	uint16_t port;
	uint8_t token[PROBE_TUNNEL_TOKEN_BYTES];
	char test_id[PP_UUID_TEXT_BYTES + 1];
};

/* The running fixture, stopped by the teardown if an assertion ends the
 * test first (cmocka jumps out of it): no reflector is left behind. */
static struct fixture *current;

static struct fixture *start(bool tunneled, const char *extra_toml)
{
	struct fixture *f = calloc(1, sizeof(*f));
	current = f;
	char err[ERRBUF_LEN];
	f->tunneled = tunneled;
	assert_int_equal(rproc_setup_with_client(&f->r, &f->alice,
	                                         tunneled ? "mode = \"tunneled\"" : "mode = \"direct_ephemeral\"",
	                                         extra_toml),
	                 0);
	assert_int_equal(rproc_start(&f->r), 0);
	f->l = rproc_connect(&f->r, &f->alice, err);
	if (f->l == NULL)
		fail_msg("connect: %s", err);
	return f;
}

static void stop(struct fixture *f)
{
	current = NULL;
	link_close(f->l);
	rproc_cleanup(&f->r);
	identity_free(&f->alice);
	free(f);
}

/* A udp_echo grant: its port and token go into the fixture. */
static void grant(struct fixture *f, int duration_sec)
{
	json_t *p;
	json_t *req = json_pack("{s:s, s:{s:i}}", "test_type", "udp_echo", "params", "duration_sec",
	                        duration_sec);
	assert_string_equal(rproc_request(f->l, "session_request", req, &p), "session_grant");
	f->port = (uint16_t)json_integer_value(json_object_get(p, "port"));
	assert_int_equal(probe_uuid_parse(json_string_value(json_object_get(p, "token")), f->token), 0);
	snprintf(f->test_id, sizeof(f->test_id), "%s", json_string_value(json_object_get(p, "test_id")));
	if (f->tunneled)
		assert_int_equal(f->port, atoi(f->r.port)); /* the control port's number */
	json_decref(p);
}

/* A UDP socket from src_ip, connected to the session's port. */
static int udp_client(const struct fixture *f, const char *src_ip)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, src_ip, &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(f->port)};
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	int rcvbuf = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

/* Sends payload, behind the session's tunnel prefix when tunneled. */
static void send_dgram(const struct fixture *f, int fd, const void *payload, size_t len)
{
	static uint8_t buf[70000];
	size_t off = 0;
	if (f->tunneled) {
		assert_int_equal(probe_tunnel_put(buf, sizeof(buf), f->token), 0);
		off = PROBE_TUNNEL_PREFIX_BYTES;
	}
	assert_true(off + len <= sizeof(buf));
	memcpy(buf + off, payload, len);
	assert_int_equal(send(fd, buf, off + len, 0), (ssize_t)(off + len));
}

/* One datagram within timeout_ms: its length (prefix checked and removed
 * when tunneled), -1 on timeout, -2 on ICMP port unreachable. */
static ssize_t recv_dgram(const struct fixture *f, int fd, void *out, size_t cap, int timeout_ms)
{
	static uint8_t buf[70000];
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == ECONNREFUSED ? -2 : -1;
	size_t off = 0;
	if (f->tunneled) {
		uint8_t token[PROBE_TUNNEL_TOKEN_BYTES];
		assert_int_equal(probe_tunnel_parse(buf, (size_t)n, token), 0);
		assert_memory_equal(token, f->token, sizeof(token));
		off = PROBE_TUNNEL_PREFIX_BYTES;
	}
	assert_true((size_t)n - off <= cap);
	memcpy(out, buf + off, (size_t)n - off);
	return n - (ssize_t)off;
}

static json_t *status(struct fixture *f)
{
	char out[16384];
	assert_int_equal(rproc_cli(&f->r, out, sizeof(out), "--json status"), 0);
	json_error_t jerr;
	json_t *st = json_loads(out, 0, &jerr);
	assert_non_null(st);
	return st;
}

static json_int_t counter(struct fixture *f, const char *name)
{
	json_t *st = status(f);
	json_t *v = json_object_get(json_object_get(st, "counters"), name);
	assert_non_null(v);
	json_int_t n = json_integer_value(v);
	json_decref(st);
	return n;
}

static int no_active_sessions(void *arg)
{
	struct fixture *f = arg;
	json_t *st = status(f);
	int empty = json_array_size(json_object_get(st, "active_sessions")) == 0;
	json_decref(st);
	return empty;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The bytes of session_completed for the fixture's session. */
static json_int_t completed_bytes(struct fixture *f)
{
	json_t *lines = rproc_audit(&f->r);
	json_int_t bytes = -1;
	size_t i;
	json_t *e;
	json_array_foreach(lines, i, e) {
		const char *t = json_string_value(json_object_get(e, "event_type"));
		const char *id = json_string_value(json_object_get(e, "test_id"));
		if (t && id && strcmp(t, "session_completed") == 0 && strcmp(id, f->test_id) == 0)
			bytes = json_integer_value(json_object_get(e, "bytes"));
	}
	json_decref(lines);
	return bytes;
}

static void close_session(struct fixture *f)
{
	json_t *req = json_pack("{s:s}", "test_id", f->test_id);
	assert_string_equal(rproc_request(f->l, "session_close", req, NULL), "ok");
}

/* Row 26: a datagram comes back as it was sent; both directions are the
 * session's bytes. */
static void round_trip(bool tunneled)
{
	struct fixture *f = start(tunneled, NULL);
	grant(f, 30);
	int fd = udp_client(f, "127.0.0.1");
	char back[64];
	send_dgram(f, fd, "ping\n", 5);
	assert_int_equal(recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS), 5);
	assert_memory_equal(back, "ping\n", 5);
	close_session(f);
	/* 5 bytes each way, plus the 20-byte prefix each way when tunneled. */
	assert_int_equal(completed_bytes(f), tunneled ? 50 : 10);
	assert_int_equal(counter(f, "echo_packets"), 1);
	close(fd);
	stop(f);
}

static void row26_udp_echo_round_trip(void **state)
{
	(void)state;
	round_trip(false);
}

static void row26_udp_echo_round_trip_tunneled(void **state)
{
	(void)state;
	round_trip(true);
}

/* Row 27: sent faster than max_packet_rate, the excess is dropped silently
 * and counted. The bound on the answers comes from the bucket (one second's
 * burst + the rate x the time the sending took), not from a speed. */
static void rate_limiting(bool tunneled)
{
	enum { RATE = 1000, SENT = 5000 };
	struct fixture *f = start(tunneled, "[quotas]\nmax_packet_rate = 1000\n");
	grant(f, 60);
	int fd = udp_client(f, "127.0.0.1");
	char payload[32], back[64];
	int answers = 0;
	int64_t t0 = realtime_ns();
	for (int i = 0; i < SENT; i++) {
		int n = snprintf(payload, sizeof(payload), "ping-%d", i);
		send_dgram(f, fd, payload, (size_t)n);
		while (recv_dgram(f, fd, back, sizeof(back), 0) >= 0) /* keep the queue short */
			answers++;
	}
	double sending_sec = (double)(realtime_ns() - t0) / 1e9;
	while (recv_dgram(f, fd, back, sizeof(back), 500) >= 0)
		answers++;
	json_int_t echoed = counter(f, "echo_packets");
	json_int_t dropped = counter(f, "echo_dropped_rate_limit");
	print_message("sent %d in %.3f s: %d answers, %lld echoed, %lld dropped by the rate limit\n",
	              SENT, sending_sec, answers, (long long)echoed, (long long)dropped);
	assert_true(answers >= 1);
	assert_true(answers <= echoed);
	assert_true(echoed <= RATE + (json_int_t)(RATE * (sending_sec + 1.0)));
	if (sending_sec < (double)(SENT - 2 * RATE) / RATE) {
		/* The bucket cannot have passed everything. */
		assert_true(dropped > 0);
		assert_true(answers < SENT);
	}
	/* The reflector still serves the control connection. */
	json_t *ping = json_pack("{s:s}", "test_id", f->test_id);
	assert_string_equal(rproc_request(f->l, "session_close", ping, NULL), "ok");
	close(fd);
	stop(f);
}

static void row27_udp_echo_rate_limiting(void **state)
{
	(void)state;
	rate_limiting(false);
}

static void row27_udp_echo_rate_limiting_tunneled(void **state)
{
	(void)state;
	rate_limiting(true);
}

/* Row 28: at expiry the engine stops: the direct socket is closed (ICMP
 * port unreachable), the tunneled token is forgotten (dropped, counted). */
static void stops_after_duration(bool tunneled)
{
	struct fixture *f = start(tunneled, NULL);
	grant(f, 1); /* expires after 1 s + the 5 s grace */
	int fd = udp_client(f, "127.0.0.1");
	char back[64];
	send_dgram(f, fd, "before", 6);
	assert_int_equal(recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS), 6);
	assert_true(wait_until(no_active_sessions, f, 20000));
	assert_int_equal(rproc_audit_count(&f->r, "session_expired", f->alice.id, NULL), 1);
	json_int_t dropped_before = counter(f, "echo_dropped_source");
	send_dgram(f, fd, "after", 5);
	ssize_t n = recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS);
	if (tunneled) {
		assert_int_equal(n, -1);
		assert_int_equal(counter(f, "echo_dropped_source"), dropped_before + 1);
	} else {
		assert_int_equal(n, -2); /* nobody listens on the port any more */
	}
	assert_int_equal(counter(f, "echo_packets"), 1);
	close(fd);
	stop(f);
}

static void row28_udp_echo_stops_after_duration(void **state)
{
	(void)state;
	stops_after_duration(false);
}

static void row28_udp_echo_stops_after_duration_tunneled(void **state)
{
	(void)state;
	stops_after_duration(true);
}

/* Datagrams from another source IP than the control connection's get no
 * echo, only a count: the reflector never reflects spoofed traffic. The
 * genuine datagram is sent after the spoofed ones into the same socket
 * queue, so once its answer is back the spoofed ones were handled. */
static void spoofed_source(bool tunneled)
{
	struct fixture *f = start(tunneled, NULL);
	grant(f, 30);
	int spoofed = udp_client(f, "127.0.0.2");
	int genuine = udp_client(f, "127.0.0.1");
	char back[64];
	for (int i = 0; i < 10; i++)
		send_dgram(f, spoofed, "spoofed", 7);
	send_dgram(f, genuine, "genuine", 7);
	assert_int_equal(recv_dgram(f, genuine, back, sizeof(back), ANSWER_WAIT_MS), 7);
	assert_memory_equal(back, "genuine", 7);
	assert_int_equal(recv_dgram(f, spoofed, back, sizeof(back), 0), -1);
	assert_int_equal(counter(f, "echo_dropped_source"), 10);
	assert_int_equal(counter(f, "echo_packets"), 1);
	close(spoofed);
	close(genuine);
	stop(f);
}

static void spoofed_source_is_not_echoed(void **state)
{
	(void)state;
	spoofed_source(false);
}

static void spoofed_source_is_not_echoed_tunneled(void **state)
{
	(void)state;
	spoofed_source(true);
}

/* Tunneled: an unknown token, a wrong magic and a bare datagram are
 * dropped silently; the session's own token still works. */
static void tunneled_unknown_token_is_dropped(void **state)
{
	(void)state;
	struct fixture *f = start(true, NULL);
	grant(f, 30);
	int fd = udp_client(f, "127.0.0.1");
	uint8_t bad[40];
	memset(bad, 0, sizeof(bad));
	assert_int_equal(probe_tunnel_put(bad, sizeof(bad), f->token), 0);
	bad[4] ^= 1; /* another token */
	assert_int_equal(send(fd, bad, sizeof(bad), 0), (ssize_t)sizeof(bad));
	bad[4] ^= 1;
	bad[3] = '2'; /* wrong magic */
	assert_int_equal(send(fd, bad, sizeof(bad), 0), (ssize_t)sizeof(bad));
	assert_int_equal(send(fd, "ping", 4, 0), 4);
	char back[64];
	send_dgram(f, fd, "ok", 2);
	assert_int_equal(recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS), 2);
	assert_int_equal(recv_dgram(f, fd, back, sizeof(back), 0), -1);
	assert_int_equal(counter(f, "echo_dropped_source"), 3);
	close(fd);
	stop(f);
}

/* Probes get the reply flag, the reflector's receive and send times (same
 * host, same CLOCK_REALTIME: between our send and our receive) and the
 * running count; the rest comes back untouched. */
static void probe_timestamps(bool tunneled)
{
	struct fixture *f = start(tunneled, NULL);
	grant(f, 30);
	int fd = udp_client(f, "127.0.0.1");
	for (uint64_t seq = 0; seq < 3; seq++) {
		uint8_t probe[100], back[100];
		for (size_t i = 0; i < sizeof(probe); i++)
			probe[i] = (uint8_t)(i ^ 0x5a);
		int64_t sent_ns = realtime_ns();
		struct probe_header h = {.seq = seq, .client_send_ns = (uint64_t)sent_ns};
		assert_int_equal(probe_encode(probe, sizeof(probe), &h), 0);
		send_dgram(f, fd, probe, sizeof(probe));
		assert_int_equal(recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS), sizeof(probe));
		int64_t got_ns = realtime_ns();
		struct probe_header r;
		assert_int_equal(probe_decode(back, sizeof(back), &r), 1);
		assert_int_equal(r.flags, PROBE_FLAG_REPLY);
		assert_true(r.seq == seq);
		assert_true(r.client_send_ns == (uint64_t)sent_ns);
		assert_true(r.server_rx_count == seq + 1);
		assert_true(r.server_recv_ns >= (uint64_t)sent_ns);
		assert_true(r.server_send_ns >= r.server_recv_ns);
		assert_true(r.server_send_ns <= (uint64_t)got_ns);
		assert_memory_equal(back + 48, probe + 48, sizeof(probe) - 48);
	}
	/* A PPRB datagram of another version is not a probe: echoed as is. */
	uint8_t v2[60], back[60];
	memset(v2, 7, sizeof(v2));
	memcpy(v2, "PPRB\x02", 5);
	send_dgram(f, fd, v2, sizeof(v2));
	assert_int_equal(recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS), sizeof(v2));
	assert_memory_equal(back, v2, sizeof(v2));
	close(fd);
	stop(f);
}

static void probe_header_gets_server_timestamps_and_count(void **state)
{
	(void)state;
	probe_timestamps(false);
}

static void probe_header_gets_server_timestamps_and_count_tunneled(void **state)
{
	(void)state;
	probe_timestamps(true);
}

/* Anything else comes back byte for byte: binary with NULs, a jumbo-sized
 * datagram, an empty one. */
static void byte_for_byte(bool tunneled)
{
	struct fixture *f = start(tunneled, NULL);
	grant(f, 30);
	int fd = udp_client(f, "127.0.0.1");
	static uint8_t data[9000], back[9000];
	srand(42);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rand();
	data[0] = 0;
	const size_t sizes[] = {1, 47, 48, 1000, sizeof(data), 0};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		send_dgram(f, fd, data, sizes[k]);
		assert_int_equal(recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS), (ssize_t)sizes[k]);
		if (sizes[k] > 0)
			assert_memory_equal(back, data, sizes[k]);
	}
	close(fd);
	stop(f);
}

static void plain_datagram_echoed_byte_for_byte(void **state)
{
	(void)state;
	byte_for_byte(false);
}

static void plain_datagram_echoed_byte_for_byte_tunneled(void **state)
{
	(void)state;
	byte_for_byte(true);
}

/* The session lives as long as its control connection: once that is gone
 * the direct socket is closed (ICMP port unreachable) and its bytes are in
 * session_completed. */
static void session_ends_with_its_control_connection(void **state)
{
	(void)state;
	struct fixture *f = start(false, NULL);
	grant(f, 60);
	int fd = udp_client(f, "127.0.0.1");
	char back[16];
	send_dgram(f, fd, "hello", 5);
	assert_int_equal(recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS), 5);
	link_close(f->l);
	f->l = NULL;
	assert_true(wait_until(no_active_sessions, f, 10000));
	assert_int_equal(completed_bytes(f), 10);
	send_dgram(f, fd, "again", 5);
	assert_int_equal(recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS), -2);
	close(fd);
	stop(f);
}

/* Data ports other processes hold: the grant moves to the next free port
 * of the range; with the whole range taken it fails with an error naming
 * the port, and the session it had opened is ended (audited with ended_by
 * engine_failed) so it holds no concurrency slot. */
static void occupied_data_ports(void **state)
{
	(void)state;
	enum { RANGE = 10 }; /* the harness's data port range */
	struct fixture *f = calloc(1, sizeof(*f));
	current = f;
	char err[ERRBUF_LEN];
	assert_int_equal(rproc_setup_with_client(&f->r, &f->alice, "mode = \"direct_ephemeral\"",
	                                         "[quotas]\ncooldown_sec = 0\n"),
	                 0);
	int first = f->r.data_port_start;
	int squatters[RANGE];
	for (int i = 0; i < RANGE; i++) {
		squatters[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* not the reflector's */
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(first + i))};
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		assert_int_equal(bind(squatters[i], (struct sockaddr *)&a, sizeof(a)), 0);
	}
	assert_int_equal(rproc_start(&f->r), 0);
	f->l = rproc_connect(&f->r, &f->alice, err);
	assert_non_null(f->l);
	json_t *p;
	json_t *req = json_pack("{s:s, s:{s:i}}", "test_type", "udp_echo", "params", "duration_sec", 10);
	assert_string_equal(rproc_request(f->l, "session_request", req, &p), "error");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "internal");
	char want[32];
	snprintf(want, sizeof(want), "UDP port %d", first);
	assert_non_null(strstr(json_string_value(json_object_get(p, "message")), want));
	json_decref(p);
	assert_true(no_active_sessions(f));
	assert_int_equal(rproc_audit_count(&f->r, "session_completed", f->alice.id, NULL), 1);
	/* One port of the range free again (not the first): granted there. */
	close(squatters[3]);
	grant(f, 10);
	assert_int_equal(f->port, first + 3);
	int fd = udp_client(f, "127.0.0.1");
	char back[8];
	send_dgram(f, fd, "moved", 5);
	assert_int_equal(recv_dgram(f, fd, back, sizeof(back), ANSWER_WAIT_MS), 5);
	close(fd);
	for (int i = 0; i < RANGE; i++)
		if (i != 3)
			close(squatters[i]);
	stop(f);
}

static int teardown(void **state)
{
	(void)state;
	if (current != NULL)
		stop(current);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(row26_udp_echo_round_trip, teardown),
		cmocka_unit_test_teardown(row26_udp_echo_round_trip_tunneled, teardown),
		cmocka_unit_test_teardown(row27_udp_echo_rate_limiting, teardown),
		cmocka_unit_test_teardown(row27_udp_echo_rate_limiting_tunneled, teardown),
		cmocka_unit_test_teardown(row28_udp_echo_stops_after_duration, teardown),
		cmocka_unit_test_teardown(row28_udp_echo_stops_after_duration_tunneled, teardown),
		cmocka_unit_test_teardown(spoofed_source_is_not_echoed, teardown),
		cmocka_unit_test_teardown(spoofed_source_is_not_echoed_tunneled, teardown),
		cmocka_unit_test_teardown(tunneled_unknown_token_is_dropped, teardown),
		cmocka_unit_test_teardown(probe_header_gets_server_timestamps_and_count, teardown),
		cmocka_unit_test_teardown(probe_header_gets_server_timestamps_and_count_tunneled, teardown),
		cmocka_unit_test_teardown(plain_datagram_echoed_byte_for_byte, teardown),
		cmocka_unit_test_teardown(plain_datagram_echoed_byte_for_byte_tunneled, teardown),
		cmocka_unit_test_teardown(session_ends_with_its_control_connection, teardown),
		cmocka_unit_test_teardown(occupied_data_ports, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
