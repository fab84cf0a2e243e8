/* audit: line format, timestamps, append across restarts, directories and
 * modes, concurrent writers, and coalescing of repeated denials. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/fsutil.h"
#include "reflector/audit.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define T0 ((int64_t)1795323600 * 1000) /* 2026-11-22T05:00:00Z */
#define PEER "PP-AAAA-BBBB-C"

static char tmpdir[256];
static char path[400];
static int64_t fake_now;
static int case_no;

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pp-audit-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	clock_set_fake_wall(NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Each test gets its own log file and a fake clock at T0. */
static int fresh_log(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "%s/case%d/audit.jsonl", tmpdir, ++case_no);
	fake_now = T0;
	clock_set_fake_wall(&fake_now);
	return 0;
}

/* The file's lines, each parsed (a line that is not JSON fails the test). */
static size_t read_lines(json_t *lines[], size_t max)
{
	char err[ERRBUF_LEN];
	size_t len;
	char *text = fsutil_read_all(path, 1 << 24, &len, err);
	assert_non_null(text);
	size_t n = 0;
	char *save = NULL;
	assert_true(len == 0 || text[len - 1] == '\n');
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *obj = json_loads(line, 0, &jerr);
		if (obj == NULL || !json_is_object(obj))
			fail_msg("line %zu is not a JSON object: %s", n + 1, line);
		if (n < max)
			lines[n] = obj;
		else
			json_decref(obj);
		n++;
	}
	free(text);
	return n;
}

static void free_lines(json_t *lines[], size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(lines[i]);
}

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void lines_have_exactly_the_fields(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct audit_log *log = audit_open(path, err);
	assert_non_null(log);
	fake_now = T0 + 843123; /* 05:14:03.123 */
	assert_int_equal(audit_event(log, "server_started", NULL,
	                             json_pack("{s:s}", "listen", "127.0.0.1:4000")), 0);
	assert_int_equal(audit_event(log, "session_granted", PEER,
	                             json_pack("{s:s, s:i, s:s}", "test_type", "udp_echo",
	                                       "duration_sec", 10, "peer_id", "forged")), 0);
	assert_int_equal(audit_event(log, "server_stopped", NULL, NULL), 0);
	audit_close(log);

	json_t *lines[4];
	assert_int_equal(read_lines(lines, 4), 3);
	assert_int_equal(json_object_size(lines[0]), 4);
	assert_string_equal(str(lines[0], "timestamp"), "2026-11-22T05:14:03.123Z");
	assert_string_equal(str(lines[0], "event_type"), "server_started");
	assert_true(json_is_null(json_object_get(lines[0], "peer_id")));
	assert_string_equal(str(lines[0], "listen"), "127.0.0.1:4000");

	assert_int_equal(json_object_size(lines[1]), 5);
	assert_string_equal(str(lines[1], "peer_id"), PEER); /* not the forged one */
	assert_int_equal(json_integer_value(json_object_get(lines[1], "duration_sec")), 10);
	assert_int_equal(json_object_size(lines[2]), 3);
	free_lines(lines, 3);
}

static void timestamps_are_rfc3339_utc_with_millis(void **state)
{
	(void)state;
	regex_t re;
	assert_int_equal(regcomp(&re,
	                         "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
	                         REG_EXTENDED | REG_NOSUB),
	                 0);
	char ts[AUDIT_TIMESTAMP_LEN];
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{0, "1970-01-01T00:00:00.000Z"},
		{T0 + 7, "2026-11-22T05:00:00.007Z"},
		{T0 - 1, "2026-11-22T04:59:59.999Z"},
		{(int64_t)951782400 * 1000 + 999, "2000-02-29T00:00:00.999Z"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		audit_format_timestamp(cases[i].ms, ts);
		assert_string_equal(ts, cases[i].text);
		assert_int_equal(regexec(&re, ts, 0, NULL, 0), 0);
	}
	/* And with the real clock. */
	clock_set_fake_wall(NULL);
	audit_format_timestamp(clock_wall_ms(), ts);
	assert_int_equal(regexec(&re, ts, 0, NULL, 0), 0);
	regfree(&re);
}

