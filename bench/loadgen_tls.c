/* loadgen_tls: client key, certificate and SSL_CTX for the load generator. */
#include "loadgen_tls.h"

#include "lib/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <unistd.h>

static int ssl_err(char *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "unknown error";
	if (e)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return errbuf_set(err, "%s: %s", what, buf);
}

/* Reads exactly LOADGEN_KEY_BYTES from path. Returns 1 when read, 0 when
 * the file does not exist, -1 on any other problem. */
static int read_secret(const char *path, uint8_t secret[LOADGEN_KEY_BYTES], char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return errbuf_errno(err, "%s", path);
	}
	uint8_t extra;
	ssize_t n = read(fd, secret, LOADGEN_KEY_BYTES);
	ssize_t more = n == LOADGEN_KEY_BYTES ? read(fd, &extra, 1) : 0;
	close(fd);
	if (n != LOADGEN_KEY_BYTES || more != 0)
		return errbuf_set(err, "%s: not a %d-byte Ed25519 secret", path, LOADGEN_KEY_BYTES);
	return 1;
}

static int write_secret(const char *path, const uint8_t secret[LOADGEN_KEY_BYTES], char *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errbuf_errno(err, "%s: cannot create", path);
	ssize_t n = write(fd, secret, LOADGEN_KEY_BYTES);
	int rc = (n == LOADGEN_KEY_BYTES && fsync(fd) == 0) ? 0 : -1;
	if (close(fd) != 0 || rc != 0) {
		unlink(path);
		return errbuf_errno(err, "%s: cannot write", path);
	}
	return 0;
}

EVP_PKEY *loadgen_key_load_or_create(const char *path, uint8_t pub_out[LOADGEN_KEY_BYTES],
                                     char *err)
{
	uint8_t secret[LOADGEN_KEY_BYTES];
	EVP_PKEY *key = NULL;
	int have = path ? read_secret(path, secret, err) : 0;
	if (have < 0)
		goto out;
	if (!have) {
		if (RAND_priv_bytes(secret, sizeof secret) != 1) {
			ssl_err(err, "random key");
			goto out;
		}
		if (path && write_secret(path, secret, err) != 0)
			goto out;
	}
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, secret, sizeof secret);
	if (!key) {
		ssl_err(err, path ? path : "Ed25519 key");
		goto out;
	}
	size_t pub_len = LOADGEN_KEY_BYTES;
	if (EVP_PKEY_get_raw_public_key(key, pub_out, &pub_len) != 1 ||
	    pub_len != LOADGEN_KEY_BYTES) {
		ssl_err(err, "Ed25519 public key");
		EVP_PKEY_free(key);
		key = NULL;
	}
out:
	OPENSSL_cleanse(secret, sizeof secret);
	return key;
}

static int add_san(X509 *cert, const char *san_dns)
{
	char value[256];
	snprintf(value, sizeof value, "DNS:%s", san_dns);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, value);
	if (!ext)
		return -1;
	int ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

X509 *loadgen_self_signed_cert(EVP_PKEY *key, const char *san_dns, char *err)
{
	X509 *cert = X509_new();
	if (!cert) {
		ssl_err(err, "certificate");
		return NULL;
	}
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	X509_NAME *name = X509_get_subject_name(cert);
	if (RAND_bytes(serial, sizeof serial) != 1)
		goto fail;
	serial[0] &= 0x7f; /* a positive INTEGER */
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	if (!sn || X509_set_version(cert, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(cert, sn) != 1 ||
	    !X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(cert), 7L * 24 * 3600) ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                               (const unsigned char *)"handshake_load", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1 || X509_set_pubkey(cert, key) != 1)
		goto fail;
	if (san_dns && add_san(cert, san_dns) != 0)
		goto fail;
	/* Ed25519 signs the whole message: no digest. */
	if (X509_sign(cert, key, NULL) <= 0)
		goto fail;
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return cert;
fail:
	ssl_err(err, "self-signed certificate");
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	X509_free(cert);
	return NULL;
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
