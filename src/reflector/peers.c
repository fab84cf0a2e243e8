/*
 * peers: the authorized set (config ∪ enrolled), enrolled peers persisted in
 * <data_dir>/peers.json. See peers.h.
 */
#include "reflector/peers.h"

#include "core/protocol.h"
#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct id_list {
	struct peer_info *items;
	size_t n;
};

struct peer_store {
	char *path; /* NULL: in memory only */
	struct id_list config; /* enrolled_at_ms -1 */
	struct id_list paired;
};

const char *peers_source_name(enum peer_source source)
{
	return source == PEER_SOURCE_CONFIG ? "config" : "paired";
}

static ssize_t find(const struct id_list *list, const char *canonical)
{
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->items[i].id, canonical) == 0)
			return (ssize_t)i;
	return -1;
}

/* Canonical form of a typed ID; -1 with err naming it when it is not one. */
static int canonical_id(const char *id, char out[ENDPOINT_ID_LEN], char *err)
{
	char why[ERRBUF_LEN] = "";
	if (id == NULL || endpoint_id_parse(id, NULL, out, why) != 0)
		return errbuf_set(err, "not an endpoint ID: %.100s (%s)", id ? id : "(null)", why);
	return 0;
}

static int build_config(char *const *ids, size_t n, struct id_list *out, char *err)
{
	out->items = n ? calloc(n, sizeof(*out->items)) : NULL;
	out->n = 0;
	if (n && out->items == NULL)
		return errbuf_set(err, "authorized_peers: out of memory");
	for (size_t i = 0; i < n; i++) {
		char canon[ENDPOINT_ID_LEN];
		char why[ERRBUF_LEN];
		if (canonical_id(ids[i], canon, why) != 0) {
			free(out->items);
			out->items = NULL;
			return errbuf_set(err, "authorized_peers[%zu]: %s", i, why);
		}
		if (find(out, canon) >= 0)
			continue; /* listed twice: harmless */
		struct peer_info *p = &out->items[out->n++];
		snprintf(p->id, sizeof(p->id), "%s", canon);
		p->source = PEER_SOURCE_CONFIG;
		p->enrolled_at_ms = -1;
	}
	return 0;
}

int peers_parse(const char *text, size_t len, const char *name, struct peer_info **out,
                size_t *n_out, char *err)
{
	*out = NULL;
	*n_out = 0;
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *peers = NULL;
	struct id_list list = {NULL, 0};
	if (root == NULL) {
		errbuf_set(err, "%s:%d: not valid JSON: %s", name, jerr.line, jerr.text);
		goto fail;
	}
	if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s:o}", "peers", &peers) != 0 ||
	    !json_is_array(peers)) {
		errbuf_set(err, "%s: expected {\"peers\": [...]}", name);
		goto fail;
	}
	if (json_array_size(peers) > PEERS_MAX) {
		errbuf_set(err, "%s: more than %d peers", name, PEERS_MAX);
		goto fail;
	}
	list.items = calloc(json_array_size(peers) + 1, sizeof(*list.items));
	if (list.items == NULL) {
		errbuf_set(err, "%s: out of memory", name);
		goto fail;
	}
	size_t i;
	json_t *obj;
	json_array_foreach(peers, i, obj) {
		const char *id = NULL, *enrolled = NULL;
		char canon[ENDPOINT_ID_LEN], why[ERRBUF_LEN];
		int64_t at_ms;
		if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:s, s:s}", "id", &id, "enrolled_at",
		                   &enrolled) != 0) {
			errbuf_set(err, "%s: peers[%zu]: %s", name, i, jerr.text);
			goto fail;
		}
		if (canonical_id(id, canon, why) != 0) {
			errbuf_set(err, "%s: peers[%zu]: %s", name, i, why);
			goto fail;
		}
		if (protocol_parse_rfc3339_ms(enrolled, &at_ms) != 0 || at_ms < 0) {
			errbuf_set(err, "%s: peers[%zu]: enrolled_at \"%.40s\" is not an RFC 3339 UTC time",
			           name, i, enrolled);
			goto fail;
		}
		if (find(&list, canon) >= 0)
			continue; /* the same peer twice: keep the first enrollment */
		struct peer_info *p = &list.items[list.n++];
		snprintf(p->id, sizeof(p->id), "%s", canon);
		p->source = PEER_SOURCE_PAIRED;
		p->enrolled_at_ms = at_ms;
	}
	json_decref(root);
	*out = list.items;
	*n_out = list.n;
	return 0;
