/*
 * pairing: hashed, single-use pairing tokens with a TTL. See pairing.h.
 *
 * File format (version 1), mode 0600:
 *   {"version": 1, "tokens": [{"sha256": "<64 hex>",
 *     "created_at": "2026-11-22T05:14:03.123Z",
 *     "expires_at": "2026-11-22T05:24:03.123Z", "used_at": null}]}
 */
#include "reflector/pairing.h"

#include "core/protocol.h"
#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#define HASH_BYTES 32

struct pairing_token {
	uint8_t hash[HASH_BYTES]; /* SHA-256 of the lowercase token text */
	int64_t created_at_ms;
	int64_t expires_at_ms;
	int64_t used_at_ms; /* -1: not used */
};

struct pairing_store {
	char *path; /* NULL: in memory only */
	struct stat seen; /* the file as last read or written, to notice changes */
	bool have_seen;
	struct pairing_token tokens[PAIRING_MAX_TOKENS];
	size_t n;
};

static void remember_file(struct pairing_store *store);

const char *pairing_result_name(enum pairing_result result)
{
	switch (result) {
	case PAIRING_OK:
		return "ok";
	case PAIRING_INVALID:
		return "invalid";
	case PAIRING_EXPIRED:
		return "expired";
	case PAIRING_ALREADY_USED:
		return "already_used";
	case PAIRING_ERROR:
		break;
	}
	return "error";
}

/* ---- TTL text ---- */

int pairing_parse_ttl(const char *text, uint32_t *ttl_sec, char *err)
{
	static const struct {
		char unit;
		uint64_t sec;
	} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
	const char *p = text;
	uint64_t total = 0;
	size_t next_unit = 0; /* units must come largest first, each once */
	int parts = 0;
	if (text == NULL || *text == '\0')
		return errbuf_set(err, "pairing TTL is empty (e.g. 10m, 1h30m, 600)");
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			goto bad;
		uint64_t n = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (uint64_t)(*p++ - '0');
			if (++digits > 9)
				goto bad; /* far beyond the maximum anyway */
		}
		if (*p == '\0') {
			if (parts > 0)
				goto bad; /* "1h30": a bare number only on its own */
			total = n;
			break;
		}
		size_t u = next_unit;
		while (u < sizeof(units) / sizeof(units[0]) && units[u].unit != *p)
			u++;
		if (u == sizeof(units) / sizeof(units[0]))
			goto bad;
		total += n * units[u].sec;
		next_unit = u + 1;
		parts++;
		p++;
	}
	if (total < PAIRING_TTL_MIN_SEC || total > PAIRING_TTL_MAX_SEC)
		return errbuf_set(err, "pairing TTL \"%.40s\" is out of range (1s .. 7d)", text);
	*ttl_sec = (uint32_t)total;
	return 0;
bad:
	return errbuf_set(err,
	                  "pairing TTL \"%.40s\" is not a duration (e.g. 10m, 90s, 1h30m, 600)",
	                  text);
}

/* ---- hashing ---- */

/* SHA-256 of the token's lowercase text; -1 if it is not a UUID at all. */
static int hash_token(const char *token, uint8_t out[HASH_BYTES])
{
	if (token == NULL || strnlen(token, PAIRING_TOKEN_LEN) != PAIRING_TOKEN_LEN - 1 ||
	    !protocol_uuid_valid(token))
		return -1;
	char lower[PAIRING_TOKEN_LEN];
	for (size_t i = 0; i < PAIRING_TOKEN_LEN; i++)
		lower[i] = (char)tolower((unsigned char)token[i]);
	unsigned int len = 0;
	int ok = EVP_Digest(lower, PAIRING_TOKEN_LEN - 1, out, &len, EVP_sha256(), NULL);
	OPENSSL_cleanse(lower, sizeof(lower));
	return ok == 1 && len == HASH_BYTES ? 0 : -1;
}

/* Index of the token with this hash, or -1. Every entry is compared, with
 * CRYPTO_memcmp, so the time does not depend on where (or whether) it is. */
