/* Seed 002 checklist rows 18-25: session management on a real reflector. */
#include "cmocka_all.h"
#include "rproc.h"

#include "core/protocol.h"
#include "lib/clock.h"
#include "lib/errbuf.h"

#include "lib/fsutil.h"

#include <stdlib.h>
#include <time.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	struct rproc r;
	struct identity alice;
	struct link *l;
};

static struct fixture *start(const char *quotas)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[ERRBUF_LEN];
	assert_int_equal(rproc_setup_with_client(&f->r, &f->alice, NULL, quotas), 0);
	assert_int_equal(rproc_start(&f->r), 0);
	f->l = rproc_connect(&f->r, &f->alice, err);
	if (f->l == NULL)
		fail_msg("connect: %s", err);
	return f;
}

static void stop(struct fixture *f)
{
	link_close(f->l);
	rproc_cleanup(&f->r);
	identity_free(&f->alice);
	free(f);
}

static json_t *udp_echo(int duration)
{
	return json_pack("{s:s, s:{s:i}}", "test_type", "udp_echo", "params", "duration_sec", duration);
}

static const char *request(struct fixture *f, json_t *fields, json_t **payload)
{
	return rproc_request(f->l, "session_request", fields, payload);
}

static void row18_request_within_limits_is_granted(void **state)
{
	(void)state;
	struct fixture *f = start("[quotas]\nmax_test_duration_sec = 30\n");
	json_t *p;
	assert_string_equal(request(f, udp_echo(10), &p), "session_grant");
	assert_true(protocol_uuid_valid(json_string_value(json_object_get(p, "test_id"))));
	assert_true(protocol_uuid_valid(json_string_value(json_object_get(p, "token"))));
	assert_true(json_integer_value(json_object_get(p, "port")) > 0);
	assert_int_equal(json_integer_value(json_object_get(p, "duration_sec")), 10);
	int64_t expires;
	assert_int_equal(protocol_parse_rfc3339_ms(json_string_value(json_object_get(p, "expires_at")), &expires), 0);
	json_decref(p);
	assert_int_equal(rproc_audit_count(&f->r, "session_granted", f->alice.id, NULL), 1);
	stop(f);
}

