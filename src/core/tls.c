#include "core/tls.h"

#include "core/tls_suites.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

#define SERIAL_BITS 159          /* positive, fits RFC 5280's 20 octets */
#define BACKDATE_SEC 3600        /* tolerate peers whose clock is behind */
#define VALIDITY_YEARS 10
#define ALPN_MAX_BYTES 255

const char *tls_openssl_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	if (e == 0)
		snprintf(buf, len, "no OpenSSL error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, char *err)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	if (ext == NULL)
		return errbuf_set(err, "certificate: cannot build extension %s=%s", OBJ_nid2sn(nid),
		                  value);
	int ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : errbuf_set(err, "certificate: cannot add extension %s", OBJ_nid2sn(nid));
}

/* notBefore = now - 1 h; notAfter = the same calendar date 10 years on. */
static int set_validity(X509 *x, char *err)
{
	time_t now = (time_t)(clock_wall_ms() / 1000);
	struct tm tm;
	if (gmtime_r(&now, &tm) == NULL)
		return errbuf_set(err, "certificate: cannot read the current time");
	tm.tm_year += VALIDITY_YEARS;
	time_t later = timegm(&tm);
	if (X509_time_adj_ex(X509_getm_notBefore(x), 0, -BACKDATE_SEC, &now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), later) == NULL)
		return errbuf_set(err, "certificate: cannot set the validity period");
	return 0;
}

X509 *tls_self_signed_cert(const struct identity *id, char *err)
{
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	if (x == NULL || serial == NULL) {
		errbuf_set(err, "certificate: out of memory");
		goto fail;
	}
	/* A random serial: two certificates of one key never look alike. */
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    BN_rand(serial, SERIAL_BITS, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL) {
		errbuf_set(err, "certificate: cannot set version and serial");
		goto fail;
	}
	if (set_validity(x, err) != 0)
		goto fail;
	/* The ID (69 characters) exceeds the 64 that X.520 suggests for a CN,
	 * so the entry is set as a plain UTF8String, which skips OpenSSL's
	 * length table; peers never read it anyway (the ID comes from the key). */
	X509_NAME *name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
	                               (const unsigned char *)id->id, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || X509_set_pubkey(x, id->key) != 1) {
		errbuf_set(err, "certificate: cannot set subject %s", id->id);
		goto fail;
	}
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	char san[ENDPOINT_ID_LEN + 16];
	snprintf(san, sizeof(san), "DNS:%s%s", TLS_SAN_PREFIX, id->id);
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", err) != 0 ||
	    add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature", err) != 0 ||
	    add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth", err) != 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash", err) != 0 ||
	    add_ext(x, &ctx, NID_subject_alt_name, san, err) != 0)
		goto fail;
	/* Ed25519 signs the message itself: no digest. */
	if (X509_sign(x, id->key, NULL) <= 0) {
		char ebuf[256];
		errbuf_set(err, "certificate: cannot sign for %s: %s", id->id,
		           tls_openssl_error(ebuf, sizeof(ebuf)));
		goto fail;
	}
	BN_free(serial);
	return x;
fail:
	BN_free(serial);
	X509_free(x);
	return NULL;
}

int tls_cert_endpoint_id(X509 *cert, char out[ENDPOINT_ID_LEN], char *err)
{
	if (cert == NULL)
		return errbuf_set(err, "peer presented no certificate");
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	if (pk == NULL)
		return errbuf_set(err, "peer certificate has no usable public key");
	if (EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		const char *type = EVP_PKEY_get0_type_name(pk);
		return errbuf_set(err, "peer certificate key is %s, not Ed25519",
		                  type != NULL ? type : "of an unknown type");
	}
	uint8_t pub[ENDPOINT_ID_PUBKEY_BYTES];
	size_t len = sizeof(pub);
	if (EVP_PKEY_get_raw_public_key(pk, pub, &len) != 1 || len != sizeof(pub))
		return errbuf_set(err, "peer certificate: cannot read the Ed25519 public key");
	endpoint_id_from_pubkey(pub, out);
	return 0;
}

int tls_peer_endpoint_id(SSL *ssl, char out[ENDPOINT_ID_LEN], char *err)
{
	return tls_cert_endpoint_id(SSL_get0_peer_certificate(ssl), out, err);
}