fail:
	json_decref(root);
	free(list.items);
	return -1;
}

static int load(const char *path, struct id_list *out, char *err)
{
	size_t len = 0;
	errno = 0;
	char *text = fsutil_read_all(path, PEERS_FILE_MAX_BYTES, &len, err);
	if (text == NULL) {
		out->items = NULL;
		out->n = 0;
		return errno == ENOENT ? 0 : -1;
	}
	int rc = peers_parse(text, len, path, &out->items, &out->n, err);
	free(text);
	return rc;
}

static int save(const struct peer_store *store, const struct id_list *paired, char *err)
{
	if (store->path == NULL)
		return 0;
	json_t *arr = json_array();
	for (size_t i = 0; i < paired->n; i++) {
		char at[PP_RFC3339_BUF_BYTES];
		protocol_format_rfc3339_ms(paired->items[i].enrolled_at_ms, at);
		json_array_append_new(arr, json_pack("{s:s, s:s}", "id", paired->items[i].id,
		                                     "enrolled_at", at));
	}
	json_t *root = json_pack("{s:o}", "peers", arr);
	char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
	json_decref(root);
	if (text == NULL)
		return errbuf_set(err, "%s: out of memory", store->path);
	int rc = fsutil_write_atomic(store->path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}

struct peer_store *peers_open(const char *data_dir, char *const *config_ids,
                              size_t n_config, char *err)
{
	struct peer_store *store = calloc(1, sizeof(*store));
	if (store == NULL) {
		errbuf_set(err, "peers: out of memory");
		return NULL;
	}
	if (data_dir != NULL) {
		char path[4096];
		if (snprintf(path, sizeof(path), "%s/%s", data_dir, PEERS_FILE_NAME) >=
		        (int)sizeof(path) ||
		    (store->path = strdup(path)) == NULL) {
			errbuf_set(err, "%s: path too long or out of memory", data_dir);
			goto fail;
		}
		if (load(store->path, &store->paired, err) != 0)
			goto fail;
	}
	if (build_config(config_ids, n_config, &store->config, err) != 0)
		goto fail;
	return store;
fail:
	peers_free(store);
	return NULL;
}

void peers_free(struct peer_store *store)
{
	if (store == NULL)
		return;
	free(store->config.items);
	free(store->paired.items);
	free(store->path);
	free(store);
}

bool peers_contains(const struct peer_store *store, const char *id)
{
	char canon[ENDPOINT_ID_LEN];
	if (canonical_id(id, canon, NULL) != 0)
		return false;
	return find(&store->config, canon) >= 0 || find(&store->paired, canon) >= 0;
}

int peers_add(struct peer_store *store, const char *id, int64_t now_ms, bool *added, char *err)
{
	char canon[ENDPOINT_ID_LEN];
	if (added != NULL)
		*added = false;
	if (canonical_id(id, canon, err) != 0)
		return -1;
	if (find(&store->config, canon) >= 0 || find(&store->paired, canon) >= 0)
		return 0;
	if (store->paired.n >= PEERS_MAX)
		return errbuf_set(err, "cannot enroll %s: already %d enrolled peers", canon, PEERS_MAX);
	struct peer_info *bigger =
	    realloc(store->paired.items, (store->paired.n + 1) * sizeof(*bigger));
	if (bigger == NULL)
		return errbuf_set(err, "cannot enroll %s: out of memory", canon);
	store->paired.items = bigger;
	struct peer_info *p = &store->paired.items[store->paired.n];
	snprintf(p->id, sizeof(p->id), "%s", canon);
	p->source = PEER_SOURCE_PAIRED;
	p->enrolled_at_ms = now_ms < 0 ? 0 : now_ms;
	/* The token is already spent when we get here, so the peer stays
	 * enrolled in memory even if the write fails (-1 tells the caller to
	 * log that it will not survive a restart), as usage does. */
	store->paired.n++;
	if (added != NULL)
		*added = true;
	return save(store, &store->paired, err);
}

enum peers_remove_result peers_remove(struct peer_store *store, const char *id, char *err)
{
	char canon[ENDPOINT_ID_LEN];
	if (canonical_id(id, canon, err) != 0)
		return PEERS_REMOVE_FAILED;
	if (find(&store->config, canon) >= 0) {
		errbuf_set(err, "%s is listed in the config's authorized_peers: remove it there", canon);
		return PEERS_IN_CONFIG;
	}
	ssize_t i = find(&store->paired, canon);
	if (i < 0)
		return PEERS_NOT_FOUND;
	struct peer_info removed = store->paired.items[i];
	memmove(&store->paired.items[i], &store->paired.items[i + 1],
	        (store->paired.n - (size_t)i - 1) * sizeof(removed));
	store->paired.n--;
	if (save(store, &store->paired, err) != 0) {
		/* Put it back where it was: memory and disk must agree. */
		memmove(&store->paired.items[i + 1], &store->paired.items[i],
		        (store->paired.n - (size_t)i) * sizeof(removed));
		store->paired.items[i] = removed;
		store->paired.n++;
		return PEERS_REMOVE_FAILED;
	}
	return PEERS_REMOVED;
}

size_t peers_count(const struct peer_store *store)
{
	size_t n = store->config.n;
	for (size_t i = 0; i < store->paired.n; i++)
		if (find(&store->config, store->paired.items[i].id) < 0)
			n++;
	return n;
}

int peers_at(const struct peer_store *store, size_t i, struct peer_info *out)
{
	if (i < store->config.n) {
		*out = store->config.items[i];
		ssize_t j = find(&store->paired, out->id);
		if (j >= 0)
			out->enrolled_at_ms = store->paired.items[j].enrolled_at_ms;
		return 0;
	}
	i -= store->config.n;
	for (size_t j = 0; j < store->paired.n; j++) {
		if (find(&store->config, store->paired.items[j].id) >= 0)
			continue;
		if (i-- == 0) {
			*out = store->paired.items[j];
			return 0;
		}
	}
	return -1;
}

json_t *peers_list_json(const struct peer_store *store)
{
	json_t *arr = json_array();
	struct peer_info p;
	for (size_t i = 0; peers_at(store, i, &p) == 0; i++) {
		char at[PP_RFC3339_BUF_BYTES];
		json_t *enrolled = json_null();
		if (p.enrolled_at_ms >= 0 && protocol_format_rfc3339_ms(p.enrolled_at_ms, at) == 0)
			enrolled = json_string(at);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o}", "id", p.id, "source",
		                                     peers_source_name(p.source), "enrolled_at",
		                                     enrolled));
	}
	return arr;
}

int peers_reload(struct peer_store *store, char *err)
{
	if (store->path == NULL)
		return 0;
	struct id_list fresh;
	if (load(store->path, &fresh, err) != 0)
		return -1;
	free(store->paired.items);
	store->paired = fresh;
	return 0;
}

int peers_set_config(struct peer_store *store, char *const *config_ids, size_t n_config,
                     char *err)
{
	struct id_list fresh;
	if (build_config(config_ids, n_config, &fresh, err) != 0)
		return -1;
	free(store->config.items);
	store->config = fresh;
	return 0;
}
