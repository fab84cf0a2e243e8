/* history: migrations, reopening, filters, --since parsing, corrupt files. */
#include "cmocka_all.h"

#include "lib/errbuf.h"
#include "paramedic/history.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pp-history-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct history *open_ok(void)
{
	char err[ERRBUF_LEN] = "";
	struct history *h = NULL;
	int rc = history_open(tmpdir, &h, err);
	if (rc != 0)
		print_error("history_open: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(h);
	return h;
}

static void add(struct history *h, const char *kind, const char *target, int64_t ms, const char *summary)
{
	char err[ERRBUF_LEN] = "";
	json_t *r = json_pack("{s:s, s:I}", "summary", summary, "n", (json_int_t)ms);
	assert_int_equal(history_add(h, kind, target, "PP-TEST", ms, r, err), 0);
	json_decref(r);
}

static int count_migrations(void)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/history.sqlite", tmpdir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM schema_migrations", -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static void migrations_are_idempotent_and_rows_survive_reopen(void **state)
{
	(void)state;
	struct history *h = open_ok();
	int version = history_schema_version(h);
	assert_true(version >= 1);
	add(h, "latency", "r1.example:4000", 1000, "rtt 1 ms");
	history_close(h);
	assert_int_equal(count_migrations(), version);

	h = open_ok();
	assert_int_equal(history_schema_version(h), version);
	history_close(h);
	assert_int_equal(count_migrations(), version); /* nothing re-applied */

	h = open_ok();
	char err[ERRBUF_LEN];
	struct history_filter f = {0};
	json_t *rows = history_list(h, &f, err);
	assert_non_null(rows);
	assert_int_equal(json_array_size(rows), 1);
	json_t *row = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(row, "kind")), "latency");
	assert_string_equal(json_string_value(json_object_get(row, "target")), "r1.example:4000");
	assert_string_equal(json_string_value(json_object_get(row, "reflector_id")), "PP-TEST");
	assert_string_equal(json_string_value(json_object_get(row, "summary")), "rtt 1 ms");
	assert_string_equal(json_string_value(json_object_get(row, "started_at")), "1970-01-01T00:00:01Z");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(row, "result"), "n")), 1000);
	json_decref(rows);
	history_close(h);

	/* The file is private, WAL is on. */
	char path[400];
	snprintf(path, sizeof(path), "%s/history.sqlite", tmpdir);
	struct stat stt;
	assert_int_equal(stat(path, &stt), 0);
	assert_int_equal(stt.st_mode & 077, 0);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void filters_by_kind_target_since_and_limit(void **state)
{
	(void)state;
	struct history *h = open_ok();
	add(h, "latency", "a.example:4000", 1000, "a1");
	add(h, "throughput", "a.example:4000", 2000, "a2");
	add(h, "latency", "b.example:4000", 3000, "b3");
	add(h, "latency", "[::1]:4000", 4000, "v6");
	add(h, "latency", "a.example.org:4000", 5000, "not a");
	char err[ERRBUF_LEN];

	struct history_filter f = {0};
	json_t *rows = history_list(h, &f, err);
	assert_int_equal(json_array_size(rows), 5);
	/* newest first */
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "summary")), "not a");
	json_decref(rows);

	f = (struct history_filter){.kind = "latency"};
	rows = history_list(h, &f, err);
	assert_int_equal(json_array_size(rows), 4);
	json_decref(rows);

	f = (struct history_filter){.target = "a.example"}; /* host matches host:port, not a.example.org */
	rows = history_list(h, &f, err);
	assert_int_equal(json_array_size(rows), 2);
	json_decref(rows);

	f = (struct history_filter){.target = "a.example:4000", .kind = "throughput"};
	rows = history_list(h, &f, err);
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "summary")), "a2");
	json_decref(rows);

	f = (struct history_filter){.target = "::1"};
	rows = history_list(h, &f, err);
	assert_int_equal(json_array_size(rows), 1);
	json_decref(rows);

	f = (struct history_filter){.since_ms = 3000};
	rows = history_list(h, &f, err);
	assert_int_equal(json_array_size(rows), 3);
	json_decref(rows);

	f = (struct history_filter){.limit = 2};
	rows = history_list(h, &f, err);
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "summary")), "v6");
	json_decref(rows);

	/* Quotes and SQL in values are data, not SQL. */
	f = (struct history_filter){.kind = "latency' OR '1'='1"};
	rows = history_list(h, &f, err);
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	history_close(h);
}

