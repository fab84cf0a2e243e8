/*
 * loadgen_tls: the load generator's TLS client side, in plain OpenSSL.
 *
 * Owns the client's Ed25519 identity (a 32-byte raw secret file, the same
 * format as the project's identity.ed25519, or a throw-away key), its
 * self-signed certificate, and an SSL_CTX tuned for measuring servers:
 * TLS 1.3 only, ALPN offered, no session cache and no tickets so that every
 * connection is a full handshake. Plain OpenSSL on purpose: the same client
 * must drive openssl s_server and nginx, and must not change when the
 * product's own TLS module does.
 */
#ifndef PP_BENCH_LOADGEN_TLS_H
#define PP_BENCH_LOADGEN_TLS_H

#include <openssl/ssl.h>
#include <stdint.h>

#define LOADGEN_KEY_BYTES 32

/* Loads the 32-byte Ed25519 secret at path, creating it (mode 0600) when it
 * does not exist. path NULL: a fresh key that lives only in memory.
 * On success *pub_out holds the raw public key. */
EVP_PKEY *loadgen_key_load_or_create(const char *path, uint8_t pub_out[LOADGEN_KEY_BYTES],
                                     char *err);

/* A self-signed Ed25519 X.509 v3 certificate for key; san_dns (may be
 * NULL) goes into subjectAltName as a DNS name. */
X509 *loadgen_self_signed_cert(EVP_PKEY *key, const char *san_dns, char *err);

/* The client context: TLS 1.3 only, presents cert/key, offers alpn, does
 * not validate the server's chain (servers here are self-signed; the TLS
 * layer still checks the server's CertificateVerify signature), no
 * resumption of any kind. */
SSL_CTX *loadgen_client_ctx_new(EVP_PKEY *key, X509 *cert, const char *alpn, char *err);

#endif
