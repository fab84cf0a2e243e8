/*
 * tls_pair: a TLS server and client over a non-blocking socketpair, both
 * driven in the calling thread, for tests of handshakes and of what runs
 * over an established connection.
 */
#ifndef PP_TEST_TLS_PAIR_H
#define PP_TEST_TLS_PAIR_H

#include <openssl/ssl.h>

enum hs_state { HS_RUNNING, HS_DONE, HS_FAILED };

struct tls_pair {
	int fd[2]; /* [0] the server's end, [1] the client's; non-blocking */
	SSL *server, *client;
	enum hs_state server_state, client_state;
};

/* Connects a server of sctx and a client of cctx and runs the handshake
 * until each side is done or has failed (a TLS 1.3 handshake takes a few
 * rounds; 50 at most). */
void tls_pair_handshake(SSL_CTX *sctx, SSL_CTX *cctx, struct tls_pair *p);

/* Frees both SSLs and closes both ends. */
void tls_pair_free(struct tls_pair *p);

#endif
