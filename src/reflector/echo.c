/* echo: the UDP echo engine, direct and tunneled (see echo.h). */
#include "reflector/echo.h"

#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "lib/log.h"
#include "lib/netaddr.h"
#include "lib/probe.h"
#include "reflector/echo_rate.h"
#include "reflector/server.h"
#include "reflector/sessions.h"

#include <errno.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* 32 datagrams per system call is where recvmmsg's gain flattens out;
 * ECHO_ROUNDS batches per wake-up keep one flooded socket from starving
 * the control connections (the read event is level-triggered: what is left
 * is served on the next loop turn). */
#define ECHO_BATCH 32
#define ECHO_ROUNDS 8
#define ECHO_SLOT_BYTES 65536 /* any UDP payload; flagged MSG_TRUNC otherwise */
#define ECHO_RCVBUF_BYTES (1 << 20)

struct echo_session {
	struct session *s;
	struct echo_shared *sh;
	int fd;             /* direct: its own socket; tunneled: -1 */
	struct event *ev;   /* direct only */
	uint8_t token[PROBE_TUNNEL_TOKEN_BYTES];
	struct sockaddr_storage peer; /* source IP allowed (port ignored) */
	struct echo_rate rate;
	uint64_t probes_rx;
	struct echo_session *next; /* tunneled list */
};

struct echo_shared {
	struct server *srv;
	int tun_fd; /* tunneled: the socket on the control port's number */
	struct event *tun_ev;
	struct echo_session *tunneled;
	/* One batch's worth of everything, reused by every socket (the loop
	 * is single-threaded and a batch is finished before the next). */
	uint8_t *slots; /* ECHO_BATCH x ECHO_SLOT_BYTES */
	struct mmsghdr rx[ECHO_BATCH], tx[ECHO_BATCH];
	struct iovec rx_iov[ECHO_BATCH], tx_iov[ECHO_BATCH];
	struct sockaddr_storage from[ECHO_BATCH];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct timespec))];
	} cmsg[ECHO_BATCH];
	struct echo_session *tx_sess[ECHO_BATCH];
	size_t tx_off[ECHO_BATCH]; /* where the inner datagram starts */
};

static uint64_t timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return timespec_ns(&ts);
}

/* The kernel's receive time of datagram i (SO_TIMESTAMPNS), or fallback_ns. */
static uint64_t receive_ns(struct msghdr *mh, uint64_t fallback_ns)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return timespec_ns(&ts);
		}
	}
	return fallback_ns;
}

static struct echo_session *find_tunneled(struct echo_shared *sh,
                                          const uint8_t token[PROBE_TUNNEL_TOKEN_BYTES])
{
	/* Tokens are the capability of a grant: constant-time compare. A
	 * handful of sessions at most (max_concurrent_tests): a list will do. */
	for (struct echo_session *es = sh->tunneled; es != NULL; es = es->next)
		if (CRYPTO_memcmp(es->token, token, PROBE_TUNNEL_TOKEN_BYTES) == 0)
			return es;
	return NULL;
}

static void drop(struct server *srv, bool by_rate)
{
	srv->counters.echo_dropped++;
	if (by_rate)
		srv->counters.echo_dropped_rate_limit++;
	else
		srv->counters.echo_dropped_source++;
}

/* Decides what to do with received datagram i: the session it belongs to
 * (NULL = drop) and the offset of the inner datagram. Stamps probes. */
