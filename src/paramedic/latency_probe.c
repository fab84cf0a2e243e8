/* latency_probe: the UDP socket and the isochronous probe run (see latency.h).
 *
 * Sending follows an absolute grid: probe k is due at start + k * interval
 * on CLOCK_MONOTONIC, woken by a periodic timerfd (armed with an absolute
 * start, hrtimer-precise, no timer slack). A probe sent late does not move
 * the grid; one more than an interval late is a "send miss" (the machine,
 * not the network, disturbed the run). Send and receive times are taken on
 * CLOCK_REALTIME because that is the clock of the kernel's SO_TIMESTAMPNS
 * receive timestamps; the run lasts seconds, so a clock step is unlikely
 * and stats clamps a negative RTT. */
#include "paramedic/latency.h"

#include "lib/errbuf.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define RECV_BATCH 32
#define CMSG_SPACE_BYTES 64

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static socklen_t addr_len(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int latency_socket(const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
                   uint16_t port, int dscp, char *err)
{
	if (dscp < 0 || dscp > 63)
		return errbuf_set(err, "DSCP %d: expected 0..63", dscp);
	int family = peer->ss_family;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errbuf_errno(err, "UDP socket");
	struct sockaddr_storage src = *local, dst = *peer;
	/* The reflector echoes only the control connection's source IP: send
	 * from that very address. */
	if (family == AF_INET6) {
		((struct sockaddr_in6 *)&src)->sin6_port = 0;
		((struct sockaddr_in6 *)&dst)->sin6_port = htons(port);
	} else {
		((struct sockaddr_in *)&src)->sin_port = 0;
		((struct sockaddr_in *)&dst)->sin_port = htons(port);
	}
	int on = 1, tos = dscp << 2;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) {
		errbuf_errno(err, "SO_TIMESTAMPNS");
		goto fail;
	}
	if (dscp != 0 && (family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos))
	                                     : setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos))) != 0) {
		errbuf_errno(err, "DSCP %d", dscp);
		goto fail;
	}
	int rcvbuf = 1 << 20; /* room for a burst of replies while we send */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&src, addr_len(&src)) != 0) {
		errbuf_errno(err, "binding the UDP socket to the control connection's address");
		goto fail;
	}
	if (connect(fd, (struct sockaddr *)&dst, addr_len(&dst)) != 0) {
		errbuf_errno(err, "UDP port %u", port);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

int latency_accept_reply(const uint8_t *buf, size_t len, const struct latency_params *p,
                         const struct latency_run *r, int64_t recv_ns, struct stats_arrival *out)
{
	if (p->tunneled) {
		uint8_t token[PROBE_TUNNEL_TOKEN_BYTES];
		if (probe_tunnel_parse(buf, len, token) != 0 || memcmp(token, p->token, sizeof(token)) != 0)
			return 0;
		buf += PROBE_TUNNEL_PREFIX_BYTES;
		len -= PROBE_TUNNEL_PREFIX_BYTES;
	}
	struct probe_header h;
	if (probe_decode(buf, len, &h) != 1 || !(h.flags & PROBE_FLAG_REPLY))
		return 0;
	/* Ours only if we sent that number at exactly that time. */
	if (h.seq >= r->n_sent || (int64_t)h.client_send_ns != r->send_ns[h.seq])
		return 0;
	*out = (struct stats_arrival){
	    .seq = h.seq,
	    .recv_ns = recv_ns,
	    .echo_recv_ns = (int64_t)h.server_recv_ns,
	    .echo_send_ns = (int64_t)h.server_send_ns,
	    .echo_count = h.server_rx_count,
	};
	/* A stamp that cannot be a time (before 2001 or after 2262) is none. */
	if (out->echo_recv_ns < 1000000000LL * 1000000000LL || out->echo_send_ns < out->echo_recv_ns)
		out->echo_recv_ns = out->echo_send_ns = 0;
	return 1;
}

static int64_t kernel_time(struct msghdr *mh, bool *from_kernel)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		}
	}
	*from_kernel = false;
	return realtime_ns();
}

static int drain(int fd, const struct latency_params *p, struct latency_run *r, uint8_t *bufs,
                 size_t buf_bytes, char *err)
{
	struct mmsghdr msgs[RECV_BATCH];
	struct iovec iov[RECV_BATCH];
	/* uint64_t keeps the control buffers aligned for cmsghdr. */
	uint64_t ctrl[RECV_BATCH][CMSG_SPACE_BYTES / sizeof(uint64_t)];
	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < RECV_BATCH; i++) {
			iov[i].iov_base = bufs + (size_t)i * buf_bytes;
			iov[i].iov_len = buf_bytes;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_control = ctrl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		}
		int n = recvmmsg(fd, msgs, RECV_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return 0;
			if (errno == ECONNREFUSED) /* an ICMP unreachable for an earlier probe */
				continue;
			return errbuf_errno(err, "receiving replies");
		}
		for (int i = 0; i < n; i++) {
			int64_t t = kernel_time(&msgs[i].msg_hdr, &r->kernel_timestamps);
			struct stats_arrival a;
			if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    !latency_accept_reply(bufs + (size_t)i * buf_bytes, msgs[i].msg_len, p, r, t, &a) ||
			    r->n_arr >= r->cap_arr) {
				r->foreign++;
				continue;
			}
			r->arr[r->n_arr++] = a;
		}
		if (n < RECV_BATCH)
			return 0;
	}
}

