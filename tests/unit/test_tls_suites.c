/* tls_suites: the ranking by speed, the measured order on this machine, and
 * that a handshake picks the server's first suite whatever the client's
 * order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/tls.h"
#include "core/tls_suites.h"
#include "lib/errbuf.h"
#include "tls_pair.h"

#include <string.h>

/* Speeds in the order of tls_suite_names(): AES-256, ChaCha20, AES-128. */
static const struct {
	const char *why;
	double speed[TLS_SUITES_COUNT];
	const char *order;
} rankings[] = {
    {"ChaCha20 fastest", {2.8e9, 4.3e9, 3.9e9},
     "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"},
    {"AES fastest", {9e9, 4e9, 8e9},
     "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"},
    {"nothing measured: OpenSSL's default order", {0, 0, 0},
     "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"},
    {"unmeasured last, a tie in the default order", {0, 1e9, 1e9},
     "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"},
};

static void ranks_fastest_first(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rankings) / sizeof(rankings[0]); i++) {
		char out[128];
		tls_suites_rank(rankings[i].speed, out, sizeof(out));
		if (strcmp(out, rankings[i].order) != 0)
			fail_msg("%s: got %s, want %s", rankings[i].why, out, rankings[i].order);
	}
}

static void the_measured_order_names_every_suite_once(void **state)
{
	(void)state;
	const char *order = tls_suites_by_speed();
	assert_ptr_equal(order, tls_suites_by_speed()); /* measured once */
	const char *const *names = tls_suite_names();
	size_t total = 0;
	for (size_t i = 0; i < TLS_SUITES_COUNT; i++) {
		const char *at = strstr(order, names[i]);
		assert_non_null(at);
		assert_null(strstr(at + 1, names[i]));
		total += strlen(names[i]);
	}
	assert_int_equal(strlen(order), total + TLS_SUITES_COUNT - 1);
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	assert_int_equal(SSL_CTX_set_ciphersuites(ctx, order), 1);
	SSL_CTX_free(ctx);
}

/* The reflector's first suite wins even when the client prefers another. */
static void the_server_order_decides(void **state)
{
	(void)state;
	uint8_t s[32], c[32];
	memset(s, 0x53, sizeof(s));
	memset(c, 0xc3, sizeof(c));
	char err[ERRBUF_LEN];
	struct identity sid, cid;
	assert_int_equal(identity_from_secret(s, &sid, err), 0);
	assert_int_equal(identity_from_secret(c, &cid, err), 0);
	SSL_CTX *sctx = tls_server_ctx_new(&sid, PP_ALPN_DEFAULT, err);
	SSL_CTX *cctx = tls_client_ctx_new(&cid, PP_ALPN_DEFAULT, err);
	assert_non_null(sctx);
	assert_non_null(cctx);
	const char *server_first = tls_suites_by_speed();
	char first[64];
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(server_first, ":"), server_first);
	/* the client lists the server's first suite last */
	char client_order[160] = "";
	const char *const *names = tls_suite_names();
	for (size_t i = 0; i < TLS_SUITES_COUNT; i++)
		if (strcmp(names[i], first) != 0)
			snprintf(client_order + strlen(client_order), sizeof(client_order) - strlen(client_order),
			         "%s:", names[i]);
	snprintf(client_order + strlen(client_order), sizeof(client_order) - strlen(client_order), "%s",
	         first);
	assert_int_equal(SSL_CTX_set_ciphersuites(cctx, client_order), 1);

	struct tls_pair pair;
	tls_pair_handshake(sctx, cctx, &pair);
	assert_true(pair.server_state == HS_DONE && pair.client_state == HS_DONE);
	assert_string_equal(SSL_CIPHER_standard_name(SSL_get_current_cipher(pair.client)), first);
	tls_pair_free(&pair);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	identity_free(&sid);
	identity_free(&cid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ranks_fastest_first),
	    cmocka_unit_test(the_measured_order_names_every_suite_once),
	    cmocka_unit_test(the_server_order_decides),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