/* Replaces chain building and CA checks: the peer's (leaf) certificate is
 * acceptable when it carries an Ed25519 key. Its self-signature is not
 * checked: TLS 1.3's CertificateVerify, which OpenSSL checks, already
 * proves the peer holds that key, and the key *is* the peer's identity, so
 * a second Ed25519 verification per handshake would buy nothing (it cost
 * ~15% of the reflector's handshake rate, bench/README.md). Who the peer is,
 * and whether it may do anything, is decided later from its endpoint ID.
 * Validity dates are not checked on purpose: a key does not expire, and
 * appliances with a wrong clock must still connect. */
static int verify_peer_cert(X509_STORE_CTX *store, void *arg)
{
	(void)arg;
	X509 *cert = X509_STORE_CTX_get0_cert(store);
	EVP_PKEY *pk = cert != NULL ? X509_get0_pubkey(cert) : NULL;
	if (pk == NULL || EVP_PKEY_get_id(pk) != EVP_PKEY_ED25519) {
		X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
		return 0;
	}
	X509_STORE_CTX_set_error(store, X509_V_OK);
	return 1;
}

/* The ALPN protocol a server context insists on, in wire format (length
 * byte + name), owned by the SSL_CTX through ex_data. */
struct alpn_wire {
	size_t len;
	unsigned char bytes[1 + ALPN_MAX_BYTES];
};

static int alpn_ex_index = -1;
static CRYPTO_ONCE alpn_once = CRYPTO_ONCE_STATIC_INIT;

static void alpn_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                         void *argp)
{
	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	OPENSSL_free(ptr);
}

static void alpn_ex_init(void)
{
	alpn_ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, alpn_ex_free);
}

static int alpn_to_wire(const char *alpn, struct alpn_wire *w, char *err)
{
	size_t len = alpn != NULL ? strlen(alpn) : 0;
	if (len == 0 || len > ALPN_MAX_BYTES)
		return errbuf_set(err, "ALPN protocol \"%s\" must be 1 to %d bytes",
		                  alpn != NULL ? alpn : "", ALPN_MAX_BYTES);
	w->bytes[0] = (unsigned char)len;
	memcpy(w->bytes + 1, alpn, len);
	w->len = len + 1;
	return 0;
}

/* Server: pick our protocol from the client's list, or end the handshake
 * with no_application_protocol. */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	const struct alpn_wire *want = arg;
	size_t i = 0;
	while (i < inlen) {
		size_t l = in[i];
		if (l == 0 || i + 1 + l > inlen)
			break;
		if (l + 1 == want->len && memcmp(in + i + 1, want->bytes + 1, l) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)l;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + l;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/* Server: OpenSSL calls alpn_select only when the client offered ALPN; a
 * ClientHello without the extension is refused here. */
static int client_hello_check(SSL *ssl, int *alert, void *arg)
{
	(void)arg;
	const unsigned char *ext;
	size_t extlen;
	if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext,
	                              &extlen) != 1) {
		*alert = SSL_AD_NO_APPLICATION_PROTOCOL;
		return SSL_CLIENT_HELLO_ERROR;
	}
	return SSL_CLIENT_HELLO_SUCCESS;
}

/* What both sides share: TLS 1.3 only, our certificate, the peer's
 * certificate required and checked by verify_peer_cert, full handshakes. */
