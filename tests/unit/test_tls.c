/* tls: the certificate profile and every handshake the product must
 * accept or refuse, over real sockets (socketpair, and 127.0.0.1 for the
 * openssl s_client checks), both ends driven in this one process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/tls.h"
#include "lib/errbuf.h"
#include "tls_pair.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct identity server_id, client_id;
static char tmpdir[256];

static int setup(void **state)
{
	(void)state;
	uint8_t s[32], c[32];
	memset(s, 0x51, sizeof(s));
	memset(c, 0xc1, sizeof(c));
	char err[ERRBUF_LEN];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pp-test-tls-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return identity_from_secret(s, &server_id, err) | identity_from_secret(c, &client_id, err);
}

static int teardown(void **state)
{
	(void)state;
	identity_free(&server_id);
	identity_free(&client_id);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- driving a handshake between two contexts over a socketpair ---- */

struct hs {
	enum hs_state client, server;
	int app_data_ok;       /* ping/pong went through after the handshake */
	int client_saw_refusal; /* client finished, then read the server's alert */
	char client_sees[ENDPOINT_ID_LEN], server_sees[ENDPOINT_ID_LEN];
	char alpn[32];
};

static void drive(SSL_CTX *sctx, SSL_CTX *cctx, struct hs *r)
{
	memset(r, 0, sizeof(*r));
	struct tls_pair pair;
	tls_pair_handshake(sctx, cctx, &pair);
	SSL *s = pair.server, *c = pair.client;
	r->client = pair.client_state;
	r->server = pair.server_state;
	char err[ERRBUF_LEN];
	if (r->client == HS_DONE) {
		tls_peer_endpoint_id(c, r->client_sees, err);
		const unsigned char *a;
		unsigned alen;
		SSL_get0_alpn_selected(c, &a, &alen);
		snprintf(r->alpn, sizeof(r->alpn), "%.*s", (int)alen, (const char *)a);
	}
	if (r->server == HS_DONE)
		tls_peer_endpoint_id(s, r->server_sees, err);
	if (r->client == HS_DONE && r->server == HS_DONE) {
		char buf[8];
		if (SSL_write(c, "ping", 4) == 4 && SSL_read(s, buf, sizeof(buf)) == 4 &&
		    SSL_write(s, "pong", 4) == 4 && SSL_read(c, buf, sizeof(buf)) == 4 &&
		    memcmp(buf, "pong", 4) == 0)
			r->app_data_ok = 1;
	} else if (r->client == HS_DONE && r->server == HS_FAILED) {
		/* TLS 1.3: the client is done before the server has judged its
		 * certificate; the refusal arrives as an alert on the next read. */
		char buf[8];
		int rc = SSL_read(c, buf, sizeof(buf));
		int e = SSL_get_error(c, rc);
		r->client_saw_refusal = rc <= 0 && e != SSL_ERROR_WANT_READ;
	}
	tls_pair_free(&pair);
}

/* A handshake of cctx against our server's context; frees cctx. */
static struct hs against_our_server(SSL_CTX *cctx)
{
	char err[ERRBUF_LEN];
	SSL_CTX *sctx = tls_server_ctx_new(&server_id, PP_ALPN_DEFAULT, err);
	assert_non_null(sctx);
	assert_non_null(cctx);
	struct hs r;
	drive(sctx, cctx, &r);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
	return r;
}

static void assert_refused(const struct hs *r)
{
	assert_int_equal(r->server, HS_FAILED);
	assert_false(r->app_data_ok);
	assert_true(r->client == HS_FAILED || r->client_saw_refusal);
}

/* A self-signed certificate and key of any type, for hostile clients. */
static X509 *foreign_cert(EVP_PKEY *pk)
{
	X509 *x = X509_new();
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"intruder", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	assert_true(X509_sign(x, pk, EVP_PKEY_get_id(pk) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) > 0);
	return x;
}

/* A client context built by hand: cert/key optional, ALPN optional. */
static SSL_CTX *raw_client_ctx(EVP_PKEY *pk, const char *alpn, int version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(ctx, version);
	SSL_CTX_set_max_proto_version(ctx, version);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (pk != NULL) {
		X509 *x = foreign_cert(pk);
		assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
		assert_int_equal(SSL_CTX_use_PrivateKey(ctx, pk), 1);
		X509_free(x);
	}
	if (alpn != NULL) {
		unsigned char wire[64];
		wire[0] = (unsigned char)strlen(alpn);
		memcpy(wire + 1, alpn, strlen(alpn));
		assert_int_equal(SSL_CTX_set_alpn_protos(ctx, wire, 1 + (unsigned)strlen(alpn)), 0);
	}
	return ctx;
}