static ssize_t find_hash(const struct pairing_store *store, const uint8_t hash[HASH_BYTES])
{
	ssize_t found = -1;
	for (size_t i = 0; i < store->n; i++)
		if (CRYPTO_memcmp(store->tokens[i].hash, hash, HASH_BYTES) == 0)
			found = (ssize_t)i;
	return found;
}

/* ---- the file ---- */

static int parse_time(json_t *value, bool nullable, int64_t *ms)
{
	if (nullable && json_is_null(value)) {
		*ms = -1;
		return 0;
	}
	if (!json_is_string(value) || protocol_parse_rfc3339_ms(json_string_value(value), ms) != 0 ||
	    *ms < 0)
		return -1;
	return 0;
}

static int parse_hex(const char *hex, uint8_t out[HASH_BYTES])
{
	if (strlen(hex) != 2 * HASH_BYTES)
		return -1;
	for (size_t i = 0; i < HASH_BYTES; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + k];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* Parses the file text into tokens[] (room for PAIRING_MAX_TOKENS). */
static int parse_file(const char *text, size_t len, const char *name,
                      struct pairing_token *tokens, size_t *n_out, char *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *arr = NULL;
	json_int_t version = 0;
	*n_out = 0;
	if (root == NULL)
		return errbuf_set(err, "%s:%d: not valid JSON: %s", name, jerr.line, jerr.text);
	if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s:I, s:o}", "version", &version, "tokens",
	                   &arr) != 0 ||
	    version != 1 || !json_is_array(arr) || json_array_size(arr) > PAIRING_MAX_TOKENS) {
		json_decref(root);
		return errbuf_set(err, "%s: expected {\"version\": 1, \"tokens\": [...]} (at most %d)",
		                  name, PAIRING_MAX_TOKENS);
	}
	size_t i;
	json_t *obj;
	json_array_foreach(arr, i, obj) {
		const char *hex = NULL;
		json_t *created = NULL, *expires = NULL, *used = NULL;
		struct pairing_token t;
		if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s, s:o, s:o, s:o}", "sha256", &hex,
		                   "created_at", &created, "expires_at", &expires, "used_at",
		                   &used) != 0 ||
		    parse_hex(hex, t.hash) != 0 || parse_time(created, false, &t.created_at_ms) != 0 ||
		    parse_time(expires, false, &t.expires_at_ms) != 0 ||
		    parse_time(used, true, &t.used_at_ms) != 0) {
			json_decref(root);
			return errbuf_set(err, "%s: tokens[%zu] is malformed", name, i);
		}
		tokens[(*n_out)++] = t;
	}
	json_decref(root);
	return 0;
}

/* Reads the file into tokens[]; a missing file is zero tokens. */
static int read_file(const char *path, struct pairing_token *tokens, size_t *n, char *err)
{
	size_t len = 0;
	*n = 0;
	errno = 0;
	char *text = fsutil_read_all(path, PAIRING_FILE_MAX_BYTES, &len, err);
	if (text == NULL)
		return errno == ENOENT ? 0 : -1;
	int rc = parse_file(text, len, path, tokens, n, err);
	free(text);
	return rc;
}

/* A token is spent once used or expired; its hash is forgotten a day later. */
static int64_t forget_at_ms(const struct pairing_token *t)
{
	int64_t spent = t->used_at_ms >= 0 && t->used_at_ms < t->expires_at_ms ? t->used_at_ms
	                                                                       : t->expires_at_ms;
	return spent + PAIRING_KEEP_SPENT_MS;
}

static void prune(struct pairing_store *store, int64_t now_ms)
{
	size_t kept = 0;
	for (size_t i = 0; i < store->n; i++)
		if (forget_at_ms(&store->tokens[i]) > now_ms)
			store->tokens[kept++] = store->tokens[i];
	store->n = kept;
}

