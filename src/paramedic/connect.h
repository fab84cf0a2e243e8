/*
 * connect: open a control link to a reflector, checking its identity.
 *
 * HOST[:PORT] (default port 4000). When the reflector was paired, the ID it
 * presents must be the pinned one; --expect-id adds the same check for a
 * first contact. A changed key is refused: that is exactly what an
 * impostor (or an unannounced rotate-identity) looks like.
 */
#ifndef PP_PARAMEDIC_CONNECT_H
#define PP_PARAMEDIC_CONNECT_H

#include "core/link.h"
#include "paramedic/state.h"

#define PM_CONNECT_TIMEOUT_MS 10000

struct pm_target {
	char address[300]; /* canonical "host:port", the pin key */
	char host[256];
	char port[8];
	char pinned_id[ENDPOINT_ID_LEN]; /* "" when not paired */
};

int pm_target_parse(const struct pm_state *st, const char *text, struct pm_target *t, char *err);

/* Connects and verifies: expect_id (may be NULL) and the pin. */
struct link *pm_connect(const struct pm_state *st, const struct pm_target *t, const char *expect_id,
                        char *err);

#endif