/* ---- the certificate ---- */

static void certificate_profile(void **state)
{
	(void)state;
	char err[ERRBUF_LEN], id[ENDPOINT_ID_LEN];
	X509 *x = tls_self_signed_cert(&server_id, err);
	assert_non_null(x);
	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_int_equal(EVP_PKEY_get_id(X509_get0_pubkey(x)), EVP_PKEY_ED25519);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(x)), 1); /* self-signed */
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);

	/* Subject CN is the endpoint ID. */
	X509_NAME *name = X509_get_subject_name(x);
	int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	assert_true(idx >= 0);
	ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	assert_int_equal(ASN1_STRING_length(cn), (int)strlen(server_id.id));
	assert_memory_equal(ASN1_STRING_get0_data(cn), server_id.id, strlen(server_id.id));

	/* SAN holds DNS:pp-id-<ID>. */
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	assert_non_null(sans);
	char want[128];
	snprintf(want, sizeof(want), "pp-id-%s", server_id.id);
	int found = 0;
	for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		if (g->type == GEN_DNS && ASN1_STRING_length(g->d.dNSName) == (int)strlen(want) &&
		    memcmp(ASN1_STRING_get0_data(g->d.dNSName), want, strlen(want)) == 0)
			found = 1;
	}
	GENERAL_NAMES_free(sans);
	assert_true(found);

	/* Valid from 1 h ago for 10 years (+ the hour). */
	int days, secs;
	assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
	assert_true(days >= 3652 && days <= 3653);
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
	assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);
	assert_true((X509_get_extension_flags(x) & EXFLAG_CA) == 0);

	/* Random serials: a second certificate of the same key differs. */
	X509 *y = tls_self_signed_cert(&server_id, err);
	assert_non_null(y);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(y)), 0);

	/* The ID comes back out of the key. */
	assert_int_equal(tls_cert_endpoint_id(x, id, err), 0);
	assert_string_equal(id, server_id.id);

	/* openssl x509 -text shows it to a person. */
	char path[512], cmd[2400];
	snprintf(path, sizeof(path), "%s/server.pem", tmpdir);
	assert_int_equal(tls_cert_write_pem(x, path, err), 0);
	snprintf(cmd, sizeof(cmd),
	         "openssl x509 -noout -text -in '%s' | grep -q 'DNS:pp-id-%s' && "
	         "openssl x509 -noout -text -in '%s' | grep -q 'Signature Algorithm: ED25519'",
	         path, server_id.id, path);
	assert_int_equal(system(cmd), 0);
	X509_free(x);
	X509_free(y);
}

static void cert_id_refuses_other_key_types(void **state)
{
	(void)state;
	char err[ERRBUF_LEN], id[ENDPOINT_ID_LEN];
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = foreign_cert(ec);
	assert_int_equal(tls_cert_endpoint_id(x, id, err), -1);
	assert_non_null(strstr(err, "not Ed25519"));
	assert_non_null(strstr(err, "EC"));
	assert_int_equal(tls_cert_endpoint_id(NULL, id, err), -1);
	X509_free(x);
	EVP_PKEY_free(ec);
}

/* ---- handshakes ---- */

static void mutual_handshake_and_ids(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	SSL_CTX *s = tls_server_ctx_new(&server_id, PP_ALPN_DEFAULT, err);
	SSL_CTX *c = tls_client_ctx_new(&client_id, PP_ALPN_DEFAULT, err);
	assert_non_null(s);
	assert_non_null(c);
	struct hs r;
	drive(s, c, &r);
	assert_int_equal(r.client, HS_DONE);
	assert_int_equal(r.server, HS_DONE);
	assert_true(r.app_data_ok);
	assert_string_equal(r.client_sees, server_id.id);
	assert_string_equal(r.server_sees, client_id.id);
	assert_string_equal(r.alpn, "pp-link/1");
	/* A second connection is another full handshake, fine as well. */
	drive(s, c, &r);
	assert_true(r.app_data_ok);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
}

