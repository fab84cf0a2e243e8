/* toml: the API (lookup, order, lines, scalars) and the errors a user of a
 * config file would make. Full TOML 1.0 conformance is tests/toml_conformance.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/errbuf.h"
#include "lib/toml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct toml_value *parse_ok(const char *text)
{
	char err[ERRBUF_LEN] = "";
	struct toml_value *root = toml_parse(text, strlen(text), err);
	if (root == NULL)
		fail_msg("unexpected error: %s", err);
	return root;
}

/* Parses text, expects a failure whose message is exactly `want`. */
static void assert_parse_error(const char *text, const char *want)
{
	char err[ERRBUF_LEN] = "";
	struct toml_value *root = toml_parse(text, strlen(text), err);
	if (root != NULL) {
		toml_free(root);
		fail_msg("accepted: %s", text);
	}
	assert_string_equal(err, want);
}

static void lookup_order_and_lines(void **state)
{
	(void)state;
	struct toml_value *root = parse_ok("# reflector\n"
	                                   "top = 1\n"
	                                   "\n"
	                                   "[network]\n"
	                                   "listen_address = \"0.0.0.0:4000\"\n"
	                                   "max_connections = 256\n"
	                                   "alpn = 'pp-link/1'\n"
	                                   "[quotas]\n"
	                                   "cooldown_sec = 5\n");
	assert_int_equal(toml_kind(root), TOML_TABLE);
	assert_int_equal(toml_count(root), 3);
	assert_string_equal(toml_key_at(root, 0, NULL), "top");
	assert_string_equal(toml_key_at(root, 1, NULL), "network");
	assert_string_equal(toml_key_at(root, 2, NULL), "quotas");
	assert_null(toml_key_at(root, 3, NULL));

	const struct toml_value *net = toml_get(root, "network");
	assert_non_null(net);
	assert_int_equal(toml_line(net), 4);
	assert_string_equal(toml_key_at(net, 0, NULL), "listen_address");
	assert_string_equal(toml_key_at(net, 2, NULL), "alpn");
	const struct toml_value *addr = toml_get(net, "listen_address");
	assert_int_equal(toml_kind(addr), TOML_STRING);
	assert_int_equal(toml_line(addr), 5);
	size_t len;
	assert_string_equal(toml_string(addr, &len), "0.0.0.0:4000");
	assert_int_equal(len, 12);
	assert_int_equal(toml_int(toml_get(net, "max_connections")), 256);
	assert_int_equal(toml_line(toml_get(net, "max_connections")), 6);
	assert_int_equal(toml_line(toml_get(toml_get(root, "quotas"), "cooldown_sec")), 9);
	assert_null(toml_get(net, "nope"));
	assert_null(toml_get(addr, "x")); /* not a table */
	/* Wrong-kind accessors give zero values, never crash. */
	assert_int_equal(toml_int(addr), 0);
	assert_null(toml_datetime(addr));
	assert_int_equal(toml_count(addr), 0);
	toml_free(root);
}

static void scalar_kinds(void **state)
{
	(void)state;
	struct toml_value *root =
	    parse_ok("hex = 0xff\noct = 0o17\nbin = 0b101\nbig = 9_223_372_036_854_775_807\n"
	             "neg = -9223372036854775808\n"
	             "f = 6.25e-1\ninf = -inf\nnan = nan\nt = true\n"
	             "dt = 1979-05-27T07:32:00.5-07:00\nldt = 1979-05-27 07:32:00\n"
	             "ld = 1979-05-27\nlt = 07:32:00.123456789\n"
	             "nul = \"a\\u0000b\"\nml = \"\"\"\nx\\\n   y\"\"\"\n"
	             "peers = [\"PP-A\", \"PP-B\",\n  # comment\n]\n"
	             "pt = { x = 1, y.z = 2 }\n");
	assert_int_equal(toml_int(toml_get(root, "hex")), 255);
	assert_int_equal(toml_int(toml_get(root, "oct")), 15);
	assert_int_equal(toml_int(toml_get(root, "bin")), 5);
	assert_true(toml_int(toml_get(root, "big")) == INT64_MAX);
	assert_true(toml_int(toml_get(root, "neg")) == INT64_MIN);
	assert_true(toml_float(toml_get(root, "f")) == 0.625);
	assert_true(isinf(toml_float(toml_get(root, "inf"))) &&
	            toml_float(toml_get(root, "inf")) < 0);
	assert_true(isnan(toml_float(toml_get(root, "nan"))));
	assert_int_equal(toml_kind(toml_get(root, "t")), TOML_BOOL);
	assert_int_equal(toml_bool(toml_get(root, "t")), 1);

	const struct toml_datetime *dt = toml_datetime(toml_get(root, "dt"));
	assert_int_equal(toml_kind(toml_get(root, "dt")), TOML_DATETIME);
	assert_int_equal(dt->year, 1979);
	assert_int_equal(dt->hour, 7);
	assert_int_equal(dt->nanosecond, 500000000);
	assert_int_equal(dt->offset_min, -420);
	assert_string_equal(dt->text, "1979-05-27T07:32:00.5-07:00");
	assert_int_equal(toml_kind(toml_get(root, "ldt")), TOML_DATETIME_LOCAL);
	assert_string_equal(toml_datetime(toml_get(root, "ldt"))->text, "1979-05-27T07:32:00");
	assert_int_equal(toml_kind(toml_get(root, "ld")), TOML_DATE_LOCAL);
	assert_int_equal(toml_kind(toml_get(root, "lt")), TOML_TIME_LOCAL);
	assert_int_equal(toml_datetime(toml_get(root, "lt"))->nanosecond, 123456789);

	size_t len;
	const char *s = toml_string(toml_get(root, "nul"), &len);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "a\0b", 3);
	assert_string_equal(toml_string(toml_get(root, "ml"), NULL), "xy");

	const struct toml_value *peers = toml_get(root, "peers");
	assert_int_equal(toml_kind(peers), TOML_ARRAY);
	assert_int_equal(toml_count(peers), 2);
	assert_string_equal(toml_string(toml_at(peers, 1), NULL), "PP-B");
	assert_null(toml_at(peers, 2));
	const struct toml_value *pt = toml_get(root, "pt");
	assert_int_equal(toml_int(toml_get(toml_get(pt, "y"), "z")), 2);
	toml_free(root);
}

