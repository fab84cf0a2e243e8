/*
 * peers_config: the authorized set built from a configuration (its
 * authorized_peers) plus the enrolled peers of its data directory.
 */
#ifndef PP_REFLECTOR_PEERS_CONFIG_H
#define PP_REFLECTOR_PEERS_CONFIG_H

#include "reflector/config.h"
#include "reflector/peers.h"

struct peer_store *peers_open_for(const struct reflector_config *cfg, char *err);

/* Replaces the store's config-listed peers with cfg's (SIGHUP). */
int peers_set_config_from(struct peer_store *store, const struct reflector_config *cfg, char *err);

#endif