static void add_refuses_missing_fields(void **state)
{
	(void)state;
	struct history *h = open_ok();
	char err[ERRBUF_LEN] = "";
	json_t *r = json_object();
	assert_int_equal(history_add(h, "", "x:1", NULL, 1, r, err), -1);
	assert_non_null(strstr(err, "kind"));
	assert_int_equal(history_add(h, "latency", NULL, NULL, 1, r, err), -1);
	assert_int_equal(history_add(h, "latency", "x:1", NULL, 1, NULL, err), -1);
	/* No summary and no reflector ID: both null in the listing. */
	assert_int_equal(history_add(h, "latency", "x:1", NULL, 1, r, err), 0);
	json_decref(r);
	struct history_filter f = {.target = "x"};
	json_t *rows = history_list(h, &f, err);
	assert_int_equal(json_array_size(rows), 1);
	assert_true(json_is_null(json_object_get(json_array_get(rows, 0), "summary")));
	assert_true(json_is_null(json_object_get(json_array_get(rows, 0), "reflector_id")));
	json_decref(rows);
	history_close(h);
}

static void corrupt_file_is_a_clear_error(void **state)
{
	(void)state;
	char dir[300], path[400], err[ERRBUF_LEN] = "";
	snprintf(dir, sizeof(dir), "%s/corrupt", tmpdir);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/history.sqlite", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 512; i++)
		fputs("this is not a database, it is garbage ", fp);
	fclose(fp);
	struct history *h = (struct history *)1;
	assert_int_equal(history_open(dir, &h, err), -1);
	assert_null(h);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a database"));
}

static void newer_schema_is_refused(void **state)
{
	(void)state;
	char dir[300], path[400], err[ERRBUF_LEN] = "";
	snprintf(dir, sizeof(dir), "%s/future", tmpdir);
	struct history *h = NULL;
	assert_int_equal(history_open(dir, &h, err), 0);
	history_close(h);
	snprintf(path, sizeof(path), "%s/history.sqlite", dir);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, 0)", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(history_open(dir, &h, err), -1);
	assert_non_null(strstr(err, "999"));
}

static void since_parses_dates_and_durations(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	int64_t ms = 0;
	assert_int_equal(history_parse_since("2026-11-01", 0, &ms, err), 0);
	assert_int_equal(ms, INT64_C(1793491200000));
	assert_int_equal(history_parse_since("2026-11-01T12:30:05Z", 0, &ms, err), 0);
	assert_int_equal(ms, INT64_C(1793491200000) + (12 * 3600 + 30 * 60 + 5) * 1000);
	assert_int_equal(history_parse_since("2024-02-29", 0, &ms, err), 0);
	assert_int_equal(history_parse_since("24h", 100000000, &ms, err), 0);
	assert_int_equal(ms, 100000000 - 24 * 3600 * 1000);
	assert_int_equal(history_parse_since("7d", 0, &ms, err), 0);
	assert_int_equal(ms, -7 * 86400 * 1000LL);
	assert_int_equal(history_parse_since("90m", 0, &ms, err), 0);
	assert_int_equal(ms, -90 * 60 * 1000LL);
	assert_int_equal(history_parse_since("30s", 0, &ms, err), 0);
	assert_int_equal(ms, -30000);

	const char *bad[] = {"", "h", "24", "24x", "24hh", "-1h", " 1h", "2026-13-01", "2026-02-30",
	                     "2025-02-29", "2026-11-1", "2026-11-01T25:00:00Z", "2026-11-01T12:00:00",
	                     "2026/11/01", "99999999999999999999999d", "1e3h"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (history_parse_since(bad[i], 0, &ms, err) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(strstr(err, "--since"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(migrations_are_idempotent_and_rows_survive_reopen, make_tmpdir,
	                                    remove_tmpdir),
	    cmocka_unit_test_setup_teardown(filters_by_kind_target_since_and_limit, make_tmpdir, remove_tmpdir),
	    cmocka_unit_test_setup_teardown(add_refuses_missing_fields, make_tmpdir, remove_tmpdir),
	    cmocka_unit_test_setup_teardown(corrupt_file_is_a_clear_error, make_tmpdir, remove_tmpdir),
	    cmocka_unit_test_setup_teardown(newer_schema_is_refused, make_tmpdir, remove_tmpdir),
	    cmocka_unit_test(since_parses_dates_and_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
