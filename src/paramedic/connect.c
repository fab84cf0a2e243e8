#include "paramedic/connect.h"

#include "core/endpoint_id.h"
#include "lib/errbuf.h"
#include "lib/netaddr.h"

#include <stdio.h>
#include <string.h>

int pm_target_parse(const struct pm_state *st, const char *text, struct pm_target *t, char *err)
{
	memset(t, 0, sizeof(*t));
	if (netaddr_split(text, PM_DEFAULT_PORT, t->host, sizeof(t->host), t->port, sizeof(t->port), err) != 0)
		return -1;
	if (strcmp(t->port, "0") == 0)
		return errbuf_set(err, "'%s': port 0 is not a reflector's port", text);
	snprintf(t->address, sizeof(t->address), strchr(t->host, ':') ? "[%s]:%s" : "%s:%s", t->host, t->port);
	return pm_pin_lookup(st, t->address, t->pinned_id, sizeof(t->pinned_id), err) < 0 ? -1 : 0;
}

struct link *pm_connect(const struct pm_state *st, const struct pm_target *t, const char *expect_id,
                        char *err)
{
	struct link *l = link_connect(t->host, t->port, &st->id, NULL, PM_CONNECT_TIMEOUT_MS, err);
	if (l == NULL)
		return NULL;
	const char *got = link_peer_id(l);
	if (expect_id != NULL && !endpoint_id_equal(expect_id, got)) {
		errbuf_set(err, "the reflector at %s presented %s, not the expected %s: refusing to talk to it",
		           t->address, got, expect_id);
		link_close(l);
		return NULL;
	}
	if (t->pinned_id[0] && !endpoint_id_equal(t->pinned_id, got) && expect_id == NULL) {
		errbuf_set(err,
		           "the reflector at %s presented %s, but it was paired as %s: its key changed. "
		           "If its identity was rotated on purpose, pair again with --expect-id %s",
		           t->address, got, t->pinned_id, got);
		link_close(l);
		return NULL;
	}
	return l;
}
