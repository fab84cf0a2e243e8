/* tls_pump: a stream relayed both ways between a real TLS 1.3 connection
 * and a plain socket (socketpairs), every byte compared, ends propagated,
 * the byte counter's cut, and bad peers that must end the pump, not hang
 * it. One thread drives the pump, the TLS client and the plain peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/tls.h"
#include "core/tls_pump.h"
#include "lib/errbuf.h"
#include "tls_pair.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STREAM_BYTES (3 * 1024 * 1024 + 123)
#define MAX_ROUNDS 200000

static struct identity server_id, client_id;
static SSL_CTX *sctx, *cctx;

static int setup(void **state)
{
	(void)state;
	uint8_t s[32], c[32];
	memset(s, 0x52, sizeof(s));
	memset(c, 0xc2, sizeof(c));
	char err[ERRBUF_LEN];
	signal(SIGPIPE, SIG_IGN);
	if (identity_from_secret(s, &server_id, err) != 0 || identity_from_secret(c, &client_id, err) != 0)
		return -1;
	sctx = tls_server_ctx_new(&server_id, PP_ALPN_DEFAULT, err);
	cctx = tls_client_ctx_new(&client_id, PP_ALPN_DEFAULT, err);
	return sctx != NULL && cctx != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	identity_free(&server_id);
	identity_free(&client_id);
	return 0;
}

/* One side's data: what it sends, what it has received. */
struct end {
	uint8_t *src;
	size_t src_len, sent;
	uint8_t *got;
	size_t got_len;
	bool shut, eof;
};

struct rig {
	struct tls_pair tls; /* fd[0] the pump's, fd[1] the TLS client's */
	int plain[2]; /* [0] the pump's, [1] the plain peer's */
	SSL *server, *client;
	struct end c, p; /* TLS client, plain peer */
	struct tls_pump *pump;
	enum tls_pump_status status;
	char why[ERRBUF_LEN];
	size_t budget; /* 0: no limit */
	size_t counted;
	bool plain_peer_gone;
	unsigned slow_reader, ticks; /* the plain peer reads every slow_reader-th round */
	struct tls_pump_wait wait;
	bool waiting; /* the pump said what to wait for */
};

static void nonblocking(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static uint8_t *pattern(size_t len, unsigned seed)
{
	uint8_t *b = malloc(len);
	assert_non_null(b);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)((i * seed) ^ (i >> 9));
	return b;
}

static bool count_cb(void *arg, size_t n)
{
	struct rig *g = arg;
	g->counted += n;
	return g->budget == 0 || g->counted <= g->budget;
}

/* A handshake between server and client, then the pump on the server. */
static void rig_up(struct rig *g, size_t c_bytes, size_t p_bytes, const char *early)
{
	memset(g, 0, sizeof(*g));
	tls_pair_handshake(sctx, cctx, &g->tls);
	assert_true(g->tls.server_state == HS_DONE && g->tls.client_state == HS_DONE);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, g->plain), 0);
	for (int i = 0; i < 2; i++)
		nonblocking(g->plain[i]);
	g->server = g->tls.server;
	g->client = g->tls.client;
	g->c.src = pattern(c_bytes, 7);
	g->c.src_len = c_bytes;
	g->c.got = malloc(p_bytes + 64);
	g->p.src = pattern(p_bytes, 13);
	g->p.src_len = p_bytes;
	g->p.got = malloc(c_bytes + 64);
	g->status = TLS_PUMP_RUNNING;
	char err[ERRBUF_LEN];
	g->pump = tls_pump_new(g->server, g->tls.fd[0], g->plain[0], early, early ? strlen(early) : 0, count_cb,
	                       g, err);
	assert_non_null(g->pump);
}

static void rig_down(struct rig *g)
{
	tls_pump_free(g->pump);
	tls_pair_free(&g->tls);
	close(g->plain[0]);
	if (!g->plain_peer_gone)
		close(g->plain[1]);
	free(g->c.src);
	free(g->c.got);
	free(g->p.src);
	free(g->p.got);
}