static void appends_across_a_restart_in_nested_dirs(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	snprintf(path, sizeof(path), "%s/deep/er/still/audit.jsonl", tmpdir);
	struct audit_log *log = audit_open(path, err);
	assert_non_null(log);
	audit_event(log, "server_started", NULL, NULL);
	audit_close(log);
	log = audit_open(path, err); /* the "restart" */
	assert_non_null(log);
	audit_event(log, "server_started", NULL, NULL);
	audit_close(log);

	json_t *lines[3];
	assert_int_equal(read_lines(lines, 3), 2);
	free_lines(lines, 2);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/deep/er", tmpdir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
}

static void refuses_unknown_event_types(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct audit_log *log = audit_open(path, err);
	assert_int_equal(audit_event(log, "made_up", NULL, json_object()), -1);
	assert_non_null(strstr(audit_last_error(log), "made_up"));
	assert_int_equal(audit_event_coalesced(log, "nope", NULL, "a", "b", json_object()), -1);
	audit_close(log);
	json_t *lines[1];
	assert_int_equal(read_lines(lines, 1), 0);
	assert_true(audit_event_type_known("connection_denied"));
	assert_true(audit_event_type_known("config_reloaded"));
}

static void table_has_one_line_meanings(void **state)
{
	(void)state;
	size_t n = 0;
	for (; audit_event_types[n].name != NULL; n++) {
		assert_non_null(audit_event_types[n].meaning);
		assert_null(strchr(audit_event_types[n].meaning, '\n'));
	}
	assert_int_equal(n, 14);
}

/* docs/GOVERNANCE.md lists exactly the table (habit 6: one table, docs
 * checked against it). */
static void docs_list_exactly_the_event_table(void **state)
{
	(void)state;
	const char *src = getenv("PP_SOURCE_DIR");
	if (src == NULL)
		skip();
	char doc[512], err[ERRBUF_LEN];
	snprintf(doc, sizeof(doc), "%s/docs/GOVERNANCE.md", src);
	char *text = fsutil_read_all(doc, 1 << 20, NULL, err);
	assert_non_null(text);
	size_t n = 0;
	for (; audit_event_types[n].name != NULL; n++) {
		char row[512];
		snprintf(row, sizeof(row), "\n| `%s` | %s |\n", audit_event_types[n].name,
		         audit_event_types[n].meaning);
		if (strstr(text, row) == NULL)
			fail_msg("docs/GOVERNANCE.md lacks the row%s", row);
	}
	const char *header = "| event_type | meaning (fields) |\n|---|---|\n";
	char *p = strstr(text, header);
	assert_non_null(p);
	p += strlen(header);
	size_t rows = 0;
	for (; *p == '|'; p = strchr(p, '\n') + 1)
		rows++;
	assert_int_equal(rows, n); /* and no row for an event that does not exist */
	free(text);
}

static void unopenable_path_names_it(void **state)
{
	(void)state;
	char err[ERRBUF_LEN] = "";
	char file[400], bad[440];
	snprintf(file, sizeof(file), "%s/plainfile", tmpdir);
	assert_int_equal(fsutil_write_atomic(file, "x", 1, 0600, err), 0);
	snprintf(bad, sizeof(bad), "%s/sub/audit.jsonl", file);
	assert_null(audit_open(bad, err));
	assert_non_null(strstr(err, "plainfile"));
}

