/* throughput_tunnel: iperf3's streams carried through mTLS links to the
 * reflector (tunneled mode; see throughput.h and PROTOCOL.md 9.5). */
#include "paramedic/throughput.h"

#include "core/protocol.h"
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

/* Large buffers, few system calls: each SSL_write of this much becomes
 * 16 KiB records in one go. */
#define TUN_BUF_BYTES (256 * 1024)
#define TUN_POLL_MS 200
#define TUN_ATTACH_TIMEOUT_MS 10000
/* After stop, a stream may finish what it is carrying for this long. */
#define TUN_DRAIN_MS 2000

struct tun_stream {
	struct tp_tunnel *tun;
	int local_fd;
	pthread_t thread;
	bool started;
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

struct half {
	uint8_t *buf;
	size_t len, off;
	bool eof;
};

static void set_first_error(struct tp_tunnel *tun, const char *msg)
{
	pthread_mutex_lock(&tun->lock);
	if (tun->err[0] == '\0')
		snprintf(tun->err, sizeof(tun->err), "%s", msg);
	pthread_mutex_unlock(&tun->lock);
}

/* Ciphertext moves between the socket and OpenSSL through memory BIOs, so
 * that one recv()/send() carries up to this much (many 16 KiB records)
 * instead of one system call per record. */
#define TUN_NET_BYTES (256 * 1024)

/* The relay of one stream: local plain socket <-> TLS link, one poll loop. */
static int relay(struct tun_stream *s, struct link *l, char *err)
{
	SSL *ssl = link_ssl(l);
	int tfd = link_fd(l), pfd = s->local_fd;
	struct half up = {.buf = malloc(TUN_BUF_BYTES)};   /* local -> reflector, plaintext */
	struct half down = {.buf = malloc(TUN_BUF_BYTES)}; /* reflector -> local, plaintext */
	uint8_t *net_in = malloc(TUN_NET_BYTES);
	uint8_t *net_out = malloc(TUN_NET_BYTES);
	size_t out_len = 0, out_off = 0;
	bool net_eof = false, shut_tls = false, shut_local = false;
	int rc = -1;
	int drain_left_ms = TUN_DRAIN_MS;
	BIO *rbio = BIO_new(BIO_s_mem()), *wbio = BIO_new(BIO_s_mem());
	if (up.buf == NULL || down.buf == NULL || net_in == NULL || net_out == NULL || rbio == NULL ||
	    wbio == NULL) {
		BIO_free(rbio);
		BIO_free(wbio);
		errbuf_set(err, "out of memory");
		goto out;
	}
	BIO_set_mem_eof_return(rbio, -1); /* empty = "retry", until the socket's EOF */
	SSL_set_bio(ssl, rbio, wbio);     /* the SSL owns them (the socket BIO goes; the fd stays) */
	SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	size_t pending;
	const uint8_t *early = link_pending(l, &pending);
	if (pending > 0) { /* stream bytes that came with the ok */
		down.len = pending < TUN_BUF_BYTES ? pending : TUN_BUF_BYTES;
		memcpy(down.buf, early, down.len);
	}
	for (;;) {
		bool progress = false;
		short tls_ev = 0, local_ev = 0;
		/* local -> up */
		if (!up.eof && up.len == 0) {
			ssize_t n = recv(pfd, up.buf, TUN_BUF_BYTES, 0);
			if (n > 0) {
				up.len = (size_t)n;
				up.off = 0;
				progress = true;
			} else if (n == 0) {
				up.eof = true;
				progress = true;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				local_ev |= POLLIN;
			} else if (errno != EINTR) {
				up.eof = true; /* the local side is gone */
			}
		}
		/* up -> records in wbio (bounded: the socket must keep up) */
		if (up.off < up.len && BIO_ctrl_pending(wbio) < TUN_NET_BYTES) {
			int n = SSL_write(ssl, up.buf + up.off, (int)(up.len - up.off));
			if (n > 0) {
				up.off += (size_t)n;
				s->bytes += (uint64_t)n;
				if (up.off == up.len)
					up.len = up.off = 0;
				progress = true;
			} else {
				up.len = up.off = 0; /* TLS failed: nothing more goes out */
				up.eof = true;
			}
		}
		if (up.eof && up.len == 0 && !shut_tls) {
			SSL_shutdown(ssl); /* close_notify into wbio: the reflector sees EOF */
			shut_tls = true;
			progress = true;
		}
		/* wbio -> socket, in large writes */
		if (out_off == out_len && BIO_ctrl_pending(wbio) > 0) {
			int n = BIO_read(wbio, net_out, TUN_NET_BYTES);
			out_len = n > 0 ? (size_t)n : 0;
			out_off = 0;
		}
		if (out_off < out_len) {
			ssize_t n = send(tfd, net_out + out_off, out_len - out_off, MSG_NOSIGNAL);
			if (n > 0) {
				out_off += (size_t)n;
				progress = true;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				tls_ev |= POLLOUT;
			} else if (n < 0 && errno != EINTR) {
				/* The reflector is gone (the test's end, a budget cut). */
				out_len = out_off = 0;
				(void)BIO_reset(wbio);
				up.len = up.off = 0;
				up.eof = true;
				net_eof = true;
				BIO_set_mem_eof_return(rbio, 0);
			}
		}
		/* socket -> rbio, read ahead up to a bound */
		if (!net_eof && BIO_ctrl_pending(rbio) < TUN_NET_BYTES) {
			ssize_t n = recv(tfd, net_in, TUN_NET_BYTES, 0);
			if (n > 0) {
				BIO_write(rbio, net_in, (int)n);
				progress = true;
			} else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
				net_eof = true;
				BIO_set_mem_eof_return(rbio, 0);
				progress = true;
			} else if (n < 0 && errno != EINTR) {
				tls_ev |= POLLIN;
			}
		}
		/* rbio -> down */
		if (!down.eof && down.len == 0) {
			int n = SSL_read(ssl, down.buf, TUN_BUF_BYTES);
			if (n > 0) {
				down.len = (size_t)n;
				down.off = 0;
				s->bytes += (uint64_t)n;
				progress = true;
			} else {
				int e = SSL_get_error(ssl, n);
				if (e != SSL_ERROR_WANT_READ || net_eof) {
					down.eof = true; /* close_notify, EOF or a cut */
					progress = true;
				}
			}
		}
		/* down -> local */
		if (down.off < down.len) {
			ssize_t n = send(pfd, down.buf + down.off, down.len - down.off, MSG_NOSIGNAL);
			if (n > 0) {
				down.off += (size_t)n;
				if (down.off == down.len)
					down.len = down.off = 0;
				progress = true;
			} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				local_ev |= POLLOUT;
			} else if (n < 0 && errno != EINTR) {
				down.len = down.off = 0; /* the local side is gone */
				up.eof = true;
			}
		}
		if (down.eof && down.len == 0 && !shut_local) {
			shutdown(pfd, SHUT_WR); /* iperf3 sees the reflector's EOF */
			shut_local = true;
		}
		if (shut_tls && shut_local && out_off == out_len && BIO_ctrl_pending(wbio) == 0)
			break;
		if (progress)
			continue;
		if (atomic_load(&s->tun->stopping)) {
			if ((drain_left_ms -= TUN_POLL_MS) <= 0)
				break;
		}
		struct pollfd p[2] = {{.fd = tfd, .events = tls_ev}, {.fd = pfd, .events = local_ev}};
		int pr = poll(p, 2, TUN_POLL_MS);
		if (pr < 0 && errno != EINTR) {
			errbuf_errno(err, "poll");
			goto out;
		}
	}
	rc = 0;
out:
	free(up.buf);
	free(down.buf);
	free(net_in);
	free(net_out);
	return rc;
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
