/* history: the SQLite result store (see history.h). */
#include "paramedic/history.h"

#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BUSY_TIMEOUT_MS 5000

struct history {
	sqlite3 *db;
	char path[4200];
	int version;
	sqlite3_stmt *insert;
	sqlite3_stmt *list;
};

/* Migration N is migrations[N-1]. Append only: a released migration is
 * never edited, or files that already ran it would diverge. */
static const char *const migrations[] = {
    /* 1: the results table */
    "CREATE TABLE results ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " started_at INTEGER NOT NULL," /* ms since the Unix epoch */
    " kind TEXT NOT NULL,"
    " target TEXT NOT NULL,"
    " reflector_id TEXT,"
    " summary TEXT,"
    " result TEXT NOT NULL);"
    "CREATE INDEX results_started ON results(started_at);"
    "CREATE INDEX results_kind_started ON results(kind, started_at);",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static int db_fail(struct history *h, char *err, const char *what)
{
	return errbuf_set(err, "%s: %s: %s", h->path, what, sqlite3_errmsg(h->db));
}

static int exec_sql(struct history *h, const char *sql, const char *what, char *err)
{
	char *msg = NULL;
	if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		errbuf_set(err, "%s: %s: %s", h->path, what, msg ? msg : sqlite3_errmsg(h->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* The highest applied migration, 0 for a fresh file. */
static int read_version(struct history *h, int *version, char *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h->db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1,
	                       &st, NULL) != SQLITE_OK)
		return db_fail(h, err, "reading the schema version");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_fail(h, err, "reading the schema version");
}

static int migrate(struct history *h, char *err)
{
	if (exec_sql(h, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
	             "creating schema_migrations", err) != 0)
		return -1;
	/* IMMEDIATE: two paramedics opening a fresh file at once must not both
	 * run migration 1. */
	if (exec_sql(h, "BEGIN IMMEDIATE", "starting the migration", err) != 0)
		return -1;
	int version = 0;
	if (read_version(h, &version, err) != 0)
		goto fail;
	if (version > N_MIGRATIONS) {
		errbuf_set(err, "%s: schema version %d is newer than this paramedic knows (%d)", h->path,
		           version, N_MIGRATIONS);
		goto fail;
	}
	for (int v = version + 1; v <= N_MIGRATIONS; v++) {
		char what[64];
		snprintf(what, sizeof(what), "migration %d", v);
		if (exec_sql(h, migrations[v - 1], what, err) != 0)
			goto fail;
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(h->db,
		                       "INSERT INTO schema_migrations(version, applied_at)"
		                       " VALUES (?1, CAST(strftime('%s','now') AS INTEGER) * 1000)",
		                       -1, &st, NULL) != SQLITE_OK) {
			db_fail(h, err, what);
			goto fail;
		}
		sqlite3_bind_int(st, 1, v);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			db_fail(h, err, what);
			goto fail;
		}
	}
	if (exec_sql(h, "COMMIT", "committing the migration", err) != 0)
		goto fail;
	h->version = N_MIGRATIONS;
	return 0;
fail:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int history_open(const char *data_dir, struct history **out, char *err)
{
	*out = NULL;
	struct history *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return errbuf_set(err, "history: out of memory");
	if ((size_t)snprintf(h->path, sizeof(h->path), "%s/%s", data_dir, HISTORY_FILE) >=
	    sizeof(h->path)) {
		free(h);
		return errbuf_set(err, "history: data directory path too long");
	}
	if (fsutil_mkdirs(data_dir, 0700, err) != 0) {
		free(h);
		return -1;
	}
	/* Past targets and reflector IDs are nobody else's business. */
	mode_t old_umask = umask(077);
	int rc = sqlite3_open_v2(h->path, &h->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	umask(old_umask);
	if (rc != SQLITE_OK) {
		errbuf_set(err, "%s: %s", h->path, h->db ? sqlite3_errmsg(h->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(h->db, BUSY_TIMEOUT_MS);
	/* journal_mode is the first statement that reads the file: a corrupt
	 * or foreign file fails here with "file is not a database". */
	if (exec_sql(h, "PRAGMA journal_mode=WAL", "opening", err) != 0 ||
	    exec_sql(h, "PRAGMA synchronous=NORMAL", "opening", err) != 0 || migrate(h, err) != 0)
		goto fail;
	if (sqlite3_prepare_v2(h->db,
	                       "INSERT INTO results(started_at, kind, target, reflector_id, summary, result)"
	                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                       -1, &h->insert, NULL) != SQLITE_OK ||
	    /* One statement for every filter: an unset filter binds NULL. A
	     * bare host matches "host:port" and "[host]:port". */
	    sqlite3_prepare_v2(h->db,
	                       "SELECT id, started_at, kind, target, reflector_id, summary, result"
	                       " FROM results"
	                       " WHERE (?1 IS NULL OR kind = ?1)"
	                       "   AND (?2 IS NULL OR target = ?2"
	                       "        OR substr(target, 1, length(?2) + 1) = ?2 || ':'"
	                       "        OR substr(target, 1, length(?2) + 3) = '[' || ?2 || ']:')"
	                       "   AND started_at >= ?3"
	                       " ORDER BY started_at DESC, id DESC LIMIT ?4",
	                       -1, &h->list, NULL) != SQLITE_OK) {
		db_fail(h, err, "preparing statements");
		goto fail;
	}
	*out = h;
	return 0;
fail:
	history_close(h);
	return -1;
}

void history_close(struct history *h)
{
	if (h == NULL)
		return;
	sqlite3_finalize(h->insert);
	sqlite3_finalize(h->list);
	sqlite3_close(h->db);
	free(h);
}

int history_schema_version(struct history *h)
{
	return h->version;
}

int history_add(struct history *h, const char *kind, const char *target, const char *reflector_id,
                int64_t started_ms, json_t *result, char *err)
{
	if (kind == NULL || kind[0] == 0 || target == NULL || target[0] == 0 || result == NULL)
		return errbuf_set(err, "history: a result needs a kind, a target and its JSON");
	char *text = json_dumps(result, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text == NULL)
		return errbuf_set(err, "history: cannot serialize the %s result", kind);
	const char *summary = json_string_value(json_object_get(result, "summary"));
	sqlite3_stmt *st = h->insert;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, started_ms);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, target, -1, SQLITE_TRANSIENT);
	if (reflector_id != NULL)
		sqlite3_bind_text(st, 4, reflector_id, -1, SQLITE_TRANSIENT);
	if (summary != NULL)
		sqlite3_bind_text(st, 5, summary, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, text, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	free(text);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(h, err, "storing a result");
}

static json_t *column_string(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? json_string((const char *)s) : json_null();
}

static void iso_utc(int64_t ms, char *out, size_t outlen)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	if (gmtime_r(&sec, &tm) == NULL || strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, outlen, "?");
}

json_t *history_list(struct history *h, const struct history_filter *f, char *err)
{
	sqlite3_stmt *st = h->list;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (f->kind != NULL)
		sqlite3_bind_text(st, 1, f->kind, -1, SQLITE_TRANSIENT);
	if (f->target != NULL)
		sqlite3_bind_text(st, 2, f->target, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, f->since_ms > 0 ? f->since_ms : INT64_MIN);
	sqlite3_bind_int(st, 4, f->limit > 0 ? f->limit : HISTORY_DEFAULT_LIMIT);
	json_t *rows = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t started = sqlite3_column_int64(st, 1);
		char iso[32];
		iso_utc(started, iso, sizeof(iso));
		const char *text = (const char *)sqlite3_column_text(st, 6);
		json_error_t jerr;
		json_t *result = text ? json_loads(text, JSON_DECODE_ANY, &jerr) : NULL;
		/* A row we cannot parse is still listed: the row is the record. */
		json_t *row = json_pack("{s:I, s:I, s:s, s:o, s:o, s:o, s:o, s:o}", "id",
		                        (json_int_t)sqlite3_column_int64(st, 0), "started_at_ms",
		                        (json_int_t)started, "started_at", iso, "kind", column_string(st, 2),
		                        "target", column_string(st, 3), "reflector_id", column_string(st, 4),
		                        "summary", column_string(st, 5), "result",
		                        result ? result : json_null());
		if (row == NULL || json_array_append_new(rows, row) != 0) {
			sqlite3_reset(st);
			json_decref(rows);
			errbuf_set(err, "history: out of memory");
			return NULL;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		db_fail(h, err, "listing results");
		return NULL;
	}
	return rows;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil): timegm without the TZ environment. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int parse_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_date(const char *text, int64_t *ms)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t len = strlen(text);
	int y, mo, d, hh = 0, mi = 0, ss = 0;
	if (len < 10 || parse_digits(text, 4, &y) || text[4] != '-' || parse_digits(text + 5, 2, &mo) ||
	    text[7] != '-' || parse_digits(text + 8, 2, &d))
		return -1;
	if (len != 10) {
		if (len != 20 || (text[10] != 'T' && text[10] != ' ') || parse_digits(text + 11, 2, &hh) ||
		    text[13] != ':' || parse_digits(text + 14, 2, &mi) || text[16] != ':' ||
		    parse_digits(text + 17, 2, &ss) || text[19] != 'Z')
			return -1;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || hh > 23 || mi > 59 || ss > 60)
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return -1;
	*ms = ((days_from_civil(y, mo, d) * 86400) + hh * 3600 + mi * 60 + ss) * 1000;
	return 0;
}

int history_parse_since(const char *text, int64_t now_ms, int64_t *since_ms, char *err)
{
	if (text == NULL || text[0] == 0)
		return errbuf_set(err, "--since: empty value");
	if (parse_date(text, since_ms) == 0)
		return 0;
	/* A duration: digits then one unit. */
	char *end = NULL;
	errno = 0;
	if (!isdigit((unsigned char)text[0]))
		goto bad;
	unsigned long long n = strtoull(text, &end, 10);
	if (errno != 0 || end == text || end[0] == 0 || end[1] != 0)
		goto bad;
	int64_t unit_ms;
	switch (end[0]) {
	case 's': unit_ms = 1000; break;
	case 'm': unit_ms = 60 * 1000; break;
	case 'h': unit_ms = 3600 * 1000; break;
	case 'd': unit_ms = 86400 * 1000; break;
	default: goto bad;
	}
	/* Beyond ~290 years back means "everything". */
	if (n > (unsigned long long)(INT64_MAX / 4 / unit_ms))
		goto bad;
	*since_ms = now_ms - (int64_t)n * unit_ms;
	return 0;
bad:
	return errbuf_set(err, "--since '%s': expected a date (2026-11-01, 2026-11-01T12:00:00Z) or a "
	                       "duration (90m, 24h, 7d)",
	                  text);
}
