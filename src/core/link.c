#include "core/link.h"

#include "core/tls.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/frame.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RBUF_INITIAL_BYTES 16384
#define SEND_TIMEOUT_DEFAULT_MS 10000 /* when link_connect got no timeout */
#define WHERE_LEN 300

struct link {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char peer_id[ENDPOINT_ID_LEN];
	char where[WHERE_LEN]; /* "host:port" for messages */
	enum link_status status;
	unsigned next_request;
	int send_timeout_ms;
	uint8_t *rbuf; /* received bytes not yet returned as a frame */
	size_t rlen, rcap;
};

/* ---- deadlines ---- */

static int64_t deadline_after(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : clock_mono_ns() + (int64_t)timeout_ms * 1000000;
}

/* Milliseconds left (rounded up), -1 for "no deadline", 0 when passed. */
static int ms_left(int64_t deadline_ns)
{
	if (deadline_ns < 0)
		return -1;
	int64_t left = deadline_ns - clock_mono_ns();
	if (left <= 0)
		return 0;
	int64_t ms = (left + 999999) / 1000000;
	return ms > 1000000000 ? 1000000000 : (int)ms;
}

/* 1 ready, 0 deadline passed, -1 error (errno). */
static int wait_fd(int fd, short events, int64_t deadline_ns)
{
	for (;;) {
		int left = ms_left(deadline_ns);
		if (left == 0)
			return 0;
		struct pollfd p = {.fd = fd, .events = events};
		int rc = poll(&p, 1, left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -1;
		if (rc > 0)
			return 1;
	}
}

/* Writing to a socket the peer has closed raises SIGPIPE, which would kill
 * the program; a library must not change the process's signal handling,
 * so SIGPIPE is blocked around the write and a pending one swallowed. */
struct sigpipe_guard {
	sigset_t old;
	int was_pending;
};

static void sigpipe_block(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void sigpipe_restore(struct sigpipe_guard *g)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1) {
		struct timespec zero = {0, 0};
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR) {
		}
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

/* ---- connecting ---- */

static void format_where(const char *host, const char *port, char *out)
{
	if (strchr(host, ':') != NULL)
		snprintf(out, WHERE_LEN, "[%s]:%s", host, port);
	else
		snprintf(out, WHERE_LEN, "%s:%s", host, port);
}

static int connect_one(const struct addrinfo *ai, int64_t deadline_ns, char *err, const char *where)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return errbuf_errno(err, "%s: cannot create a socket", where);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			errbuf_errno(err, "%s: cannot connect", where);
			close(fd);
			return -1;
		}
		int rc = wait_fd(fd, POLLOUT, deadline_ns);
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		if (rc == 0) {
			errbuf_set(err, "%s: connection timed out", where);
			close(fd);
			return -1;
		}
		if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
			if (soerr != 0)
				errno = soerr;
			errbuf_errno(err, "%s: cannot connect", where);
			close(fd);
			return -1;
		}
	}
	/* Control messages are small request/response pairs. */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int handshake(struct link *l, const char *alpn, int64_t deadline_ns, char *err)
{
	char ebuf[256];
	l->ssl = SSL_new(l->ctx);
	if (l->ssl == NULL || SSL_set_fd(l->ssl, l->fd) != 1)
		return errbuf_set(err, "%s: cannot create a TLS connection", l->where);
	/* Frames delimit messages, so a missing close_notify truncates
	 * nothing: treat a bare EOF as a normal close. */
	SSL_set_options(l->ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	for (;;) {
		ERR_clear_error();
		int rc = SSL_connect(l->ssl);
		if (rc == 1)
			break;
		int e = SSL_get_error(l->ssl, rc);
		int ready;
		if (e == SSL_ERROR_WANT_READ)
			ready = wait_fd(l->fd, POLLIN, deadline_ns);
		else if (e == SSL_ERROR_WANT_WRITE)
			ready = wait_fd(l->fd, POLLOUT, deadline_ns);
		else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			return errbuf_set(err, "%s: connection closed during the TLS handshake", l->where);
		else
			return errbuf_set(err, "%s: TLS handshake failed: %s", l->where,
			                  tls_openssl_error(ebuf, sizeof(ebuf)));
		if (ready == 0)
			return errbuf_set(err, "%s: TLS handshake timed out", l->where);
		if (ready < 0)
			return errbuf_errno(err, "%s: TLS handshake", l->where);
	}
	char aerr[ERRBUF_LEN];
	if (tls_check_alpn(l->ssl, alpn, aerr) != 0)
		return errbuf_set(err, "%s: %s", l->where, aerr);
	if (tls_peer_endpoint_id(l->ssl, l->peer_id, aerr) != 0)
		return errbuf_set(err, "%s: %s", l->where, aerr);
	return 0;
}

struct link *link_connect(const char *host, const char *port, const struct identity *id,
                          const char *alpn, int timeout_ms, char *err)
{
	if (alpn == NULL)
		alpn = PP_ALPN_DEFAULT;
	struct link *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		errbuf_set(err, "out of memory");
		return NULL;
	}
	l->fd = -1;
	l->send_timeout_ms = timeout_ms > 0 ? timeout_ms : SEND_TIMEOUT_DEFAULT_MS;
	format_where(host, port, l->where);
	int64_t deadline_ns = deadline_after(timeout_ms);

	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		errbuf_set(err, "%s: cannot resolve: %s", l->where, gai_strerror(gai));
		goto fail;
	}
	/* Every address in turn (IPv6 and IPv4), within the one deadline. */
	for (const struct addrinfo *ai = res; ai != NULL && l->fd < 0; ai = ai->ai_next) {
		l->fd = connect_one(ai, deadline_ns, err, l->where);
		if (ms_left(deadline_ns) == 0)
			break;
	}
	freeaddrinfo(res);
	if (l->fd < 0)
		goto fail;
	if ((l->ctx = tls_client_ctx_new(id, alpn, err)) == NULL)
		goto fail;
	if (handshake(l, alpn, deadline_ns, err) != 0)
		goto fail;
	l->status = LINK_OK;
	return l;
