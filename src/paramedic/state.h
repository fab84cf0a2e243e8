/*
 * state: paramedic's data directory and what lives in it.
 *
 *   <data_dir>/identity.ed25519   its own Ed25519 key (32 raw bytes, 0600)
 *   <data_dir>/reflectors.json    reflectors it paired with, IDs pinned
 *   <data_dir>/history.sqlite     results (the data-plane issue)
 *
 * The data directory is --data-dir, else $XDG_STATE_HOME/paramedic, else
 * ~/.local/state/paramedic.
 */
#ifndef PP_PARAMEDIC_STATE_H
#define PP_PARAMEDIC_STATE_H

#include "core/identity.h"

#include <stdint.h>

#define PM_DEFAULT_PORT "4000"

struct pm_state {
	char data_dir[4096];
	struct identity id;
};

/* Resolves the data directory (creating it, 0700) and loads or creates the
 * identity. */
int pm_state_open(const char *data_dir_opt, struct pm_state *st, char *err);
void pm_state_close(struct pm_state *st);

/* The pinned ID of the reflector known as address ("host:port"), copied to
 * id_out; 0 when found, 1 when not paired, -1 on a broken file. */
int pm_pin_lookup(const struct pm_state *st, const char *address, char *id_out, size_t id_len,
                  char *err);

/* Records (or replaces) the pin of address. */
int pm_pin_store(const struct pm_state *st, const char *address, const char *endpoint_id,
                 int64_t now_ms, char *err);

#endif
