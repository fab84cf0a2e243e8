/*
 * tls: the project's TLS profile, shared by the reflector and paramedic.
 *
 * TLS 1.3 only, mutual authentication with self-signed Ed25519
 * certificates, mandatory ALPN, no session resumption. Certificates are
 * not validated against any CA: a peer is authenticated by the Ed25519 key
 * it proves to hold, its endpoint ID is computed from that key (never read
 * from the certificate's text), and authorization (is this ID allowed?) is
 * decided after the handshake by the caller.
 */
#ifndef PP_CORE_TLS_H
#define PP_CORE_TLS_H

#include "core/endpoint_id.h"
#include "core/identity.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#define PP_ALPN_DEFAULT "pp-link/1"
#define TLS_SAN_PREFIX "pp-id-"

/* Self-signed Ed25519 X.509 v3 certificate for id: subject CN = endpoint
 * ID, SAN DNS "pp-id-<EndpointID>", valid from now-1h to now+10y, random
 * 159-bit serial, basicConstraints CA:FALSE, keyUsage digitalSignature,
 * extendedKeyUsage serverAuth+clientAuth. */
X509 *tls_self_signed_cert(const struct identity *id, char *err);

/* Server context: presents id's certificate, requires a client certificate
 * with an Ed25519 key, and requires the client to offer alpn (a handshake
 * with no ALPN or another protocol fails with a no_application_protocol
 * alert). alpn: 1..255 bytes, usually PP_ALPN_DEFAULT. */
SSL_CTX *tls_server_ctx_new(const struct identity *id, const char *alpn, char *err);

/* Client context: presents id's certificate, offers alpn, requires the
 * server's certificate to carry an Ed25519 key. After SSL_connect, call
 * tls_check_alpn: a server may ignore ALPN. */
SSL_CTX *tls_client_ctx_new(const struct identity *id, const char *alpn, char *err);

/* 0 when the handshake on ssl selected exactly alpn, else -1 and err. */
int tls_check_alpn(SSL *ssl, const char *alpn, char *err);

/* Endpoint ID of the peer of a finished handshake, from the public key of
 * its certificate. Fails when there is no peer certificate or its key is
 * not Ed25519. */
int tls_peer_endpoint_id(SSL *ssl, char out[ENDPOINT_ID_LEN], char *err);

/* The same for a certificate. */
int tls_cert_endpoint_id(X509 *cert, char out[ENDPOINT_ID_LEN], char *err);

/* The oldest error in OpenSSL's queue of this thread as one line (or
 * "no OpenSSL error"), then clears the queue. Returns buf. */
const char *tls_openssl_error(char *buf, size_t len);

/* The name of a TLS alert description (RFC 8446 §6), e.g. 116 →
 * "certificate required"; OpenSSL 3.0's own table lacks the TLS 1.3 ones. */
const char *tls_alert_name(int description);

/* Writes cert as PEM to path (atomically, mode 0644), e.g. for
 * `openssl x509 -text -in path`. */
int tls_cert_write_pem(X509 *cert, const char *path, char *err);

#endif