static int send_probe(int fd, const struct latency_params *p, struct latency_run *r, uint8_t *dgram,
                      size_t len)
{
	uint64_t seq = r->n_sent;
	uint8_t *probe = p->tunneled ? dgram + PROBE_TUNNEL_PREFIX_BYTES : dgram;
	int64_t now = realtime_ns();
	struct probe_header h = {.seq = seq, .client_send_ns = (uint64_t)now};
	probe_encode(probe, p->size_bytes, &h);
	r->send_ns[seq] = now;
	r->n_sent++; /* counted even if refused: it is a lost probe */
	if (send(fd, dgram, len, 0) < 0)
		r->send_errors++;
	return 0;
}

int latency_run(int fd, const struct latency_params *p, struct latency_run *r, char *err)
{
	memset(r, 0, sizeof(*r));
	r->kernel_timestamps = true;
	int64_t total = p->duration_ns / p->interval_ns;
	if (total < 1)
		total = 1;
	if (total > LATENCY_MAX_PROBES)
		return errbuf_set(err, "%lld probes: more than %d", (long long)total, LATENCY_MAX_PROBES);
	size_t dgram_len = p->size_bytes + (p->tunneled ? PROBE_TUNNEL_PREFIX_BYTES : 0);
	/* Room for a longer datagram than ours, so MSG_TRUNC flags oddities. */
	size_t buf_bytes = dgram_len + 64;
	r->cap_arr = (size_t)total * 2 + 1024; /* duplicates, bounded */
	r->send_ns = calloc((size_t)total, sizeof(int64_t));
	r->arr = calloc(r->cap_arr, sizeof(*r->arr));
	uint8_t *dgram = calloc(1, dgram_len);
	uint8_t *bufs = calloc(RECV_BATCH, buf_bytes);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int rc = -1;
	int64_t start = mono_ns();
	if (r->send_ns == NULL || r->arr == NULL || dgram == NULL || bufs == NULL) {
		errbuf_set(err, "latency: out of memory for %lld probes", (long long)total);
		goto out;
	}
	if (tfd < 0) {
		errbuf_errno(err, "timerfd");
		goto out;
	}
	if (p->tunneled)
		probe_tunnel_put(dgram, dgram_len, p->token);

	start = mono_ns();
	struct itimerspec its = {
	    .it_value = {.tv_sec = start / 1000000000LL, .tv_nsec = start % 1000000000LL},
	    .it_interval = {.tv_sec = p->interval_ns / 1000000000LL, .tv_nsec = p->interval_ns % 1000000000LL},
	};
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) {
		errbuf_errno(err, "timerfd_settime");
		goto out;
	}
	int64_t end = 0; /* set after the last send: the end of the wait */
	for (;;) {
		int64_t now = mono_ns();
		while ((int64_t)r->n_sent < total && start + (int64_t)r->n_sent * p->interval_ns <= now) {
			if (now - (start + (int64_t)r->n_sent * p->interval_ns) > p->interval_ns)
				r->send_misses++;
			send_probe(fd, p, r, dgram, dgram_len);
			now = mono_ns();
		}
		if ((int64_t)r->n_sent == total && end == 0) {
			end = now + p->timeout_ns;
			struct itimerspec off = {0};
			timerfd_settime(tfd, 0, &off, NULL);
		}
		if (end != 0 && now >= end)
			break;
		struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.fd = tfd, .events = POLLIN}};
		struct timespec wait, *waitp = NULL;
		if (end != 0) {
			int64_t left = end - now;
			wait = (struct timespec){.tv_sec = left / 1000000000LL, .tv_nsec = left % 1000000000LL};
			waitp = &wait;
		}
		if (ppoll(pfd, end != 0 ? 1 : 2, waitp, NULL) < 0 && errno != EINTR) {
			errbuf_errno(err, "poll");
			goto out;
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t expirations;
			if (read(tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN) {
				errbuf_errno(err, "timerfd read");
				goto out;
			}
		}
		if ((pfd[0].revents & (POLLIN | POLLERR)) && drain(fd, p, r, bufs, buf_bytes, err) != 0)
			goto out;
	}
	rc = 0;
out:
	r->elapsed_ns = mono_ns() - start;
	if (tfd >= 0)
		close(tfd);
	free(dgram);
	free(bufs);
	return rc;
}

void latency_run_free(struct latency_run *r)
{
	free(r->send_ns);
	free(r->arr);
	memset(r, 0, sizeof(*r));
}
