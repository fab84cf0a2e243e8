/* loadgen_tls: the load generator's client SSL_CTX. */
#include "loadgen_tls.h"

#include "lib/errbuf.h"

#include <openssl/err.h>
#include <string.h>

static int ssl_err(char *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "unknown error";
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return errbuf_set(err, "%s: %s", what, buf);
}

/* Servers under test are self-signed and their identity is not the point
 * of a benchmark: accept any chain. The handshake still verifies the
 * server's CertificateVerify signature, as a real client's would. */
static int accept_any_chain(int preverify_ok, X509_STORE_CTX *store)
{
	(void)preverify_ok;
	(void)store;
	return 1;
}

SSL_CTX *loadgen_client_ctx_new(EVP_PKEY *key, X509 *cert, const char *alpn, char *err)
{
	size_t alpn_len = strlen(alpn);
	if (alpn_len == 0 || alpn_len > 255) {
		errbuf_set(err, "ALPN '%s': must be 1 to 255 bytes", alpn);
		return NULL;
	}
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		ssl_err(err, "SSL_CTX_new");
		return NULL;
	}
	unsigned char wire[256];
	wire[0] = (unsigned char)alpn_len;
	memcpy(wire + 1, alpn, alpn_len);
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_set_alpn_protos(ctx, wire, (unsigned)(alpn_len + 1)) != 0) {
		ssl_err(err, "client context");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_chain);
	/* Every connection must be a full handshake. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return ctx;
}