static struct echo_session *accept_datagram(struct echo_shared *sh, struct echo_session *direct,
                                            int i, int64_t mono_ns, uint64_t *fallback_ns,
                                            size_t *off)
{
	struct msghdr *mh = &sh->rx[i].msg_hdr;
	uint8_t *buf = sh->slots + (size_t)i * ECHO_SLOT_BYTES;
	size_t len = sh->rx[i].msg_len;
	struct echo_session *es = direct;
	*off = 0;
	if (mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return drop(sh->srv, false), NULL;
	if (es == NULL) {
		uint8_t token[PROBE_TUNNEL_TOKEN_BYTES];
		if (probe_tunnel_parse(buf, len, token) != 0 || (es = find_tunneled(sh, token)) == NULL)
			return drop(sh->srv, false), NULL;
		*off = PROBE_TUNNEL_PREFIX_BYTES;
	}
	if (!netaddr_same_ip(&es->peer, &sh->from[i]))
		return drop(sh->srv, false), NULL;
	if (!echo_rate_take(&es->rate, mono_ns))
		return drop(sh->srv, true), NULL;
	if (probe_decode(buf + *off, len - *off, NULL)) {
		if (*fallback_ns == 0)
			*fallback_ns = realtime_ns();
		probe_stamp_received(buf + *off, len - *off, receive_ns(mh, *fallback_ns),
		                     ++es->probes_rx);
	}
	es->s->bytes += len;
	return es;
}

/* Serves what is waiting on fd: the socket of `direct`, or the tunnel
 * socket when direct is NULL. */
static void serve(struct echo_shared *sh, int fd, struct echo_session *direct)
{
	struct server *srv = sh->srv;
	for (int round = 0; round < ECHO_ROUNDS; round++) {
		for (int i = 0; i < ECHO_BATCH; i++) {
			struct msghdr *mh = &sh->rx[i].msg_hdr;
			sh->rx_iov[i].iov_base = sh->slots + (size_t)i * ECHO_SLOT_BYTES;
			sh->rx_iov[i].iov_len = ECHO_SLOT_BYTES;
			mh->msg_iov = &sh->rx_iov[i];
			mh->msg_iovlen = 1;
			mh->msg_name = &sh->from[i];
			mh->msg_namelen = sizeof(sh->from[i]);
			mh->msg_control = sh->cmsg[i].buf;
			mh->msg_controllen = sizeof(sh->cmsg[i].buf);
			mh->msg_flags = 0;
		}
		int n = recvmmsg(fd, sh->rx, ECHO_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_debug("echo: recvmmsg: %s", strerror(errno));
			return;
		}
		int64_t mono_ns = clock_mono_ns();
		uint64_t fallback_ns = 0; /* read once, only if a probe lacks a kernel stamp */
		int nout = 0;
		for (int i = 0; i < n; i++) {
			size_t off;
			struct echo_session *es = accept_datagram(sh, direct, i, mono_ns, &fallback_ns, &off);
			if (es == NULL)
				continue;
			struct msghdr *out = &sh->tx[nout].msg_hdr;
			memset(out, 0, sizeof(*out));
			sh->tx_iov[nout].iov_base = sh->rx_iov[i].iov_base;
			sh->tx_iov[nout].iov_len = sh->rx[i].msg_len;
			out->msg_iov = &sh->tx_iov[nout];
			out->msg_iovlen = 1;
			out->msg_name = &sh->from[i];
			out->msg_namelen = sh->rx[i].msg_hdr.msg_namelen;
			sh->tx_sess[nout] = es;
			sh->tx_off[nout] = off;
			nout++;
		}
		if (nout > 0) {
			/* "Just before sending": one reading for the batch. */
			uint64_t send_ns = realtime_ns();
			for (int k = 0; k < nout; k++)
				probe_stamp_sent((uint8_t *)sh->tx_iov[k].iov_base + sh->tx_off[k],
				                 sh->tx_iov[k].iov_len - sh->tx_off[k], send_ns);
			int done = 0;
			while (done < nout) {
				int m = sendmmsg(fd, sh->tx + done, (unsigned)(nout - done), MSG_DONTWAIT);
				if (m <= 0) {
					/* A full send buffer or an ICMP error: like the
					 * network, drop the rest of the batch. */
					if (m < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
						log_debug("echo: sendmmsg: %s", strerror(errno));
					break;
				}
				done += m;
			}
			for (int k = 0; k < done; k++) {
				sh->tx_sess[k]->s->bytes += sh->tx_iov[k].iov_len;
				srv->counters.echo_packets++;
			}
		}
		if (n < ECHO_BATCH)
			return;
	}
}

static void on_direct_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct echo_session *es = arg;
	serve(es->sh, (int)fd, es);
}

static void on_tunnel_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	serve(arg, (int)fd, NULL);
}

/* A non-blocking UDP socket on the listen address's IP and port. */
static int open_socket(struct server *srv, uint16_t port, char *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (netaddr_parse_listen(srv->cfg.network.listen_address, &ss, &sslen, err) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errbuf_errno(err, "UDP socket for port %u", (unsigned)port);
	int one = 1, rcvbuf = ECHO_RCVBUF_BYTES;
	/* Best effort: without kernel stamps probes get a user-space time;
	 * the receive buffer is capped by net.core.rmem_max. */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
		char addr[80];
		netaddr_format((struct sockaddr *)&ss, addr, sizeof(addr));
		errbuf_errno(err, "UDP port %u: cannot bind %s", (unsigned)port, addr);
		int bind_errno = errno;
		close(fd);
		errno = bind_errno; /* open_data_port looks for EADDRINUSE */
		return -1;
	}
	return fd;
}

static bool port_held_by_a_session(struct server *srv, const struct session *self, unsigned port)
{
	for (struct session *o = sessions_first(srv->sessions); o != NULL; o = o->next)
		if (o != self && o->port == port)
			return true;
	return false;
}