fail:
	link_close(l);
	return NULL;
}

/* ---- sending ---- */

static int fail_with(struct link *l, enum link_status st)
{
	l->status = st;
	return -1;
}

static int write_all(struct link *l, const uint8_t *buf, size_t len, char *err)
{
	char ebuf[256];
	int64_t deadline_ns = deadline_after(l->send_timeout_ms);
	while (len > 0) {
		struct sigpipe_guard g;
		sigpipe_block(&g);
		ERR_clear_error();
		int chunk = len > 1 << 30 ? 1 << 30 : (int)len;
		int rc = SSL_write(l->ssl, buf, chunk);
		int e = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(l->ssl, rc);
		int saved = errno;
		sigpipe_restore(&g);
		if (rc > 0) {
			buf += rc;
			len -= (size_t)rc;
			continue;
		}
		int ready;
		if (e == SSL_ERROR_WANT_WRITE)
			ready = wait_fd(l->fd, POLLOUT, deadline_ns);
		else if (e == SSL_ERROR_WANT_READ)
			ready = wait_fd(l->fd, POLLIN, deadline_ns);
		else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
			errno = saved;
			errbuf_errno(err, "%s: send failed", l->where);
			return fail_with(l, saved == EPIPE || saved == ECONNRESET ? LINK_CLOSED
			                                                          : LINK_IO_ERROR);
		} else if (e == SSL_ERROR_ZERO_RETURN) {
			errbuf_set(err, "%s: peer closed the connection", l->where);
			return fail_with(l, LINK_CLOSED);
		} else {
			errbuf_set(err, "%s: TLS error while sending: %s", l->where,
			           tls_openssl_error(ebuf, sizeof(ebuf)));
			return fail_with(l, LINK_TLS_ERROR);
		}
		if (ready == 0) {
			errbuf_set(err, "%s: send timed out (peer not reading)", l->where);
			return fail_with(l, LINK_TIMEOUT);
		}
		if (ready < 0) {
			errbuf_errno(err, "%s: send", l->where);
			return fail_with(l, LINK_IO_ERROR);
		}
	}
	l->status = LINK_OK;
	return 0;
}

