/* frame: header encoding and every edge of the decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/frame.h"

#include <string.h>

static void header_round_trips_big_endian(void **state)
{
	(void)state;
	uint8_t buf[8];
	frame_put_header(buf, 0x01020304);
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[3], 4);
	size_t len;
	assert_int_equal(frame_parse(buf, 4, 0x7fffffff, &len), FRAME_NEED_MORE);
	assert_int_equal(len, 0x01020304);
}

static void short_header_needs_more(void **state)
{
	(void)state;
	uint8_t buf[3] = {0, 0, 0};
	size_t len = 99;
	for (size_t n = 0; n < 4; n++)
		assert_int_equal(frame_parse(buf, n < 3 ? n : 3, 100, &len), FRAME_NEED_MORE);
	assert_int_equal(len, 0);
}

static void whole_frame_is_ok_and_extra_bytes_are_left(void **state)
{
	(void)state;
	uint8_t buf[4 + 5 + 3];
	frame_put_header(buf, 5);
	memcpy(buf + 4, "hello", 5);
	size_t len;
	assert_int_equal(frame_parse(buf, 8, 100, &len), FRAME_NEED_MORE);
	assert_int_equal(len, 5);
	assert_int_equal(frame_parse(buf, 9, 100, &len), FRAME_OK);
	assert_int_equal(frame_parse(buf, sizeof(buf), 100, &len), FRAME_OK);
	assert_int_equal(len, 5);
}

static void zero_length_is_malformed(void **state)
{
	(void)state;
	uint8_t buf[4] = {0, 0, 0, 0};
	size_t len;
	assert_int_equal(frame_parse(buf, 4, 100, &len), FRAME_EMPTY);
}

static void oversize_is_refused_before_the_body_arrives(void **state)
{
	(void)state;
	uint8_t buf[4];
	size_t len;
	frame_put_header(buf, FRAME_MAX_PAYLOAD_BYTES);
	assert_int_equal(frame_parse(buf, 4, FRAME_MAX_PAYLOAD_BYTES, &len), FRAME_NEED_MORE);
	frame_put_header(buf, FRAME_MAX_PAYLOAD_BYTES + 1);
	assert_int_equal(frame_parse(buf, 4, FRAME_MAX_PAYLOAD_BYTES, &len), FRAME_TOO_BIG);
	assert_int_equal(len, FRAME_MAX_PAYLOAD_BYTES + 1);
	memset(buf, 0xff, 4);
	assert_int_equal(frame_parse(buf, 4, FRAME_MAX_PAYLOAD_BYTES, &len), FRAME_TOO_BIG);
	assert_string_equal(frame_status_name(FRAME_TOO_BIG), "frame larger than the maximum");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_round_trips_big_endian),
		cmocka_unit_test(short_header_needs_more),
		cmocka_unit_test(whole_frame_is_ok_and_extra_bytes_are_left),
		cmocka_unit_test(zero_length_is_malformed),
		cmocka_unit_test(oversize_is_refused_before_the_body_arrives),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
