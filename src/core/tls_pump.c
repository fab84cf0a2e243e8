/* tls_pump: one stream between a TLS connection and a plain socket (see
 * tls_pump.h). */
#include "core/tls_pump.h"

#include "lib/errbuf.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A TLS 1.3 record carries at most 16 KiB of plaintext; on the wire it is
 * at most this much (header, content type, AEAD tag, with slack). */
#define TLS_PLAIN_RECORD 16384
#define TLS_WIRE_RECORD (TLS_PLAIN_RECORD + 256)
/* Room a close_notify needs in the ciphertext buffer. */
#define TLS_ALERT_ROOM 64

struct pbuf {
	uint8_t *p;
	size_t off, len; /* bytes [off, len) are waiting */
};

struct tls_pump {
	SSL *ssl;
	int tls_fd, plain_fd;
	struct pbuf net_in;    /* ciphertext received, read by OpenSSL */
	struct pbuf net_out;   /* ciphertext written by OpenSSL, to send */
	struct pbuf plain_in;  /* from the plain side, to encrypt */
	struct pbuf plain_out; /* decrypted, to the plain side */
	tls_pump_count_fn count;
	void *count_arg;
	size_t uncounted; /* early bytes, counted on the first run */
	uint64_t bytes;
	bool starved;      /* OpenSSL asked for more ciphertext than net_in had */
	bool net_eof;      /* the TLS socket's EOF (or a receive error) */
	bool net_dead;     /* sending on the TLS socket failed */
	bool tls_in_done;  /* close_notify, EOF or a TLS error: no more plaintext in */
	bool plain_shut;   /* shutdown(SHUT_WR) sent to the plain side */
	bool plain_eof;    /* the plain side's EOF */
	bool tls_shut;     /* close_notify written */
	/* In this run, a socket returned less than asked: it is drained (or
	 * full) for now, and asking again would only cost an EAGAIN. */
	bool tls_dry, plain_dry, tls_full, plain_full;
};

static size_t waiting(const struct pbuf *b)
{
	return b->len - b->off;
}

static void consumed(struct pbuf *b, size_t n)
{
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

/* Moves what is waiting to the front (at most a record or two). */
static void compact(struct pbuf *b)
{
	if (b->off == 0)
		return;
	memmove(b->p, b->p + b->off, waiting(b));
	b->len -= b->off;
	b->off = 0;
}

/* The BIOs OpenSSL reads ciphertext from and writes it to: plain copies
 * from and into the pump's buffers, never a system call. */
static int bio_read(BIO *b, char *out, int len)
{
	struct tls_pump *p = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	size_t avail = waiting(&p->net_in);
	if (avail == 0) {
		if (p->net_eof)
			return 0;
		p->starved = true;
		BIO_set_retry_read(b);
		return -1;
	}
	size_t n = avail < (size_t)len ? avail : (size_t)len;
	memcpy(out, p->net_in.p + p->net_in.off, n);
	consumed(&p->net_in, n);
	return (int)n;
}

static int bio_write(BIO *b, const char *in, int len)
{
	struct tls_pump *p = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	size_t room = TLS_PUMP_BUF_BYTES - p->net_out.len;
	if (room == 0) {
		BIO_set_retry_write(b);
		return -1;
	}
	size_t n = room < (size_t)len ? room : (size_t)len;
	memcpy(p->net_out.p + p->net_out.len, in, n);
	p->net_out.len += n;
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)num;
	(void)ptr;
	struct tls_pump *p = BIO_get_data(b);
	switch (cmd) {
	case BIO_CTRL_FLUSH:
	case BIO_CTRL_DUP:
		return 1;
	case BIO_CTRL_PENDING:
		return (long)waiting(&p->net_in);
	case BIO_CTRL_WPENDING:
		return (long)waiting(&p->net_out);
	case BIO_CTRL_EOF:
		return p->net_eof && waiting(&p->net_in) == 0;
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *pump_method;
static pthread_once_t pump_method_once = PTHREAD_ONCE_INIT;

static void make_method(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOURCE_SINK, "pp tls_pump");
	if (m == NULL || !BIO_meth_set_read(m, bio_read) || !BIO_meth_set_write(m, bio_write) ||
	    !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create)) {
		BIO_meth_free(m);
		return;
	}
	pump_method = m;
}

static void free_buffers(struct tls_pump *p)
{
	free(p->net_in.p);
	free(p->net_out.p);
	free(p->plain_in.p);
	free(p->plain_out.p);
}

