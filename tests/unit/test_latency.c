/* latency: option parsing, reply validation, the verdict line, and whole
 * probe runs against a small echo responder on 127.0.0.1 (a forked child
 * that loses, counts and duplicates probes on purpose). */
#include "cmocka_all.h"

#include "lib/errbuf.h"
#include "paramedic/latency.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void times_parse_exactly(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	int64_t v;
	assert_int_equal(latency_parse_time_ns("--interval", "10ms", 0, &v, err), 0);
	assert_int_equal(v, 10000000);
	assert_int_equal(latency_parse_time_ns("--interval", "0.5ms", 0, &v, err), 0);
	assert_int_equal(v, 500000);
	assert_int_equal(latency_parse_time_ns("--interval", "100us", 0, &v, err), 0);
	assert_int_equal(v, 100000);
	assert_int_equal(latency_parse_time_ns("--interval", "1.5s", 0, &v, err), 0);
	assert_int_equal(v, 1500000000);
	assert_int_equal(latency_parse_time_ns("--interval", "250000ns", 0, &v, err), 0);
	assert_int_equal(v, 250000);
	assert_int_equal(latency_parse_time_ns("--duration", "10", 1000000000LL, &v, err), 0);
	assert_int_equal(v, 10000000000LL);
	assert_int_equal(latency_parse_time_ns("--duration", ".25", 1000000000LL, &v, err), 0);
	assert_int_equal(v, 250000000);

	const char *bad[] = {"", "ms", "10", "10 ms", "10mss", "-1ms", "0ms", "0.0s", "1.ms", "1e3ms",
	                     "0.1ns", "1.2.3ms", "99999999999999999999s", "10MS", "+1ms", "1.0000000001s"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (latency_parse_time_ns("--interval", bad[i], 0, &v, err) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(strstr(err, "--interval"));
	}
	long n;
	assert_int_equal(latency_parse_int("--dscp", "46", 0, 63, &n, err), 0);
	assert_int_equal(n, 46);
	const char *bad_int[] = {"64", "-1", "", "4x", " 4", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad_int) / sizeof(bad_int[0]); i++)
		assert_int_equal(latency_parse_int("--dscp", bad_int[i], 0, 63, &n, err), -1);
	assert_int_equal(latency_parse_int("--size", "47", 48, 65487, &n, err), -1);
}

static void replies_are_checked_against_what_was_sent(void **state)
{
	(void)state;
	int64_t sent[3] = {1000, 2000, 3000};
	struct latency_run r = {.n_sent = 3, .send_ns = sent};
	struct latency_params p = {.size_bytes = 64};
	uint8_t buf[64 + PROBE_TUNNEL_PREFIX_BYTES] = {0};
	struct probe_header h = {.flags = PROBE_FLAG_REPLY, .seq = 1, .client_send_ns = 2000,
	                         .server_recv_ns = 1800000000000000000ULL,
	                         .server_send_ns = 1800000000000000100ULL, .server_rx_count = 2};
	struct stats_arrival a;
	probe_encode(buf, 64, &h);
	assert_int_equal(latency_accept_reply(buf, 64, &p, &r, 5000, &a), 1);
	assert_int_equal(a.seq, 1);
	assert_int_equal(a.recv_ns, 5000);
	assert_int_equal(a.echo_count, 2);
	assert_int_equal(a.echo_send_ns - a.echo_recv_ns, 100);

	assert_int_equal(latency_accept_reply(buf, 47, &p, &r, 5000, &a), 0); /* short */
	h.client_send_ns = 2001;                                             /* not our time */
	probe_encode(buf, 64, &h);
	assert_int_equal(latency_accept_reply(buf, 64, &p, &r, 5000, &a), 0);
	h.client_send_ns = 3000, h.seq = 3; /* never sent */
	probe_encode(buf, 64, &h);
	assert_int_equal(latency_accept_reply(buf, 64, &p, &r, 5000, &a), 0);
	h.seq = 2, h.flags = 0; /* our own probe looped back, not a reply */
	probe_encode(buf, 64, &h);
	assert_int_equal(latency_accept_reply(buf, 64, &p, &r, 5000, &a), 0);
	/* Bogus echo times are dropped, the reply is kept. */
	h.flags = PROBE_FLAG_REPLY, h.server_recv_ns = 5, h.server_send_ns = 4;
	probe_encode(buf, 64, &h);
	assert_int_equal(latency_accept_reply(buf, 64, &p, &r, 5000, &a), 1);
	assert_int_equal(a.echo_recv_ns, 0);

	/* Tunneled: the prefix with our token, and nothing else. */
	p.tunneled = true;
	memset(p.token, 0xab, sizeof(p.token));
	probe_tunnel_put(buf, sizeof(buf), p.token);
	probe_encode(buf + PROBE_TUNNEL_PREFIX_BYTES, 64, &h);
	assert_int_equal(latency_accept_reply(buf, sizeof(buf), &p, &r, 5000, &a), 1);
	buf[10] ^= 1;
	assert_int_equal(latency_accept_reply(buf, sizeof(buf), &p, &r, 5000, &a), 0);
	assert_int_equal(latency_accept_reply(buf, 19, &p, &r, 5000, &a), 0);
}