static void alpn_mismatch_fails(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	SSL_CTX *s = tls_server_ctx_new(&server_id, PP_ALPN_DEFAULT, err);
	SSL_CTX *c = tls_client_ctx_new(&client_id, "h2", err);
	struct hs r;
	drive(s, c, &r);
	assert_int_equal(r.server, HS_FAILED);
	assert_int_equal(r.client, HS_FAILED);
	SSL_CTX_free(c);
	/* several protocols offered, ours among them: fine */
	SSL_CTX *multi = raw_client_ctx(client_id.key, NULL, TLS1_3_VERSION);
	static const unsigned char list[] = "\x02h2\x09pp-link/1";
	assert_int_equal(SSL_CTX_set_alpn_protos(multi, list, sizeof(list) - 1), 0);
	drive(s, multi, &r);
	assert_true(r.app_data_ok);
	assert_string_equal(r.alpn, "pp-link/1");
	SSL_CTX_free(multi);
	SSL_CTX_free(s);
}

static void no_alpn_fails(void **state)
{
	(void)state;
	struct hs r = against_our_server(raw_client_ctx(client_id.key, NULL, TLS1_3_VERSION));
	assert_int_equal(r.server, HS_FAILED);
	assert_int_equal(r.client, HS_FAILED);
}

static void tls12_client_fails(void **state)
{
	(void)state;
	struct hs r = against_our_server(raw_client_ctx(client_id.key, PP_ALPN_DEFAULT, TLS1_2_VERSION));
	assert_int_equal(r.server, HS_FAILED);
	assert_int_equal(r.client, HS_FAILED);
}

static void client_without_certificate_fails(void **state)
{
	(void)state;
	struct hs r = against_our_server(raw_client_ctx(NULL, PP_ALPN_DEFAULT, TLS1_3_VERSION));
	assert_refused(&r);
}

static void client_with_rsa_or_p256_certificate_fails(void **state)
{
	(void)state;
	EVP_PKEY *keys[2] = {EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048),
	                     EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")};
	for (int i = 0; i < 2; i++) {
		assert_non_null(keys[i]);
		struct hs r = against_our_server(raw_client_ctx(keys[i], PP_ALPN_DEFAULT, TLS1_3_VERSION));
		assert_refused(&r);
		EVP_PKEY_free(keys[i]);
	}
	/* ...while a foreign-made Ed25519 self-signed certificate is fine:
	 * peers are authenticated by key, not by who made the certificate. */
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct hs r = against_our_server(raw_client_ctx(ed, PP_ALPN_DEFAULT, TLS1_3_VERSION));
	assert_true(r.app_data_ok);
	assert_int_equal(strncmp(r.server_sees, "PP-", 3), 0);
	EVP_PKEY_free(ed);
}

static void client_refuses_a_non_ed25519_server(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = foreign_cert(ec);
	SSL_CTX *s = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(s, x);
	SSL_CTX_use_PrivateKey(s, ec);
	SSL_CTX *c = tls_client_ctx_new(&client_id, PP_ALPN_DEFAULT, err);
	struct hs r;
	drive(s, c, &r);
	assert_int_equal(r.client, HS_FAILED);
	assert_false(r.app_data_ok);
	SSL_CTX_free(c);
	SSL_CTX_free(s);
	X509_free(x);
	EVP_PKEY_free(ec);
}

static void client_notices_a_server_ignoring_alpn(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	/* A server with our certificate but no ALPN callback. */
	SSL_CTX *s = SSL_CTX_new(TLS_server_method());
	X509 *x = tls_self_signed_cert(&server_id, err);
	SSL_CTX_use_certificate(s, x);
	SSL_CTX_use_PrivateKey(s, server_id.key);
	SSL_CTX *c = tls_client_ctx_new(&client_id, PP_ALPN_DEFAULT, err);
	struct tls_pair pair;
	tls_pair_handshake(s, c, &pair);
	assert_int_equal(pair.client_state, HS_DONE);
	assert_int_equal(tls_check_alpn(pair.client, PP_ALPN_DEFAULT, err), -1);
	assert_non_null(strstr(err, "no ALPN"));
	tls_pair_free(&pair);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	X509_free(x);
}

static void bad_alpn_argument_is_refused(void **state)
{
	(void)state;
	char err[ERRBUF_LEN], big[300];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(tls_server_ctx_new(&server_id, "", err));
	assert_non_null(strstr(err, "ALPN"));
	assert_null(tls_server_ctx_new(&server_id, big, err));
	assert_null(tls_client_ctx_new(&client_id, NULL, err));
}

/* ---- the checks a person does with openssl s_client (seed rows 7-9) ---- */

