/* relay: one tunneled throughput stream (see relay.h). */
#include "reflector/relay.h"

#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "lib/log.h"
#include "reflector/conn.h"
#include "reflector/server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

/* Fewer, larger reads and writes: libevent's default is 16 KiB a call. */
#define RELAY_MAX_SINGLE_IO_BYTES (512 * 1024)
#define RELAY_TLS_READ_BUFFER_BYTES (256 * 1024)

struct relay {
	struct conn *c;
	struct bufferevent *tls;   /* c->bev: the peer's stream */
	struct bufferevent *plain; /* to iperf3 on loopback */
	struct relay_hooks hooks;
	void *arg;
	uint64_t bytes;
	bool draining; /* one side ended: flush the other, then end */
	bool ended;
};

static void end_relay(struct relay *r, const char *why, bool conn_gone)
{
	if (r->ended)
		return;
	r->ended = true;
	bufferevent_free(r->plain);
	r->plain = NULL;
	struct conn *c = r->c;
	c->relay = NULL;
	if (!conn_gone)
		conn_shutdown(c); /* flushes what it can (bounded), then frees */
	if (r->hooks.on_end != NULL)
		r->hooks.on_end(r, why, r->arg);
	free(r);
}

static struct bufferevent *peer_of(const struct relay *r, const struct bufferevent *bev)
{
	return bev == r->tls ? r->plain : r->tls;
}

/* Moves what from has read to the other side; false when the relay ended. */
static bool move(struct relay *r, struct bufferevent *from)
{
	struct bufferevent *to = peer_of(r, from);
	struct evbuffer *in = bufferevent_get_input(from);
	struct evbuffer *out = bufferevent_get_output(to);
	size_t n = evbuffer_get_length(in);
	if (n == 0)
		return true;
	evbuffer_add_buffer(out, in);
	r->bytes += n;
	if (r->hooks.on_bytes != NULL && !r->hooks.on_bytes(r, n, r->arg)) {
		end_relay(r, "byte budget exhausted", false);
		return false;
	}
	if (evbuffer_get_length(out) >= RELAY_HIGH_WATER_BYTES) {
		/* Backpressure: wait until the slow side has written most of it. */
		bufferevent_disable(from, EV_READ);
		bufferevent_setwatermark(to, EV_WRITE, RELAY_LOW_WATER_BYTES, 0);
	}
	return true;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;
	if (!r->ended && !r->draining)
		move(r, bev);
}

/* Output of bev fell to its low-water mark. */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;
	if (r->ended)
		return;
	if (r->draining) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			end_relay(r, "stream closed", false);
		return;
	}
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	bufferevent_enable(peer_of(r, bev), EV_READ);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct relay *r = arg;
	if (r->ended)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	const char *why = bev == r->tls ? (what & BEV_EVENT_EOF ? "peer closed the stream" : "peer stream error")
	                                : (what & BEV_EVENT_EOF ? "iperf3 closed the stream" : "iperf3 unreachable");
	/* Relay what was read before the end, then flush the other side. */
	if (!r->draining && !move(r, bev))
		return;
	r->draining = true;
	bufferevent_disable(bev, EV_READ);
	struct bufferevent *to = peer_of(r, bev);
	bufferevent_disable(to, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(to)) == 0 || (what & BEV_EVENT_ERROR && bev == r->tls)) {
		end_relay(r, why, false);
		return;
	}
	bufferevent_setwatermark(to, EV_WRITE, 0, 0);
	log_debug("relay: %s; flushing the other side", why);
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
	r->tls = c->bev;
	r->hooks = *hooks;
	r->arg = arg;
	r->plain = bufferevent_socket_new(evloop_base(c->srv->loop), -1, BEV_OPT_CLOSE_ON_FREE);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (r->plain == NULL ||
	    bufferevent_socket_connect(r->plain, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
		if (r->plain != NULL)
			bufferevent_free(r->plain);
		free(r);
		errbuf_set(err, "cannot connect to iperf3 on 127.0.0.1:%u", port);
		return NULL;
	}
	c->relay = r;
	c->state = CONN_RELAY;
	evloop_timer_disarm(c->deadline);
	bufferevent_set_timeouts(c->bev, NULL, NULL); /* the session's expiry bounds it */
	/* Read-ahead: OpenSSL fills its buffer in one read() instead of a
	 * header read and a body read per 16 KiB record. */
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	if (ssl != NULL) {
		SSL_set_read_ahead(ssl, 1);
		SSL_set_default_read_buffer_len(ssl, RELAY_TLS_READ_BUFFER_BYTES);
	}
	bufferevent_set_max_single_read(r->plain, RELAY_MAX_SINGLE_IO_BYTES);
	bufferevent_set_max_single_write(r->plain, RELAY_MAX_SINGLE_IO_BYTES);
	bufferevent_set_max_single_read(r->tls, RELAY_MAX_SINGLE_IO_BYTES);
	bufferevent_set_max_single_write(r->tls, RELAY_MAX_SINGLE_IO_BYTES);
	bufferevent_setcb(r->plain, read_cb, write_cb, event_cb, r);
	bufferevent_setcb(r->tls, read_cb, write_cb, event_cb, r);
	bufferevent_setwatermark(r->tls, EV_WRITE, 0, 0);
	bufferevent_enable(r->plain, EV_READ | EV_WRITE);
	bufferevent_enable(r->tls, EV_READ | EV_WRITE);
	/* Bytes that came right behind the attach frame are already in the
	 * input buffer: relay them once the frame has been consumed. */
	bufferevent_trigger(r->tls, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	return r;
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
