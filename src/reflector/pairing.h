/*
 * pairing: single-use pairing tokens with a TTL.
 *
 * A token is a UUID v4 drawn from the OpenSSL CSPRNG (122 random bits), shown
 * once to the operator. Only its SHA-256 is stored, with created_at and
 * expires_at (and used_at once redeemed), in <data_dir>/pairing.json (atomic
 * write, mode 0600). A redeem answers precisely: ok, invalid, expired or
 * already used; spent hashes are kept PAIRING_KEEP_SPENT_MS for that.
 *
 * Several processes may write the file (`reflector pair` while no server
 * runs, the server itself): every write first merges what is on disk, and
 * a redeem re-reads the file first.
 */
#ifndef PP_REFLECTOR_PAIRING_H
#define PP_REFLECTOR_PAIRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAIRING_FILE_NAME "pairing.json"
#define PAIRING_TOKEN_LEN 37 /* "550e8400-e29b-41d4-a716-446655440000" + NUL */
#define PAIRING_TTL_MIN_SEC 1
#define PAIRING_TTL_MAX_SEC (7 * 86400)
#define PAIRING_KEEP_SPENT_MS ((int64_t)86400 * 1000)
#define PAIRING_MAX_TOKENS 1024
#define PAIRING_FILE_MAX_BYTES ((size_t)1024 * 1024)

enum pairing_result {
	PAIRING_OK,           /* valid: now consumed (persisted) */
	PAIRING_INVALID,      /* no such token (or not a token at all) */
	PAIRING_EXPIRED,      /* it existed, its TTL has passed */
	PAIRING_ALREADY_USED, /* it was redeemed before */
	PAIRING_ERROR,        /* could not persist the consumption (err says why) */
};

struct pairing_store;

/* Opens data_dir's tokens (NULL: in memory only). A missing file is no
 * tokens; a corrupt one is an error naming it. */
struct pairing_store *pairing_open(const char *data_dir, char *err);
void pairing_free(struct pairing_store *store);

/* A new token valid for ttl_sec from now_ms. Writes its text to token_out
 * (the caller shows it, then wipes it with OPENSSL_cleanse) and, if not
 * NULL, *expires_at_ms. The hash is on disk when this returns 0. */
int pairing_create(struct pairing_store *store, uint32_t ttl_sec, int64_t now_ms,
                   char token_out[PAIRING_TOKEN_LEN], int64_t *expires_at_ms, char *err);

/* Redeems token at now_ms (any case). Single use: a PAIRING_OK consumes it. */
enum pairing_result pairing_redeem(struct pairing_store *store, const char *token,
                                   int64_t now_ms, char *err);

/* "ok", "invalid", "expired", "already_used", "error". */
const char *pairing_result_name(enum pairing_result result);

/* The pairing window is open while at least one token is unexpired and
 * unused. pairing_window_closes_at_ms: the latest such expiry, -1 if none.
 * Both first re-read the file if another process changed it (a stat()). */
bool pairing_window_open(struct pairing_store *store, int64_t now_ms);
int64_t pairing_window_closes_at_ms(struct pairing_store *store, int64_t now_ms);
size_t pairing_token_count(const struct pairing_store *store); /* all kept */

/* Merges the file into memory (tokens written by `reflector pair` while
 * the server was not reachable). On error memory is unchanged. */
int pairing_reload(struct pairing_store *store, char *err);

/* "600", "90s", "10m", "1h", "1h30m", "2d" (units d, h, m, s, each at most
 * once, largest first) → seconds in [PAIRING_TTL_MIN_SEC, PAIRING_TTL_MAX_SEC].
 * -1 with err quoting the text otherwise. */
int pairing_parse_ttl(const char *text, uint32_t *ttl_sec, char *err);

#endif
