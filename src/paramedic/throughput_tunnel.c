/* throughput_tunnel: iperf3's streams carried through mTLS links to the
 * reflector (tunneled mode; see throughput.h and PROTOCOL.md 9.5). */
#include "paramedic/throughput.h"

#include "core/protocol.h"
#include "core/tls_pump.h"
#include "lib/errbuf.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TUN_POLL_MS 200
#define TUN_ATTACH_TIMEOUT_MS 10000
/* After stop, a stream may finish what it is carrying for this long. */
#define TUN_DRAIN_MS 2000

struct tun_stream {
	struct tp_tunnel *tun;
	int local_fd;
	pthread_t thread;
	bool started;
	int drain_left_ms;
	uint64_t bytes;
	char err[ERRBUF_LEN];
};

struct tp_tunnel {
	const struct pm_state *st;
	struct pm_target target;
	char expect_id[ENDPOINT_ID_LEN];
	char token[PP_UUID_TEXT_BYTES + 1];
	int listen_fd;
	pthread_t accept_thread;
	atomic_bool stopping;
	pthread_mutex_t lock;
	struct tun_stream *streams[TP_MAX_STREAMS + 1];
	size_t n_streams;
	char err[ERRBUF_LEN]; /* first error */
};

static void set_first_error(struct tp_tunnel *tun, const char *msg)
{
	pthread_mutex_lock(&tun->lock);
	if (tun->err[0] == '\0')
		snprintf(tun->err, sizeof(tun->err), "%s", msg);
	pthread_mutex_unlock(&tun->lock);
}

static bool count_stream_bytes(void *arg, size_t n)
{
	struct tun_stream *s = arg;
	s->bytes += n;
	return true;
}

/* Stops a stream TUN_DRAIN_MS after the tunnel was told to stop. */
static bool still_draining(void *arg)
{
	struct tun_stream *s = arg;
	if (!atomic_load(&s->tun->stopping))
		return true;
	if (s->drain_left_ms <= 0)
		return false;
	s->drain_left_ms -= TUN_POLL_MS;
	return true;
}

/* The relay of one stream: local plain socket <-> TLS link, a tls_pump in
 * this thread. Its end (EOF either way, the reflector's cut at the test's
 * end or its byte budget) is not an error: iperf3 reports what the test
 * saw. */
static int relay(struct tun_stream *s, struct link *l, char *err)
{
	size_t pending;
	const uint8_t *early = link_pending(l, &pending); /* stream bytes that came with the ok */
	struct tls_pump *p = tls_pump_new(link_ssl(l), link_fd(l), s->local_fd, early, pending,
	                                  count_stream_bytes, s, err);
	if (p == NULL)
		return -1;
	char why[ERRBUF_LEN];
	s->drain_left_ms = TUN_DRAIN_MS;
	(void)tls_pump_loop(p, -1, TUN_POLL_MS, still_draining, s, why);
	tls_pump_free(p);
	return 0;
}

static void *stream_main(void *arg)
{
	struct tun_stream *s = arg;
	struct tp_tunnel *tun = s->tun;
	char err[ERRBUF_LEN];
	struct link *l = pm_connect(tun->st, &tun->target, tun->expect_id[0] ? tun->expect_id : NULL, err);
	json_t *res = NULL;
	if (l == NULL)
		goto fail;
	res = link_request(l, "tunnel_attach", json_pack("{s:s}", "token", tun->token),
	                   TUN_ATTACH_TIMEOUT_MS, err);
	const json_t *p = json_object_get(res, "payload");
	const char *type = json_string_value(json_object_get(p, "type"));
	if (type == NULL || strcmp(type, "ok") != 0) {
		if (type != NULL)
			snprintf(err, sizeof(err), "tunnel_attach refused: %s: %s",
			         json_string_value(json_object_get(p, "code")) ? json_string_value(json_object_get(p, "code")) : type,
			         json_string_value(json_object_get(p, "message")) ? json_string_value(json_object_get(p, "message")) : "");
		goto fail;
	}
	json_decref(res);
	res = NULL;
	if (relay(s, l, err) != 0)
		goto fail;
	link_close(l);
	close(s->local_fd);
	return NULL;
fail:
	snprintf(s->err, sizeof(s->err), "%s", err);
	set_first_error(tun, err);
	json_decref(res);
	link_close(l);
	close(s->local_fd);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct tp_tunnel *tun = arg;
	while (!atomic_load(&tun->stopping)) {
		struct pollfd p = {.fd = tun->listen_fd, .events = POLLIN};
		if (poll(&p, 1, TUN_POLL_MS) <= 0)
			continue;
		int fd = accept4(tun->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct tun_stream *s = calloc(1, sizeof(*s));
		pthread_mutex_lock(&tun->lock);
		bool room = tun->n_streams < TP_MAX_STREAMS + 1;
		if (s != NULL && room)
			tun->streams[tun->n_streams++] = s;
		pthread_mutex_unlock(&tun->lock);
		if (s == NULL || !room) {
			free(s);
			close(fd);
			continue;
		}
		s->tun = tun;
		s->local_fd = fd;
		s->started = pthread_create(&s->thread, NULL, stream_main, s) == 0;
		if (!s->started) {
			close(fd);
			set_first_error(tun, "cannot start a stream thread");
		}
	}
	return NULL;
}

struct tp_tunnel *tp_tunnel_start(const struct pm_state *st, const struct pm_target *t,
                                  const char *expect_id, const char *token, uint16_t *local_port,
                                  char *err)
{
	struct tp_tunnel *tun = calloc(1, sizeof(*tun));
	if (tun == NULL) {
		errbuf_set(err, "out of memory");
		return NULL;
	}
	tun->st = st;
	tun->target = *t;
	snprintf(tun->expect_id, sizeof(tun->expect_id), "%s", expect_id ? expect_id : "");
	snprintf(tun->token, sizeof(tun->token), "%s", token);
	pthread_mutex_init(&tun->lock, NULL);
	atomic_init(&tun->stopping, false);
	tun->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	if (tun->listen_fd < 0 || bind(tun->listen_fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(tun->listen_fd, 64) != 0 ||
	    getsockname(tun->listen_fd, (struct sockaddr *)&sin, &len) != 0) {
		errbuf_errno(err, "local tunnel listener on 127.0.0.1");
		goto fail;
	}
	*local_port = ntohs(sin.sin_port);
	if (pthread_create(&tun->accept_thread, NULL, accept_main, tun) != 0) {
		errbuf_set(err, "cannot start the tunnel's thread");
		goto fail;
	}
	return tun;
fail:
	if (tun->listen_fd >= 0)
		close(tun->listen_fd);
	pthread_mutex_destroy(&tun->lock);
	free(tun);
	return NULL;
}

uint64_t tp_tunnel_stop(struct tp_tunnel *tun, char *err)
{
	atomic_store(&tun->stopping, true);
	pthread_join(tun->accept_thread, NULL);
	close(tun->listen_fd);
	uint64_t bytes = 0;
	for (size_t i = 0; i < tun->n_streams; i++) {
		struct tun_stream *s = tun->streams[i];
		if (s->started)
			pthread_join(s->thread, NULL);
		bytes += s->bytes;
		free(s);
	}
	snprintf(err, ERRBUF_LEN, "%s", tun->err);
	pthread_mutex_destroy(&tun->lock);
	free(tun);
	return bytes;
}
