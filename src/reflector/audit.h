/*
 * audit: the reflector's JSON-lines audit log.
 *
 * One JSON object per line, appended with a single write() (whole lines
 * even with concurrent writers), never truncated:
 *   {"timestamp": "2026-11-22T05:14:03.123Z", "event_type": "...",
 *    "peer_id": "PP-..." or null, ...event fields}
 * The event types are the table below (audit_event_types); docs/GOVERNANCE.md
 * lists them, and audit_event() refuses a name that is not in it.
 *
 * Coalescing: a flood of denied connections must not become an unbounded
 * stream of disk writes. Events sent through audit_event_coalesced() with
 * the same (event_type, source, reason) key: the first is written at once;
 * the repeats within AUDIT_COALESCE_WINDOW_MS are only counted, then written
 * as ONE line with "count" (repeats not written one by one),
 * "first_timestamp" and "last_timestamp" when the window closes
 * (audit_tick), when the table needs room, or at audit_flush/audit_close.
 * While a flood goes on that is one line per key per window.
 *
 * Timestamps come from clock_wall_ms() (fakeable in tests).
 */
#ifndef PP_REFLECTOR_AUDIT_H
#define PP_REFLECTOR_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_COALESCE_WINDOW_MS 10000
#define AUDIT_COALESCE_MAX_KEYS 1024
#define AUDIT_TIMESTAMP_LEN 32

struct audit_event_type {
	const char *name;
	const char *meaning; /* one line, for the docs */
};

/* THE table of event types (terminated by a {NULL, NULL} entry). */
extern const struct audit_event_type audit_event_types[];

/* 1 when name is in the table. */
int audit_event_type_known(const char *name);

struct audit_log;

/* Opens path for appending (parents created 0700, file 0600). */
struct audit_log *audit_open(const char *path, char *err);

/* Writes one event now. fields (may be NULL) is a JSON object whose
 * reference is stolen; its "timestamp", "event_type" and "peer_id" keys are
 * ignored. peer_id NULL is written as null. -1 on an unknown event type or a
 * failed write (see audit_last_error). */
int audit_event(struct audit_log *log, const char *event_type, const char *peer_id,
                json_t *fields);

/* Like audit_event, coalesced by (event_type, source, reason); source (an
 * address such as "192.0.2.7") and reason are also written as the "source"
 * and "reason" fields. A repeat's fields replace the previous repeat's, so
 * the count line carries the latest. */
int audit_event_coalesced(struct audit_log *log, const char *event_type,
                          const char *peer_id, const char *source,
                          const char *reason, json_t *fields);

/* Closes the windows that ended by now_ms (call from a periodic timer,
 * e.g. every second). Returns -1 if a write failed. */
int audit_tick(struct audit_log *log, int64_t now_ms);

/* Writes every pending count now. Returns -1 if a write failed. */
int audit_flush(struct audit_log *log);

/* Flushes, then closes. NULL is fine. */
void audit_close(struct audit_log *log);

/* Closes and reopens the file (after logrotate moved it); counts stay. */
int audit_reopen(struct audit_log *log, char *err);

/* The message of the last failed write or refused event. */
const char *audit_last_error(const struct audit_log *log);

/* Number of keys currently being coalesced (for tests and status). */
size_t audit_pending_keys(const struct audit_log *log);

/* RFC 3339 UTC with milliseconds: "2026-11-22T05:14:03.123Z". */
void audit_format_timestamp(int64_t ms, char out[AUDIT_TIMESTAMP_LEN]);

#endif
