/* governance: every deny reason, their precedence, retry_after at the
 * boundaries, clamping and defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "reflector/governance.h"

#include <string.h>

/* 2026-11-22T05:00:00Z */
#define T0 ((int64_t)1795323600 * 1000)
#define HOUR_MS ((int64_t)3600 * 1000)

/* The seed's simulation config (section 2.1). */
static struct gov_policy seed_policy(void)
{
	struct gov_policy p = {
		.max_test_duration_sec = 30,
		.max_concurrent_tests = 1,
		.max_tests_per_hour_per_peer = 10,
		.max_bytes_per_day_per_peer = 1000000000,
		.cooldown_sec = 2,
		.allow_udp_echo = true,
		.allow_throughput = true,
		.default_streams = 2,
		.max_streams = 4,
		.throughput_available = true,
	};
	return p;
}

static struct gov_request udp_echo(void)
{
	struct gov_request r = {.test_type = GOV_TEST_UDP_ECHO};
	return r;
}

static struct gov_request throughput(void)
{
	struct gov_request r = {.test_type = GOV_TEST_THROUGHPUT};
	return r;
}

static struct usage_view no_usage(void)
{
	struct usage_view u = {.last_test_ms = -1, .bytes_day = usage_utc_day(T0)};
	return u;
}

static struct gov_decision decide(const struct gov_policy *p, const struct gov_request *r,
                                  uint32_t active, const struct usage_view *u, int64_t now)
{
	struct gov_decision d;
	gov_decide(p, true, r, active, 0, u, now, &d);
	return d;
}

static void grants_with_defaults(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	struct gov_request r = udp_echo();
	struct gov_decision d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_GRANTED);
	assert_int_equal(d.duration_sec, 30); /* absent = max */
	assert_int_equal(d.streams, 0);       /* not a stream test */
	assert_int_equal(d.retry_after_sec, GOV_RETRY_NULL);

	r = throughput();
	r.protocol = GOV_PROTO_UDP;
	r.reverse = true;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_GRANTED);
	assert_int_equal(d.streams, 2); /* default_streams */
	assert_int_equal(d.protocol, GOV_PROTO_UDP);
	assert_true(d.reverse);
}

static void clamps_duration_and_keeps_valid_values(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	struct gov_request r = throughput();
	r.has_duration = true;
	r.duration_sec = 100;
	r.has_streams = true;
	r.streams = 4;
	struct gov_decision d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_GRANTED);
	assert_int_equal(d.duration_sec, 30);
	assert_int_equal(d.streams, 4);

	r.duration_sec = 10;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.duration_sec, 10);
	r.duration_sec = 1;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.duration_sec, 1);
	r.duration_sec = 0; /* 0 means "as long as allowed" */
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_GRANTED);
	assert_int_equal(d.duration_sec, 30);
}

static void expiry_is_duration_plus_grace(void **state)
{
	(void)state;
	assert_int_equal(GOV_GRACE_SEC, 5);
	assert_int_equal(gov_expires_at_ms(T0, 10), T0 + 15000);
	assert_int_equal(gov_expires_at_ms(T0 + 1, 30), T0 + 35001);
}

static void unauthorized_beats_everything(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	p.allow_udp_echo = false;
	struct gov_request r = udp_echo();
	r.has_duration = true;
	r.duration_sec = -5;
	struct usage_view u = no_usage();
	u.last_test_ms = T0 - 1;
	u.bytes_today = 2000000000;
	struct gov_decision d;
	gov_decide(&p, false, &r, 5, 0, &u, T0, &d);
	assert_int_equal(d.reason, GOV_DENY_UNAUTHORIZED);
	assert_string_equal(gov_reason_name(d.reason), "unauthorized");
	assert_int_equal(d.retry_after_sec, GOV_RETRY_NULL);
	assert_non_null(strstr(d.message, "not authorized"));
}

