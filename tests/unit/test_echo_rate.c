/* echo_rate: the UDP echo engine's token bucket on made-up clocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reflector/echo_rate.h"

#define SEC 1000000000LL

static int take_n(struct echo_rate *r, int n, int64_t now_ns)
{
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += echo_rate_take(r, now_ns);
	return ok;
}

static void burst_is_one_second_worth(void **state)
{
	(void)state;
	struct echo_rate r;
	echo_rate_init(&r, 1000, 5 * SEC);
	assert_int_equal(take_n(&r, 5000, 5 * SEC), 1000);
}

static void refills_at_the_rate(void **state)
{
	(void)state;
	struct echo_rate r;
	echo_rate_init(&r, 1000, 0);
	assert_int_equal(take_n(&r, 1000, 0), 1000);
	assert_false(echo_rate_take(&r, 0));
	assert_false(echo_rate_take(&r, 999999)); /* 0.999 of a token */
	assert_true(echo_rate_take(&r, 1000000));  /* 1 ms = 1 token */
	assert_int_equal(take_n(&r, 100, SEC / 10 + 1000000), 100); /* 100 ms later */
	assert_false(echo_rate_take(&r, SEC / 10 + 1000000));
}

static void idle_time_never_exceeds_the_burst(void **state)
{
	(void)state;
	struct echo_rate r;
	echo_rate_init(&r, 10, 0);
	assert_int_equal(take_n(&r, 10, 0), 10);
	assert_int_equal(take_n(&r, 100, 3600 * SEC), 10); /* an hour idle: still 10 */
}

static void a_steady_sender_gets_exactly_the_rate(void **state)
{
	(void)state;
	struct echo_rate r;
	echo_rate_init(&r, 1000, 0);
	take_n(&r, 1000, 0); /* empty the burst */
	/* 4000 packets/s for 10 s, against 1000/s: 10 000 pass. */
	int ok = 0;
	for (int64_t t = 1; t <= 40000; t++)
		ok += echo_rate_take(&r, t * SEC / 4000);
	assert_int_equal(ok, 10000);
}

static void zero_is_unlimited_and_clock_steps_back_are_harmless(void **state)
{
	(void)state;
	struct echo_rate r;
	echo_rate_init(&r, 0, 0);
	assert_int_equal(take_n(&r, 100000, 0), 100000);
	echo_rate_init(&r, 5, 10 * SEC);
	assert_int_equal(take_n(&r, 10, 10 * SEC), 5);
	assert_false(echo_rate_take(&r, 1 * SEC)); /* backwards: no refill */
	assert_true(echo_rate_take(&r, 10 * SEC + SEC / 5));
}

static void the_largest_rate_does_not_overflow(void **state)
{
	(void)state;
	struct echo_rate r;
	echo_rate_init(&r, UINT32_MAX, 0);
	assert_true(echo_rate_take(&r, 0));
	assert_true(echo_rate_take(&r, INT64_MAX));
	assert_true(echo_rate_take(&r, INT64_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_is_one_second_worth),
		cmocka_unit_test(refills_at_the_rate),
		cmocka_unit_test(idle_time_never_exceeds_the_burst),
		cmocka_unit_test(a_steady_sender_gets_exactly_the_rate),
		cmocka_unit_test(zero_is_unlimited_and_clock_steps_back_are_harmless),
		cmocka_unit_test(the_largest_rate_does_not_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