static void typical_mistakes_name_line_and_column(void **state)
{
	(void)state;
	assert_parse_error("a = 1\nb = \n", "2:5: expected a value");
	assert_parse_error("[network]\nlisten_address = 0.0.0.0:4000\n",
	                   "2:18: invalid value '0.0.0.0'");
	assert_parse_error("name = \"unterminated\n", "1:21: newline in a single-line string");
	assert_parse_error("x = 1 2\n", "1:7: expected a newline after the value");
	assert_parse_error("[quotas\nx = 1\n", "1:8: expected ']' to close the table header");
	assert_parse_error("level = info\n", "1:9: invalid value 'info'");
	assert_parse_error("n = 012\n", "1:5: leading zero in number '012'");
	assert_parse_error("n = 9223372036854775808\n",
	                   "1:5: integer '9223372036854775808' does not fit in 64 bits");
	assert_parse_error("d = 2023-02-29\n", "1:15: day 29 out of range for 2023-02");
	assert_parse_error("s = \"\\q\"\n", "1:7: invalid escape sequence '\\q'");
	assert_parse_error("t = {a = 1,}\n", "1:12: trailing comma in an inline table");
	assert_parse_error("= 1\n", "1:1: missing key before '='");
	assert_parse_error("a = [1, 2\n", "2:1: unterminated array");
	assert_parse_error("ok = 1\nbad = \"\xff\"\n", "2:8: invalid UTF-8");
}

static void duplicates_are_rejected(void **state)
{
	(void)state;
	assert_parse_error("a = 1\na = 2\n", "2:1: duplicate key 'a'");
	assert_parse_error("[x]\n[y]\n[x]\n", "3:4: table [x] is defined twice");
	assert_parse_error("[x]\nb.c = 1\n[x.b]\n", "3:6: table [x.b] is defined twice");
	assert_parse_error("a = {b = 1}\na.c = 2\n",
	                   "2:1: cannot add to 'a': it is already defined as a table");
	assert_parse_error("a = [1]\n[[a]]\n",
	                   "2:6: cannot make 'a' an array of tables: it is already an array");
	/* A header may define what an earlier header only implied, once. */
	struct toml_value *root = parse_ok("[a.b]\nx = 1\n[a]\ny = 2\n[[t]]\n[[t]]\nk = 3\n");
	assert_int_equal(toml_line(toml_get(root, "a")), 3);
	assert_int_equal(toml_count(toml_get(root, "t")), 2);
	assert_int_equal(toml_int(toml_get(toml_at(toml_get(root, "t"), 1), "k")), 3);
	toml_free(root);
}

