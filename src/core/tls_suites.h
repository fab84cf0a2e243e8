/*
 * tls_suites: the TLS 1.3 cipher suites in the order this machine runs
 * them fastest.
 *
 * The relays encrypt every tunneled byte in user space, so the AEAD's speed
 * is a large part of the tunnel's cost, and which AEAD is fastest depends
 * on the CPU and, on a shared VM, on the moment. OpenSSL's default order
 * assumes AES-256-GCM is fastest. All three suites are TLS 1.3's standard
 * ones; the order changes only speed.
 *
 * The measurement: each AEAD seals 1 MiB in 16 KiB records, five rounds
 * interleaved, the mean kept (a few milliseconds, once per process; only
 * the reflector measures, as the server's order decides). The mean, not
 * the best round: on the benchmark VM AES-GCM runs at either ~2.6 or
 * ~4.4 GB/s from one moment to the next, ChaCha20 steadily at ~3.7.
 */
#ifndef PP_CORE_TLS_SUITES_H
#define PP_CORE_TLS_SUITES_H

#include <stddef.h>

#define TLS_SUITES_COUNT 3

/* The suites, fastest first, as an SSL_CTX_set_ciphersuites() list. Measured
 * on the first call; the same string afterwards (thread-safe). */
const char *tls_suites_by_speed(void);

/* The same ranking from given speeds (bytes per second, in the order of
 * tls_suite_names()); for tests. Writes into out (at least 128 bytes). */
void tls_suites_rank(const double speed[TLS_SUITES_COUNT], char *out, size_t out_len);

/* The suite names the speeds refer to. */
const char *const *tls_suite_names(void);

#endif