/* The TLS client: sends its pattern, then close_notify; reads until the
 * pump's close_notify (or an error: the end as well). */
static void client_step(struct rig *g, size_t got_cap)
{
	struct end *e = &g->c;
	if (e->sent < e->src_len) {
		size_t n = e->src_len - e->sent < 16384 ? e->src_len - e->sent : 16384;
		int w = SSL_write(g->client, e->src + e->sent, (int)n);
		if (w > 0)
			e->sent += (size_t)w;
	} else if (!e->shut) {
		SSL_shutdown(g->client);
		e->shut = true;
	}
	while (!e->eof) {
		uint8_t buf[16384];
		int r = SSL_read(g->client, buf, sizeof(buf));
		if (r <= 0) {
			if (SSL_get_error(g->client, r) != SSL_ERROR_WANT_READ)
				e->eof = true;
			break;
		}
		assert_true(e->got_len + (size_t)r <= got_cap);
		memcpy(e->got + e->got_len, buf, (size_t)r);
		e->got_len += (size_t)r;
	}
	ERR_clear_error();
}

/* The plain peer: the same with send/recv and shutdown(SHUT_WR). */
static void plain_step(struct rig *g, size_t got_cap)
{
	struct end *e = &g->p;
	if (g->plain_peer_gone)
		return;
	if (e->sent < e->src_len) {
		ssize_t w = send(g->plain[1], e->src + e->sent, e->src_len - e->sent, MSG_NOSIGNAL);
		if (w > 0)
			e->sent += (size_t)w;
	} else if (!e->shut) {
		shutdown(g->plain[1], SHUT_WR);
		e->shut = true;
	}
	if (g->slow_reader > 0 && ++g->ticks % g->slow_reader != 0)
		return;
	while (!e->eof) {
		ssize_t r = recv(g->plain[1], e->got + e->got_len, got_cap - e->got_len, 0);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		assert_true(r >= 0);
		if (r == 0) {
			e->eof = true;
			break;
		}
		e->got_len += (size_t)r;
		assert_true(e->got_len < got_cap); /* never more than was sent */
	}
}

/* Runs the pump as an event loop would: only when something it waits for
 * is ready. A pump that waits for nothing while running would never run
 * again: a bug this catches. */
static void pump_step(struct rig *g)
{
	if (g->status != TLS_PUMP_RUNNING)
		return;
	if (g->waiting) {
		const struct tls_pump_wait *w = &g->wait;
		assert_true(w->tls_read || w->tls_write || w->plain_read || w->plain_write);
		struct pollfd pf[2] = {
		    {.fd = g->tls.fd[0], .events = (short)((w->tls_read ? POLLIN : 0) | (w->tls_write ? POLLOUT : 0))},
		    {.fd = g->plain[0], .events = (short)((w->plain_read ? POLLIN : 0) | (w->plain_write ? POLLOUT : 0))},
		};
		if (poll(pf, 2, 0) <= 0)
			return;
	}
	g->status = tls_pump_run(g->pump, &g->wait, g->why);
	g->waiting = true;
}

/* Runs everything until the pump has ended and both ends saw EOF. */
static void run(struct rig *g)
{
	for (int i = 0; i < MAX_ROUNDS; i++) {
		pump_step(g);
		client_step(g, g->p.src_len + 64);
		plain_step(g, g->c.src_len + 64);
		if (g->status != TLS_PUMP_RUNNING && g->c.eof && (g->p.eof || g->plain_peer_gone))
			return;
	}
	fail_msg("the pump did not end: status %d, client got %zu eof %d, plain got %zu eof %d",
	         g->status, g->c.got_len, g->c.eof, g->p.got_len, g->p.eof);
}

