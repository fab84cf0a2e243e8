/*
 * loadgen_tls: the load generator's TLS client side, in plain OpenSSL.
 *
 * Owns the SSL_CTX the load generator measures servers with: TLS 1.3 only,
 * the client's certificate presented, ALPN offered, no session cache and no
 * tickets so that every connection is a full handshake, and no opinion on
 * the server's chain. Plain OpenSSL rather than core/tls on purpose: the
 * same client drives openssl s_server and nginx, and must not get slower or
 * faster when the product's own TLS profile changes. The key and the
 * certificate do come from core (identity, tls_self_signed_cert), so the
 * client looks to the reflector exactly like a paramedic.
 */
#ifndef PP_BENCH_LOADGEN_TLS_H
#define PP_BENCH_LOADGEN_TLS_H

#include <openssl/ssl.h>

/* The client context: TLS 1.3 only, presents cert/key, offers alpn, does
 * not validate the server's chain (servers here are self-signed; the TLS
 * layer still checks the server's CertificateVerify signature), no
 * resumption of any kind. */
SSL_CTX *loadgen_client_ctx_new(EVP_PKEY *key, X509 *cert, const char *alpn, char *err);

#endif