static int listen_loopback(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Runs `openssl s_client <args>` against one blocking SSL_accept of our
 * server context. Returns s_client's exit status; *accepted gets
 * SSL_accept's verdict; the client's output is left in outpath. */
static int s_client_against_server(const char *args, int *accepted, const char *outpath)
{
	char err[ERRBUF_LEN];
	SSL_CTX *s = tls_server_ctx_new(&server_id, PP_ALPN_DEFAULT, err);
	assert_non_null(s);
	int port;
	int lfd = listen_loopback(&port);
	char cmd[3000];
	snprintf(cmd, sizeof(cmd), "exec openssl s_client -connect 127.0.0.1:%d %s >'%s' 2>&1",
	         port, args, outpath);
	/* s_client's stdin stays open until our side is finished, so that it
	 * reads (and prints) whatever alert we send instead of racing to EOF. */
	int in[2];
	assert_int_equal(pipe(in), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(lfd);
		close(in[1]);
		dup2(in[0], 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	/* Bounds only guard against a hung child; they decide nothing. */
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 30000), 1);
	int fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	struct timeval tv = {.tv_sec = 30};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	SSL *ssl = SSL_new(s);
	SSL_set_fd(ssl, fd);
	*accepted = SSL_accept(ssl) == 1;
	if (*accepted)
		SSL_shutdown(ssl);
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	close(lfd);
	close(in[1]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	SSL_CTX_free(s);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int file_contains(const char *path, const char *needle)
{
	size_t len;
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char buf[65536];
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return strstr(buf, needle) != NULL;
}

static void openssl_s_client_checks(void **state)
{
	(void)state;
	if (system("command -v openssl >/dev/null") != 0)
		skip();
	char err[ERRBUF_LEN], key[512], cert[512], out[512], args[1400];
	snprintf(key, sizeof(key), "%s/client.key", tmpdir);
	snprintf(cert, sizeof(cert), "%s/client.pem", tmpdir);
	snprintf(out, sizeof(out), "%s/s_client.out", tmpdir);
	FILE *f = fopen(key, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, client_id.key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	X509 *x = tls_self_signed_cert(&client_id, err);
	assert_int_equal(tls_cert_write_pem(x, cert, err), 0);
	X509_free(x);
	int accepted;

	/* The right client: handshake completes, ALPN and TLS 1.3 shown. */
	snprintf(args, sizeof(args), "-cert '%s' -key '%s' -alpn pp-link/1", cert, key);
	assert_int_equal(s_client_against_server(args, &accepted, out), 0);
	assert_true(accepted);
	assert_true(file_contains(out, "ALPN protocol: pp-link/1"));
	assert_true(file_contains(out, "TLSv1.3"));
	assert_true(file_contains(out, server_id.id));

	/* Without -alpn: refused. */
	snprintf(args, sizeof(args), "-cert '%s' -key '%s'", cert, key);
	s_client_against_server(args, &accepted, out);
	assert_false(accepted);
	assert_true(file_contains(out, "no application protocol"));

	/* Wrong ALPN. */
	snprintf(args, sizeof(args), "-cert '%s' -key '%s' -alpn h2", cert, key);
	s_client_against_server(args, &accepted, out);
	assert_false(accepted);

	/* TLS 1.2. */
	snprintf(args, sizeof(args), "-cert '%s' -key '%s' -alpn pp-link/1 -tls1_2", cert, key);
	assert_int_not_equal(s_client_against_server(args, &accepted, out), 0);
	assert_false(accepted);

	/* No client certificate: "alert certificate required". */
	s_client_against_server("-alpn pp-link/1", &accepted, out);
	assert_false(accepted);
	assert_true(file_contains(out, "certificate required"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(certificate_profile),
		cmocka_unit_test(cert_id_refuses_other_key_types),
		cmocka_unit_test(mutual_handshake_and_ids),
		cmocka_unit_test(alpn_mismatch_fails),
		cmocka_unit_test(no_alpn_fails),
		cmocka_unit_test(tls12_client_fails),
		cmocka_unit_test(client_without_certificate_fails),
		cmocka_unit_test(client_with_rsa_or_p256_certificate_fails),
		cmocka_unit_test(client_refuses_a_non_ed25519_server),
		cmocka_unit_test(client_notices_a_server_ignoring_alpn),
		cmocka_unit_test(bad_alpn_argument_is_refused),
		cmocka_unit_test(openssl_s_client_checks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
