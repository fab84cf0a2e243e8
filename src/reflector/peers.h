/*
 * peers: the reflector's authorized set.
 *
 * authorized = the config's authorized_peers ∪ the peers enrolled by
 * pairing. The enrolled ones are persisted in <data_dir>/peers.json
 *   {"peers": [{"id": "PP-...", "enrolled_at": "2026-11-22T05:14:03.123Z"}]}
 * with atomic writes, so they survive restarts. IDs are kept and compared
 * in their canonical form (core/endpoint_id); an ID that does not parse is
 * refused. A config-listed peer cannot be removed through this store (the
 * operator edits the config), and peers_remove says so distinctly.
 */
#ifndef PP_REFLECTOR_PEERS_H
#define PP_REFLECTOR_PEERS_H

#include "core/endpoint_id.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PEERS_FILE_NAME "peers.json"
#define PEERS_MAX 4096 /* enrolled peers; pairing beyond this fails */
#define PEERS_FILE_MAX_BYTES ((size_t)4 * 1024 * 1024)

enum peer_source { PEER_SOURCE_CONFIG, PEER_SOURCE_PAIRED };

struct peer_info {
	char id[ENDPOINT_ID_LEN];
	enum peer_source source; /* CONFIG when listed there (even if also paired) */
	int64_t enrolled_at_ms;  /* -1 when never enrolled by pairing */
};

struct peer_store;

/* Opens the store of data_dir (NULL: in memory, never persisted) with the
 * config's IDs. A missing peers.json is an empty set; a corrupt one, or a
 * config ID that does not parse, is an error naming it. */
struct peer_store *peers_open(const char *data_dir, char *const *config_ids,
                              size_t n_config, char *err);
void peers_free(struct peer_store *store);

/* Is id (any accepted spelling) authorized? */
bool peers_contains(const struct peer_store *store, const char *id);

/* Enrolls id at now_ms and persists it. Idempotent: *added (may be NULL)
 * says whether it was new. -1 on a bad ID or a full store (nothing
 * changed, *added false), or when only the write failed (*added true: the
 * peer is enrolled in memory, err names the file). */
int peers_add(struct peer_store *store, const char *id, int64_t now_ms, bool *added,
              char *err);

enum peers_remove_result {
	PEERS_REMOVED,
	PEERS_NOT_FOUND,
	PEERS_IN_CONFIG, /* listed in authorized_peers: nothing changed */
	PEERS_REMOVE_FAILED, /* bad ID or failed write (err says which) */
};
enum peers_remove_result peers_remove(struct peer_store *store, const char *id, char *err);

/* The union, config peers first (config order), then enrolled ones in
 * enrollment order. peers_at: 0 on success, -1 when i >= peers_count. */
size_t peers_count(const struct peer_store *store);
int peers_at(const struct peer_store *store, size_t i, struct peer_info *out);
const char *peers_source_name(enum peer_source source); /* "config", "paired" */

/* [{"id", "source", "enrolled_at" (RFC 3339 or null)}] for the control
 * socket's `peers list` (new reference). */
json_t *peers_list_json(const struct peer_store *store);

/* Re-reads peers.json (e.g. the file was edited while running). On error
 * the current set is kept. */
int peers_reload(struct peer_store *store, char *err);

/* Replaces the config's list (SIGHUP reload). On error nothing changes. */
int peers_set_config(struct peer_store *store, char *const *config_ids,
                     size_t n_config, char *err);

/* Parses peers.json text into enrolled entries (malloc'd array in *out);
 * name is used in messages. Exposed for the fuzz target. */
int peers_parse(const char *text, size_t len, const char *name, struct peer_info **out,
                size_t *n_out, char *err);

#endif
