/* argv: a flag taken out wherever it stands; a request for help found. */
#include "cmocka_all.h"

#include "lib/argv.h"

static void takes_every_occurrence_and_keeps_order(void **state)
{
	(void)state;
	char *v[] = {"prog", "--json", "status", "x", "--json", "y", NULL};
	int argc = 6;
	assert_true(argv_take_flag(&argc, v, "--json"));
	assert_int_equal(argc, 4);
	assert_string_equal(v[0], "prog");
	assert_string_equal(v[1], "status");
	assert_string_equal(v[2], "x");
	assert_string_equal(v[3], "y");
	assert_null(v[4]);
	assert_false(argv_take_flag(&argc, v, "--json"));
	assert_int_equal(argc, 4);
}

static void never_takes_the_program_name(void **state)
{
	(void)state;
	char *v[] = {"--json", NULL};
	int argc = 1;
	assert_false(argv_take_flag(&argc, v, "--json"));
	assert_int_equal(argc, 1);
}

static void help_is_found_before_a_double_dash_only(void **state)
{
	(void)state;
	char *a[] = {"latency", "host", "--help", NULL};
	char *b[] = {"latency", "-h", NULL};
	char *c[] = {"pair", "--", "--help", NULL};
	char *d[] = {"--help", "host", NULL}; /* argv[0] is the command itself */
	char *e[] = {"hello", "--helper", NULL};
	assert_true(argv_wants_help(3, a));
	assert_true(argv_wants_help(2, b));
	assert_false(argv_wants_help(3, c));
	assert_false(argv_wants_help(2, d));
	assert_false(argv_wants_help(2, e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(takes_every_occurrence_and_keeps_order),
		cmocka_unit_test(never_takes_the_program_name),
		cmocka_unit_test(help_is_found_before_a_double_dash_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