struct tls_pump *tls_pump_new(SSL *ssl, int tls_fd, int plain_fd, const void *early,
                              size_t early_len, tls_pump_count_fn count, void *count_arg,
                              char *err)
{
	if (early_len > TLS_PUMP_BUF_BYTES) {
		errbuf_set(err, "%zu bytes arrived before the relay started (at most %d)", early_len,
		           TLS_PUMP_BUF_BYTES);
		return NULL;
	}
	pthread_once(&pump_method_once, make_method);
	struct tls_pump *p = calloc(1, sizeof(*p));
	BIO *rbio = NULL, *wbio = NULL;
	if (p == NULL || pump_method == NULL)
		goto fail;
	p->net_in.p = malloc(TLS_PUMP_BUF_BYTES);
	p->net_out.p = malloc(TLS_PUMP_BUF_BYTES);
	p->plain_in.p = malloc(TLS_PUMP_BUF_BYTES);
	p->plain_out.p = malloc(TLS_PUMP_BUF_BYTES);
	rbio = BIO_new(pump_method);
	wbio = BIO_new(pump_method);
	if (p->net_in.p == NULL || p->net_out.p == NULL || p->plain_in.p == NULL ||
	    p->plain_out.p == NULL || rbio == NULL || wbio == NULL)
		goto fail;
	BIO_set_data(rbio, p);
	BIO_set_data(wbio, p);
	p->ssl = ssl;
	p->tls_fd = tls_fd;
	p->plain_fd = plain_fd;
	p->count = count;
	p->count_arg = count_arg;
	if (early_len > 0)
		memcpy(p->plain_out.p, early, early_len);
	p->plain_out.len = early_len;
	p->uncounted = early_len;
	SSL_set_bio(ssl, rbio, wbio); /* the SSL owns them from here */
	SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return p;
fail:
	errbuf_set(err, "out of memory");
	BIO_free(rbio);
	BIO_free(wbio);
	if (p != NULL)
		free_buffers(p);
	free(p);
	return NULL;
}

static bool counted(struct tls_pump *p, size_t n)
{
	p->bytes += n;
	return p->count == NULL || p->count(p->count_arg, n);
}

static bool would_block(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK;
}

/* TLS socket -> net_in, when OpenSSL has used up what is there. */
static bool receive_ciphertext(struct tls_pump *p, struct tls_pump_wait *w)
{
	if (p->net_eof || p->tls_in_done || (waiting(&p->net_in) > 0 && !p->starved))
		return false;
	if (p->tls_dry) {
		w->tls_read = true;
		return false;
	}
	compact(&p->net_in);
	size_t room = TLS_PUMP_BUF_BYTES - p->net_in.len;
	ssize_t n = recv(p->tls_fd, p->net_in.p + p->net_in.len, room, 0);
	if (n > 0) {
		p->net_in.len += (size_t)n;
		p->starved = false;
		p->tls_dry = (size_t)n < room;
		return true;
	}
	if (n < 0 && would_block()) {
		w->tls_read = true;
		return false;
	}
	if (n < 0 && errno == EINTR)
		return true;
	p->net_eof = true; /* EOF or a reset: OpenSSL sees the end */
	return true;
}

/* net_in -> plain_out, as many records as fit. 1 also when OpenSSL has
 * just run out of ciphertext (the socket is to be read again before
 * waiting). -1: the counter cut. */
static int decrypt(struct tls_pump *p)
{
	bool was_starved = p->starved;
	int moved = 0;
	while (!p->tls_in_done && p->plain_out.len < TLS_PUMP_BUF_BYTES) {
		int n = SSL_read(p->ssl, p->plain_out.p + p->plain_out.len,
		                 (int)(TLS_PUMP_BUF_BYTES - p->plain_out.len));
		if (n > 0) {
			p->plain_out.len += (size_t)n;
			moved = 1;
			if (!counted(p, (size_t)n))
				return -1;
			continue;
		}
		int e = SSL_get_error(p->ssl, n);
		if (e == SSL_ERROR_WANT_READ && !p->net_eof) {
			p->starved = true;
			break;
		}
		if (e == SSL_ERROR_WANT_WRITE)
			break; /* OpenSSL must answer something first: net_out is full */
		p->tls_in_done = true; /* close_notify, EOF or a TLS error */
		ERR_clear_error();
		moved = 1;
	}
	if (p->starved && !was_starved)
		moved = 1;
	return moved;
}