/* Adds what only the disk knows; a use recorded on either side wins. */
static void merge(struct pairing_store *store, const struct pairing_token *disk, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ssize_t j = find_hash(store, disk[i].hash);
		if (j >= 0) {
			struct pairing_token *m = &store->tokens[j];
			if (disk[i].used_at_ms >= 0 &&
			    (m->used_at_ms < 0 || disk[i].used_at_ms < m->used_at_ms))
				m->used_at_ms = disk[i].used_at_ms;
		} else if (store->n < PAIRING_MAX_TOKENS) {
			store->tokens[store->n++] = disk[i];
		}
	}
}

static json_t *time_json(int64_t ms)
{
	char text[PP_RFC3339_BUF_BYTES];
	if (ms < 0 || protocol_format_rfc3339_ms(ms, text) != 0)
		return json_null();
	return json_string(text);
}

static int save(struct pairing_store *store, int64_t now_ms, char *err)
{
	if (store->path == NULL)
		return 0;
	struct pairing_token *disk = malloc(sizeof(*disk) * PAIRING_MAX_TOKENS);
	size_t n = 0;
	if (disk == NULL)
		return errbuf_set(err, "%s: out of memory", store->path);
	if (read_file(store->path, disk, &n, err) != 0) {
		free(disk);
		return -1; /* never overwrite a file we cannot read */
	}
	merge(store, disk, n);
	free(disk);
	prune(store, now_ms);

	json_t *arr = json_array();
	for (size_t i = 0; i < store->n; i++) {
		const struct pairing_token *t = &store->tokens[i];
		char hex[2 * HASH_BYTES + 1];
		for (size_t k = 0; k < HASH_BYTES; k++)
			snprintf(hex + 2 * k, 3, "%02x", t->hash[k]);
		json_array_append_new(arr, json_pack("{s:s, s:o, s:o, s:o}", "sha256", hex,
		                                     "created_at", time_json(t->created_at_ms),
		                                     "expires_at", time_json(t->expires_at_ms),
		                                     "used_at", time_json(t->used_at_ms)));
	}
	json_t *root = json_pack("{s:i, s:o}", "version", 1, "tokens", arr);
	char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	if (text == NULL)
		return errbuf_set(err, "%s: out of memory", store->path);
	int rc = fsutil_write_atomic(store->path, text, strlen(text), 0600, err);
	free(text);
	if (rc == 0)
		remember_file(store);
	return rc;
}

static void remember_file(struct pairing_store *store)
{
	store->have_seen = stat(store->path, &store->seen) == 0;
}

/* Re-reads the file when another process changed it since we last looked
 * (a `reflector pair` that could not reach this server wrote a token). */
static void refresh_if_changed(struct pairing_store *store)
{
	struct stat now;
	if (store->path == NULL || stat(store->path, &now) != 0)
		return;
	if (store->have_seen && now.st_ino == store->seen.st_ino &&
	    now.st_size == store->seen.st_size &&
	    now.st_mtim.tv_sec == store->seen.st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == store->seen.st_mtim.tv_nsec)
		return;
	pairing_reload(store, NULL);
}

/* ---- the store ---- */

struct pairing_store *pairing_open(const char *data_dir, char *err)
{
	struct pairing_store *store = calloc(1, sizeof(*store));
	if (store == NULL) {
		errbuf_set(err, "pairing: out of memory");
		return NULL;
	}
	if (data_dir == NULL)
		return store;
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", data_dir, PAIRING_FILE_NAME) >= (int)sizeof(path) ||
	    (store->path = strdup(path)) == NULL) {
		errbuf_set(err, "%s: path too long or out of memory", data_dir);
		goto fail;
	}
	if (read_file(store->path, store->tokens, &store->n, err) != 0)
		goto fail;
	remember_file(store);
	return store;
fail:
	pairing_free(store);
	return NULL;
}

void pairing_free(struct pairing_store *store)
{
	if (store == NULL)
		return;
	free(store->path);
	OPENSSL_cleanse(store->tokens, sizeof(store->tokens));
	free(store);
}

