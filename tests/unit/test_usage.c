/* usage: recording, pruning (hour window, UTC day), persistence across a
 * restart, bounds, and bad files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/errbuf.h"
#include "lib/fsutil.h"
#include "reflector/usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 ((int64_t)1795323600 * 1000) /* 2026-11-22T05:00:00Z */
#define HOUR_MS ((int64_t)3600 * 1000)
#define PEER "PP-AAAA-BBBB-C"
#define OTHER "PP-DDDD-EEEE-F"

static char tmpdir[256];
static char file[400];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pp-usage-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/usage.json", tmpdir);
	return 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *text)
{
	char err[ERRBUF_LEN];
	assert_int_equal(fsutil_write_atomic(file, text, strlen(text), 0600, err), 0);
}

static void unknown_peer_has_no_usage(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct usage_ledger *l = usage_open(NULL, err);
	assert_non_null(l);
	struct usage_view v;
	usage_get(l, PEER, T0, &v);
	assert_int_equal(v.n_test_starts, 0);
	assert_int_equal(v.last_test_ms, -1);
	assert_int_equal(v.bytes_today, 0);
	assert_int_equal(v.bytes_day, usage_utc_day(T0));
	usage_free(l);
}

static void records_starts_and_prunes_after_an_hour(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct usage_ledger *l = usage_open(NULL, err);
	assert_int_equal(usage_record_start(l, PEER, T0, err), 0);
	assert_int_equal(usage_record_start(l, PEER, T0 + 60000, err), 0);
	assert_int_equal(usage_record_start(l, OTHER, T0 + 1, err), 0);
	struct usage_view v;
	usage_get(l, PEER, T0 + 60000, &v);
	assert_int_equal(v.n_test_starts, 2);
	assert_int_equal(v.test_starts_ms[0], T0);
	assert_int_equal(v.test_starts_ms[1], T0 + 60000);
	assert_int_equal(v.last_test_ms, T0 + 60000);

	usage_get(l, PEER, T0 + HOUR_MS - 1, &v);
	assert_int_equal(v.n_test_starts, 2);
	usage_get(l, PEER, T0 + HOUR_MS, &v); /* the first left the window */
	assert_int_equal(v.n_test_starts, 1);
	assert_int_equal(v.test_starts_ms[0], T0 + 60000);
	assert_int_equal(v.last_test_ms, T0 + 60000); /* kept for the cooldown */
	usage_get(l, OTHER, T0 + HOUR_MS, &v);
	assert_int_equal(v.n_test_starts, 1);
	assert_int_equal(usage_peer_count(l), 2);
	usage_free(l);
}

static void starts_stay_sorted_when_the_clock_steps_back(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct usage_ledger *l = usage_open(NULL, err);
	usage_record_start(l, PEER, T0 + 5000, err);
	usage_record_start(l, PEER, T0 + 1000, err);
	usage_record_start(l, PEER, T0 + 3000, err);
	struct usage_view v;
	usage_get(l, PEER, T0 + 5000, &v);
	assert_int_equal(v.n_test_starts, 3);
	assert_int_equal(v.test_starts_ms[0], T0 + 1000);
	assert_int_equal(v.test_starts_ms[1], T0 + 3000);
	assert_int_equal(v.test_starts_ms[2], T0 + 5000);
	usage_free(l);
}

static void bytes_reset_on_a_new_utc_day(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct usage_ledger *l = usage_open(NULL, err);
	int64_t midnight = (usage_utc_day(T0) + 1) * USAGE_DAY_MS;
	assert_int_equal(usage_add_bytes(l, PEER, 5000000, T0, err), 0);
	assert_int_equal(usage_add_bytes(l, PEER, 5000000, midnight - 1, err), 0);
	struct usage_view v;
	usage_get(l, PEER, midnight - 1, &v);
	assert_int_equal(v.bytes_today, 10000000);
	usage_get(l, PEER, midnight, &v);
	assert_int_equal(v.bytes_today, 0);
	assert_int_equal(v.bytes_day, usage_utc_day(midnight));
	assert_int_equal(usage_add_bytes(l, PEER, 7, midnight + 10, err), 0);
	usage_get(l, PEER, midnight + 10, &v);
	assert_int_equal(v.bytes_today, 7);
	/* Saturates rather than wrapping. */
	usage_add_bytes(l, PEER, UINT64_MAX, midnight + 10, err);
	usage_get(l, PEER, midnight + 10, &v);
	assert_true(v.bytes_today == UINT64_MAX);
	usage_free(l);
}