static void coalesces_a_flood_into_two_lines(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct audit_log *log = audit_open(path, err);
	for (int i = 0; i < 1000; i++) {
		fake_now = T0 + i; /* all within one window */
		assert_int_equal(audit_event_coalesced(log, "connection_denied", NULL, "127.0.0.1",
		                                       "tls_handshake_failed", NULL),
		                 0);
	}
	json_t *lines[4];
	assert_int_equal(read_lines(lines, 4), 1); /* the first, at once */
	free_lines(lines, 1);
	assert_int_equal(audit_tick(log, T0 + AUDIT_COALESCE_WINDOW_MS - 1), 0);
	assert_int_equal(read_lines(lines, 4), 1); /* window still open */
	free_lines(lines, 1);
	assert_int_equal(audit_tick(log, T0 + AUDIT_COALESCE_WINDOW_MS), 0);

	assert_int_equal(read_lines(lines, 4), 2);
	assert_string_equal(str(lines[0], "reason"), "tls_handshake_failed");
	assert_string_equal(str(lines[0], "source"), "127.0.0.1");
	assert_null(json_object_get(lines[0], "count"));
	assert_string_equal(str(lines[1], "event_type"), "connection_denied");
	assert_int_equal(json_integer_value(json_object_get(lines[1], "count")), 999);
	assert_string_equal(str(lines[1], "first_timestamp"), "2026-11-22T05:00:00.001Z");
	assert_string_equal(str(lines[1], "last_timestamp"), "2026-11-22T05:00:00.999Z");
	assert_string_equal(str(lines[1], "timestamp"), "2026-11-22T05:00:10.000Z");
	free_lines(lines, 2);

	/* The next window counted nothing: the key is forgotten, and a later
	 * denial is written at once again. */
	assert_int_equal(audit_tick(log, T0 + 2 * AUDIT_COALESCE_WINDOW_MS), 0);
	assert_int_equal(audit_pending_keys(log), 0);
	fake_now = T0 + 60000;
	audit_event_coalesced(log, "connection_denied", NULL, "127.0.0.1", "tls_handshake_failed",
	                      NULL);
	assert_int_equal(read_lines(lines, 4), 3);
	free_lines(lines, 3);
	audit_close(log);
}

static void sustained_flood_is_one_line_per_window(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct audit_log *log = audit_open(path, err);
	/* 100 s of one denial every 10 ms, the timer ticking every second. */
	for (int64_t t = 0; t < 100000; t += 10) {
		fake_now = T0 + t;
		if (t % 1000 == 0)
			audit_tick(log, fake_now);
		audit_event_coalesced(log, "connection_denied", NULL, "::1", "too_many_connections",
		                      json_pack("{s:I}", "t", (json_int_t)t));
	}
	audit_close(log);
	json_t *lines[32];
	size_t n = read_lines(lines, 32);
	assert_true(n <= 12); /* 1 at once + one per 10 s window (+ the close) */
	json_int_t total = 1;
	for (size_t i = 1; i < n; i++)
		total += json_integer_value(json_object_get(lines[i], "count"));
	assert_int_equal(total, 10000); /* nothing lost */
	/* A count line carries the latest repeat's fields. */
	assert_int_equal(json_integer_value(json_object_get(lines[n - 1], "t")), 99990);
	free_lines(lines, n < 32 ? n : 32);
}

static void keys_are_separate_and_close_flushes(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct audit_log *log = audit_open(path, err);
	for (int i = 0; i < 3; i++) {
		audit_event_coalesced(log, "connection_denied", NULL, "10.0.0.1", "unauthorized", NULL);
		audit_event_coalesced(log, "connection_denied", NULL, "10.0.0.2", "unauthorized", NULL);
		audit_event_coalesced(log, "connection_denied", NULL, "10.0.0.1", "handshake_timeout",
		                      NULL);
		audit_event_coalesced(log, "pairing_failed", PEER, "10.0.0.1", "unauthorized", NULL);
	}
	assert_int_equal(audit_pending_keys(log), 4);
	audit_close(log); /* shutdown: the counts must not be lost */
	json_t *lines[16];
	assert_int_equal(read_lines(lines, 16), 8);
	int counts = 0;
	for (size_t i = 4; i < 8; i++) {
		assert_int_equal(json_integer_value(json_object_get(lines[i], "count")), 2);
		counts++;
		if (strcmp(str(lines[i], "event_type"), "pairing_failed") == 0)
			assert_string_equal(str(lines[i], "peer_id"), PEER);
	}
	assert_int_equal(counts, 4);
	free_lines(lines, 8);
}