static void invalid_params_each_case(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	struct gov_request r = udp_echo();
	struct gov_decision d;

	p.allow_udp_echo = false;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_INVALID_PARAMS);
	assert_string_equal(d.limit_key, "allow_udp_echo");
	assert_int_equal(d.retry_after_sec, GOV_RETRY_NULL);
	p = seed_policy();

	r = throughput();
	p.allow_throughput = false;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_INVALID_PARAMS);
	assert_string_equal(d.limit_key, "allow_throughput");
	p = seed_policy();

	p.throughput_available = false;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_INVALID_PARAMS);
	assert_non_null(strstr(d.message, "iperf3 was not found"));
	r = udp_echo(); /* the rest still works without iperf3 */
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_GRANTED);
	p = seed_policy();

	/* UDP throughput cannot be tunneled; TCP can, and direct UDP can. */
	p.tunneled = true;
	r = throughput();
	r.protocol = GOV_PROTO_UDP;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_INVALID_PARAMS);
	assert_string_equal(d.limit_key, "protocol");
	assert_int_equal(d.retry_after_sec, GOV_RETRY_NULL);
	assert_non_null(strstr(d.message, "not tunneled"));
	r.protocol = GOV_PROTO_TCP;
	assert_int_equal(decide(&p, &r, 0, NULL, T0).reason, GOV_GRANTED);
	p.tunneled = false;
	r.protocol = GOV_PROTO_UDP;
	assert_int_equal(decide(&p, &r, 0, NULL, T0).reason, GOV_GRANTED);
	p = seed_policy();

	r = udp_echo();
	r.has_duration = true;
	r.duration_sec = -1;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_INVALID_PARAMS);
	assert_string_equal(d.limit_key, "duration_sec");
	assert_int_equal(d.current, -1);

	r = throughput();
	r.has_streams = true;
	r.streams = 0;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_INVALID_PARAMS);
	assert_string_equal(d.limit_key, "streams");
	r.streams = -3;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_INVALID_PARAMS);
	r.streams = 5;
	d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_INVALID_PARAMS);
	assert_string_equal(d.limit_key, "max_streams");
	assert_int_equal(d.current, 5);
	assert_int_equal(d.maximum, 4);
	assert_non_null(strstr(d.message, "max_streams = 4"));
}

static void invalid_params_beats_busy(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	struct gov_request r = throughput();
	r.has_streams = true;
	r.streams = 99;
	struct gov_decision d = decide(&p, &r, 1, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_INVALID_PARAMS);
}

static void busy_at_max_concurrency(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	struct gov_request r = udp_echo();
	struct gov_decision d = decide(&p, &r, 1, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_BUSY);
	assert_string_equal(gov_reason_name(d.reason), "busy");
	assert_string_equal(d.limit_key, "max_concurrent_tests");
	assert_int_equal(d.current, 1);
	assert_int_equal(d.maximum, 1);
	assert_int_equal(d.retry_after_sec, 1); /* expiry unknown */

	/* The running session expires in 12.5 s: retry in 13. */
	gov_decide(&p, true, &r, 1, T0 + 12500, NULL, T0, &d);
	assert_int_equal(d.retry_after_sec, 13);

	p.max_concurrent_tests = 2;
	d = decide(&p, &r, 1, NULL, T0);
	assert_int_equal(d.reason, GOV_GRANTED);
}

static void busy_beats_rate_limited(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	struct gov_request r = udp_echo();
	struct usage_view u = no_usage();
	u.last_test_ms = T0;
	struct gov_decision d = decide(&p, &r, 1, &u, T0 + 100);
	assert_int_equal(d.reason, GOV_DENY_BUSY);
}

static void cooldown_retry_is_rounded_up(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy(); /* cooldown_sec = 2 */
	struct gov_request r = udp_echo();
	struct usage_view u = no_usage();
	int64_t start = T0;
	int64_t t = start;
	u.test_starts_ms = &t;
	u.n_test_starts = 1;
	u.last_test_ms = start;

	struct gov_decision d = decide(&p, &r, 0, &u, start + 1999);
	assert_int_equal(d.reason, GOV_DENY_RATE_LIMITED);
	assert_string_equal(gov_reason_name(d.reason), "rate_limited");
	assert_string_equal(d.limit_key, "cooldown_sec");
	assert_int_equal(d.retry_after_sec, 1);
	assert_int_equal(d.maximum, 2);

	d = decide(&p, &r, 0, &u, start + 1000);
	assert_int_equal(d.retry_after_sec, 1);
	d = decide(&p, &r, 0, &u, start + 999);
	assert_int_equal(d.retry_after_sec, 2);
	d = decide(&p, &r, 0, &u, start);
	assert_int_equal(d.retry_after_sec, 2);
	assert_non_null(strstr(d.message, "cooldown_sec = 2"));

	d = decide(&p, &r, 0, &u, start + 2000); /* exactly when it ends */
	assert_int_equal(d.reason, GOV_GRANTED);

	/* The wall clock stepped back an hour: wait one cooldown, not an hour. */
	d = decide(&p, &r, 0, &u, start - HOUR_MS);
	assert_int_equal(d.reason, GOV_DENY_RATE_LIMITED);
	assert_int_equal(d.retry_after_sec, 2);

	p.cooldown_sec = 0;
	d = decide(&p, &r, 0, &u, start);
	assert_int_equal(d.reason, GOV_GRANTED);
}

