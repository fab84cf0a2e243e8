/* relay: one tunneled throughput stream (see relay.h). */
#include "reflector/relay.h"

#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "lib/log.h"
#include "reflector/conn.h"
#include "reflector/server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Plaintext buffered per direction, and ciphertext moved per system call:
 * one recv()/send() of up to 256 KiB carries many 16 KiB TLS records
 * (through memory BIOs) instead of a system call per record. */
#define RELAY_BUF_BYTES (256 * 1024)

struct buf {
	uint8_t *p;
	size_t len, off;
};

struct relay {
	struct conn *c;
	SSL *ssl;
	int tfd, pfd;
	BIO *rbio, *wbio; /* owned by ssl while the relay runs */
	struct event *t_read, *t_write, *p_read, *p_write;
	struct buf up;   /* peer -> iperf3, plaintext */
	struct buf down; /* iperf3 -> peer, plaintext */
	struct buf out;  /* ciphertext for the peer */
	uint8_t *scratch;
	struct relay_hooks hooks;
	void *arg;
	uint64_t bytes;
	bool taken_over, connected, net_eof, plain_eof, tls_dead, shut_tls, shut_plain, ended;
};

static void pump(struct relay *r);

static void free_events(struct relay *r)
{
	struct event **evs[] = {&r->t_read, &r->t_write, &r->p_read, &r->p_write};
	for (size_t i = 0; i < 4; i++)
		if (*evs[i] != NULL) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
}

static void end_relay(struct relay *r, const char *why, bool conn_gone)
{
	if (r->ended)
		return;
	r->ended = true;
	free_events(r);
	if (r->pfd >= 0)
		close(r->pfd);
	struct conn *c = r->c;
	c->relay = NULL;
	if (r->taken_over) {
		/* Best effort: what is encrypted already, then the socket BIO back,
		 * so that the connection closes (close_notify, fd) as any other. */
		if (r->out.off < r->out.len)
			(void)send(r->tfd, r->out.p + r->out.off, r->out.len - r->out.off, MSG_NOSIGNAL);
		BIO *sock = BIO_new_socket(r->tfd, BIO_NOCLOSE);
		if (sock != NULL)
			SSL_set_bio(r->ssl, sock, sock);
		ERR_clear_error();
	}
	if (!conn_gone)
		conn_shutdown(c);
	if (r->hooks.on_end != NULL)
		r->hooks.on_end(r, why, r->arg);
	free(r->up.p);
	free(r->down.p);
	free(r->out.p);
	free(r->scratch);
	free(r);
}

static void set_event(struct event *ev, bool want)
{
	if (want && !event_pending(ev, EV_READ | EV_WRITE, NULL))
		event_add(ev, NULL);
	else if (!want && event_pending(ev, EV_READ | EV_WRITE, NULL))
		event_del(ev);
}

/* Counts n moved bytes; false when the relay was cut. */
static bool count(struct relay *r, size_t n)
{
	r->bytes += n;
	if (r->hooks.on_bytes != NULL && !r->hooks.on_bytes(r, n, r->arg)) {
		end_relay(r, "byte budget exhausted", false);
		return false;
	}
	return true;
}