static void both_directions_arrive_intact_and_ends_propagate(void **state)
{
	(void)state;
	struct rig g;
	rig_up(&g, STREAM_BYTES, STREAM_BYTES / 2, "EARLY");
	run(&g);
	assert_int_equal(g.status, TLS_PUMP_DONE);
	assert_string_equal(g.why, "stream closed");
	/* the early plaintext first, then the client's stream, byte for byte */
	assert_int_equal(g.p.got_len, 5 + STREAM_BYTES);
	assert_memory_equal(g.p.got, "EARLY", 5);
	assert_memory_equal(g.p.got + 5, g.c.src, STREAM_BYTES);
	assert_int_equal(g.c.got_len, STREAM_BYTES / 2);
	assert_memory_equal(g.c.got, g.p.src, STREAM_BYTES / 2);
	/* every byte counted once, either way */
	assert_int_equal(tls_pump_bytes(g.pump), 5 + STREAM_BYTES + STREAM_BYTES / 2);
	assert_int_equal(g.counted, 5 + STREAM_BYTES + STREAM_BYTES / 2);
	rig_down(&g);
}

/* A stream one way only (up: TLS client -> plain peer), the plain peer
 * reading every slow_reader-th round (0: every round). */
static void check_one_way(bool up, unsigned slow_reader)
{
	struct rig g;
	rig_up(&g, up ? STREAM_BYTES : 0, up ? 0 : STREAM_BYTES, NULL);
	g.slow_reader = slow_reader;
	run(&g);
	assert_int_equal(g.status, TLS_PUMP_DONE);
	struct end *from = up ? &g.c : &g.p, *to = up ? &g.p : &g.c;
	assert_int_equal(to->got_len, STREAM_BYTES);
	assert_memory_equal(to->got, from->src, STREAM_BYTES);
	rig_down(&g);
}

/* One way only: the pump waits on one socket at a time, so a missed wait
 * shows as a stall. */
static void one_way_streams_arrive_intact(void **state)
{
	(void)state;
	check_one_way(true, 0);
	check_one_way(false, 0);
	/* a plain side slower than the TLS side: backpressure, then resumption */
	check_one_way(true, 13);
}

static void empty_streams_end_cleanly(void **state)
{
	(void)state;
	struct rig g;
	rig_up(&g, 0, 0, NULL);
	run(&g);
	assert_int_equal(g.status, TLS_PUMP_DONE);
	assert_int_equal(g.p.got_len, 0);
	assert_int_equal(g.c.got_len, 0);
	rig_down(&g);
}

static void the_counter_cuts_the_stream(void **state)
{
	(void)state;
	struct rig g;
	rig_up(&g, STREAM_BYTES, STREAM_BYTES, NULL);
	g.budget = 1000000;
	for (int i = 0; i < MAX_ROUNDS && g.status == TLS_PUMP_RUNNING; i++) {
		pump_step(&g);
		client_step(&g, g.p.src_len + 64);
		plain_step(&g, g.c.src_len + 64);
	}
	assert_int_equal(g.status, TLS_PUMP_CUT);
	assert_string_equal(g.why, "byte budget exhausted");
	/* past the budget by at most the one chunk that crossed it */
	assert_true(g.counted > g.budget);
	assert_true(g.counted <= g.budget + TLS_PUMP_BUF_BYTES);
	assert_true(g.p.got_len + g.c.got_len <= g.counted);
	/* the SSL has a socket BIO again: the connection can be closed as usual */
	tls_pump_free(g.pump);
	g.pump = NULL;
	assert_int_equal(BIO_method_type(SSL_get_wbio(g.server)), BIO_TYPE_SOCKET);
	rig_down(&g);
}

static void tls_garbage_ends_the_stream(void **state)
{
	(void)state;
	struct rig g;
	rig_up(&g, 0, 1000, NULL);
	/* not a TLS record: the pump's TLS side is over, the plain peer sees EOF */
	static const char junk[] = "\x17\x03\x03\x00\x20not a record, not encrypted at all";
	assert_true(send(g.tls.fd[1], junk, sizeof(junk) - 1, 0) > 0);
	g.c.eof = true; /* the client is not a TLS speaker any more */
	for (int i = 0; i < MAX_ROUNDS && !(g.p.eof && g.status != TLS_PUMP_RUNNING); i++) {
		pump_step(&g);
		plain_step(&g, 64);
	}
	assert_true(g.p.eof);
	assert_int_equal(g.p.got_len, 0);
	assert_int_not_equal(g.status, TLS_PUMP_RUNNING);
	rig_down(&g);
}