int link_send_raw(struct link *l, const void *bytes, size_t len, char *err)
{
	return write_all(l, bytes, len, err);
}

int link_send_json(struct link *l, json_t *msg, char *err)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	if (text == NULL) {
		errbuf_set(err, "%s: cannot serialise the message", l->where);
		return fail_with(l, LINK_IO_ERROR);
	}
	size_t len = strlen(text);
	if (len == 0 || len > FRAME_MAX_PAYLOAD_BYTES) {
		free(text);
		errbuf_set(err, "%s: message of %zu bytes is above the %d-byte frame limit", l->where,
		           len, FRAME_MAX_PAYLOAD_BYTES);
		return fail_with(l, LINK_TOO_BIG);
	}
	uint8_t *frame = malloc(FRAME_HEADER_BYTES + len);
	if (frame == NULL) {
		free(text);
		errbuf_set(err, "out of memory");
		return fail_with(l, LINK_IO_ERROR);
	}
	frame_put_header(frame, (uint32_t)len);
	memcpy(frame + FRAME_HEADER_BYTES, text, len);
	free(text);
	int rc = write_all(l, frame, FRAME_HEADER_BYTES + len, err);
	free(frame);
	return rc;
}

/* ---- receiving ---- */

static int reserve(struct link *l, size_t need)
{
	if (l->rcap >= need)
		return 0;
	size_t cap = l->rcap ? l->rcap : RBUF_INITIAL_BYTES;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(l->rbuf, cap);
	if (p == NULL)
		return -1;
	l->rbuf = p;
	l->rcap = cap;
	return 0;
}

/* Reads whatever TLS has, waiting until deadline. 0 = got bytes. */
static int read_some(struct link *l, int64_t deadline_ns, char *err)
{
	char ebuf[256];
	for (;;) {
		ERR_clear_error();
		int room = (int)(l->rcap - l->rlen > 1 << 30 ? 1 << 30 : l->rcap - l->rlen);
		int rc = SSL_read(l->ssl, l->rbuf + l->rlen, room);
		if (rc > 0) {
			l->rlen += (size_t)rc;
			return 0;
		}
		int e = SSL_get_error(l->ssl, rc);
		int ready;
		if (e == SSL_ERROR_WANT_READ) {
			ready = wait_fd(l->fd, POLLIN, deadline_ns);
		} else if (e == SSL_ERROR_WANT_WRITE) {
			ready = wait_fd(l->fd, POLLOUT, deadline_ns);
		} else if (e == SSL_ERROR_ZERO_RETURN) {
			errbuf_set(err, "%s: peer closed the connection%s", l->where,
			           l->rlen > 0 ? " in the middle of a frame" : "");
			return fail_with(l, LINK_CLOSED);
		} else if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
			int saved = errno;
			if (saved == ECONNRESET || saved == EPIPE || saved == 0) {
				errbuf_set(err, "%s: connection reset by peer", l->where);
				return fail_with(l, LINK_CLOSED);
			}
			errbuf_errno(err, "%s: receive failed", l->where);
			return fail_with(l, LINK_IO_ERROR);
		} else {
			/* e.g. the server's alert refusing our certificate, which in
			 * TLS 1.3 arrives after our side finished the handshake. */
			errbuf_set(err, "%s: TLS error: %s", l->where, tls_openssl_error(ebuf, sizeof(ebuf)));
			return fail_with(l, LINK_TLS_ERROR);
		}
		if (ready == 0) {
			errbuf_set(err, "%s: no complete message within the timeout", l->where);
			return fail_with(l, LINK_TIMEOUT);
		}
		if (ready < 0) {
			errbuf_errno(err, "%s: receive", l->where);
			return fail_with(l, LINK_IO_ERROR);
		}
	}
}