static void verdicts_say_where_the_loss_is(void **state)
{
	(void)state;
	char line[400];
	struct stats_result s = {.sent = 1000, .received = 998, .lost = 2, .loss_split = true,
	                         .lost_downstream = 2, .have_rtt = true};
	latency_verdict(&s, 0, line, sizeof(line));
	assert_string_equal(line, "loss 0.2% (all downstream: the return path drops packets)");
	s.lost_downstream = 0, s.lost_upstream = 2;
	latency_verdict(&s, 0, line, sizeof(line));
	assert_string_equal(line, "loss 0.2% (all upstream: packets to the reflector are dropped)");
	s.lost_downstream = 1, s.lost_upstream = 1;
	latency_verdict(&s, 0, line, sizeof(line));
	assert_non_null(strstr(line, "both directions"));
	s.loss_split = false;
	latency_verdict(&s, 0, line, sizeof(line));
	assert_non_null(strstr(line, "direction unknown"));
	s = (struct stats_result){.sent = 10, .received = 0, .lost = 10};
	latency_verdict(&s, 0, line, sizeof(line));
	assert_non_null(strstr(line, "no probe came back"));
	s = (struct stats_result){.sent = 100, .received = 100, .have_rtt = true,
	                          .rtt = {.median_ns = 123000}, .jitter_ns = 4000};
	latency_verdict(&s, 5, line, sizeof(line));
	assert_non_null(strstr(line, "no loss; median RTT 0.123 ms, jitter 0.004 ms"));
	assert_non_null(strstr(line, "too busy"));
}

/* The responder: counts every probe it sees; for seq % 10: 7 is "lost on
 * the way there" (not counted, no reply), 3 "lost on the way back"
 * (counted, no reply), 5 is answered twice. */
static void responder(int fd, bool tunneled, const uint8_t *token)
{
	uint64_t count = 0;
	uint8_t buf[2048];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			_exit(1);
		size_t off = 0;
		if (tunneled) {
			uint8_t t[PROBE_TUNNEL_TOKEN_BYTES];
			if (probe_tunnel_parse(buf, (size_t)n, t) != 0 || memcmp(t, token, sizeof(t)) != 0)
				continue;
			off = PROBE_TUNNEL_PREFIX_BYTES;
		}
		struct probe_header h;
		if (probe_decode(buf + off, (size_t)n - off, &h) != 1 || h.seq % 10 == 7)
			continue;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		probe_stamp_received(buf + off, (size_t)n - off, now, ++count);
		if (h.seq % 10 == 3)
			continue;
		probe_stamp_sent(buf + off, (size_t)n - off, now + 1000);
		for (int k = 0; k < (h.seq % 10 == 5 ? 2 : 1); k++)
			sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}

static void run_against_responder(bool tunneled, int family)
{
	struct sockaddr_storage srv = {0}, local = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&srv;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&srv;
	socklen_t sl;
	if (family == AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		sl = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*s4);
	}
	int sfd = socket(family, SOCK_DGRAM, 0);
	assert_true(sfd >= 0);
	if (bind(sfd, (struct sockaddr *)&srv, sl) != 0) {
		close(sfd);
		skip(); /* no ::1 in this container */
	}
	assert_int_equal(getsockname(sfd, (struct sockaddr *)&srv, &sl), 0);
	local = srv;
	uint16_t port = ntohs(family == AF_INET6 ? s6->sin6_port : s4->sin_port);

	struct latency_params p = {.interval_ns = 1000000, .duration_ns = 100 * 1000000LL,
	                           .timeout_ns = 500 * 1000000LL, .size_bytes = 100, .tunneled = tunneled};
	memset(p.token, 0x5a, sizeof(p.token));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		responder(sfd, tunneled, p.token);
	close(sfd);

	char err[ERRBUF_LEN] = "";
	int fd = latency_socket(&local, &srv, port, 46, err);
	assert_true(fd >= 0);
	struct latency_run r;
	int rc = latency_run(fd, &p, &r, err);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (rc != 0)
		fail_msg("latency_run: %s", err);
	struct stats_result s;
	assert_int_equal(stats_compute(r.send_ns, r.n_sent, r.arr, r.n_arr, p.timeout_ns, &s), 0);
	assert_int_equal(s.sent, 100);
	assert_int_equal(s.received, 80);
	assert_int_equal(s.lost, 20);
	assert_true(s.loss_split);
	/* The last probe (99) came back with count 90: no tail effect here. */
	assert_int_equal(s.lost_upstream, 10);
	assert_int_equal(s.lost_downstream, 10);
	assert_int_equal(s.duplicates, 10);
	assert_int_equal(s.reordered, 0);
	assert_int_equal(r.foreign, 0);
	assert_true(s.have_rtt);
	assert_true(s.have_one_way);
	assert_true(s.rtt.min_ns > 0);

	json_t *j = latency_result_json(&p, &r, &s);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "packets"), "lost_upstream")), 10);
	assert_non_null(strstr(json_string_value(json_object_get(j, "verdict")), "loss 20.0%"));
	json_decref(j);
	latency_run_free(&r);
}

static void direct_run_splits_loss_and_counts_duplicates(void **state)
{
	(void)state;
	run_against_responder(false, AF_INET);
}

static void ipv6_run(void **state)
{
	(void)state;
	run_against_responder(false, AF_INET6);
}

static void tunneled_run_carries_the_token(void **state)
{
	(void)state;
	run_against_responder(true, AF_INET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(times_parse_exactly),
	    cmocka_unit_test(replies_are_checked_against_what_was_sent),
	    cmocka_unit_test(verdicts_say_where_the_loss_is),
	    cmocka_unit_test(direct_run_splits_loss_and_counts_duplicates),
	    cmocka_unit_test(tunneled_run_carries_the_token),
	    cmocka_unit_test(ipv6_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
