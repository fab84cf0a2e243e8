/*
 * usage: the per-peer usage ledger that governance decides on.
 *
 * For each peer: the start times of its tests in the last rolling hour, the
 * bytes it moved in the current UTC day (and which day that is), and the time
 * of its last test. The ledger is persisted as JSON in <data_dir>/usage.json
 * after every change (it is small), and loaded at start so that restarting
 * the reflector never resets a peer's quota.
 *
 * Time is always a parameter (now_ms, Unix epoch milliseconds): the server
 * passes clock_wall_ms(), tests pass whatever they like.
 */
#ifndef PP_REFLECTOR_USAGE_H
#define PP_REFLECTOR_USAGE_H

#include <stddef.h>
#include <stdint.h>

#define USAGE_FILE_NAME "usage.json"
#define USAGE_WINDOW_MS ((int64_t)3600 * 1000) /* the rolling hour */
#define USAGE_DAY_MS ((int64_t)86400 * 1000)
/* Bounds, so that neither memory nor the file can grow without limit.
 * max_tests_per_hour_per_peer above USAGE_MAX_STARTS_PER_PEER cannot be
 * enforced exactly (the oldest starts are forgotten first). */
#define USAGE_MAX_PEERS 4096
#define USAGE_MAX_STARTS_PER_PEER 4096
#define USAGE_PEER_ID_MAX 128 /* bytes, including the NUL */
#define USAGE_FILE_MAX_BYTES ((size_t)64 * 1024 * 1024)
/* Times read from the file are at most 9999-12-31T23:59:59.999Z, so that
 * adding an hour, a day or a cooldown can never overflow. */
#define USAGE_MAX_TIME_MS ((int64_t)253402300799999)

struct usage_ledger;

/* What governance needs to know about one peer at now_ms. The pointer points
 * into the ledger: valid until the next call that changes the ledger. */
struct usage_view {
	const int64_t *test_starts_ms; /* ascending, all within the last hour */
	size_t n_test_starts;
	int64_t last_test_ms; /* -1: never */
	uint64_t bytes_today; /* bytes in now's UTC day (0 on a new day) */
	int64_t bytes_day;    /* the UTC day of bytes_today (days since epoch) */
};

/* Opens the ledger of data_dir (reading data_dir/usage.json if it exists;
 * a missing file is an empty ledger; a corrupt one is an error naming the
 * file). data_dir NULL: an in-memory ledger that is never persisted. */
struct usage_ledger *usage_open(const char *data_dir, char *err);
void usage_free(struct usage_ledger *ledger);

/* A test of peer_id started at now_ms (call it when a session is granted).
 * The in-memory ledger is always updated; -1 means only the write to disk
 * failed (err names the file). */
int usage_record_start(struct usage_ledger *ledger, const char *peer_id,
                       int64_t now_ms, char *err);

/* The data plane moved `bytes` for peer_id; counted in now_ms's UTC day.
 * Same return convention as usage_record_start. */
int usage_add_bytes(struct usage_ledger *ledger, const char *peer_id,
                    uint64_t bytes, int64_t now_ms, char *err);

/* Fills *view for peer_id at now_ms (an unknown peer has no usage). Drops
 * starts older than an hour and bytes of a previous day from memory. */
void usage_get(struct usage_ledger *ledger, const char *peer_id, int64_t now_ms,
               struct usage_view *view);

/* What a peer with this view may still move today under a daily maximum
 * (0 once it is reached). */
uint64_t usage_bytes_left(const struct usage_view *view, uint64_t max_bytes_per_day);

/* Number of peers the ledger holds (for status and tests). */
size_t usage_peer_count(const struct usage_ledger *ledger);

/* The UTC day of a time: floor(ms / 86400000). */
int64_t usage_utc_day(int64_t ms);

/* Parses a usage.json text (len bytes, need not be NUL-terminated) into an
 * in-memory ledger; NULL with err on anything malformed. `name` is the
 * file name used in messages. Exposed for the fuzz target. */
struct usage_ledger *usage_parse(const char *text, size_t len, const char *name,
                                 char *err);

/* The ledger as usage.json text (malloc'd), NULL on allocation failure. */
char *usage_to_json(const struct usage_ledger *ledger);

#endif