static void pump(struct relay *r)
{
	bool want_tr = false, want_tw = false, want_pr = false, want_pw = false;
	for (;;) {
		bool progress = false;
		want_tr = want_tw = want_pr = want_pw = false;
		/* socket -> rbio (read ahead, bounded) */
		if (!r->net_eof && BIO_ctrl_pending(r->rbio) < RELAY_BUF_BYTES) {
			ssize_t n = recv(r->tfd, r->scratch, RELAY_BUF_BYTES, 0);
			if (n > 0) {
				BIO_write(r->rbio, r->scratch, (int)n);
				progress = true;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				want_tr = true;
			} else if (n == 0 || errno != EINTR) {
				r->net_eof = true;
				BIO_set_mem_eof_return(r->rbio, 0);
				progress = true;
			}
		}
		/* rbio -> up */
		if (!r->tls_dead && r->up.len == 0) {
			int n = SSL_read(r->ssl, r->up.p, RELAY_BUF_BYTES);
			if (n > 0) {
				r->up.len = (size_t)n;
				r->up.off = 0;
				progress = true;
				if (!count(r, (size_t)n))
					return;
			} else if (SSL_get_error(r->ssl, n) != SSL_ERROR_WANT_READ || r->net_eof) {
				r->tls_dead = true; /* close_notify, EOF or an error */
				ERR_clear_error();
				progress = true;
			}
		}
		/* up -> iperf3 */
		if (r->connected && r->up.off < r->up.len) {
			ssize_t n = send(r->pfd, r->up.p + r->up.off, r->up.len - r->up.off, MSG_NOSIGNAL);
			if (n > 0) {
				r->up.off += (size_t)n;
				if (r->up.off == r->up.len)
					r->up.len = r->up.off = 0;
				progress = true;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				want_pw = true;
			} else if (n < 0 && errno != EINTR) {
				end_relay(r, "iperf3 closed the stream", false);
				return;
			}
		}
		if (r->tls_dead && r->up.len == 0 && r->connected && !r->shut_plain) {
			shutdown(r->pfd, SHUT_WR); /* iperf3 sees the peer's EOF */
			r->shut_plain = true;
		}
		/* iperf3 -> down */
		if (r->connected && !r->plain_eof && r->down.len == 0) {
			ssize_t n = recv(r->pfd, r->down.p, RELAY_BUF_BYTES, 0);
			if (n > 0) {
				r->down.len = (size_t)n;
				r->down.off = 0;
				progress = true;
				if (!count(r, (size_t)n))
					return;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				want_pr = true;
			} else if (n == 0 || errno != EINTR) {
				r->plain_eof = true;
				progress = true;
			}
		}
		/* down -> records in wbio (bounded by what the socket takes) */
		if (r->down.off < r->down.len && BIO_ctrl_pending(r->wbio) < RELAY_BUF_BYTES) {
			int n = SSL_write(r->ssl, r->down.p + r->down.off, (int)(r->down.len - r->down.off));
			if (n <= 0) {
				end_relay(r, "TLS error while sending", false);
				return;
			}
			r->down.off += (size_t)n;
			if (r->down.off == r->down.len)
				r->down.len = r->down.off = 0;
			progress = true;
		}
		if (r->plain_eof && r->down.len == 0 && !r->shut_tls) {
			SSL_shutdown(r->ssl); /* close_notify: the peer sees iperf3's EOF */
			ERR_clear_error();
			r->shut_tls = true;
			progress = true;
		}
		/* wbio -> socket, in large writes */
		if (r->out.off == r->out.len && BIO_ctrl_pending(r->wbio) > 0) {
			int n = BIO_read(r->wbio, r->out.p, RELAY_BUF_BYTES);
			r->out.len = n > 0 ? (size_t)n : 0;
			r->out.off = 0;
		}
		if (r->out.off < r->out.len) {
			ssize_t n = send(r->tfd, r->out.p + r->out.off, r->out.len - r->out.off, MSG_NOSIGNAL);
			if (n > 0) {
				r->out.off += (size_t)n;
				progress = true;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				want_tw = true;
			} else if (n < 0 && errno != EINTR) {
				end_relay(r, "peer stream error", false);
				return;
			}
		}
		bool out_empty = r->out.off == r->out.len && BIO_ctrl_pending(r->wbio) == 0;
		if (r->shut_tls && out_empty && (r->tls_dead || r->net_eof)) {
			end_relay(r, "stream closed", false);
			return;
		}
		if (r->tls_dead && r->shut_plain && r->plain_eof && out_empty) {
			end_relay(r, "stream closed", false);
			return;
		}
		if (!progress)
			break;
	}
	if (!r->connected)
		want_pw = true;
	set_event(r->t_read, want_tr);
	set_event(r->t_write, want_tw);
	set_event(r->p_read, want_pr);
	set_event(r->p_write, want_pw);
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;
	if (fd == r->pfd && (what & EV_WRITE) && !r->connected) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		getsockopt(r->pfd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr != 0) {
			end_relay(r, "iperf3 unreachable", false);
			return;
		}
		r->connected = true;
	}
	if (!r->taken_over) { /* the bufferevent still owns the TLS socket */
		event_del(r->p_write);
		return;
	}
	pump(r);
}