/* The session's data port, or, when another process holds it, the next
 * port of the data range that neither a session nor anyone else holds:
 * s->port is updated before the grant is sent. */
static int open_data_port(struct server *srv, struct session *s, char *err)
{
	int fd = open_socket(srv, s->port, err);
	if (fd >= 0 || errno != EADDRINUSE)
		return fd;
	char first_err[ERRBUF_LEN];
	snprintf(first_err, sizeof(first_err), "%s", err);
	const struct reflector_config *cfg = &srv->cfg;
	for (unsigned p = cfg->network.data_port_range_start; p <= cfg->network.data_port_range_end; p++) {
		if (p == s->port || port_held_by_a_session(srv, s, p))
			continue;
		if ((fd = open_socket(srv, (uint16_t)p, err)) >= 0) {
			s->port = (uint16_t)p;
			return fd;
		}
		if (errno != EADDRINUSE)
			return -1;
	}
	return errbuf_set(err, "%s (and every other free port of the data range is taken)", first_err);
}

int echo_server_init(struct server *srv, char *err)
{
	struct echo_shared *sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return errbuf_set(err, "out of memory");
	sh->srv = srv;
	sh->tun_fd = -1;
	srv->echo = sh;
	/* Untouched pages cost no memory: small datagrams only ever touch the
	 * first page of each slot. */
	sh->slots = malloc((size_t)ECHO_BATCH * ECHO_SLOT_BYTES);
	if (sh->slots == NULL)
		return errbuf_set(err, "out of memory");
	if (srv->cfg.network.mode != CONFIG_MODE_TUNNELED)
		return 0;
	if ((sh->tun_fd = open_socket(srv, srv->listen_port, err)) < 0)
		return -1;
	sh->tun_ev = event_new(evloop_base(srv->loop), sh->tun_fd, EV_READ | EV_PERSIST,
	                       on_tunnel_readable, sh);
	if (sh->tun_ev == NULL || event_add(sh->tun_ev, NULL) != 0)
		return errbuf_set(err, "UDP echo: cannot watch port %u", (unsigned)srv->listen_port);
	return 0;
}

void echo_server_cleanup(struct server *srv)
{
	struct echo_shared *sh = srv->echo;
	if (sh == NULL)
		return;
	/* Sessions ended before this: the list is empty unless init failed
	 * half-way, and then there is nothing in it either. */
	if (sh->tun_ev != NULL)
		event_free(sh->tun_ev);
	if (sh->tun_fd >= 0)
		close(sh->tun_fd);
	free(sh->slots);
	free(sh);
	srv->echo = NULL;
}

int echo_start(struct server *srv, struct session *s, char *err)
{
	struct echo_shared *sh = srv->echo;
	if (sh == NULL)
		return errbuf_set(err, "UDP echo engine not initialised");
	struct echo_session *es = calloc(1, sizeof(*es));
	if (es == NULL)
		return errbuf_set(err, "out of memory");
	es->s = s;
	es->sh = sh;
	es->fd = -1;
	es->peer = s->peer_addr;
	echo_rate_init(&es->rate, srv->cfg.quotas.max_packet_rate, clock_mono_ns());
	if (srv->cfg.network.mode == CONFIG_MODE_TUNNELED) {
		if (probe_uuid_parse(s->token, es->token) != 0) {
			free(es);
			return errbuf_set(err, "session %s: token is not a UUID", s->test_id);
		}
		es->next = sh->tunneled;
		sh->tunneled = es;
	} else {
		if ((es->fd = open_data_port(srv, s, err)) < 0) {
			free(es);
			return -1;
		}
		es->ev = event_new(evloop_base(srv->loop), es->fd, EV_READ | EV_PERSIST,
		                   on_direct_readable, es);
		if (es->ev == NULL || event_add(es->ev, NULL) != 0) {
			if (es->ev != NULL)
				event_free(es->ev);
			close(es->fd);
			free(es);
			return errbuf_set(err, "UDP echo: cannot watch port %u", (unsigned)s->port);
		}
	}
	s->engine = es;
	return 0;
}

void echo_stop(struct server *srv, struct session *s)
{
	(void)srv;
	struct echo_session *es = s->engine;
	if (es == NULL)
		return;
	if (es->fd >= 0) {
		event_free(es->ev);
		close(es->fd);
	} else {
		for (struct echo_session **pp = &es->sh->tunneled; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == es) {
				*pp = es->next;
				break;
			}
		}
	}
	OPENSSL_cleanse(es->token, sizeof(es->token));
	free(es);
	s->engine = NULL;
}
