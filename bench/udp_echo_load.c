/*
 * udp_echo_load: load generator for UDP echo servers (bench/echo_bench.sh).
 *
 *   udp_echo_load --target HOST:PORT ...            any echo server
 *   udp_echo_load --reflector HOST:PORT --key FILE  asks a reflector for a
 *                    udp_echo session first (direct or tunneled, as granted)
 *   udp_echo_load --key FILE --print-id             the key's endpoint ID
 *
 * Modes:
 *   --max (default): closed loop, --window datagrams in flight; every answer
 *     sends the next one. Measures echoed datagrams per second.
 *   --rate PPS: isochronous sends at PPS; measures RTT (min/median/p99).
 * --duration SEC (default 10), --count N (stop after N sent), --size BYTES
 * (default 64). Every datagram is a PPRB probe whose client time is
 * CLOCK_MONOTONIC; the RTT comes from that echoed field.
 *
 * Prints one line "result: sent=.. received=.. seconds=.. pps=..
 * rtt_min_us=.. rtt_median_us=.. rtt_p99_us=.." (bench_result reads it).
 */
#include "core/identity.h"
#include "core/link.h"
#include "lib/errbuf.h"
#include "lib/netaddr.h"
#include "lib/probe.h"

#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define MAX_SIZE 9000

struct opts {
	const char *target, *reflector, *key;
	bool print_id;
	double rate_pps; /* 0 = --max */
	double duration_sec;
	uint64_t count;
	size_t size;
	int window;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: udp_echo_load (--target HOST:PORT | --reflector HOST:PORT --key FILE)\n"
	                "       [--max | --rate PPS] [--duration SEC] [--count N] [--size BYTES] [--window N]\n"
	                "       udp_echo_load --key FILE --print-id\n");
	return 2;
}

static int connect_udp(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	int buf = 4 << 20;
	if (fd >= 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	}
	return fd;
}

