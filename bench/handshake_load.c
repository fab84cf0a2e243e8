/*
 * handshake_load: how many full mTLS handshakes per second a server takes.
 *
 * Opens a fresh TCP connection per handshake (TLS 1.3, Ed25519 client
 * certificate, ALPN offered, no resumption), keeps --concurrency of them in
 * flight with non-blocking sockets and epoll so that the server, not this
 * client, is the bottleneck, and prints the rate, latency percentiles,
 * failures by kind, and its own CPU use (near 100% of a core means the
 * number measures the client, and it says so).
 *
 * A connection counts as a success once the server has answered our
 * close_notify with its own (no alert): in TLS 1.3 a server rejects a client
 * certificate only after the client believes the handshake is done, so
 * "handshake done" alone would count rejections. Servers that refuse
 * silently need a stronger proof: --expect-data (the server must send
 * something, e.g. nginx's stream `return`), or --hello (one framed
 * pp-link hello answered by a server_hello).
 *
 * Loopback targets only: this is a benchmark, not a flood tool.
 */
#include "loadgen_tls.h"

#include "core/identity.h"
#include "core/tls.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONCURRENCY 4096
#define GIVE_UP_AFTER_FAILURES_IN_A_ROW 200
#define REPLY_KEEP_BYTES 512
#define NS_PER_MS 1000000LL
#define NS_PER_SEC 1000000000LL

struct options {
	char host[256];
	char port[16];
	double duration_sec; /* 0: run until count */
	long count;          /* 0: run for duration */
	int concurrency;
	const char *key_path;
	const char *alpn;
	int timeout_ms;
	int hello;
	int expect_data;
	int print_id;
};

enum fail_kind { FAIL_CONNECT, FAIL_HANDSHAKE, FAIL_ALPN, FAIL_REJECTED, FAIL_CLOSED,
                 FAIL_TIMEOUT, FAIL_KINDS };
static const char *const fail_names[FAIL_KINDS] = {
	"connect", "handshake", "alpn", "rejected", "closed", "timeout",
};

enum slot_state { SLOT_FREE, SLOT_CONNECTING, SLOT_HANDSHAKE, SLOT_SEND_HELLO,
                  SLOT_READ_REPLY, SLOT_SHUTDOWN, SLOT_DRAIN };

struct slot {
	enum slot_state state;
	int fd;
	SSL *ssl;
	uint32_t events; /* current epoll interest */
	int64_t start_ns;
	int64_t deadline_ns;
	uint8_t reply[REPLY_KEEP_BYTES]; /* the start of the hello reply frame */
	size_t reply_len;                /* bytes of the reply frame read so far */
	uint32_t handshake_us;           /* connect → handshake done */
	int got_data;                    /* application data after the handshake */
};

struct run {
	struct options opt;
	SSL_CTX *ctx;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int epfd;
	struct slot *slots;
	uint8_t hello[256];
	size_t hello_len;
	long started, active, ok;
	long fails[FAIL_KINDS];
	char first_fail[FAIL_KINDS][256];
	long fails_in_a_row;
	uint32_t *latency_us; /* connect → handshake done, per success */
	size_t latency_cap;
	char first_handshake[256];
	char client_id[ENDPOINT_ID_LEN];
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: handshake_load --connect HOST:PORT [options]\n"
	        "  --connect HOST:PORT   loopback server (127.0.0.0/8, [::1], localhost)\n"
	        "  --duration SEC        run this long (default 10)\n"
	        "  --count N             or: this many connections, then stop\n"
	        "  -c, --concurrency N   connections in flight (default 32)\n"
	        "  --key FILE            the client's identity: a 32-byte Ed25519 secret\n"
	        "                        (created if missing); default: a throw-away key\n"
	        "  --alpn PROTO          ALPN to offer (default pp-link/1)\n"
	        "  --timeout-ms MS       per-connection limit (default 5000)\n"
	        "  --expect-data         success needs application data from the server\n"
	        "                        (e.g. nginx stream `return`): proves acceptance\n"
	        "  --hello               send one framed hello, wait for server_hello\n"
	        "  --print-id            print the client's endpoint ID and exit\n"
	        "                        (for the server's authorized_peers)\n");
}

