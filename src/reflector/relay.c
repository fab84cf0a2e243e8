/* relay: one tunneled throughput stream (see relay.h). */
#include "reflector/relay.h"

#include "core/tls_pump.h"
#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "reflector/conn.h"
#include "reflector/server.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

struct relay {
	struct conn *c;
	SSL *ssl;
	int tfd, pfd;
	struct tls_pump *pump; /* once the socket is ours */
	struct event *t_read, *t_write, *p_read, *p_write;
	struct relay_hooks hooks;
	void *arg;
	uint64_t bytes; /* kept when the pump goes */
	bool connected, ended;
};

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
	/* The socket BIO goes back, so that the connection closes (close_notify,
	 * fd) as any other. */
	if (r->pump != NULL)
		r->bytes = tls_pump_bytes(r->pump);
	tls_pump_free(r->pump);
	r->pump = NULL;
	if (!conn_gone)
		conn_shutdown(c);
	if (r->hooks.on_end != NULL)
		r->hooks.on_end(r, why, r->arg);
	free(r);
}

static void set_event(struct event *ev, bool want)
{
	if (want && !event_pending(ev, EV_READ | EV_WRITE, NULL))
		event_add(ev, NULL);
	else if (!want && event_pending(ev, EV_READ | EV_WRITE, NULL))
		event_del(ev);
}

static bool count_bytes(void *arg, size_t n)
{
	struct relay *r = arg;
	return r->hooks.on_bytes == NULL || r->hooks.on_bytes(r, n, r->arg);
}

static void pump(struct relay *r)
{
	if (r->pump == NULL || !r->connected)
		return;
	struct tls_pump_wait w;
	char why[ERRBUF_LEN];
	if (tls_pump_run(r->pump, &w, why) != TLS_PUMP_RUNNING) {
		end_relay(r, why, false);
		return;
	}
	set_event(r->t_read, w.tls_read);
	set_event(r->t_write, w.tls_write);
	set_event(r->p_read, w.plain_read);
	set_event(r->p_write, w.plain_write);
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
		event_del(r->p_write);
	}
	pump(r);
}

/* The ok has been flushed by the bufferevent: from here on the socket is
 * ours (bytes the bufferevent already decrypted are relayed first). */
static void takeover_cb(struct bufferevent *bev, void *arg)
{
	struct relay *r = arg;
	if (r->pump != NULL || r->ended)
		return;
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t early = evbuffer_get_length(in);
	char err[ERRBUF_LEN];
	const void *data = early > 0 ? evbuffer_pullup(in, -1) : NULL;
	r->pump = tls_pump_new(r->ssl, r->tfd, r->pfd, data, early, count_bytes, r, err);
	evbuffer_drain(in, early);
	if (r->pump == NULL) {
		end_relay(r, err, false);
		return;
	}
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
	r->pfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct event_base *base = evloop_base(c->srv->loop);
	if (r->ssl == NULL || r->tfd < 0 || r->pfd < 0 ||
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
	free(r);
	return NULL;
}

uint64_t relay_bytes(const struct relay *r)
{
	return r->pump != NULL ? tls_pump_bytes(r->pump) : r->bytes;
}

void relay_cut(struct relay *r, const char *why)
{
	end_relay(r, why, false);
}

void relay_conn_gone(struct relay *r)
{
	end_relay(r, "connection closed", true);
}