static void nesting_and_size_are_bounded(void **state)
{
	(void)state;
	char text[1024];
	/* TOML_MAX_DEPTH levels are fine, one more is not. */
	size_t n = 0;
	n += (size_t)snprintf(text, sizeof(text), "a = ");
	for (int i = 0; i < TOML_MAX_DEPTH - 1; i++)
		text[n++] = '[';
	for (int i = 0; i < TOML_MAX_DEPTH - 1; i++)
		text[n++] = ']';
	text[n] = '\0';
	struct toml_value *root = parse_ok(text);
	toml_free(root);
	char err[ERRBUF_LEN];
	n = (size_t)snprintf(text, sizeof(text), "a = ");
	for (int i = 0; i < TOML_MAX_DEPTH; i++)
		text[n++] = '[';
	text[n] = '\0';
	assert_null(toml_parse(text, n, err));
	assert_string_equal(err, "1:69: nesting deeper than 64 levels");

	/* Headers count against the same depth. */
	n = 0;
	text[n++] = '[';
	for (int i = 0; i < TOML_MAX_DEPTH + 1; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%sk", i ? "." : "");
	text[n++] = ']';
	text[n] = '\0';
	assert_null(toml_parse(text, n, err));
	assert_string_equal(err, "1:132: nesting deeper than 64 levels");

	char *big = malloc(TOML_MAX_INPUT_BYTES + 1);
	assert_non_null(big);
	memset(big, '#', TOML_MAX_INPUT_BYTES + 1);
	assert_null(toml_parse(big, TOML_MAX_INPUT_BYTES + 1, err));
	assert_string_equal(err, "1:1: document larger than 1048576 bytes");
	free(big);
}

static void big_tables_find_every_key_and_every_duplicate(void **state)
{
	(void)state;
	size_t cap = 64 * 1024, n = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 0; i < 2000; i++)
		n += (size_t)snprintf(text + n, cap - n, "k%d = %d\n", i, i);
	struct toml_value *root = parse_ok(text);
	assert_int_equal(toml_count(root), 2000);
	char key[16];
	for (int i = 0; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(toml_int(toml_get(root, key)), i);
		assert_string_equal(toml_key_at(root, (size_t)i, NULL), key); /* order kept */
	}
	assert_null(toml_get(root, "k2000"));
	toml_free(root);
	n += (size_t)snprintf(text + n, cap - n, "k1234 = 0\n");
	char err[ERRBUF_LEN];
	assert_null(toml_parse(text, n, err));
	assert_string_equal(err, "2001:1: duplicate key 'k1234'");
	free(text);
}

/* Mistakes beyond the toml-test selection, each rejected with a position. */
static void more_bad_input_is_rejected(void **state)
{
	(void)state;
	const char *bad[] = {
	    "a = 1_\n",
	    "a = _1\n",
	    "a = 1__0\n",
	    "a = 0x\n",
	    "a = +0x1\n",
	    "a = 0X1F\n",
	    "a = 0o8\n",
	    "a = 1e\n",
	    "a = 1.\n",
	    "a = .5\n",
	    "a = 1._5\n",
	    "a = -01\n",
	    "a = infinity\n",
	    "a = True\n",
	    "a = 07:32\n",
	    "a = 07:32:00Z\n",
	    "a = 1979-05-27T07:32:00+24:00\n",
	    "a = 1979-13-01\n",
	    "a = 1979-05-27T\n",
	    "a = \"\\uD800\"\n",
	    "a = \"\\U00110000\"\n",
	    "a = '''x''''''\n",
	    "a = \"x\x01\"\n",
	    "# \x7f\n",
	    "a = 1\rb = 2\n",
	    "[a]\n[a.b]\n[a]\n",
	    "[[a]]\n[a]\n",
	    "a.b = 1\n[a]\n",
	    "a = {b = {c = 1}}\na.b.d = 2\n",
	    "[a.]\n",
	    "[]\n",
	    "a = [1 2]\n",
	    "a = {b = 1\n}\n",
	    "\"\"\"k\"\"\" = 1\n",
	    "k\xc3\xa9 = 1\n",
	    "a = 1 # ok\n b = \n",
	    "a = \"\"\"\n\\ x\n\"\"\"\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[ERRBUF_LEN] = "";
		struct toml_value *root = toml_parse(bad[i], strlen(bad[i]), err);
		if (root != NULL) {
			toml_free(root);
			fail_msg("accepted case %zu: %s", i, bad[i]);
		}
		int line, col;
		if (sscanf(err, "%d:%d: ", &line, &col) != 2 || line < 1 || col < 1)
			fail_msg("case %zu: error without a position: %s", i, err);
	}
}

static void empty_and_comment_only_documents(void **state)
{
	(void)state;
	struct toml_value *root = parse_ok("");
	assert_int_equal(toml_count(root), 0);
	toml_free(root);
	root = parse_ok("\xEF\xBB\xBF# only a comment\r\n\n");
	assert_int_equal(toml_count(root), 0);
	toml_free(root);
	assert_string_equal(toml_kind_name(TOML_DATETIME_LOCAL), "datetime-local");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(lookup_order_and_lines),
	    cmocka_unit_test(scalar_kinds),
	    cmocka_unit_test(typical_mistakes_name_line_and_column),
	    cmocka_unit_test(duplicates_are_rejected),
	    cmocka_unit_test(nesting_and_size_are_bounded),
	    cmocka_unit_test(big_tables_find_every_key_and_every_duplicate),
	    cmocka_unit_test(more_bad_input_is_rejected),
	    cmocka_unit_test(empty_and_comment_only_documents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