/* Sends what is waiting in b on fd. 1 progress, 0 would block, -1 failed. */
static int send_waiting(int fd, struct pbuf *b, bool *full, bool *want)
{
	if (waiting(b) == 0)
		return 0;
	if (*full) {
		*want = true;
		return 0;
	}
	size_t len = waiting(b);
	ssize_t n = send(fd, b->p + b->off, len, MSG_NOSIGNAL);
	if (n > 0) {
		*full = (size_t)n < len;
		consumed(b, (size_t)n);
		if (b->off >= TLS_PUMP_BUF_BYTES / 2)
			compact(b);
		return 1;
	}
	if (n < 0 && would_block()) {
		*want = true;
		return 0;
	}
	if (n < 0 && errno == EINTR)
		return 1;
	return -1;
}

/* plain socket -> plain_in, when it is empty. -1: the counter cut. */
static int receive_plaintext(struct tls_pump *p, struct tls_pump_wait *w)
{
	if (p->plain_eof || waiting(&p->plain_in) > 0)
		return 0;
	if (p->plain_dry) {
		w->plain_read = true;
		return 0;
	}
	ssize_t n = recv(p->plain_fd, p->plain_in.p, TLS_PUMP_BUF_BYTES, 0);
	if (n > 0) {
		p->plain_in.len = (size_t)n;
		p->plain_dry = n < TLS_PUMP_BUF_BYTES;
		return counted(p, (size_t)n) ? 1 : -1;
	}
	if (n < 0 && would_block()) {
		w->plain_read = true;
		return 0;
	}
	if (n < 0 && errno == EINTR)
		return 1;
	p->plain_eof = true; /* EOF or a reset */
	return 1;
}

/* plain_in -> net_out, whole records while they fit; then close_notify
 * after the plain side's EOF. -1: a TLS error. */
static int encrypt(struct tls_pump *p)
{
	int moved = 0;
	for (;;) {
		size_t room = TLS_PUMP_BUF_BYTES - p->net_out.len;
		size_t fit = (room / TLS_WIRE_RECORD) * TLS_PLAIN_RECORD;
		size_t len = waiting(&p->plain_in) < fit ? waiting(&p->plain_in) : fit;
		if (len == 0)
			break;
		int n = SSL_write(p->ssl, p->plain_in.p + p->plain_in.off, (int)len);
		if (n <= 0) {
			if (SSL_get_error(p->ssl, n) == SSL_ERROR_WANT_WRITE)
				break;
			ERR_clear_error();
			return -1;
		}
		consumed(&p->plain_in, (size_t)n);
		moved = 1;
	}
	if (p->plain_eof && waiting(&p->plain_in) == 0 && !p->tls_shut &&
	    TLS_PUMP_BUF_BYTES - p->net_out.len >= TLS_ALERT_ROOM) {
		SSL_shutdown(p->ssl); /* close_notify: the peer sees the plain side's EOF */
		ERR_clear_error();
		p->tls_shut = true;
		moved = 1;
	}
	return moved;
}

/* The TLS peer is gone: nothing more can go out, what was coming in is
 * still delivered. */
static void lose_peer(struct tls_pump *p)
{
	p->net_dead = true;
	p->net_out.off = p->net_out.len = 0;
	p->plain_in.off = p->plain_in.len = 0;
	p->plain_eof = true;
	p->tls_shut = true;
}

/* One run; idle (NULL: none) names the sockets a wait just said are not
 * ready, which are then not tried (an idle direction would otherwise cost
 * an EAGAIN per wake-up). */