static int split_host_port(const char *arg, struct options *opt, char *err)
{
	const char *colon = strrchr(arg, ':');
	if (!colon || colon == arg || !colon[1])
		return errbuf_set(err, "--connect '%s': expected HOST:PORT", arg);
	const char *host = arg;
	size_t host_len = (size_t)(colon - arg);
	if (host[0] == '[' && host_len >= 2 && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	}
	if (host_len >= sizeof opt->host || strlen(colon + 1) >= sizeof opt->port)
		return errbuf_set(err, "--connect '%s': too long", arg);
	memcpy(opt->host, host, host_len);
	opt->host[host_len] = '\0';
	strcpy(opt->port, colon + 1);
	return 0;
}

static int parse_options(int argc, char **argv, struct options *opt, char *err)
{
	static const struct option longs[] = {
		{"connect", required_argument, NULL, 'C'},
		{"duration", required_argument, NULL, 'd'},
		{"count", required_argument, NULL, 'n'},
		{"concurrency", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"alpn", required_argument, NULL, 'a'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"hello", no_argument, NULL, 'H'},
		{"expect-data", no_argument, NULL, 'E'},
		{"print-id", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	*opt = (struct options){.duration_sec = 10, .concurrency = 32, .alpn = "pp-link/1",
	                        .timeout_ms = 5000};
	int have_connect = 0, have_duration = 0, c;
	char *end;
	while ((c = getopt_long(argc, argv, "c:h", longs, NULL)) != -1) {
		switch (c) {
		case 'C':
			if (split_host_port(optarg, opt, err) != 0)
				return -1;
			have_connect = 1;
			break;
		case 'd':
			opt->duration_sec = strtod(optarg, &end);
			if (*end || !(opt->duration_sec > 0 && opt->duration_sec <= 3600))
				return errbuf_set(err, "--duration '%s': seconds, 0 < d <= 3600", optarg);
			have_duration = 1;
			break;
		case 'n':
			opt->count = strtol(optarg, &end, 10);
			if (*end || opt->count <= 0)
				return errbuf_set(err, "--count '%s': a positive integer", optarg);
			break;
		case 'c':
			opt->concurrency = (int)strtol(optarg, &end, 10);
			if (*end || opt->concurrency < 1 || opt->concurrency > MAX_CONCURRENCY)
				return errbuf_set(err, "--concurrency '%s': 1 to %d", optarg,
				                  MAX_CONCURRENCY);
			break;
		case 'k': opt->key_path = optarg; break;
		case 'a': opt->alpn = optarg; break;
		case 't':
			opt->timeout_ms = (int)strtol(optarg, &end, 10);
			if (*end || opt->timeout_ms < 1)
				return errbuf_set(err, "--timeout-ms '%s': a positive integer", optarg);
			break;
		case 'H': opt->hello = 1; break;
		case 'E': opt->expect_data = 1; break;
		case 'P': opt->print_id = 1; break;
		case 'h': usage(stdout); exit(0);
		default: return errbuf_set(err, "bad option (see --help)");
		}
	}
	if (optind < argc)
		return errbuf_set(err, "unexpected argument '%s'", argv[optind]);
	if (opt->count && !have_duration)
		opt->duration_sec = 0;
	if (!have_connect && !opt->print_id)
		return errbuf_set(err, "--connect HOST:PORT is required");
	return 0;
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

static int resolve(struct run *r, char *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	int rc = getaddrinfo(r->opt.host, r->opt.port, &hints, &res);
	if (rc != 0)
		return errbuf_set(err, "%s:%s: %s", r->opt.host, r->opt.port, gai_strerror(rc));
	rc = -1;
	if (!is_loopback(res->ai_addr))
		errbuf_set(err, "%s:%s: not a loopback address; benchmarks run on loopback only",
		           r->opt.host, r->opt.port);
	else if (res->ai_addrlen > sizeof r->addr)
		errbuf_set(err, "%s: address too long", r->opt.host);
	else {
		memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
		r->addr_len = res->ai_addrlen;
		rc = 0;
	}
	freeaddrinfo(res);
	return rc;
}

/* The framed hello of the pp-link protocol (docs/PROTOCOL.md). */
static void build_hello(struct run *r)
{
	static const char json[] = "{\"request_id\":\"bench-1\",\"payload\":{\"type\":\"hello\","
	                           "\"version\":\"1.0\",\"features\":[]}}";
	size_t len = sizeof json - 1;
	frame_put_header(r->hello, (uint32_t)len);
	memcpy(r->hello + FRAME_HEADER_BYTES, json, len);
	r->hello_len = FRAME_HEADER_BYTES + len;
}

static void slot_release(struct slot *s)
{
	if (s->ssl)
		SSL_free(s->ssl);
	if (s->fd >= 0)
		close(s->fd); /* also leaves the epoll set */
	s->ssl = NULL;
	s->fd = -1;
	s->events = 0;
	s->state = SLOT_FREE;
}

static void slot_fail(struct run *r, struct slot *s, enum fail_kind kind, const char *why)
{
	r->fails[kind]++;
	r->fails_in_a_row++;
	if (!r->first_fail[kind][0])
		snprintf(r->first_fail[kind], sizeof r->first_fail[kind], "%s", why);
	slot_release(s);
	r->active--;
}

static void slot_succeed(struct run *r, struct slot *s)
{
	if ((size_t)r->ok < r->latency_cap)
		r->latency_us[r->ok] = s->handshake_us;
	r->ok++;
	r->fails_in_a_row = 0;
	slot_release(s);
	r->active--;
}

/* One line saying what was negotiated, kept from the first success so the
 * report shows every server did the same handshake. */
static void describe_handshake(struct run *r, SSL *ssl)
{
	const unsigned char *alpn;
	unsigned alpn_len;
	SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
	X509 *peer = SSL_get0_peer_certificate(ssl);
	EVP_PKEY *pk = peer ? X509_get0_pubkey(peer) : NULL;
	const char *group = SSL_group_to_name(ssl, SSL_get_negotiated_group(ssl));
	snprintf(r->first_handshake, sizeof r->first_handshake,
	         "%s %s, group %s, ALPN %.*s, server key %s", SSL_get_version(ssl),
	         SSL_get_cipher_name(ssl), group ? group : "?", (int)alpn_len, alpn,
	         pk ? EVP_PKEY_get0_type_name(pk) : "none");
}

static void describe_ssl_error(SSL *ssl, int ret, char *out, size_t out_len)
{
	int e = SSL_get_error(ssl, ret);
	unsigned long code = ERR_peek_last_error();
	if (code) {
		char buf[200];
		ERR_error_string_n(code, buf, sizeof buf);
		snprintf(out, out_len, "%s", buf);
	} else if (e == SSL_ERROR_SYSCALL && errno) {
		snprintf(out, out_len, "%s", strerror(errno));
	} else if (e == SSL_ERROR_ZERO_RETURN) {
		snprintf(out, out_len, "server sent close_notify");
	} else {
		snprintf(out, out_len, "connection closed by the server (SSL error %d)", e);
	}
	ERR_clear_error();
}

static void set_interest(struct run *r, struct slot *s, uint32_t events)
{
	if (s->events == events)
		return;
	struct epoll_event ev = {.events = events, .data.ptr = s};
	epoll_ctl(r->epfd, s->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, s->fd, &ev);
	s->events = events;
}

/* After an SSL call that returned ret: wait for the socket, or fail. */
static void wait_or_fail(struct run *r, struct slot *s, int ret, enum fail_kind kind)
{
	int e = SSL_get_error(s->ssl, ret);
	if (e == SSL_ERROR_WANT_READ) {
		set_interest(r, s, EPOLLIN);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		set_interest(r, s, EPOLLOUT);
		return;
	}
	char why[256];
	describe_ssl_error(s->ssl, ret, why, sizeof why);
	slot_fail(r, s, kind, why);
}

static void slot_start(struct run *r, struct slot *s, int64_t now_ns)
{
	r->started++;
	r->active++;
	s->start_ns = now_ns;
	s->deadline_ns = now_ns + (int64_t)r->opt.timeout_ms * NS_PER_MS;
	s->reply_len = 0;
	s->got_data = 0;
	s->ssl = NULL;
	s->events = 0;
	s->fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		slot_fail(r, s, FAIL_CONNECT, strerror(errno));
		return;
	}
	int one = 1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	s->state = SLOT_CONNECTING;
	if (connect(s->fd, (struct sockaddr *)&r->addr, r->addr_len) != 0 && errno != EINPROGRESS) {
		slot_fail(r, s, FAIL_CONNECT, strerror(errno));
		return;
	}
	set_interest(r, s, EPOLLOUT);
}

static int handshake_done(struct run *r, struct slot *s)
{
	const unsigned char *alpn;
	unsigned alpn_len;
	SSL_get0_alpn_selected(s->ssl, &alpn, &alpn_len);
	if (alpn_len != strlen(r->opt.alpn) || memcmp(alpn, r->opt.alpn, alpn_len) != 0) {
		char why[128];
		snprintf(why, sizeof why, "server selected ALPN '%.*s'",
		         (int)(alpn_len < 64 ? alpn_len : 64), alpn);
		slot_fail(r, s, FAIL_ALPN, why);
		return -1;
	}
	if (!r->first_handshake[0])
		describe_handshake(r, s->ssl);
	int64_t us = (clock_mono_ns() - s->start_ns) / 1000;
	s->handshake_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	s->state = r->opt.hello ? SLOT_SEND_HELLO : SLOT_SHUTDOWN;
	return 0;
}

/* Reads the reply frame; 1 when it is whole, 0 to wait, -1 failed. */
static int read_reply(struct run *r, struct slot *s)
{
	uint8_t buf[4096];
	size_t n;
	for (;;) {
		int ret = SSL_read_ex(s->ssl, buf, sizeof buf, &n);
		if (ret <= 0) {
			int e = SSL_get_error(s->ssl, ret);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				wait_or_fail(r, s, ret, FAIL_REJECTED);
				return 0;
			}
			char why[256];
			describe_ssl_error(s->ssl, ret, why, sizeof why);
			slot_fail(r, s, e == SSL_ERROR_SSL ? FAIL_REJECTED : FAIL_CLOSED, why);
			return -1;
		}
		size_t keep = s->reply_len < sizeof s->reply ? sizeof s->reply - s->reply_len : 0;
		memcpy(s->reply + s->reply_len, buf, n < keep ? n : keep);
		s->reply_len += n;
		size_t payload_len;
		enum frame_status st = frame_parse(s->reply, s->reply_len < sizeof s->reply ?
		                                   s->reply_len : sizeof s->reply,
		                                   FRAME_MAX_PAYLOAD_BYTES, &payload_len);
		if (st == FRAME_EMPTY || st == FRAME_TOO_BIG) {
			slot_fail(r, s, FAIL_REJECTED, frame_status_name(st));
			return -1;
		}
		if (st == FRAME_NEED_MORE && (payload_len == 0 ||
		                              s->reply_len < FRAME_HEADER_BYTES + payload_len))
			continue;
		/* Whole frame (its start is kept): is it a server_hello? */
		size_t kept = s->reply_len < sizeof s->reply ? s->reply_len : sizeof s->reply;
		if (!memmem(s->reply, kept, "\"server_hello\"", 14)) {
			char why[256];
			size_t show = kept - FRAME_HEADER_BYTES < 200 ? kept - FRAME_HEADER_BYTES : 200;
			snprintf(why, sizeof why, "reply is not a server_hello: %.*s", (int)show,
			         (const char *)s->reply + FRAME_HEADER_BYTES);
			slot_fail(r, s, FAIL_REJECTED, why);
			return -1;
		}
		return 1;
	}
}

/* Waits for the server's answer to our close_notify. A server that refuses
 * the certificate sends an alert, or (nginx's stream module with
 * ssl_verify_client on) just closes, even with a close_notify: with
 * --expect-data only application data proves acceptance. */
static void drain(struct run *r, struct slot *s)
{
	uint8_t buf[4096];
	size_t n;
	int ret;
	while ((ret = SSL_read_ex(s->ssl, buf, sizeof buf, &n)) > 0)
		s->got_data = 1;
	int e = SSL_get_error(s->ssl, ret);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		wait_or_fail(r, s, ret, FAIL_REJECTED);
		return;
	}
	unsigned long code = ERR_peek_last_error();
	int eof = e == SSL_ERROR_SYSCALL ||
	          (e == SSL_ERROR_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING);
	int answered = s->got_data || r->opt.hello || (!r->opt.expect_data && e == SSL_ERROR_ZERO_RETURN);
	if ((e == SSL_ERROR_ZERO_RETURN || eof) && answered) {
		ERR_clear_error();
		slot_succeed(r, s);
		return;
	}
	if (e == SSL_ERROR_ZERO_RETURN || eof) {
		ERR_clear_error();
		slot_fail(r, s, FAIL_CLOSED, r->opt.expect_data ?
		          "closed without sending data (refused after the handshake?)" :
		          "closed without close_notify or data (refused after the handshake?)");
		return;
	}
	wait_or_fail(r, s, ret, FAIL_REJECTED); /* an alert: the server refused us */
}

