/*
 * history: every result paramedic measured, in <data_dir>/history.sqlite.
 *
 * One SQLite file in WAL mode (a reader never blocks a test that is
 * storing its result), mode 0600. The schema moves forward by numbered
 * migrations recorded in `schema_migrations`, each applied in one
 * transaction, so opening is idempotent and an old file is upgraded in
 * place. A file written by a newer paramedic (a migration we do not know)
 * is refused rather than guessed at.
 *
 * One `results` table holds every kind of test (docs/LATENCY.md "History"):
 *   id, started_at (ms since the Unix epoch), kind ("latency",
 *   "throughput", ...), target ("host:port" as typed, canonical),
 *   reflector_id (the ID it presented), summary (one line for humans,
 *   taken from the result's top-level "summary" string), result (the full
 *   result JSON, exactly what `--json` printed).
 *
 * Only prepared statements with bound parameters touch the database.
 */
#ifndef PP_PARAMEDIC_HISTORY_H
#define PP_PARAMEDIC_HISTORY_H

#include <jansson.h>
#include <stdint.h>

#define HISTORY_FILE "history.sqlite"
#define HISTORY_DEFAULT_LIMIT 50

struct history;

/* Opens (creating if needed) <data_dir>/history.sqlite and applies the
 * missing migrations. A file that is not a SQLite database, or one from a
 * newer schema, is an error naming the file. */
int history_open(const char *data_dir, struct history **out, char *err);
void history_close(struct history *h);

/* The schema version the file is at after history_open (for tests). */
int history_schema_version(struct history *h);

/* Stores one result. kind and target are required; reflector_id may be
 * NULL; result is not consumed (the caller keeps its reference). If result
 * has a string "summary" it becomes the row's one-line summary. */
int history_add(struct history *h, const char *kind, const char *target,
                const char *reflector_id, int64_t started_ms, json_t *result, char *err);

struct history_filter {
	const char *kind;   /* NULL: every kind */
	const char *target; /* NULL: every target; "host" matches "host:port" too */
	int64_t since_ms;   /* 0: no lower bound; else started_at >= since_ms */
	int limit;          /* <= 0: HISTORY_DEFAULT_LIMIT */
};

/* The matching rows, newest first, as a JSON array of objects
 * {id, started_at_ms, started_at (ISO 8601 UTC), kind, target,
 *  reflector_id (or null), summary (or null), result}. NULL on error. */
json_t *history_list(struct history *h, const struct history_filter *f, char *err);

/* --since: "2026-11-01" (00:00 UTC that day), "2026-11-01T12:30:00Z", or a
 * duration back from now_ms: "90m", "24h", "7d", "3600s". 0 or -1. */
int history_parse_since(const char *text, int64_t now_ms, int64_t *since_ms, char *err);

#endif