static void full_table_flushes_the_oldest(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct audit_log *log = audit_open(path, err);
	char src[32];
	for (int i = 0; i < AUDIT_COALESCE_MAX_KEYS; i++) {
		fake_now = T0 + i;
		snprintf(src, sizeof(src), "10.0.%d.%d", i / 256, i % 256);
		audit_event_coalesced(log, "connection_denied", NULL, src, "unauthorized", NULL);
		audit_event_coalesced(log, "connection_denied", NULL, src, "unauthorized", NULL);
	}
	assert_int_equal(audit_pending_keys(log), AUDIT_COALESCE_MAX_KEYS);
	audit_event_coalesced(log, "connection_denied", NULL, "192.0.2.1", "unauthorized", NULL);
	assert_int_equal(audit_pending_keys(log), AUDIT_COALESCE_MAX_KEYS);
	json_t *lines[AUDIT_COALESCE_MAX_KEYS + 3];
	size_t n = read_lines(lines, AUDIT_COALESCE_MAX_KEYS + 3);
	assert_int_equal(n, AUDIT_COALESCE_MAX_KEYS + 2);
	/* The oldest key's count came out before the new key's first line. */
	assert_string_equal(str(lines[n - 2], "source"), "10.0.0.0");
	assert_int_equal(json_integer_value(json_object_get(lines[n - 2], "count")), 1);
	assert_string_equal(str(lines[n - 1], "source"), "192.0.2.1");
	free_lines(lines, n);
	audit_close(log);
}

static void concurrent_writers_keep_lines_whole(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	clock_set_fake_wall(NULL);
	char padding[2048];
	memset(padding, 'x', sizeof(padding) - 1);
	padding[sizeof(padding) - 1] = '\0';
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			struct audit_log *log = audit_open(path, err);
			for (int i = 0; i < 300; i++)
				audit_event(log, "session_completed", PEER,
				            json_pack("{s:i, s:s}", "writer", k, "pad", padding));
			audit_close(log);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		int status;
		assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
		assert_int_equal(status, 0);
	}
	json_t *lines[1];
	assert_int_equal(read_lines(lines, 0), 600); /* every line parsed */
}

static void reopen_keeps_writing(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	struct audit_log *log = audit_open(path, err);
	audit_event(log, "server_started", NULL, NULL);
	char moved[420];
	snprintf(moved, sizeof(moved), "%s.1", path);
	assert_int_equal(rename(path, moved), 0); /* logrotate */
	assert_int_equal(audit_reopen(log, err), 0);
	audit_event(log, "config_reloaded", NULL, NULL);
	audit_close(log);
	json_t *lines[2];
	assert_int_equal(read_lines(lines, 2), 1);
	assert_string_equal(str(lines[0], "event_type"), "config_reloaded");
	free_lines(lines, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(lines_have_exactly_the_fields, fresh_log),
		cmocka_unit_test_setup(timestamps_are_rfc3339_utc_with_millis, fresh_log),
		cmocka_unit_test_setup(appends_across_a_restart_in_nested_dirs, fresh_log),
		cmocka_unit_test_setup(refuses_unknown_event_types, fresh_log),
		cmocka_unit_test_setup(table_has_one_line_meanings, fresh_log),
		cmocka_unit_test_setup(docs_list_exactly_the_event_table, fresh_log),
		cmocka_unit_test_setup(unopenable_path_names_it, fresh_log),
		cmocka_unit_test_setup(coalesces_a_flood_into_two_lines, fresh_log),
		cmocka_unit_test_setup(sustained_flood_is_one_line_per_window, fresh_log),
		cmocka_unit_test_setup(keys_are_separate_and_close_flushes, fresh_log),
		cmocka_unit_test_setup(full_table_flushes_the_oldest, fresh_log),
		cmocka_unit_test_setup(concurrent_writers_keep_lines_whole, fresh_log),
		cmocka_unit_test_setup(reopen_keeps_writing, fresh_log),
	};
	return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