/* Advances one connection as far as it goes without blocking. */
static void slot_step(struct run *r, struct slot *s)
{
	int ret, soerr;
	socklen_t len = sizeof soerr;
	size_t written;
	for (;;) {
		switch (s->state) {
		case SLOT_FREE:
			return;
		case SLOT_CONNECTING:
			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
				soerr = errno;
			if (soerr) {
				slot_fail(r, s, FAIL_CONNECT, strerror(soerr));
				return;
			}
			s->ssl = SSL_new(r->ctx);
			if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1) {
				slot_fail(r, s, FAIL_HANDSHAKE, "SSL_new failed");
				return;
			}
			SSL_set_connect_state(s->ssl);
			s->state = SLOT_HANDSHAKE;
			break;
		case SLOT_HANDSHAKE:
			ret = SSL_do_handshake(s->ssl);
			if (ret != 1) {
				wait_or_fail(r, s, ret, FAIL_HANDSHAKE);
				return;
			}
			if (handshake_done(r, s) != 0)
				return;
			break;
		case SLOT_SEND_HELLO:
			ret = SSL_write_ex(s->ssl, r->hello, r->hello_len, &written);
			if (ret != 1) {
				wait_or_fail(r, s, ret, FAIL_REJECTED);
				return;
			}
			s->state = SLOT_READ_REPLY;
			break;
		case SLOT_READ_REPLY:
			if (read_reply(r, s) != 1)
				return;
			s->state = SLOT_SHUTDOWN;
			break;
		case SLOT_SHUTDOWN:
			ret = SSL_shutdown(s->ssl);
			if (ret < 0) {
				wait_or_fail(r, s, ret, FAIL_CLOSED);
				return;
			}
			s->state = SLOT_DRAIN;
			break;
		case SLOT_DRAIN:
			drain(r, s);
			return;
		}
	}
}