/* Asks the reflector for a session; fills port and, when tunneled, the prefix. */
static struct link *grant(const struct opts *o, struct identity *id, char *host, size_t hostlen,
                          char *port, size_t portlen, uint8_t *prefix, size_t *prefix_len)
{
	char err[ERRBUF_LEN], cport[16];
	if (netaddr_split(o->reflector, "4000", host, hostlen, cport, sizeof(cport), err) != 0) {
		fprintf(stderr, "udp_echo_load: %s\n", err);
		return NULL;
	}
	struct link *l = link_connect(host, cport, id, NULL, 10000, err);
	if (l == NULL) {
		fprintf(stderr, "udp_echo_load: %s\n", err);
		return NULL;
	}
	json_t *fields = json_pack("{s:s, s:{s:i}}", "test_type", "udp_echo", "params", "duration_sec",
	                           (int)o->duration_sec + 30);
	json_t *reply = link_request(l, "session_request", fields, 10000, err);
	json_t *p = json_object_get(reply, "payload");
	const char *type = json_string_value(json_object_get(p, "type"));
	uint8_t token[PROBE_TUNNEL_TOKEN_BYTES];
	if (type == NULL || strcmp(type, "session_grant") != 0 ||
	    probe_uuid_parse(json_string_value(json_object_get(p, "token")), token) != 0) {
		char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
		fprintf(stderr, "udp_echo_load: no grant: %s\n", text ? text : err);
		free(text);
		json_decref(reply);
		link_close(l);
		return NULL;
	}
	snprintf(port, portlen, "%d", (int)json_integer_value(json_object_get(p, "port")));
	*prefix_len = 0;
	if (strcmp(json_string_value(json_object_get(p, "mode")), "tunneled") == 0) {
		probe_tunnel_put(prefix, PROBE_TUNNEL_PREFIX_BYTES, token);
		*prefix_len = PROBE_TUNNEL_PREFIX_BYTES;
	}
	json_decref(reply);
	return l;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

struct run {
	int fd;
	uint8_t tx[BATCH][PROBE_TUNNEL_PREFIX_BYTES + MAX_SIZE];
	uint8_t rx[BATCH][PROBE_TUNNEL_PREFIX_BYTES + MAX_SIZE + 64];
	size_t prefix_len, len; /* prefix + size */
	uint64_t seq, sent, received;
	int64_t *rtt_ns;
	size_t n_rtt, cap_rtt;
};

/* Sends n probes in one sendmmsg; returns how many left. */
static int send_probes(struct run *r, int n)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	memset(m, 0, sizeof(m));
	int64_t now = mono_ns();
	for (int i = 0; i < n; i++) {
		struct probe_header h = {.seq = r->seq + (uint64_t)i, .client_send_ns = (uint64_t)now};
		probe_encode(r->tx[i] + r->prefix_len, r->len - r->prefix_len, &h);
		iov[i].iov_base = r->tx[i];
		iov[i].iov_len = r->len;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	int k = sendmmsg(r->fd, m, (unsigned)n, 0);
	if (k <= 0)
		return 0;
	r->seq += (uint64_t)k;
	r->sent += (uint64_t)k;
	return k;
}

/* Receives what is there; returns how many echoes arrived. */
static int recv_echoes(struct run *r)
{
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	memset(m, 0, sizeof(m));
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = r->rx[i];
		iov[i].iov_len = sizeof(r->rx[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	int n = recvmmsg(r->fd, m, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	int64_t now = mono_ns();
	for (int i = 0; i < n; i++) {
		struct probe_header h;
		if (m[i].msg_len < r->prefix_len ||
		    !probe_decode(r->rx[i] + r->prefix_len, m[i].msg_len - r->prefix_len, &h))
			continue;
		r->received++;
		if (r->n_rtt < r->cap_rtt)
			r->rtt_ns[r->n_rtt++] = now - (int64_t)h.client_send_ns;
	}
	return n;
}

static void run_max(struct run *r, const struct opts *o)
{
	int64_t end = mono_ns() + (int64_t)(o->duration_sec * 1e9);
	int inflight = 0;
	while (mono_ns() < end && (o->count == 0 || r->sent < o->count)) {
		while (inflight < o->window) {
			int want = o->window - inflight < BATCH ? o->window - inflight : BATCH;
			int k = send_probes(r, want);
			if (k == 0)
				break;
			inflight += k;
		}
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0) {
			inflight = 0; /* losses: refill the window */
			continue;
		}
		int n = recv_echoes(r);
		inflight -= n;
		if (inflight < 0)
			inflight = 0;
	}
}

static void run_rate(struct run *r, const struct opts *o)
{
	int64_t start = mono_ns(), gap = (int64_t)(1e9 / o->rate_pps);
	int64_t end = start + (int64_t)(o->duration_sec * 1e9);
	int64_t next = start;
	while (next < end && (o->count == 0 || r->sent < o->count)) {
		int64_t now = mono_ns();
		if (now >= next) {
			send_probes(r, 1);
			next += gap;
			continue;
		}
		/* Wait for an echo or the next send time, whichever first; the
		 * last millisecond is spun so sends stay isochronous. */
		int64_t left_ms = (next - now) / 1000000 - 1;
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		if (poll(&p, 1, left_ms > 0 ? (int)left_ms : 0) > 0)
			recv_echoes(r);
	}
	int64_t drain_end = mono_ns() + 500000000LL;
	while (r->received < r->sent && mono_ns() < drain_end) {
		struct pollfd p = {.fd = r->fd, .events = POLLIN};
		if (poll(&p, 1, 50) > 0)
			recv_echoes(r);
	}
}

int main(int argc, char **argv)
{
	struct opts o = {.duration_sec = 10, .size = 64, .window = 256};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--print-id") == 0) {
			o.print_id = true;
			continue;
		}
		if (strcmp(a, "--max") == 0) {
			o.rate_pps = 0;
			continue;
		}
		if (v == NULL)
			return usage();
		i++;
		if (strcmp(a, "--target") == 0)
			o.target = v;
		else if (strcmp(a, "--reflector") == 0)
			o.reflector = v;
		else if (strcmp(a, "--key") == 0)
			o.key = v;
		else if (strcmp(a, "--rate") == 0)
			o.rate_pps = atof(v);
		else if (strcmp(a, "--duration") == 0)
			o.duration_sec = atof(v);
		else if (strcmp(a, "--count") == 0)
			o.count = strtoull(v, NULL, 10);
		else if (strcmp(a, "--size") == 0)
			o.size = strtoul(v, NULL, 10);
		else if (strcmp(a, "--window") == 0)
			o.window = atoi(v);
		else
			return usage();
	}
	if (o.size < PROBE_HEADER_BYTES || o.size > MAX_SIZE || o.window < 1 || o.duration_sec <= 0)
		return usage();
	char err[ERRBUF_LEN];
	struct identity id = {0};
	if (o.key != NULL && identity_load_or_create(o.key, &id, NULL, err) != 0) {
		fprintf(stderr, "udp_echo_load: %s\n", err);
		return 1;
	}
	if (o.print_id) {
		if (o.key == NULL)
			return usage();
		printf("%s\n", id.id);
		identity_free(&id);
		return 0;
	}
	static struct run r;
	char host[256], port[16];
	struct link *l = NULL;
	if (o.reflector != NULL) {
		if (o.key == NULL)
			return usage();
		l = grant(&o, &id, host, sizeof(host), port, sizeof(port), r.tx[0], &r.prefix_len);
		if (l == NULL)
			return 1;
		for (int i = 1; i < BATCH; i++)
			memcpy(r.tx[i], r.tx[0], r.prefix_len);
	} else if (o.target == NULL ||
	           netaddr_split(o.target, "7", host, sizeof(host), port, sizeof(port), err) != 0) {
		return usage();
	}
	r.fd = connect_udp(host, port);
	if (r.fd < 0) {
		fprintf(stderr, "udp_echo_load: cannot reach %s:%s\n", host, port);
		return 1;
	}
	r.len = r.prefix_len + o.size;
	r.cap_rtt = 4000000;
	r.rtt_ns = malloc(r.cap_rtt * sizeof(*r.rtt_ns));
	for (int i = 0; i < BATCH; i++)
		memset(r.tx[i] + r.prefix_len, 0x42, o.size);
	int64_t t0 = mono_ns();
	if (o.rate_pps > 0)
		run_rate(&r, &o);
	else
		run_max(&r, &o);
	double sec = (double)(mono_ns() - t0) / 1e9;
	qsort(r.rtt_ns, r.n_rtt, sizeof(*r.rtt_ns), cmp_i64);
	double min_us = r.n_rtt ? (double)r.rtt_ns[0] / 1e3 : 0;
	double med_us = r.n_rtt ? (double)r.rtt_ns[(r.n_rtt - 1) / 2] / 1e3 : 0;
	double p99_us = r.n_rtt ? (double)r.rtt_ns[(size_t)((double)(r.n_rtt - 1) * 0.99)] / 1e3 : 0;
	printf("result: sent=%llu received=%llu seconds=%.3f pps=%.0f rtt_min_us=%.1f rtt_median_us=%.1f "
	       "rtt_p99_us=%.1f\n",
	       (unsigned long long)r.sent, (unsigned long long)r.received, sec, (double)r.received / sec,
	       min_us, med_us, p99_us);
	free(r.rtt_ns);
	close(r.fd);
	if (l != NULL)
		link_close(l);
	identity_free(&id);
	return 0;
}