static void survives_a_restart(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	unlink(file);
	struct usage_ledger *l = usage_open(tmpdir, err);
	assert_non_null(l); /* a missing file is an empty ledger */
	assert_int_equal(usage_peer_count(l), 0);
	assert_int_equal(usage_record_start(l, PEER, T0, err), 0);
	assert_int_equal(usage_add_bytes(l, PEER, 123456789, T0 + 10000, err), 0);
	usage_free(l);

	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	l = usage_open(tmpdir, err);
	assert_non_null(l);
	struct usage_view v;
	usage_get(l, PEER, T0 + 20000, &v);
	assert_int_equal(v.n_test_starts, 1);
	assert_int_equal(v.test_starts_ms[0], T0);
	assert_int_equal(v.last_test_ms, T0);
	assert_int_equal(v.bytes_today, 123456789);
	usage_free(l);
}

static void idle_peers_are_forgotten_on_save(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	unlink(file);
	struct usage_ledger *l = usage_open(tmpdir, err);
	usage_record_start(l, OTHER, T0, err);
	/* Two days later OTHER has nothing any limit could use. */
	usage_record_start(l, PEER, T0 + 2 * USAGE_DAY_MS, err);
	assert_int_equal(usage_peer_count(l), 1);
	usage_free(l);
}

static void starts_per_peer_are_bounded(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct usage_ledger *l = usage_open(NULL, err);
	for (int i = 0; i < USAGE_MAX_STARTS_PER_PEER + 10; i++)
		usage_record_start(l, PEER, T0 + i, err);
	struct usage_view v;
	usage_get(l, PEER, T0 + USAGE_MAX_STARTS_PER_PEER + 10, &v);
	assert_int_equal(v.n_test_starts, USAGE_MAX_STARTS_PER_PEER);
	assert_int_equal(v.test_starts_ms[0], T0 + 10); /* the oldest went first */
	usage_free(l);
}

static void peers_are_bounded(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct usage_ledger *l = usage_open(NULL, err);
	char id[64];
	for (int i = 0; i < USAGE_MAX_PEERS + 5; i++) {
		snprintf(id, sizeof(id), "PP-%d", i);
		assert_int_equal(usage_record_start(l, id, T0 + i, err), 0);
	}
	assert_int_equal(usage_peer_count(l), USAGE_MAX_PEERS);
	struct usage_view v;
	usage_get(l, "PP-0", T0 + USAGE_MAX_PEERS + 5, &v); /* least recent: gone */
	assert_int_equal(v.n_test_starts, 0);
	snprintf(id, sizeof(id), "PP-%d", USAGE_MAX_PEERS + 4);
	usage_get(l, id, T0 + USAGE_MAX_PEERS + 5, &v);
	assert_int_equal(v.n_test_starts, 1);
	usage_free(l);
}