static int may_start(const struct run *r, int64_t now_ns, int64_t end_ns)
{
	if (r->fails_in_a_row >= GIVE_UP_AFTER_FAILURES_IN_A_ROW)
		return 0;
	if (r->opt.count && r->started >= r->opt.count)
		return 0;
	return now_ns < end_ns;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static double percentile_ms(uint32_t *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i] / 1000.0;
}

static double cpu_sec(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void report(struct run *r, double elapsed_sec, double client_cpu_sec)
{
	long failed = 0;
	for (int k = 0; k < FAIL_KINDS; k++)
		failed += r->fails[k];
	double rate = elapsed_sec > 0 ? (double)r->ok / elapsed_sec : 0;
	double cpu_pct = elapsed_sec > 0 ? 100.0 * client_cpu_sec / elapsed_sec : 0;
	size_t n = (size_t)r->ok < r->latency_cap ? (size_t)r->ok : r->latency_cap;
	qsort(r->latency_us, n, sizeof *r->latency_us, cmp_u32);
	double p50 = percentile_ms(r->latency_us, n, 0.50), p99 = percentile_ms(r->latency_us, n, 0.99);

	printf("target: %s:%s, concurrency %d%s%s\n", r->opt.host, r->opt.port, r->opt.concurrency,
	       r->opt.hello ? ", one hello/server_hello per connection" : "",
	       r->opt.expect_data ? ", server data required" : "");
	printf("client: %s\n", r->client_id);
	if (r->first_handshake[0])
		printf("negotiated: %s\n", r->first_handshake);
	printf("handshakes: %ld in %.2f s = %.1f /s\n", r->ok, elapsed_sec, rate);
	printf("latency (connect to handshake done): p50 %.2f ms, p99 %.2f ms\n", p50, p99);
	printf("failures: %ld", failed);
	for (int k = 0; k < FAIL_KINDS; k++)
		if (r->fails[k])
			printf(" [%s %ld: %s]", fail_names[k], r->fails[k], r->first_fail[k]);
	printf("\n");
	if (r->fails_in_a_row >= GIVE_UP_AFTER_FAILURES_IN_A_ROW)
		printf("gave up after %d failures in a row\n", GIVE_UP_AFTER_FAILURES_IN_A_ROW);
	printf("client CPU: %.0f%% of one core%s\n", cpu_pct,
	       cpu_pct > 90 && elapsed_sec >= 1 ? " (near saturation: this rate may measure the client)" : "");
	printf("result: rate_per_sec=%.1f ok=%ld failed=%ld elapsed_sec=%.2f client_cpu_pct=%.0f "
	       "p50_ms=%.2f p99_ms=%.2f\n",
	       rate, r->ok, failed, elapsed_sec, cpu_pct, p50, p99);
}

/* The client's identity: the project's key file format (--key), or a
 * throw-away key. */
static int load_identity(const char *path, struct identity *id, char *err)
{
	if (path)
		return identity_load_or_create(path, id, NULL, err);
	uint8_t secret[IDENTITY_SECRET_BYTES];
	int rc = RAND_priv_bytes(secret, sizeof secret) == 1
	             ? identity_from_secret(secret, id, err)
	             : errbuf_set(err, "no randomness for a key");
	OPENSSL_cleanse(secret, sizeof secret);
	return rc;
}

static int setup(struct run *r, char *err)
{
	struct identity id = {0};
	if (load_identity(r->opt.key_path, &id, err) != 0)
		return -1;
	if (r->opt.print_id) {
		printf("%s\n", id.id);
		identity_free(&id);
		exit(0);
	}
	snprintf(r->client_id, sizeof r->client_id, "%s", id.id);
	X509 *cert = tls_self_signed_cert(&id, err);
	if (cert)
		r->ctx = loadgen_client_ctx_new(id.key, cert, r->opt.alpn, err);
	X509_free(cert);
	identity_free(&id);
	if (!r->ctx || resolve(r, err) != 0)
		return -1;
	build_hello(r);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->slots = calloc((size_t)r->opt.concurrency, sizeof *r->slots);
	/* Enough for 20k handshakes/s over the duration; a count run needs count. */
	r->latency_cap = r->opt.count ? (size_t)r->opt.count
	                              : (size_t)(r->opt.duration_sec * 20000) + 1024;
	r->latency_us = malloc(r->latency_cap * sizeof *r->latency_us);
	if (r->epfd < 0 || !r->slots || !r->latency_us)
		return errbuf_errno(err, "setup");
	for (int i = 0; i < r->opt.concurrency; i++)
		r->slots[i] = (struct slot){.state = SLOT_FREE, .fd = -1};
	return 0;
}

static void check_deadlines(struct run *r, int64_t now_ns)
{
	for (int i = 0; i < r->opt.concurrency; i++) {
		struct slot *s = &r->slots[i];
		if (s->state != SLOT_FREE && now_ns >= s->deadline_ns)
			slot_fail(r, s, FAIL_TIMEOUT, "no progress within --timeout-ms");
	}
}

static void fill_slots(struct run *r, int64_t end_ns)
{
	for (int i = 0; i < r->opt.concurrency; i++) {
		int64_t now = clock_mono_ns();
		if (!may_start(r, now, end_ns))
			return;
		struct slot *s = &r->slots[i];
		if (s->state != SLOT_FREE)
			continue;
		slot_start(r, s, now); /* continues on EPOLLOUT */
	}
}

int main(int argc, char **argv)
{
	char err[ERRBUF_LEN] = "";
	struct run r = {.epfd = -1};
	if (parse_options(argc, argv, &r.opt, err) != 0) {
		fprintf(stderr, "handshake_load: %s\n", err);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (setup(&r, err) != 0) {
		fprintf(stderr, "handshake_load: %s\n", err);
		return 1;
	}

	double cpu0 = cpu_sec();
	int64_t t0 = clock_mono_ns();
	int64_t end_ns = r.opt.duration_sec > 0 ? t0 + (int64_t)(r.opt.duration_sec * NS_PER_SEC)
	                                        : INT64_MAX;
	struct epoll_event events[256];
	fill_slots(&r, end_ns);
	while (r.active > 0) {
		int64_t now = clock_mono_ns();
		if (now >= end_ns)
			break; /* in-flight connections at the end are not counted */
		int64_t wait_ms = (end_ns - now) / NS_PER_MS;
		int n = epoll_wait(r.epfd, events, 256, wait_ms < 50 ? (int)wait_ms + 1 : 50);
		for (int i = 0; i < n; i++)
			slot_step(&r, events[i].data.ptr);
		check_deadlines(&r, clock_mono_ns());
		fill_slots(&r, end_ns);
	}
	int64_t t1 = clock_mono_ns();
	if (t1 > end_ns)
		t1 = end_ns;
	double elapsed_sec = (double)(t1 - t0) / NS_PER_SEC;
	double client_cpu_sec = cpu_sec() - cpu0;
	for (int i = 0; i < r.opt.concurrency; i++)
		if (r.slots[i].state != SLOT_FREE)
			slot_release(&r.slots[i]);
	report(&r, elapsed_sec, client_cpu_sec);

	free(r.latency_us);
	free(r.slots);
	close(r.epfd);
	SSL_CTX_free(r.ctx);
	return r.ok > 0 ? 0 : 1;
}