static json_t *take_frame(struct link *l, size_t payload_len, char *err)
{
	json_error_t jerr;
	json_t *msg = json_loadb((const char *)l->rbuf + FRAME_HEADER_BYTES, payload_len,
	                         JSON_REJECT_DUPLICATES, &jerr);
	size_t used = FRAME_HEADER_BYTES + payload_len;
	memmove(l->rbuf, l->rbuf + used, l->rlen - used);
	l->rlen -= used;
	if (msg == NULL) {
		errbuf_set(err, "%s: bad JSON in a %zu-byte message (line %d column %d): %s", l->where,
		           payload_len, jerr.line, jerr.column, jerr.text);
		l->status = LINK_BAD_JSON;
		return NULL;
	}
	if (!json_is_object(msg)) {
		json_decref(msg);
		errbuf_set(err, "%s: message is not a JSON object", l->where);
		l->status = LINK_BAD_JSON;
		return NULL;
	}
	l->status = LINK_OK;
	return msg;
}

const uint8_t *link_pending(const struct link *l, size_t *len_out)
{
	*len_out = l->rlen;
	return l->rbuf;
}

json_t *link_recv_json(struct link *l, int timeout_ms, char *err)
{
	int64_t deadline_ns = deadline_after(timeout_ms);
	for (;;) {
		size_t plen = 0;
		enum frame_status st = frame_parse(l->rbuf, l->rlen, FRAME_MAX_PAYLOAD_BYTES, &plen);
		if (st == FRAME_OK)
			return take_frame(l, plen, err);
		if (st == FRAME_EMPTY || st == FRAME_TOO_BIG) {
			/* The stream cannot be resynchronised: every later call
			 * reports the same. */
			errbuf_set(err, "%s: bad frame from peer: %s (declared %zu bytes)", l->where,
			           frame_status_name(st), plen);
			l->status = LINK_BAD_FRAME;
			return NULL;
		}
		size_t need = FRAME_HEADER_BYTES + plen;
		if (reserve(l, need > l->rlen + 1 ? need : l->rlen + 1) != 0) {
			errbuf_set(err, "out of memory");
			l->status = LINK_IO_ERROR;
			return NULL;
		}
		if (read_some(l, deadline_ns, err) != 0)
			return NULL;
	}
}

json_t *link_request(struct link *l, const char *type, json_t *fields, int timeout_ms, char *err)
{
	char rid[32];
	snprintf(rid, sizeof(rid), "req-%03u", ++l->next_request);
	json_t *payload = json_object();
	if (fields != NULL && (payload == NULL || json_object_update(payload, fields) != 0)) {
		json_decref(fields);
		json_decref(payload);
		errbuf_set(err, "%s: %s request fields are not a JSON object", l->where, type);
		l->status = LINK_IO_ERROR;
		return NULL;
	}
	json_decref(fields);
	json_object_set_new(payload, "type", json_string(type));
	json_t *env = json_pack("{s:s, s:o}", "request_id", rid, "payload", payload);
	if (env == NULL) {
		errbuf_set(err, "out of memory");
		l->status = LINK_IO_ERROR;
		return NULL;
	}
	int rc = link_send_json(l, env, err);
	json_decref(env);
	if (rc != 0)
		return NULL;
	int64_t deadline_ns = deadline_after(timeout_ms);
	for (;;) {
		int left = ms_left(deadline_ns);
		json_t *msg = link_recv_json(l, left, err);
		if (msg == NULL)
			return NULL;
		const char *got = json_string_value(json_object_get(msg, "request_id"));
		if (got == NULL || got[0] == '\0' || strcmp(got, rid) == 0)
			return msg;
		json_decref(msg); /* a late reply to an earlier request */
	}
}

/* ---- accessors ---- */

const char *link_peer_id(const struct link *l)
{
	return l->peer_id;
}

enum link_status link_last_status(const struct link *l)
{
	return l->status;
}

int link_fd(const struct link *l)
{
	return l->fd;
}

SSL *link_ssl(const struct link *l)
{
	return l->ssl;
}

void link_close(struct link *l)
{
	if (l == NULL)
		return;
	if (l->ssl != NULL) {
		struct sigpipe_guard g;
		sigpipe_block(&g);
		SSL_shutdown(l->ssl); /* one non-blocking attempt: close_notify */
		sigpipe_restore(&g);
		SSL_free(l->ssl);
	}
	ERR_clear_error();
	SSL_CTX_free(l->ctx);
	if (l->fd >= 0)
		close(l->fd);
	free(l->rbuf);
	free(l);
}
