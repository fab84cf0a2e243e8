/*
 * usage: per-peer ledger of test starts, daily bytes and last test time,
 * persisted in <data_dir>/usage.json. See usage.h.
 *
 * File format (version 1):
 *   {"version": 1, "peers": [{"id": "PP-...", "last_test_ms": 1763788443123,
 *     "test_starts_ms": [...ascending...], "bytes_day": "2026-11-22",
 *     "bytes": 123456}]}
 */
#include "reflector/usage.h"

#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct usage_peer {
	char id[USAGE_PEER_ID_MAX];
	int64_t *starts_ms; /* ascending */
	size_t n_starts, cap_starts;
	int64_t last_test_ms; /* -1: never */
	int64_t bytes_day;    /* UTC day that `bytes` belongs to */
	uint64_t bytes;
};

struct usage_ledger {
	char *path; /* NULL: in memory only */
	struct usage_peer *peers;
	size_t n_peers, cap_peers;
};

int64_t usage_utc_day(int64_t ms)
{
	int64_t day = ms / USAGE_DAY_MS;
	if (ms % USAGE_DAY_MS < 0)
		day--; /* floor, also before 1970 */
	return day;
}

/* Days since 1970-01-01 <-> civil date (H. Hinnant's algorithms), so that the
 * file says "2026-11-22" rather than a bare day number. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int parse_day(const char *text, int64_t *day)
{
	/* Exactly YYYY-MM-DD: sscanf alone would take signs and spaces. */
	if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
			return -1;
	int y, m, d;
	if (sscanf(text, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return -1;
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	int64_t z = days_from_civil(y, (unsigned)m, (unsigned)d);
	int64_t yy;
	unsigned mm, dd;
	civil_from_days(z, &yy, &mm, &dd);
	if (yy != y || mm != (unsigned)m || dd != (unsigned)d)
		return -1; /* 2026-02-30 */
	*day = z;
	return 0;
}

static void format_day(int64_t day, char out[16])
{
	int64_t y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(out, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

static struct usage_peer *find_peer(struct usage_ledger *ledger, const char *id)
{
	for (size_t i = 0; i < ledger->n_peers; i++)
		if (strcmp(ledger->peers[i].id, id) == 0)
			return &ledger->peers[i];
	return NULL;
}

static void drop_peer(struct usage_ledger *ledger, size_t i)
{
	free(ledger->peers[i].starts_ms);
	ledger->peers[i] = ledger->peers[ledger->n_peers - 1];
	ledger->n_peers--;
}

/* Forget starts that left the rolling hour and bytes of an earlier day. */
static void prune_peer(struct usage_peer *p, int64_t now_ms)
{
	size_t keep_from = 0;
	while (keep_from < p->n_starts && p->starts_ms[keep_from] + USAGE_WINDOW_MS <= now_ms)
		keep_from++;
	if (keep_from > 0) {
		memmove(p->starts_ms, p->starts_ms + keep_from,
		        (p->n_starts - keep_from) * sizeof(int64_t));
		p->n_starts -= keep_from;
	}
	if (p->bytes_day != usage_utc_day(now_ms)) {
		p->bytes = 0;
		p->bytes_day = usage_utc_day(now_ms);
	}
}

/* A peer that has nothing left that any limit could use: no start in the
 * hour, no bytes today, and no test for a day (cooldowns are shorter). */
static int peer_is_idle(const struct usage_peer *p, int64_t now_ms)
{
	return p->n_starts == 0 && p->bytes == 0 &&
	       (p->last_test_ms < 0 || p->last_test_ms + USAGE_DAY_MS <= now_ms);
}

static void prune_all(struct usage_ledger *ledger, int64_t now_ms)
{
	for (size_t i = ledger->n_peers; i-- > 0;) {
		prune_peer(&ledger->peers[i], now_ms);
		if (peer_is_idle(&ledger->peers[i], now_ms))
			drop_peer(ledger, i);
	}
}

static int64_t peer_last_activity(const struct usage_peer *p)
{
	int64_t t = p->last_test_ms;
	if (p->n_starts > 0 && p->starts_ms[p->n_starts - 1] > t)
		t = p->starts_ms[p->n_starts - 1];
	return t;
}

/* Finds or creates the entry of id. When the table is full even after
 * pruning, the least recently active peer is forgotten (documented bound). */
static struct usage_peer *get_or_add_peer(struct usage_ledger *ledger, const char *id,
                                          int64_t now_ms, char *err)
{
	if (strlen(id) == 0 || strlen(id) >= USAGE_PEER_ID_MAX) {
		errbuf_set(err, "usage: bad peer id \"%.64s\"", id);
		return NULL;
	}
	struct usage_peer *p = find_peer(ledger, id);
	if (p != NULL)
		return p;
	if (ledger->n_peers >= USAGE_MAX_PEERS)
		prune_all(ledger, now_ms);
	if (ledger->n_peers >= USAGE_MAX_PEERS) {
		size_t oldest = 0;
		for (size_t i = 1; i < ledger->n_peers; i++)
			if (peer_last_activity(&ledger->peers[i]) <
			    peer_last_activity(&ledger->peers[oldest]))
				oldest = i;
		drop_peer(ledger, oldest);
	}
	if (ledger->n_peers == ledger->cap_peers) {
		size_t cap = ledger->cap_peers ? ledger->cap_peers * 2 : 16;
		struct usage_peer *bigger = realloc(ledger->peers, cap * sizeof(*bigger));
		if (bigger == NULL) {
			errbuf_set(err, "usage: out of memory");
			return NULL;
		}
		ledger->peers = bigger;
		ledger->cap_peers = cap;
	}
	p = &ledger->peers[ledger->n_peers++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	p->last_test_ms = -1;
	p->bytes_day = usage_utc_day(now_ms);
	return p;
}

/* Inserts t keeping starts ascending (the wall clock may step back). */
static int add_start(struct usage_peer *p, int64_t t)
{
	if (p->n_starts >= USAGE_MAX_STARTS_PER_PEER) {
		memmove(p->starts_ms, p->starts_ms + 1, (p->n_starts - 1) * sizeof(int64_t));
		p->n_starts--;
	}
	if (p->n_starts == p->cap_starts) {
		size_t cap = p->cap_starts ? p->cap_starts * 2 : 16;
		if (cap > USAGE_MAX_STARTS_PER_PEER)
			cap = USAGE_MAX_STARTS_PER_PEER;
		int64_t *bigger = realloc(p->starts_ms, cap * sizeof(int64_t));
		if (bigger == NULL)
			return -1;
		p->starts_ms = bigger;
		p->cap_starts = cap;
	}
	size_t i = p->n_starts;
	while (i > 0 && p->starts_ms[i - 1] > t) {
		p->starts_ms[i] = p->starts_ms[i - 1];
		i--;
	}
	p->starts_ms[i] = t;
	p->n_starts++;
	return 0;
}

char *usage_to_json(const struct usage_ledger *ledger)
{
	json_t *peers = json_array();
	json_t *root = json_pack("{s:i, s:o}", "version", 1, "peers", peers);
	if (root == NULL)
		return NULL;
	for (size_t i = 0; i < ledger->n_peers; i++) {
		const struct usage_peer *p = &ledger->peers[i];
		json_t *starts = json_array();
		for (size_t j = 0; j < p->n_starts; j++)
			json_array_append_new(starts, json_integer(p->starts_ms[j]));
		char day[16];
		format_day(p->bytes_day, day);
		json_array_append_new(peers, json_pack("{s:s, s:I, s:o, s:s, s:I}", "id", p->id,
		                                       "last_test_ms", (json_int_t)p->last_test_ms,
		                                       "test_starts_ms", starts, "bytes_day", day,
		                                       "bytes", (json_int_t)p->bytes));
	}
	char *text = json_dumps(root, JSON_INDENT(1) | JSON_COMPACT);
	json_decref(root);
	return text;
}

static int save(struct usage_ledger *ledger, int64_t now_ms, char *err)
{
	if (ledger->path == NULL)
		return 0;
	prune_all(ledger, now_ms);
	char *text = usage_to_json(ledger);
	if (text == NULL)
		return errbuf_set(err, "%s: out of memory", ledger->path);
	int rc = fsutil_write_atomic(ledger->path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

int usage_record_start(struct usage_ledger *ledger, const char *peer_id,
                       int64_t now_ms, char *err)
{
	struct usage_peer *p = get_or_add_peer(ledger, peer_id, now_ms, err);
	if (p == NULL)
		return -1;
	prune_peer(p, now_ms);
	if (add_start(p, now_ms) != 0)
		return errbuf_set(err, "usage: out of memory");
	p->last_test_ms = now_ms;
	return save(ledger, now_ms, err);
}

int usage_add_bytes(struct usage_ledger *ledger, const char *peer_id, uint64_t bytes,
                    int64_t now_ms, char *err)
{
	if (bytes == 0)
		return 0;
	struct usage_peer *p = get_or_add_peer(ledger, peer_id, now_ms, err);
	if (p == NULL)
		return -1;
	prune_peer(p, now_ms);
	p->bytes = bytes > UINT64_MAX - p->bytes ? UINT64_MAX : p->bytes + bytes;
	return save(ledger, now_ms, err);
}

uint64_t usage_bytes_left(const struct usage_view *view, uint64_t max_bytes_per_day)
{
	return view->bytes_today < max_bytes_per_day ? max_bytes_per_day - view->bytes_today : 0;
}

void usage_get(struct usage_ledger *ledger, const char *peer_id, int64_t now_ms,
               struct usage_view *view)
{
	memset(view, 0, sizeof(*view));
	view->last_test_ms = -1;
	view->bytes_day = usage_utc_day(now_ms);
	struct usage_peer *p = find_peer(ledger, peer_id);
	if (p == NULL)
		return;
	prune_peer(p, now_ms);
	view->test_starts_ms = p->starts_ms;
	view->n_test_starts = p->n_starts;
	view->last_test_ms = p->last_test_ms;
	view->bytes_today = p->bytes;
	view->bytes_day = p->bytes_day;
}

size_t usage_peer_count(const struct usage_ledger *ledger)
{
	return ledger->n_peers;
}

void usage_free(struct usage_ledger *ledger)
{
	if (ledger == NULL)
		return;
	for (size_t i = 0; i < ledger->n_peers; i++)
		free(ledger->peers[i].starts_ms);
	free(ledger->peers);
	free(ledger->path);
	free(ledger);
}

static int parse_peer(struct usage_ledger *ledger, json_t *obj, size_t index,
                      const char *name, char *err)
{
	const char *id = NULL, *day = NULL;
	json_int_t last = 0, bytes = 0;
	json_t *starts = NULL;
	json_error_t jerr;
	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s, s:I, s:o, s:s, s:I}", "id", &id,
	                   "last_test_ms", &last, "test_starts_ms", &starts, "bytes_day", &day,
	                   "bytes", &bytes) != 0)
		return errbuf_set(err, "%s: peers[%zu]: %s", name, index, jerr.text);
	if (strlen(id) == 0 || strlen(id) >= USAGE_PEER_ID_MAX)
		return errbuf_set(err, "%s: peers[%zu]: bad id", name, index);
	if (find_peer(ledger, id) != NULL)
		return errbuf_set(err, "%s: peers[%zu]: duplicate id %s", name, index, id);
	if (last < -1 || last > USAGE_MAX_TIME_MS || bytes < 0 || !json_is_array(starts) ||
	    json_array_size(starts) > USAGE_MAX_STARTS_PER_PEER)
		return errbuf_set(err, "%s: peers[%zu] (%s): value out of range", name, index, id);
	if (ledger->n_peers >= USAGE_MAX_PEERS)
		return errbuf_set(err, "%s: more than %d peers", name, USAGE_MAX_PEERS);
	int64_t bytes_day;
	if (parse_day(day, &bytes_day) != 0)
		return errbuf_set(err, "%s: peers[%zu] (%s): bad bytes_day \"%.20s\"", name, index,
		                  id, day);
	struct usage_peer *p = get_or_add_peer(ledger, id, 0, err);
	if (p == NULL)
		return -1;
	p->last_test_ms = last;
	p->bytes = (uint64_t)bytes;
	p->bytes_day = bytes_day;
	size_t j;
	json_t *t;
	json_array_foreach(starts, j, t) {
		if (!json_is_integer(t) || json_integer_value(t) < 0 ||
		    json_integer_value(t) > USAGE_MAX_TIME_MS)
			return errbuf_set(err, "%s: peers[%zu] (%s): bad test_starts_ms[%zu]", name,
			                  index, id, j);
		if (add_start(p, json_integer_value(t)) != 0)
			return errbuf_set(err, "%s: out of memory", name);
	}
	return 0;
}

struct usage_ledger *usage_parse(const char *text, size_t len, const char *name, char *err)
{
	struct usage_ledger *ledger = calloc(1, sizeof(*ledger));
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (ledger == NULL) {
		errbuf_set(err, "%s: out of memory", name);
		goto fail;
	}
	if (root == NULL) {
		errbuf_set(err, "%s:%d: not valid JSON: %s", name, jerr.line, jerr.text);
		goto fail;
	}
	json_int_t version = 0;
	json_t *peers = NULL;
	if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s:I, s:o}", "version", &version, "peers",
	                   &peers) != 0) {
		errbuf_set(err, "%s: %s", name, jerr.text);
		goto fail;
	}
	if (version != 1 || !json_is_array(peers)) {
		errbuf_set(err, "%s: unsupported version or no peers array", name);
		goto fail;
	}
	size_t i;
	json_t *obj;
	json_array_foreach(peers, i, obj) {
		if (parse_peer(ledger, obj, i, name, err) != 0)
			goto fail;
	}
	json_decref(root);
	return ledger;
fail:
	json_decref(root);
	usage_free(ledger);
	return NULL;
}

struct usage_ledger *usage_open(const char *data_dir, char *err)
{
	struct usage_ledger *ledger = NULL;
	if (data_dir == NULL) {
		ledger = calloc(1, sizeof(*ledger));
		if (ledger == NULL)
			errbuf_set(err, "usage: out of memory");
		return ledger;
	}
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", data_dir, USAGE_FILE_NAME) >= (int)sizeof(path)) {
		errbuf_set(err, "%s: path too long", data_dir);
		return NULL;
	}
	size_t len = 0;
	errno = 0; /* ENOENT below must come from open() */
	char *text = fsutil_read_all(path, USAGE_FILE_MAX_BYTES, &len, err);
	if (text == NULL) {
		if (errno != ENOENT)
			return NULL;
		ledger = calloc(1, sizeof(*ledger));
	} else {
		ledger = usage_parse(text, len, path, err);
		free(text);
		if (ledger == NULL)
			return NULL;
	}
	if (ledger == NULL || (ledger->path = strdup(path)) == NULL) {
		usage_free(ledger);
		errbuf_set(err, "%s: out of memory", path);
		return NULL;
	}
	return ledger;
}