static enum tls_pump_status run_after(struct tls_pump *p, const struct tls_pump_wait *idle,
                                      struct tls_pump_wait *wait, char *why)
{
	p->tls_dry = idle != NULL && idle->tls_read;
	p->plain_dry = idle != NULL && idle->plain_read;
	p->tls_full = idle != NULL && idle->tls_write;
	p->plain_full = idle != NULL && idle->plain_write;
	if (p->uncounted > 0) {
		size_t n = p->uncounted;
		p->uncounted = 0;
		if (!counted(p, n))
			goto cut;
	}
	for (;;) {
		struct tls_pump_wait w = {0};
		bool progress = receive_ciphertext(p, &w);
		int r = decrypt(p);
		if (r < 0)
			goto cut;
		progress |= r > 0;
		r = send_waiting(p->plain_fd, &p->plain_out, &p->plain_full, &w.plain_write);
		if (r < 0) {
			errbuf_set(why, "the plain side closed the stream");
			return TLS_PUMP_FAILED;
		}
		progress |= r > 0;
		if (p->tls_in_done && waiting(&p->plain_out) == 0 && !p->plain_shut) {
			shutdown(p->plain_fd, SHUT_WR); /* the plain side sees the TLS peer's EOF */
			p->plain_shut = true;
		}
		r = receive_plaintext(p, &w);
		if (r < 0)
			goto cut;
		progress |= r > 0;
		r = encrypt(p);
		if (r < 0) {
			errbuf_set(why, "TLS error while sending");
			return TLS_PUMP_FAILED;
		}
		progress |= r > 0;
		r = p->net_dead ? 0 : send_waiting(p->tls_fd, &p->net_out, &p->tls_full, &w.tls_write);
		if (r < 0) {
			lose_peer(p);
			progress = true;
		}
		progress |= r > 0;
		bool in_over = p->tls_in_done && p->plain_shut;
		bool out_over = p->tls_shut && waiting(&p->net_out) == 0;
		if (in_over && out_over) {
			if (p->net_dead) {
				errbuf_set(why, "the TLS peer reset the stream");
				return TLS_PUMP_FAILED;
			}
			errbuf_set(why, "stream closed");
			return TLS_PUMP_DONE;
		}
		if (!progress) {
			*wait = w;
			return TLS_PUMP_RUNNING;
		}
	}
cut:
	errbuf_set(why, "byte budget exhausted");
	return TLS_PUMP_CUT;
}

enum tls_pump_status tls_pump_run(struct tls_pump *p, struct tls_pump_wait *wait, char *why)
{
	return run_after(p, NULL, wait, why);
}

/* What was waited for and did not come. */
static struct tls_pump_wait not_ready(const struct tls_pump_wait *w, const struct pollfd pf[2])
{
	const short in = POLLIN | POLLHUP | POLLERR, out = POLLOUT | POLLHUP | POLLERR;
	return (struct tls_pump_wait){
	    .tls_read = w->tls_read && !(pf[0].revents & in),
	    .tls_write = w->tls_write && !(pf[0].revents & out),
	    .plain_read = w->plain_read && !(pf[1].revents & in),
	    .plain_write = w->plain_write && !(pf[1].revents & out),
	};
}

enum tls_pump_status tls_pump_loop(struct tls_pump *p, int stop_fd, int poll_ms,
                                   bool (*keep_going)(void *arg), void *arg, char *why)
{
	struct tls_pump_wait idle = {0};
	for (bool first = true;; first = false) {
		struct tls_pump_wait w;
		enum tls_pump_status st = run_after(p, first ? NULL : &idle, &w, why);
		if (st != TLS_PUMP_RUNNING)
			return st;
		if (keep_going != NULL && !keep_going(arg))
			break;
		struct pollfd pf[3] = {
		    {.fd = p->tls_fd, .events = (short)((w.tls_read ? POLLIN : 0) | (w.tls_write ? POLLOUT : 0))},
		    {.fd = p->plain_fd, .events = (short)((w.plain_read ? POLLIN : 0) | (w.plain_write ? POLLOUT : 0))},
		    {.fd = stop_fd, .events = POLLIN},
		};
		int n = poll(pf, 3, poll_ms);
		if (n < 0 && errno != EINTR) {
			errbuf_errno(why, "poll");
			return TLS_PUMP_FAILED;
		}
		if (n > 0 && stop_fd >= 0 && (pf[2].revents & POLLIN))
			break;
		idle = n > 0 ? not_ready(&w, pf) : (struct tls_pump_wait){0};
	}
	errbuf_set(why, "stopped");
	return TLS_PUMP_RUNNING;
}

uint64_t tls_pump_bytes(const struct tls_pump *p)
{
	return p->bytes;
}

void tls_pump_free(struct tls_pump *p)
{
	if (p == NULL)
		return;
	if (!p->net_dead && waiting(&p->net_out) > 0)
		(void)send(p->tls_fd, p->net_out.p + p->net_out.off, waiting(&p->net_out), MSG_NOSIGNAL);
	BIO *sock = BIO_new_socket(p->tls_fd, BIO_NOCLOSE);
	if (sock != NULL)
		SSL_set_bio(p->ssl, sock, sock);
	else
		SSL_set_bio(p->ssl, NULL, NULL);
	ERR_clear_error();
	free_buffers(p);
	free(p);
}