static void hourly_count_window_slides(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	p.cooldown_sec = 0;
	struct gov_request r = udp_echo();
	int64_t starts[10];
	for (int i = 0; i < 10; i++)
		starts[i] = T0 + i * 60000; /* one a minute */
	struct usage_view u = no_usage();
	u.test_starts_ms = starts;
	u.n_test_starts = 10;
	u.last_test_ms = starts[9];

	/* retry = oldest + 3600 s - now, here exactly 1234 s. */
	int64_t now = T0 + HOUR_MS - 1234 * 1000;
	struct gov_decision d = decide(&p, &r, 0, &u, now);
	assert_int_equal(d.reason, GOV_DENY_RATE_LIMITED);
	assert_string_equal(d.limit_key, "max_tests_per_hour_per_peer");
	assert_int_equal(d.current, 10);
	assert_int_equal(d.maximum, 10);
	assert_int_equal(d.retry_after_sec, 1234);
	assert_string_equal(d.message, "rate limited: 10 tests in the last hour "
	                               "(max_tests_per_hour_per_peer = 10); retry in 1234 s");

	d = decide(&p, &r, 0, &u, T0 + HOUR_MS - 1); /* 1 ms left: 1 s */
	assert_int_equal(d.retry_after_sec, 1);
	d = decide(&p, &r, 0, &u, T0 + HOUR_MS); /* the oldest left the window */
	assert_int_equal(d.reason, GOV_GRANTED);

	/* Later still, 9 remain in the window: granted. */
	d = decide(&p, &r, 0, &u, T0 + HOUR_MS + 30000);
	assert_int_equal(d.reason, GOV_GRANTED);

	/* The limit was lowered to 5 by a reload: a slot frees when the 6th
	 * oldest leaves (10 - 5 + 1 = 6 must go). */
	p.max_tests_per_hour_per_peer = 5;
	now = T0 + 10 * 60000;
	d = decide(&p, &r, 0, &u, now);
	assert_int_equal(d.reason, GOV_DENY_RATE_LIMITED);
	assert_int_equal(d.retry_after_sec, (starts[5] + HOUR_MS - now) / 1000);
}

static void hourly_limit_zero_has_no_retry(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	p.max_tests_per_hour_per_peer = 0;
	struct gov_request r = udp_echo();
	struct gov_decision d = decide(&p, &r, 0, NULL, T0);
	assert_int_equal(d.reason, GOV_DENY_RATE_LIMITED);
	assert_int_equal(d.retry_after_sec, GOV_RETRY_NULL);
	struct usage_view u = no_usage();
	d = decide(&p, &r, 0, &u, T0);
	assert_int_equal(d.reason, GOV_DENY_RATE_LIMITED);
	assert_int_equal(d.retry_after_sec, GOV_RETRY_NULL);
	/* Lowered to 0 while tests are in the window: still no retry (and no
	 * read past the window's starts). */
	int64_t starts[2] = {T0 - 1000, T0 - 500};
	u.test_starts_ms = starts;
	u.n_test_starts = 2;
	d = decide(&p, &r, 0, &u, T0);
	assert_int_equal(d.reason, GOV_DENY_RATE_LIMITED);
	assert_int_equal(d.current, 2);
	assert_int_equal(d.retry_after_sec, GOV_RETRY_NULL);
}