static void a_vanished_plain_side_fails_the_pump(void **state)
{
	(void)state;
	struct rig g;
	rig_up(&g, STREAM_BYTES, 0, NULL);
	close(g.plain[1]);
	g.plain_peer_gone = true;
	for (int i = 0; i < MAX_ROUNDS && g.status == TLS_PUMP_RUNNING; i++) {
		pump_step(&g);
		client_step(&g, 64);
	}
	assert_int_equal(g.status, TLS_PUMP_FAILED);
	assert_string_equal(g.why, "the plain side closed the stream");
	rig_down(&g);
}

/* tls_pump_loop in a thread of its own, as the programs run it. */
struct looped {
	struct rig *g;
	int stop_fd;
	enum tls_pump_status status;
	char why[ERRBUF_LEN];
};

static void *loop_main(void *arg)
{
	struct looped *l = arg;
	l->status = tls_pump_loop(l->g->pump, l->stop_fd, -1, NULL, NULL, l->why);
	return NULL;
}

static void the_loop_runs_a_stream_to_its_end(void **state)
{
	(void)state;
	struct rig g;
	rig_up(&g, STREAM_BYTES, STREAM_BYTES / 3, NULL);
	struct looped l = {.g = &g, .stop_fd = -1};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, loop_main, &l), 0);
	for (int i = 0; i < 20 * MAX_ROUNDS && !(g.c.eof && g.p.eof); i++) {
		client_step(&g, g.p.src_len + 64);
		plain_step(&g, g.c.src_len + 64);
		if (i % 64 == 63)
			usleep(100);
	}
	pthread_join(t, NULL);
	assert_int_equal(l.status, TLS_PUMP_DONE);
	assert_int_equal(g.p.got_len, STREAM_BYTES);
	assert_memory_equal(g.p.got, g.c.src, STREAM_BYTES);
	assert_int_equal(g.c.got_len, STREAM_BYTES / 3);
	assert_memory_equal(g.c.got, g.p.src, STREAM_BYTES / 3);
	rig_down(&g);
}

static void the_loop_stops_when_told(void **state)
{
	(void)state;
	struct rig g;
	rig_up(&g, 0, 0, NULL); /* nobody sends or closes: it would wait forever */
	int stop[2];
	assert_int_equal(pipe(stop), 0);
	struct looped l = {.g = &g, .stop_fd = stop[0]};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, loop_main, &l), 0);
	usleep(20000);
	assert_int_equal(write(stop[1], "x", 1), 1);
	pthread_join(t, NULL);
	assert_int_equal(l.status, TLS_PUMP_RUNNING);
	assert_string_equal(l.why, "stopped");
	close(stop[0]);
	close(stop[1]);
	rig_down(&g);
}

static void too_much_early_data_is_refused(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	SSL *ssl = SSL_new(sctx);
	static uint8_t big[TLS_PUMP_BUF_BYTES + 1];
	assert_null(tls_pump_new(ssl, -1, -1, big, sizeof(big), NULL, NULL, err));
	assert_non_null(strstr(err, "before the relay started"));
	SSL_free(ssl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(both_directions_arrive_intact_and_ends_propagate),
	    cmocka_unit_test(one_way_streams_arrive_intact),
	    cmocka_unit_test(empty_streams_end_cleanly),
	    cmocka_unit_test(the_counter_cuts_the_stream),
	    cmocka_unit_test(tls_garbage_ends_the_stream),
	    cmocka_unit_test(a_vanished_plain_side_fails_the_pump),
	    cmocka_unit_test(the_loop_runs_a_stream_to_its_end),
	    cmocka_unit_test(the_loop_stops_when_told),
	    cmocka_unit_test(too_much_early_data_is_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
