/* probe: the PPRB header and PPT1 prefix byte for byte, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/probe.h"

#include <string.h>

static void encode_lays_out_the_documented_bytes(void **state)
{
	(void)state;
	uint8_t buf[64];
	memset(buf, 0xee, sizeof(buf));
	struct probe_header h = {.seq = 0x0102030405060708ULL, .client_send_ns = 42};
	assert_int_equal(probe_encode(buf, sizeof(buf), &h), 0);
	static const uint8_t want[48] = {
	    'P', 'P', 'R', 'B', 1, 0, 0, 48, /* magic, version, flags, header length */
	    1, 2, 3, 4, 5, 6, 7, 8,           /* sequence */
	    0, 0, 0, 0, 0, 0, 0, 42,          /* client send time */
	};
	assert_memory_equal(buf, want, 48);
	assert_int_equal(buf[48], 0xee); /* padding is the caller's */
}

static void decode_round_trips_every_field(void **state)
{
	(void)state;
	uint8_t buf[48];
	struct probe_header in = {.flags = PROBE_FLAG_REPLY,
	                          .seq = UINT64_MAX,
	                          .client_send_ns = 1,
	                          .server_recv_ns = 1700000000123456789ULL,
	                          .server_send_ns = 1700000000123459999ULL,
	                          .server_rx_count = 7};
	assert_int_equal(probe_encode(buf, sizeof(buf), &in), 0);
	struct probe_header out;
	assert_int_equal(probe_decode(buf, sizeof(buf), &out), 1);
	assert_int_equal(out.flags, PROBE_FLAG_REPLY);
	assert_true(out.seq == UINT64_MAX);
	assert_true(out.client_send_ns == 1);
	assert_true(out.server_recv_ns == in.server_recv_ns);
	assert_true(out.server_send_ns == in.server_send_ns);
	assert_true(out.server_rx_count == 7);
}

static void short_wrong_magic_or_version_is_not_a_probe(void **state)
{
	(void)state;
	uint8_t buf[48];
	struct probe_header h = {.seq = 1};
	assert_int_equal(probe_encode(buf, 47, &h), -1);
	assert_int_equal(probe_encode(buf, sizeof(buf), &h), 0);
	for (size_t n = 0; n < 48; n++)
		assert_int_equal(probe_decode(buf, n, NULL), 0);
	assert_int_equal(probe_decode(NULL, 48, NULL), 0);
	buf[4] = 2; /* version 2 */
	assert_int_equal(probe_decode(buf, 48, NULL), 0);
	buf[4] = 1;
	buf[3] = 'X';
	assert_int_equal(probe_decode(buf, 48, NULL), 0);
	/* The header-length field is informative: a probe is magic+version+48. */
	buf[3] = 'B';
	buf[7] = 200;
	assert_int_equal(probe_decode(buf, 48, NULL), 1);
}

static void stamping_fills_only_the_reflector_fields(void **state)
{
	(void)state;
	uint8_t buf[100], before[100];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	struct probe_header h = {.seq = 9, .client_send_ns = 123};
	assert_int_equal(probe_encode(buf, sizeof(buf), &h), 0);
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(probe_stamp_received(buf, sizeof(buf), 1000, 3), 1);
	assert_int_equal(probe_stamp_sent(buf, sizeof(buf), 2000), 1);
	struct probe_header out;
	assert_int_equal(probe_decode(buf, sizeof(buf), &out), 1);
	assert_int_equal(out.flags, PROBE_FLAG_REPLY);
	assert_true(out.seq == 9 && out.client_send_ns == 123);
	assert_true(out.server_recv_ns == 1000 && out.server_send_ns == 2000);
	assert_true(out.server_rx_count == 3);
	/* Everything but bytes 5 and 24..47 is as the client sent it. */
	assert_memory_equal(buf, before, 5);
	assert_memory_equal(buf + 6, before + 6, 18);
	assert_memory_equal(buf + 48, before + 48, sizeof(buf) - 48);
}

static void stamping_leaves_a_non_probe_untouched(void **state)
{
	(void)state;
	uint8_t buf[60], before[60];
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "PPRB", 4);
	buf[4] = 9; /* unknown version: echoed byte for byte */
	memcpy(before, buf, sizeof(buf));
	assert_int_equal(probe_stamp_received(buf, sizeof(buf), 1, 1), 0);
	assert_int_equal(probe_stamp_sent(buf, sizeof(buf), 1), 0);
	assert_memory_equal(buf, before, sizeof(buf));
	buf[4] = 1;
	assert_int_equal(probe_stamp_received(buf, 47, 1, 1), 0); /* too short */
	buf[4] = 9;
	assert_memory_equal(buf, before, sizeof(buf));
}

static void tunnel_prefix_round_trips_and_rejects_bad_input(void **state)
{
	(void)state;
	uint8_t token[16], got[16], buf[32];
	for (int i = 0; i < 16; i++)
		token[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(probe_tunnel_put(buf, 19, token), -1);
	assert_int_equal(probe_tunnel_put(buf, sizeof(buf), token), 0);
	assert_memory_equal(buf, "PPT1", 4);
	assert_memory_equal(buf + 4, token, 16);
	assert_int_equal(probe_tunnel_parse(buf, 20, got), 0); /* empty inner datagram */
	assert_memory_equal(got, token, 16);
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(probe_tunnel_parse(buf, n, got), -1);
	buf[3] = '2';
	assert_int_equal(probe_tunnel_parse(buf, sizeof(buf), got), -1);
	assert_int_equal(probe_tunnel_parse(NULL, 20, got), -1);
}

static void uuid_text_round_trips(void **state)
{
	(void)state;
	uint8_t b[16];
	char text[37];
	assert_int_equal(probe_uuid_parse("0F1E2D3C-4b5a-6978-8796-a5b4c3d2e1f0", b), 0);
	assert_int_equal(b[0], 0x0f);
	assert_int_equal(b[15], 0xf0);
	probe_uuid_format(b, text);
	assert_string_equal(text, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
}

static void uuid_bad_text_is_refused(void **state)
{
	(void)state;
	static const char *bad[] = {
	    "",
	    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f",   /* 35 */
	    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f00", /* 37 */
	    "0f1e2d3c4b5a-6978-8796-a5b4c3d2e1f0f",  /* dash moved */
	    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1g0",  /* not hex */
	    "0f1e2d3c-4b5a-6978-8796_a5b4c3d2e1f0",  /* wrong separator */
	    "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f\n",
	};
	uint8_t b[16];
	memset(b, 0x55, sizeof(b));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(probe_uuid_parse(bad[i], b), -1);
	assert_int_equal(probe_uuid_parse(NULL, b), -1);
	assert_int_equal(b[0], 0x55); /* untouched on failure */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_lays_out_the_documented_bytes),
		cmocka_unit_test(decode_round_trips_every_field),
		cmocka_unit_test(short_wrong_magic_or_version_is_not_a_probe),
		cmocka_unit_test(stamping_fills_only_the_reflector_fields),
		cmocka_unit_test(stamping_leaves_a_non_probe_untouched),
		cmocka_unit_test(tunnel_prefix_round_trips_and_rejects_bad_input),
		cmocka_unit_test(uuid_text_round_trips),
		cmocka_unit_test(uuid_bad_text_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