int pairing_reload(struct pairing_store *store, char *err)
{
	if (store->path == NULL)
		return 0;
	struct pairing_token *disk = malloc(sizeof(*disk) * PAIRING_MAX_TOKENS);
	size_t n = 0;
	if (disk == NULL)
		return errbuf_set(err, "%s: out of memory", store->path);
	int rc = read_file(store->path, disk, &n, err);
	if (rc == 0) {
		merge(store, disk, n);
		remember_file(store);
	}
	free(disk);
	return rc;
}

int pairing_create(struct pairing_store *store, uint32_t ttl_sec, int64_t now_ms,
                   char token_out[PAIRING_TOKEN_LEN], int64_t *expires_at_ms, char *err)
{
	token_out[0] = '\0';
	if (ttl_sec < PAIRING_TTL_MIN_SEC || ttl_sec > PAIRING_TTL_MAX_SEC)
		return errbuf_set(err, "pairing TTL %u s is out of range (1s .. 7d)", ttl_sec);
	prune(store, now_ms);
	if (store->n >= PAIRING_MAX_TOKENS)
		return errbuf_set(err, "pairing: already %d tokens pending or recently spent",
		                  PAIRING_MAX_TOKENS);
	struct pairing_token t = {.created_at_ms = now_ms,
	                          .expires_at_ms = now_ms + (int64_t)ttl_sec * 1000,
	                          .used_at_ms = -1};
	if (protocol_uuid_v4(token_out, err) != 0)
		return -1;
	if (hash_token(token_out, t.hash) != 0) {
		OPENSSL_cleanse(token_out, PAIRING_TOKEN_LEN);
		return errbuf_set(err, "pairing: cannot hash the token (OpenSSL SHA-256)");
	}
	store->tokens[store->n++] = t;
	if (save(store, now_ms, err) != 0) {
		ssize_t i = find_hash(store, t.hash); /* save may have reordered */
		if (i >= 0)
			store->tokens[i] = store->tokens[--store->n];
		OPENSSL_cleanse(token_out, PAIRING_TOKEN_LEN);
		return -1;
	}
	if (expires_at_ms != NULL)
		*expires_at_ms = t.expires_at_ms;
	return 0;
}

enum pairing_result pairing_redeem(struct pairing_store *store, const char *token,
                                   int64_t now_ms, char *err)
{
	uint8_t hash[HASH_BYTES];
	if (hash_token(token, hash) != 0)
		return PAIRING_INVALID;
	/* The disk may know more: a token written by `reflector pair` while
	 * this process was not reachable, or a use recorded by another one.
	 * A file that cannot be read leaves what memory knows. */
	pairing_reload(store, NULL);
	ssize_t i = find_hash(store, hash);
	OPENSSL_cleanse(hash, sizeof(hash));
	if (i < 0)
		return PAIRING_INVALID;
	struct pairing_token *t = &store->tokens[i];
	if (t->used_at_ms >= 0)
		return PAIRING_ALREADY_USED;
	if (now_ms >= t->expires_at_ms)
		return PAIRING_EXPIRED;
	/* Consumed in memory first: even if the write fails, this process
	 * never accepts it twice. */
	t->used_at_ms = now_ms;
	if (save(store, now_ms, err) != 0)
		return PAIRING_ERROR;
	return PAIRING_OK;
}

bool pairing_window_open(struct pairing_store *store, int64_t now_ms)
{
	return pairing_window_closes_at_ms(store, now_ms) >= 0;
}

int64_t pairing_window_closes_at_ms(struct pairing_store *store, int64_t now_ms)
{
	refresh_if_changed(store);
	int64_t closes = -1;
	for (size_t i = 0; i < store->n; i++) {
		const struct pairing_token *t = &store->tokens[i];
		if (t->used_at_ms < 0 && now_ms < t->expires_at_ms && t->expires_at_ms > closes)
			closes = t->expires_at_ms;
	}
	return closes;
}

size_t pairing_token_count(const struct pairing_store *store)
{
	return store->n;
}