/* The ok has been flushed by the bufferevent: from here on the socket is
 * ours (bytes the bufferevent already decrypted are relayed first). */
static void takeover_cb(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;
	if (r->taken_over || r->ended)
		return;
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t early = evbuffer_get_length(in);
	if (early > RELAY_BUF_BYTES) {
		end_relay(r, "too much data before the relay started", false);
		return;
	}
	r->up.len = (size_t)evbuffer_remove(in, r->up.p, early);
	r->rbio = BIO_new(BIO_s_mem());
	r->wbio = BIO_new(BIO_s_mem());
	if (r->rbio == NULL || r->wbio == NULL) {
		BIO_free(r->rbio);
		BIO_free(r->wbio);
		end_relay(r, "out of memory", false);
		return;
	}
	BIO_set_mem_eof_return(r->rbio, -1);
	SSL_set_bio(r->ssl, r->rbio, r->wbio);
	r->taken_over = true;
	if (r->up.len > 0 && !count(r, r->up.len))
		return;
	pump(r);
}

static void bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct relay *r = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		end_relay(r, "peer closed the stream", false);
}

struct relay *relay_start(struct conn *c, uint16_t port, const struct relay_hooks *hooks, void *arg,
                          char *err)
{
	struct relay *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		errbuf_set(err, "out of memory");
		return NULL;
	}
	r->c = c;
	r->ssl = bufferevent_openssl_get_ssl(c->bev);
	r->tfd = bufferevent_getfd(c->bev);
	r->hooks = *hooks;
	r->arg = arg;
	r->up.p = malloc(RELAY_BUF_BYTES);
	r->down.p = malloc(RELAY_BUF_BYTES);
	r->out.p = malloc(RELAY_BUF_BYTES);
	r->scratch = malloc(RELAY_BUF_BYTES);
	r->pfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct event_base *base = evloop_base(c->srv->loop);
	if (r->ssl == NULL || r->tfd < 0 || r->up.p == NULL || r->down.p == NULL || r->out.p == NULL ||
	    r->scratch == NULL || r->pfd < 0 ||
	    (connect(r->pfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 && errno != EINPROGRESS))
		goto fail;
	int one = 1;
	setsockopt(r->pfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r->t_read = event_new(base, r->tfd, EV_READ | EV_PERSIST, io_cb, r);
	r->t_write = event_new(base, r->tfd, EV_WRITE | EV_PERSIST, io_cb, r);
	r->p_read = event_new(base, r->pfd, EV_READ | EV_PERSIST, io_cb, r);
	r->p_write = event_new(base, r->pfd, EV_WRITE | EV_PERSIST, io_cb, r);
	if (r->t_read == NULL || r->t_write == NULL || r->p_read == NULL || r->p_write == NULL)
		goto fail;
	event_add(r->p_write, NULL); /* the connect's outcome */
	c->relay = r;
	c->state = CONN_RELAY;
	evloop_timer_disarm(c->deadline);
	bufferevent_set_timeouts(c->bev, NULL, NULL); /* the session's expiry bounds it */
	/* The caller queues the ok next; once the bufferevent has sent it, the
	 * relay takes the socket over (takeover_cb). */
	bufferevent_setcb(c->bev, NULL, takeover_cb, bev_event_cb, r);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	return r;
fail:
	errbuf_set(err, "cannot connect to iperf3 on 127.0.0.1:%u", port);
	free_events(r);
	if (r->pfd >= 0)
		close(r->pfd);
	free(r->up.p);
	free(r->down.p);
	free(r->out.p);
	free(r->scratch);
	free(r);
	return NULL;
}

uint64_t relay_bytes(const struct relay *r)
{
	return r->bytes;
}

void relay_cut(struct relay *r, const char *why)
{
	end_relay(r, why, false);
}

void relay_conn_gone(struct relay *r)
{
	end_relay(r, "connection closed", true);
}
