#include "reflector/peers_config.h"

#include "lib/errbuf.h"

#include <stdlib.h>

/* The peer store takes an array of strings; the config holds fixed buffers. */
static const char **id_pointers(const struct reflector_config *cfg)
{
	const char **ids = calloc(cfg->access.n_authorized_peers + 1, sizeof(*ids));
	for (size_t i = 0; ids != NULL && i < cfg->access.n_authorized_peers; i++)
		ids[i] = cfg->access.authorized_peers[i];
	return ids;
}

struct peer_store *peers_open_for(const struct reflector_config *cfg, char *err)
{
	const char **ids = id_pointers(cfg);
	if (ids == NULL) {
		errbuf_set(err, "out of memory");
		return NULL;
	}
	struct peer_store *store = peers_open(cfg->data_dir, ids, cfg->access.n_authorized_peers, err);
	free(ids);
	return store;
}

int peers_set_config_from(struct peer_store *store, const struct reflector_config *cfg, char *err)
{
	const char **ids = id_pointers(cfg);
	if (ids == NULL)
		return errbuf_set(err, "out of memory");
	int rc = peers_set_config(store, ids, cfg->access.n_authorized_peers, err);
	free(ids);
	return rc;
}
