/* capture/tls: hello recognition and SNI on whole, split and broken input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "paramedic/capture/tls.h"

#include <string.h>

/* A ClientHello with one extension before server_name. */
static size_t hello(uint8_t *b, const char *name)
{
	size_t nlen = strlen(name), n = 0;
	size_t ext = 4 + 2 + (4 + 5 + nlen);
	size_t body = 2 + 32 + 1 + 4 + 2 + 2 + ext;
	b[n++] = 22; b[n++] = 3; b[n++] = 1;
	b[n++] = (uint8_t)((body + 4) >> 8); b[n++] = (uint8_t)(body + 4);
	b[n++] = 1; b[n++] = 0; b[n++] = (uint8_t)(body >> 8); b[n++] = (uint8_t)body;
	b[n++] = 3; b[n++] = 3;
	memset(b + n, 7, 32); n += 32;
	b[n++] = 0;
	b[n++] = 0; b[n++] = 2; b[n++] = 0x13; b[n++] = 0x02;
	b[n++] = 1; b[n++] = 0;
	b[n++] = (uint8_t)(ext >> 8); b[n++] = (uint8_t)ext;
	b[n++] = 0; b[n++] = 0x0b; b[n++] = 0; b[n++] = 2; b[n++] = 1; b[n++] = 0; /* ec_point_formats */
	b[n++] = 0; b[n++] = 0; b[n++] = 0; b[n++] = (uint8_t)(nlen + 5);
	b[n++] = 0; b[n++] = (uint8_t)(nlen + 3); b[n++] = 0; b[n++] = 0; b[n++] = (uint8_t)nlen;
	memcpy(b + n, name, nlen);
	return n + nlen;
}

static void client_hello_with_sni(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = hello(b, "api.example.test");
	char sni[64];
	int done;
	assert_int_equal(tls_parse_hello(b, n, sni, sizeof(sni), &done), TLS_HELLO_CLIENT);
	assert_true(done);
	assert_string_equal(sni, "api.example.test");
	/* every prefix: a hello once 6 bytes are there, the SNI settled only at the end */
	for (size_t k = 0; k < n; k++) {
		enum tls_hello h = tls_parse_hello(b, k, sni, sizeof(sni), &done);
		assert_int_equal(h, k < 6 ? TLS_HELLO_NEED_MORE : TLS_HELLO_CLIENT);
		if (k >= 6)
			assert_false(done);
	}
	/* a small SNI buffer truncates, never overflows */
	char tiny[5];
	tls_parse_hello(b, n, tiny, sizeof(tiny), &done);
	assert_string_equal(tiny, "api.");
}

static void server_hello_and_not_tls(void **state)
{
	(void)state;
	const uint8_t sh[] = {22, 3, 3, 0, 50, 2};
	const uint8_t http[] = "GET / HTTP/1.1\r\n";
	const uint8_t appdata[] = {23, 3, 3, 0, 50, 1};
	const uint8_t sslv2ish[] = {22, 2, 0, 0, 50, 1};
	char sni[64];
	int done;
	assert_int_equal(tls_parse_hello(sh, sizeof(sh), sni, sizeof(sni), &done), TLS_HELLO_SERVER);
	assert_int_equal(tls_parse_hello(http, 16, sni, sizeof(sni), &done), TLS_HELLO_NOT_TLS);
	assert_int_equal(tls_parse_hello(appdata, 6, sni, sizeof(sni), &done), TLS_HELLO_NOT_TLS);
	assert_int_equal(tls_parse_hello(sslv2ish, 6, sni, sizeof(sni), &done), TLS_HELLO_NOT_TLS);
}

static void broken_lengths_settle_without_sni(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = hello(b, "x.test");
	char sni[64];
	int done;
	b[n - 6 - 1] = 200; /* name length beyond its extension */
	assert_int_equal(tls_parse_hello(b, n, sni, sizeof(sni), &done), TLS_HELLO_CLIENT);
	assert_true(done);
	assert_string_equal(sni, "");
	n = hello(b, "x.test");
	b[9 + 2 + 32 + 1 + 4 + 2] = 0xff; /* extensions length beyond the body */
	assert_int_equal(tls_parse_hello(b, n, sni, sizeof(sni), &done), TLS_HELLO_CLIENT);
	assert_true(done);
	assert_string_equal(sni, "");
	n = hello(b, "x.test");
	b[9 + 2 + 32] = 250; /* session id longer than everything */
	assert_int_equal(tls_parse_hello(b, n, sni, sizeof(sni), &done), TLS_HELLO_CLIENT);
	assert_true(done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_hello_with_sni),
		cmocka_unit_test(server_hello_and_not_tls),
		cmocka_unit_test(broken_lengths_settle_without_sni),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
