/* crockford: Base32 vectors, the forgiving decoder, Luhn mod 32.
 * Vectors computed independently with a python3 one-off (big-integer
 * encoding of the bytes, left-shifted to a multiple of 5 bits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/crockford.h"
#include "lib/errbuf.h"

#include <string.h>

static const struct {
	const char *bytes;
	size_t len;
	const char *text;
} vectors[] = {
	{"", 0, ""},
	{"f", 1, "CR"},
	{"fo", 2, "CSQG"},
	{"foo", 3, "CSQPY"},
	{"foob", 4, "CSQPYRG"},
	{"fooba", 5, "CSQPYRK1"},
	{"foobar", 6, "CSQPYRK1E8"},
	{"\xff", 1, "ZW"},
	{"\0\0\0\0\0", 5, "00000000"},
	{"\0\1\2\3\4\5\6\7\10\11", 10, "000G40R40M30E209"},
};

static void encodes_known_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		char out[64];
		size_t n = crockford_encode((const uint8_t *)vectors[i].bytes, vectors[i].len, out,
		                            sizeof(out));
		assert_string_equal(out, vectors[i].text);
		assert_int_equal(n, strlen(vectors[i].text));
		assert_int_equal(crockford_encoded_len(vectors[i].len), n);
	}
	assert_int_equal(crockford_encoded_len(32), 52);
}

static void decodes_known_vectors_round_trip(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		uint8_t out[16];
		size_t n = 99;
		assert_int_equal(crockford_decode(vectors[i].text, strlen(vectors[i].text), out,
		                                  sizeof(out), &n, err),
		                 0);
		assert_int_equal(n, vectors[i].len);
		assert_memory_equal(out, vectors[i].bytes, n);
	}
}

static void encode_refuses_a_small_buffer(void **state)
{
	(void)state;
	char out[11];
	assert_int_equal(crockford_encode((const uint8_t *)"foobar", 6, out, 10), 0);
	assert_string_equal(out, "");
	assert_int_equal(crockford_encode((const uint8_t *)"foobar", 6, out, 11), 10);
	assert_string_equal(out, "CSQPYRK1E8");
}

static void decoder_accepts_case_aliases_and_hyphens(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	uint8_t out[16];
	size_t n;
	assert_int_equal(crockford_decode("csqp-yrk1-e8", 12, out, sizeof(out), &n, err), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
	/* "0001" spelled with O and l: 0x00 0x01 after 20 bits -> 2 bytes + 4 pad. */
	uint8_t a[4], b[4];
	size_t na, nb;
	assert_int_equal(crockford_decode("00G0", 4, a, sizeof(a), &na, err), 0);
	assert_int_equal(crockford_decode("oOgo", 4, b, sizeof(b), &nb, err), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	assert_int_equal(crockford_value('I'), 1);
	assert_int_equal(crockford_value('i'), 1);
	assert_int_equal(crockford_value('L'), 1);
	assert_int_equal(crockford_value('l'), 1);
	assert_int_equal(crockford_value('o'), 0);
	assert_int_equal(crockford_value('z'), 31);
}

static void decoder_rejects_bad_input(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	uint8_t out[16];
	size_t n;
	assert_int_equal(crockford_decode("CSQU", 4, out, sizeof(out), &n, err), -1);
	assert_non_null(strstr(err, "'U' at position 4"));
	assert_int_equal(crockford_decode("CS Q", 4, out, sizeof(out), &n, err), -1);
	assert_int_equal(crockford_decode("CS\0Q", 4, out, sizeof(out), &n, err), -1);
	assert_non_null(strstr(err, "0x00"));
	assert_int_equal(crockford_decode("C\xc3\xa9", 3, out, sizeof(out), &n, err), -1);
	assert_int_equal(crockford_value('U'), -1);
	assert_int_equal(crockford_value('-'), -1);
	assert_int_equal(crockford_value('\0'), -1);
	assert_int_equal(crockford_value('*'), -1);
	/* 1 and 3 symbols leave 5 and 7 bits: no encoder writes that. */
	assert_int_equal(crockford_decode("C", 1, out, sizeof(out), &n, err), -1);
	assert_non_null(strstr(err, "not a possible encoded length"));
	assert_int_equal(crockford_decode("CSQ", 3, out, sizeof(out), &n, err), -1);
	/* "CS" = 01100 11001: the 2 pad bits must be 0 ("CR" is canonical). */
	assert_int_equal(crockford_decode("CS", 2, out, sizeof(out), &n, err), -1);
	assert_non_null(strstr(err, "padding"));
	/* Output bound. */
	assert_int_equal(crockford_decode("CSQPYRK1E8", 10, out, 5, &n, err), -1);
	assert_non_null(strstr(err, "more than 5 bytes"));
}

static void luhn_check_characters(void **state)
{
	(void)state;
	assert_int_equal(luhn32_check_char("0", 1), '0');
	assert_int_equal(luhn32_check_char("1", 1), 'Y');
	assert_int_equal(luhn32_check_char("Z", 1), '1');
	assert_int_equal(luhn32_check_char("10", 2), 'Z');
	assert_int_equal(luhn32_check_char("7", 1), 'J');
	assert_int_equal(luhn32_check_char("ABC", 3), '9');
	assert_int_equal(luhn32_check_char("abc", 3), '9');
	assert_int_equal(luhn32_check_char("AUC", 3), '\0');
	assert_true(luhn32_validate("ABC9", 4));
	assert_true(luhn32_validate("1Y", 2));
	assert_false(luhn32_validate("ABC8", 4));
	assert_false(luhn32_validate("BAC9", 4)); /* swapped neighbours */
	assert_false(luhn32_validate("9", 1));
	assert_false(luhn32_validate("AB-9", 4));
}

static void luhn_catches_every_single_substitution(void **state)
{
	(void)state;
	char s[] = "000G40R40M30E209185GR38E1W8124GK2GAHC5RR34D1P70X3RFG1";
	size_t len = strlen(s);
	assert_true(luhn32_validate(s, len));
	for (size_t i = 0; i < len; i++) {
		char orig = s[i];
		for (const char *a = CROCKFORD_ALPHABET; *a; a++) {
			if (*a == orig)
				continue;
			s[i] = *a;
			assert_false(luhn32_validate(s, len));
		}
		s[i] = orig;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encodes_known_vectors),
		cmocka_unit_test(decodes_known_vectors_round_trip),
		cmocka_unit_test(encode_refuses_a_small_buffer),
		cmocka_unit_test(decoder_accepts_case_aliases_and_hyphens),
		cmocka_unit_test(decoder_rejects_bad_input),
		cmocka_unit_test(luhn_check_characters),
		cmocka_unit_test(luhn_catches_every_single_substitution),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