static SSL_CTX *ctx_common(const SSL_METHOD *method, const struct identity *id, int verify_mode,
                           char *err)
{
	char ebuf[256];
	SSL_CTX *ctx = SSL_CTX_new(method);
	X509 *cert = NULL;
	if (ctx == NULL) {
		errbuf_set(err, "TLS: cannot create a context: %s", tls_openssl_error(ebuf, sizeof(ebuf)));
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		errbuf_set(err, "TLS: cannot restrict the context to TLS 1.3");
		goto fail;
	}
	if ((cert = tls_self_signed_cert(id, err)) == NULL)
		goto fail;
	if (SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, id->key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		errbuf_set(err, "TLS: cannot use the certificate of %s: %s", id->id,
		           tls_openssl_error(ebuf, sizeof(ebuf)));
		goto fail;
	}
	X509_free(cert);
	cert = NULL;
	SSL_CTX_set_verify(ctx, verify_mode, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, verify_peer_cert, NULL);
	/* Every connection is a full handshake that proves the peer's key. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
fail:
	X509_free(cert);
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *tls_server_ctx_new(const struct identity *id, const char *alpn, char *err)
{
	struct alpn_wire wire;
	if (alpn_to_wire(alpn, &wire, err) != 0)
		return NULL;
	if (!CRYPTO_THREAD_run_once(&alpn_once, alpn_ex_init) || alpn_ex_index < 0) {
		errbuf_set(err, "TLS: cannot register ALPN context data");
		return NULL;
	}
	SSL_CTX *ctx = ctx_common(TLS_server_method(), id,
	                          SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, err);
	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_num_tickets(ctx, 0);
	/* The AEAD this machine runs fastest first (tls_suites.h): the tunnels
	 * encrypt every byte in user space. The server's order decides, so only
	 * the reflector measures. */
	if (SSL_CTX_set_ciphersuites(ctx, tls_suites_by_speed()) != 1) {
		SSL_CTX_free(ctx);
		errbuf_set(err, "TLS: cannot set the cipher suites %s", tls_suites_by_speed());
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	struct alpn_wire *owned = OPENSSL_malloc(sizeof(*owned));
	if (owned == NULL || SSL_CTX_set_ex_data(ctx, alpn_ex_index, owned) != 1) {
		OPENSSL_free(owned);
		SSL_CTX_free(ctx);
		errbuf_set(err, "TLS: out of memory");
		return NULL;
	}
	*owned = wire;
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, owned);
	SSL_CTX_set_client_hello_cb(ctx, client_hello_check, NULL);
	return ctx;
}

SSL_CTX *tls_client_ctx_new(const struct identity *id, const char *alpn, char *err)
{
	struct alpn_wire wire;
	if (alpn_to_wire(alpn, &wire, err) != 0)
		return NULL;
	SSL_CTX *ctx = ctx_common(TLS_client_method(), id, SSL_VERIFY_PEER, err);
	if (ctx == NULL)
		return NULL;
	/* Unlike everything else in OpenSSL, 0 means success here. */
	if (SSL_CTX_set_alpn_protos(ctx, wire.bytes, (unsigned)wire.len) != 0) {
		SSL_CTX_free(ctx);
		errbuf_set(err, "TLS: cannot offer ALPN %s", alpn);
		return NULL;
	}
	return ctx;
}

int tls_check_alpn(SSL *ssl, const char *alpn, char *err)
{
	const unsigned char *sel = NULL;
	unsigned int len = 0;
	SSL_get0_alpn_selected(ssl, &sel, &len);
	if (sel == NULL || len == 0)
		return errbuf_set(err, "TLS: peer selected no ALPN protocol (expected %s)", alpn);
	if (len != strlen(alpn) || memcmp(sel, alpn, len) != 0)
		return errbuf_set(err, "TLS: peer selected ALPN %.*s, expected %s", (int)len,
		                  (const char *)sel, alpn);
	return 0;
}

int tls_cert_write_pem(X509 *cert, const char *path, char *err)
{
	BIO *mem = BIO_new(BIO_s_mem());
	if (mem == NULL || PEM_write_bio_X509(mem, cert) != 1) {
		BIO_free(mem);
		return errbuf_set(err, "%s: cannot encode the certificate as PEM", path);
	}
	char *data = NULL;
	long len = BIO_get_mem_data(mem, &data);
	int rc = fsutil_write_atomic(path, data, (size_t)len, 0644, err);
	BIO_free(mem);
	return rc;
}

const char *tls_alert_name(int description)
{
	static const struct {
		int code;
		const char *name;
	} alerts[] = {
		{0, "close notify"}, {10, "unexpected message"}, {20, "bad record mac"},
		{22, "record overflow"}, {40, "handshake failure"}, {42, "bad certificate"},
		{43, "unsupported certificate"}, {44, "certificate revoked"}, {45, "certificate expired"},
		{46, "certificate unknown"}, {47, "illegal parameter"}, {48, "unknown CA"},
		{49, "access denied"}, {50, "decode error"}, {51, "decrypt error"},
		{70, "protocol version"}, {71, "insufficient security"}, {80, "internal error"},
		{86, "inappropriate fallback"}, {90, "user canceled"}, {109, "missing extension"},
		{110, "unsupported extension"}, {112, "unrecognized name"},
		{113, "bad certificate status response"}, {115, "unknown PSK identity"},
		{116, "certificate required"}, {120, "no application protocol"},
	};
	for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++)
		if (alerts[i].code == (description & 0xff))
			return alerts[i].name;
	return "unknown alert";
}