static void rejects_bad_peer_ids(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	struct usage_ledger *l = usage_open(NULL, err);
	assert_int_equal(usage_record_start(l, "", T0, err), -1);
	char long_id[300];
	memset(long_id, 'A', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(usage_add_bytes(l, long_id, 1, T0, err), -1);
	assert_non_null(strstr(err, "bad peer id"));
	usage_free(l);
}

static void corrupt_file_is_an_error_naming_it(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	write_file("{\"version\": 1, \"peers\": [");
	assert_null(usage_open(tmpdir, err));
	assert_non_null(strstr(err, file));
	unlink(file);
}

static void parse_rejects_bad_input(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "[]",
	    "null",
	    "{\"version\": 2, \"peers\": []}",
	    "{\"version\": 1}",
	    "{\"version\": 1, \"peers\": {}}",
	    "{\"version\": 1, \"peers\": [], \"extra\": 1}",
	    "{\"version\": 1, \"peers\": [], \"peers\": []}",
	    "{\"version\": 1, \"peers\": [1]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"P\"}]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"\", \"last_test_ms\": 1, "
	    "\"test_starts_ms\": [], \"bytes_day\": \"2026-11-22\", \"bytes\": 0}]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"P\", \"last_test_ms\": -7, "
	    "\"test_starts_ms\": [], \"bytes_day\": \"2026-11-22\", \"bytes\": 0}]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"P\", \"last_test_ms\": 1, "
	    "\"test_starts_ms\": [], \"bytes_day\": \"2026-11-22\", \"bytes\": -1}]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"P\", \"last_test_ms\": 1, "
	    "\"test_starts_ms\": [\"x\"], \"bytes_day\": \"2026-11-22\", \"bytes\": 0}]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"P\", \"last_test_ms\": 1, "
	    "\"test_starts_ms\": [-5], \"bytes_day\": \"2026-11-22\", \"bytes\": 0}]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"P\", \"last_test_ms\": 1, "
	    "\"test_starts_ms\": [], \"bytes_day\": \"2026-02-30\", \"bytes\": 0}]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"P\", \"last_test_ms\": 1, "
	    "\"test_starts_ms\": [], \"bytes_day\": \"+026-11-22\", \"bytes\": 0}]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"P\", \"last_test_ms\": 1, "
	    "\"test_starts_ms\": [], \"bytes_day\": \"2026-11-22\", \"bytes\": 0, \"x\": 1}]}",
	    "{\"version\": 1, \"peers\": [{\"id\": \"P\", \"last_test_ms\": 1, "
	    "\"test_starts_ms\": [], \"bytes_day\": \"2026-11-22\", \"bytes\": 0},"
	    "{\"id\": \"P\", \"last_test_ms\": 1, "
	    "\"test_starts_ms\": [], \"bytes_day\": \"2026-11-22\", \"bytes\": 0}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[ERRBUF_LEN] = "";
		struct usage_ledger *l = usage_parse(bad[i], strlen(bad[i]), "usage.json", err);
		if (l != NULL)
			fail_msg("accepted bad input %zu: %s", i, bad[i]);
		assert_non_null(strstr(err, "usage.json"));
	}
}

static void parse_accepts_what_it_writes(void **state)
{
	(void)state;
	const char *good = "{\"version\": 1, \"peers\": [{\"id\": \"PP-X\", \"last_test_ms\": -1, "
	                   "\"test_starts_ms\": [3, 1, 2], \"bytes_day\": \"2024-02-29\", "
	                   "\"bytes\": 9}]}";
	char err[ERRBUF_LEN] = "";
	struct usage_ledger *l = usage_parse(good, strlen(good), "usage.json", err);
	assert_non_null(l);
	char *text = usage_to_json(l);
	assert_non_null(strstr(text, "\"2024-02-29\""));
	struct usage_ledger *again = usage_parse(text, strlen(text), "usage.json", err);
	assert_non_null(again);
	struct usage_view v;
	usage_get(again, "PP-X", 3, &v);
	assert_int_equal(v.n_test_starts, 3);
	assert_int_equal(v.test_starts_ms[0], 1);
	free(text);
	usage_free(l);
	usage_free(again);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_peer_has_no_usage),
		cmocka_unit_test(records_starts_and_prunes_after_an_hour),
		cmocka_unit_test(starts_stay_sorted_when_the_clock_steps_back),
		cmocka_unit_test(bytes_reset_on_a_new_utc_day),
		cmocka_unit_test(survives_a_restart),
		cmocka_unit_test(idle_peers_are_forgotten_on_save),
		cmocka_unit_test(starts_per_peer_are_bounded),
		cmocka_unit_test(peers_are_bounded),
		cmocka_unit_test(rejects_bad_peer_ids),
		cmocka_unit_test(corrupt_file_is_an_error_naming_it),
		cmocka_unit_test(parse_rejects_bad_input),
		cmocka_unit_test(parse_accepts_what_it_writes),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
