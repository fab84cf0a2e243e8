/*
 * tls_pump: moves one stream both ways between an established TLS
 * connection and a plain socket, both non-blocking. The caller owns the
 * sockets and the wait (libevent in the reflector, poll() in paramedic):
 * tls_pump_run() moves whatever can move now and says what to wait for.
 *
 * Built for throughput (docs/THROUGHPUT.md "The relay's data path"):
 * ciphertext goes through two small BIOs of our own over 256 KiB buffers,
 * so one recv()/send() carries many 16 KiB records; decrypted records are
 * gathered until one send() of up to 256 KiB to the plain side; plaintext
 * is read in 256 KiB calls and encrypted only as far as the ciphertext
 * buffer has room (backpressure: a side is not read while the other
 * cannot take more). Every byte moved either way is offered to a counter,
 * which may cut the stream (a byte budget).
 *
 * Ends: the TLS side's close_notify, EOF or error becomes a shutdown(WR) of
 * the plain socket once the plaintext before it is delivered; the plain
 * side's EOF becomes a close_notify once its bytes are encrypted and sent.
 */
#ifndef PP_CORE_TLS_PUMP_H
#define PP_CORE_TLS_PUMP_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_PUMP_BUF_BYTES (256 * 1024)

struct tls_pump;

enum tls_pump_status {
	TLS_PUMP_RUNNING, /* wait for what *wait says, then run again */
	TLS_PUMP_DONE,    /* both directions ended cleanly */
	TLS_PUMP_FAILED,  /* a side failed; why says which */
	TLS_PUMP_CUT,     /* the counter said no */
};

struct tls_pump_wait {
	bool tls_read, tls_write, plain_read, plain_write;
};

/* n more bytes moved (either way); false cuts the stream. */
typedef bool (*tls_pump_count_fn)(void *arg, size_t n);

/* Takes over ssl's I/O (its BIOs are replaced until tls_pump_free). early
 * is plaintext the connection had already decrypted before the pump took
 * over, delivered to the plain side first (at most TLS_PUMP_BUF_BYTES; it
 * is counted too). NULL and err when out of memory or early is too big. */
struct tls_pump *tls_pump_new(SSL *ssl, int tls_fd, int plain_fd, const void *early,
                              size_t early_len, tls_pump_count_fn count, void *count_arg,
                              char *err);

/* Moves bytes until nothing more can move. RUNNING fills *wait; the other
 * results are final (why: a short reason for logs, ERRBUF_LEN). */
enum tls_pump_status tls_pump_run(struct tls_pump *p, struct tls_pump_wait *wait, char *why);

/* Runs the pump to its end in the calling thread, poll()ing what it waits
 * for. stop_fd (-1: none) becoming readable stops it; so does keep_going
 * (NULL: none) returning false, asked before every wait, which is at most
 * poll_ms long (-1: no limit). Returns the final status, or
 * TLS_PUMP_RUNNING when stopped (why: "stopped"). */
enum tls_pump_status tls_pump_loop(struct tls_pump *p, int stop_fd, int poll_ms,
                                   bool (*keep_going)(void *arg), void *arg, char *why);

/* Bytes moved so far, both directions. */
uint64_t tls_pump_bytes(const struct tls_pump *p);

/* Best effort, one send of the ciphertext still buffered; then gives the
 * SSL a socket BIO on tls_fd again (so that SSL_shutdown and SSL_free work
 * as for any connection) and frees the pump. The fds stay open. */
void tls_pump_free(struct tls_pump *p);

#endif
