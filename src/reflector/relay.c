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
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

struct relay {
	struct conn *c;
	SSL *ssl;
	int tfd, pfd;
	int wake_fd; /* eventfd, loop -> thread: stop now */
	int done_fd; /* eventfd, thread -> loop: the pump has ended */
	struct tls_pump *pump;
	struct event *connected_ev, *done_ev;
	struct relay_hooks hooks;
	void *arg;
	struct relay_budget *budget;
	pthread_t thread;
	bool thread_running, connected, ended;
	atomic_uint_least64_t bytes; /* moved, both ways (the thread counts) */
	char why[ERRBUF_LEN];        /* the thread's reason for ending */
};

/* The stream's thread: the pump until its end, a stop, or the budget. */
static void *relay_main(void *arg)
{
	struct relay *r = arg;
	(void)tls_pump_loop(r->pump, r->wake_fd, -1, NULL, NULL, r->why);
	(void)eventfd_write(r->done_fd, 1);
	return NULL;
}

/* In the thread: every chunk moved, spent from the session's budget. */
static bool count_bytes(void *arg, size_t n)
{
	struct relay *r = arg;
	atomic_fetch_add(&r->bytes, n);
	if (r->budget == NULL)
		return true;
	return atomic_fetch_sub(&r->budget->left, (int64_t)n) - (int64_t)n > 0;
}

static void stop_thread(struct relay *r)
{
	if (!r->thread_running)
		return;
	(void)eventfd_write(r->wake_fd, 1);
	pthread_join(r->thread, NULL);
	r->thread_running = false;
}

static void finish(struct relay *r, const char *why, bool conn_gone)
{
	if (r->ended)
		return;
	r->ended = true; /* a cut from inside the hooks below is a no-op */
	stop_thread(r);
	uint64_t moved = atomic_load(&r->bytes);
	if (moved > 0 && r->hooks.on_bytes != NULL)
		r->hooks.on_bytes(r, moved, r->arg);
	if (r->connected_ev != NULL)
		event_free(r->connected_ev);
	if (r->done_ev != NULL)
		event_free(r->done_ev);
	if (r->pfd >= 0)
		close(r->pfd);
	struct conn *c = r->c;
	c->relay = NULL;
	/* The socket BIO goes back, so that the connection closes (close_notify,
	 * fd) as any other. */
	tls_pump_free(r->pump);
	r->pump = NULL;
	if (!conn_gone)
		conn_shutdown(c);
	if (r->hooks.on_end != NULL)
		r->hooks.on_end(r, why, r->arg);
	close(r->wake_fd);
	close(r->done_fd);
	free(r);
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct relay *r = arg;
	char why[ERRBUF_LEN];
	stop_thread(r); /* it has ended: this only reaps it */
	snprintf(why, sizeof(why), "%s", r->why);
	finish(r, why, false);
}

/* Once the socket is ours and iperf3 is connected, the stream's bytes move
 * in a thread of their own (the loop stays free for everything else). */
static void maybe_start(struct relay *r)
{
	if (r->pump == NULL || !r->connected || r->thread_running || r->ended)
		return;
	r->done_ev = event_new(evloop_base(r->c->srv->loop), r->done_fd, EV_READ, done_cb, r);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* signals stay with the loop's thread */
	int rc = r->done_ev != NULL ? pthread_create(&r->thread, NULL, relay_main, r) : -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		finish(r, "cannot start the relay's thread", false);
		return;
	}
	r->thread_running = true;
	event_add(r->done_ev, NULL);
}

static void connected_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct relay *r = arg;
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	getsockopt(r->pfd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (soerr != 0) {
		finish(r, "iperf3 unreachable", false);
		return;
	}
	r->connected = true;
	maybe_start(r);
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
		finish(r, err, false);
		return;
	}
	maybe_start(r);
}

static void bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct relay *r = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		finish(r, "peer closed the stream", false);
}

struct relay *relay_start(struct conn *c, uint16_t port, const struct relay_hooks *hooks, void *arg,
                          struct relay_budget *budget, char *err)
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
	r->budget = budget;
	atomic_init(&r->bytes, 0);
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->pfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (r->ssl == NULL || r->tfd < 0 || r->wake_fd < 0 || r->done_fd < 0 || r->pfd < 0 ||
	    (connect(r->pfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 && errno != EINPROGRESS))
		goto fail;
	int one = 1;
	setsockopt(r->pfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r->connected_ev = event_new(evloop_base(c->srv->loop), r->pfd, EV_WRITE, connected_cb, r);
	if (r->connected_ev == NULL)
		goto fail;
	event_add(r->connected_ev, NULL); /* the connect's outcome */
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
	if (r->pfd >= 0)
		close(r->pfd);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	if (r->done_fd >= 0)
		close(r->done_fd);
	free(r);
	return NULL;
}

uint64_t relay_bytes(const struct relay *r)
{
	return atomic_load(&((struct relay *)r)->bytes);
}

void relay_cut(struct relay *r, const char *why)
{
	finish(r, why, false);
}

void relay_conn_gone(struct relay *r)
{
	finish(r, "connection closed", true);
}