static void quota_resets_at_midnight_utc(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	struct gov_request r = udp_echo();
	struct usage_view u = no_usage();
	u.bytes_today = 1000000000; /* exactly the maximum */

	/* T0 is 05:00:00 UTC: 19 h to midnight. */
	struct gov_decision d = decide(&p, &r, 0, &u, T0);
	assert_int_equal(d.reason, GOV_DENY_QUOTA_EXCEEDED);
	assert_string_equal(gov_reason_name(d.reason), "quota_exceeded");
	assert_string_equal(d.limit_key, "max_bytes_per_day_per_peer");
	assert_int_equal(d.current, 1000000000);
	assert_int_equal(d.maximum, 1000000000);
	assert_int_equal(d.retry_after_sec, 19 * 3600);
	assert_non_null(strstr(d.message, "00:00 UTC"));

	int64_t midnight = (usage_utc_day(T0) + 1) * USAGE_DAY_MS;
	d = decide(&p, &r, 0, &u, midnight - 1);
	assert_int_equal(d.retry_after_sec, 1);
	d = decide(&p, &r, 0, &u, midnight - 1001);
	assert_int_equal(d.retry_after_sec, 2);
	/* After midnight the view's bytes belong to yesterday. */
	d = decide(&p, &r, 0, &u, midnight);
	assert_int_equal(d.reason, GOV_GRANTED);

	u.bytes_today = 999999999;
	d = decide(&p, &r, 0, &u, T0);
	assert_int_equal(d.reason, GOV_GRANTED);
}

static void rate_limited_beats_quota(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	struct gov_request r = udp_echo();
	struct usage_view u = no_usage();
	u.last_test_ms = T0;
	u.bytes_today = UINT64_MAX;
	struct gov_decision d = decide(&p, &r, 0, &u, T0 + 500);
	assert_int_equal(d.reason, GOV_DENY_RATE_LIMITED);
	d = decide(&p, &r, 0, &u, T0 + 5000);
	assert_int_equal(d.reason, GOV_DENY_QUOTA_EXCEEDED);
	assert_int_equal(d.current, INT64_MAX); /* clamped, not negative */
}

static void audit_fields_name_the_limit(void **state)
{
	(void)state;
	struct gov_policy p = seed_policy();
	struct gov_request r = udp_echo();
	struct usage_view u = no_usage();
	u.bytes_today = 2000000000;
	struct gov_decision d = decide(&p, &r, 0, &u, T0);
	json_t *f = gov_deny_audit_fields(&d);
	assert_string_equal(json_string_value(json_object_get(f, "reason")),
	                    "daily byte quota exceeded");
	assert_string_equal(json_string_value(json_object_get(f, "code")), "quota_exceeded");
	assert_string_equal(json_string_value(json_object_get(f, "limit")),
	                    "max_bytes_per_day_per_peer");
	assert_int_equal(json_integer_value(json_object_get(f, "current")), 2000000000);
	assert_int_equal(json_integer_value(json_object_get(f, "retry_after_sec")), 19 * 3600);
	json_decref(f);

	gov_decide(&p, false, &r, 0, 0, NULL, T0, &d);
	f = gov_deny_audit_fields(&d);
	assert_true(json_is_null(json_object_get(f, "retry_after_sec")));
	assert_true(json_is_null(json_object_get(f, "limit")));
	json_decref(f);
}

static void names_match_the_wire(void **state)
{
	(void)state;
	assert_string_equal(gov_reason_name(GOV_DENY_INVALID_PARAMS), "invalid_params");
	assert_string_equal(gov_reason_phrase(GOV_DENY_RATE_LIMITED),
	                    "rate limit exceeded for this peer");
	assert_string_equal(gov_reason_name((enum gov_reason)99), "unknown");
	assert_string_equal(gov_test_type_name(GOV_TEST_UDP_ECHO), "udp_echo");
	assert_string_equal(gov_test_type_name(GOV_TEST_THROUGHPUT), "throughput");
	assert_string_equal(gov_protocol_name(GOV_PROTO_UDP), "udp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grants_with_defaults),
		cmocka_unit_test(clamps_duration_and_keeps_valid_values),
		cmocka_unit_test(expiry_is_duration_plus_grace),
		cmocka_unit_test(unauthorized_beats_everything),
		cmocka_unit_test(invalid_params_each_case),
		cmocka_unit_test(invalid_params_beats_busy),
		cmocka_unit_test(busy_at_max_concurrency),
		cmocka_unit_test(busy_beats_rate_limited),
		cmocka_unit_test(cooldown_retry_is_rounded_up),
		cmocka_unit_test(hourly_count_window_slides),
		cmocka_unit_test(hourly_limit_zero_has_no_retry),
		cmocka_unit_test(quota_resets_at_midnight_utc),
		cmocka_unit_test(rate_limited_beats_quota),
		cmocka_unit_test(audit_fields_name_the_limit),
		cmocka_unit_test(names_match_the_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
