/* tls_pair: a TLS server and client over a socketpair (see tls_pair.h). */
#include "tls_pair.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Each step moves at most one flight. */
static void step(SSL *ssl, enum hs_state *st)
{
	if (*st != HS_RUNNING)
		return;
	int rc = SSL_do_handshake(ssl);
	if (rc == 1) {
		*st = HS_DONE;
		return;
	}
	int e = SSL_get_error(ssl, rc);
	if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
		*st = HS_FAILED;
}

void tls_pair_handshake(SSL_CTX *sctx, SSL_CTX *cctx, struct tls_pair *p)
{
	memset(p, 0, sizeof(*p));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd) != 0)
		abort();
	for (int i = 0; i < 2; i++)
		fcntl(p->fd[i], F_SETFL, fcntl(p->fd[i], F_GETFL) | O_NONBLOCK);
	p->server = SSL_new(sctx);
	p->client = SSL_new(cctx);
	SSL_set_fd(p->server, p->fd[0]);
	SSL_set_fd(p->client, p->fd[1]);
	SSL_set_accept_state(p->server);
	SSL_set_connect_state(p->client);
	for (int i = 0; i < 50 && (p->client_state == HS_RUNNING || p->server_state == HS_RUNNING); i++) {
		step(p->client, &p->client_state);
		step(p->server, &p->server_state);
	}
}

void tls_pair_free(struct tls_pair *p)
{
	ERR_clear_error();
	SSL_free(p->server);
	SSL_free(p->client);
	close(p->fd[0]);
	close(p->fd[1]);
}