static void row19_request_at_max_concurrency_is_busy(void **state)
{
	(void)state;
	struct fixture *f = start("[quotas]\nmax_concurrent_tests = 1\ncooldown_sec = 0\n");
	json_t *p;
	assert_string_equal(request(f, udp_echo(10), NULL), "session_grant");
	assert_string_equal(request(f, udp_echo(10), &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "busy");
	assert_true(json_integer_value(json_object_get(p, "retry_after_sec")) >= 1);
	json_decref(p);
	stop(f);
}

static void row20_request_beyond_hourly_count_is_rate_limited(void **state)
{
	(void)state;
	struct fixture *f = start("[quotas]\nmax_tests_per_hour_per_peer = 3\ncooldown_sec = 0\n");
	json_t *p;
	for (int i = 0; i < 3; i++) {
		assert_string_equal(request(f, udp_echo(5), &p), "session_grant");
		json_t *close = json_pack("{s:O}", "test_id", json_object_get(p, "test_id"));
		json_decref(p);
		assert_string_equal(rproc_request(f->l, "session_close", close, NULL), "ok");
	}
	assert_string_equal(request(f, udp_echo(5), &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "rate_limited");
	assert_string_equal(json_string_value(json_object_get(p, "limit")), "max_tests_per_hour_per_peer");
	assert_int_equal(json_integer_value(json_object_get(p, "current")), 3);
	assert_int_equal(json_integer_value(json_object_get(p, "maximum")), 3);
	json_int_t retry = json_integer_value(json_object_get(p, "retry_after_sec"));
	assert_true(retry > 3500 && retry <= 3600);
	assert_non_null(strstr(json_string_value(json_object_get(p, "message")), "3"));
	json_decref(p);
	assert_int_equal(rproc_audit_count(&f->r, "session_granted", NULL, NULL), 3);
	assert_int_equal(rproc_audit_count(&f->r, "session_denied", NULL, NULL), 1);
	stop(f);
}

static void row21_request_during_cooldown_is_rate_limited(void **state)
{
	(void)state;
	struct fixture *f = start("[quotas]\ncooldown_sec = 30\n");
	json_t *p;
	assert_string_equal(request(f, udp_echo(5), &p), "session_grant");
	json_t *close = json_pack("{s:O}", "test_id", json_object_get(p, "test_id"));
	json_decref(p);
	assert_string_equal(rproc_request(f->l, "session_close", close, NULL), "ok");
	assert_string_equal(request(f, udp_echo(5), &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "rate_limited");
	assert_string_equal(json_string_value(json_object_get(p, "limit")), "cooldown_sec");
	json_int_t retry = json_integer_value(json_object_get(p, "retry_after_sec"));
	assert_true(retry >= 1 && retry <= 30);
	json_decref(p);
	stop(f);
}

static int no_active_sessions(void *arg)
{
	struct rproc *r = arg;
	char out[8192];
	if (rproc_cli(r, out, sizeof(out), "--json status") != 0)
		return 0;
	json_error_t jerr;
	json_t *st = json_loads(out, 0, &jerr);
	int empty = json_is_array(json_object_get(st, "active_sessions")) &&
	            json_array_size(json_object_get(st, "active_sessions")) == 0;
	json_decref(st);
	return empty;
}

static void row23_session_close_removes_it(void **state)
{
	(void)state;
	struct fixture *f = start(NULL);
	json_t *p;
	assert_string_equal(request(f, udp_echo(30), &p), "session_grant");
	assert_false(no_active_sessions(&f->r));
	json_t *close = json_pack("{s:O}", "test_id", json_object_get(p, "test_id"));
	json_decref(p);
	assert_string_equal(rproc_request(f->l, "session_close", close, NULL), "ok");
	assert_true(no_active_sessions(&f->r));
	assert_int_equal(rproc_audit_count(&f->r, "session_completed", f->alice.id, NULL), 1);
	/* Closing it again: not found. */
	close = json_pack("{s:s}", "test_id", "00000000-0000-4000-8000-000000000000");
	assert_string_equal(rproc_request(f->l, "session_close", close, &p), "error");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "not_found");
	json_decref(p);
	stop(f);
}

static void row24_row25_expired_session_is_removed_at_clamped_duration_plus_grace(void **state)
{
	(void)state;
	struct fixture *f = start("[quotas]\nmax_test_duration_sec = 1\n");
	json_t *p;
	int64_t asked_ms = clock_wall_ms();
	assert_string_equal(request(f, udp_echo(30), &p), "session_grant");
	assert_int_equal(json_integer_value(json_object_get(p, "duration_sec")), 1); /* row 25 */
	int64_t expires;
	assert_int_equal(protocol_parse_rfc3339_ms(json_string_value(json_object_get(p, "expires_at")), &expires), 0);
	assert_true(expires >= asked_ms + 6000 - 1000 && expires <= clock_wall_ms() + 6000);
	json_decref(p);
	assert_false(no_active_sessions(&f->r));
	assert_true(wait_until(no_active_sessions, &f->r, 15000)); /* row 24 */
	assert_true(clock_wall_ms() >= expires - 50); /* not before it was due */
	assert_int_equal(rproc_audit_count(&f->r, "session_expired", f->alice.id, NULL), 1);
	stop(f);
}

static void row22_request_beyond_daily_byte_quota_is_denied(void **state)
{
	(void)state;
	/* The ledger says alice moved 2 MB today; her quota is 1 MB. (Real
	 * transfers exhausting it are the data plane's test.) */
	struct fixture *f = calloc(1, sizeof(*f));
	char err[ERRBUF_LEN], day[16], text[1024], path[300];
	assert_int_equal(rproc_setup_with_client(&f->r, &f->alice, NULL,
	                                         "[quotas]\nmax_bytes_per_day_per_peer = 1000000\n"), 0);
	time_t now = time(NULL);
	strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&now));
	snprintf(text, sizeof(text),
	         "{\"version\": 1, \"peers\": [{\"id\": \"%s\", \"last_test_ms\": 0, "
	         "\"test_starts_ms\": [], \"bytes_day\": \"%s\", \"bytes\": 2000000}]}",
	         f->alice.id, day);
	snprintf(path, sizeof(path), "%s/usage.json", f->r.data_dir);
	assert_int_equal(fsutil_mkdirs(f->r.data_dir, 0700, err), 0);
	assert_int_equal(fsutil_write_atomic(path, text, strlen(text), 0600, err), 0);
	assert_int_equal(rproc_start(&f->r), 0);
	f->l = rproc_connect(&f->r, &f->alice, err);
	assert_non_null(f->l);
	json_t *p;
	assert_string_equal(request(f, udp_echo(5), &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "quota_exceeded");
	assert_string_equal(json_string_value(json_object_get(p, "limit")), "max_bytes_per_day_per_peer");
	assert_int_equal(json_integer_value(json_object_get(p, "current")), 2000000);
	assert_int_equal(json_integer_value(json_object_get(p, "maximum")), 1000000);
	json_int_t retry = json_integer_value(json_object_get(p, "retry_after_sec"));
	assert_true(retry >= 1 && retry <= 86400); /* until 00:00 UTC */
	json_decref(p);
	assert_int_equal(rproc_audit_count(&f->r, "session_denied", f->alice.id, NULL), 1);
	stop(f);
}

static void usage_survives_a_restart(void **state)
{
	(void)state;
	struct fixture *f = start("[quotas]\nmax_tests_per_hour_per_peer = 2\ncooldown_sec = 0\n");
	char err[ERRBUF_LEN];
	for (int i = 0; i < 2; i++) {
		json_t *p;
		assert_string_equal(request(f, udp_echo(5), &p), "session_grant");
		json_t *close = json_pack("{s:O}", "test_id", json_object_get(p, "test_id"));
		json_decref(p);
		assert_string_equal(rproc_request(f->l, "session_close", close, NULL), "ok");
	}
	link_close(f->l);
	assert_int_equal(rproc_stop(&f->r), 0);
	assert_int_equal(rproc_start(&f->r), 0);
	f->l = rproc_connect(&f->r, &f->alice, err);
	assert_non_null(f->l);
	json_t *p;
	assert_string_equal(request(f, udp_echo(5), &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "rate_limited");
	json_decref(p);
	stop(f);
}

static void path_meta_describes_the_reflector_host(void **state)
{
	(void)state;
	struct fixture *f = start(NULL);
	json_t *p;
	assert_string_equal(rproc_request(f->l, "get_path_meta", NULL, &p), "path_meta");
	int lo_mtu = 0;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(p, "interfaces"), i, e)
		if (strcmp(json_string_value(json_object_get(e, "name")), "lo") == 0)
			lo_mtu = (int)json_integer_value(json_object_get(e, "mtu"));
	assert_true(lo_mtu > 0);
	assert_true(json_integer_value(json_object_get(json_object_get(p, "cpu"), "count")) >= 1);
	assert_true(json_integer_value(json_object_get(json_object_get(p, "memory"), "total_bytes")) > 0);
	assert_non_null(json_string_value(json_object_get(p, "version")));
	json_decref(p);
	stop(f);
}

static void invalid_params_are_denied_with_the_reason(void **state)
{
	(void)state;
	struct fixture *f = start("[quotas]\nallow_throughput = false\n");
	json_t *p;
	json_t *tp = json_pack("{s:s, s:{s:i}}", "test_type", "throughput", "params", "duration_sec", 5);
	assert_string_equal(request(f, tp, &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "invalid_params");
	assert_true(json_is_null(json_object_get(p, "retry_after_sec")));
	json_decref(p);
	json_t *neg = json_pack("{s:s, s:{s:i}}", "test_type", "udp_echo", "params", "duration_sec", -4);
	assert_string_equal(request(f, neg, &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "invalid_params");
	json_decref(p);
	/* The connection is still usable after a deny. */
	assert_string_equal(request(f, udp_echo(5), NULL), "session_grant");
	stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(row18_request_within_limits_is_granted),
		cmocka_unit_test(row19_request_at_max_concurrency_is_busy),
		cmocka_unit_test(row20_request_beyond_hourly_count_is_rate_limited),
		cmocka_unit_test(row21_request_during_cooldown_is_rate_limited),
		cmocka_unit_test(row22_request_beyond_daily_byte_quota_is_denied),
		cmocka_unit_test(usage_survives_a_restart),
		cmocka_unit_test(row23_session_close_removes_it),
		cmocka_unit_test(row24_row25_expired_session_is_removed_at_clamped_duration_plus_grace),
		cmocka_unit_test(invalid_params_are_denied_with_the_reason),
		cmocka_unit_test(path_meta_describes_the_reflector_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
