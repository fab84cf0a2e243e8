/* Fuzz the peers.json reader: any bytes; what it accepts is canonical. */
#include "fuzz.h"

#include "core/endpoint_id.h"
#include "lib/errbuf.h"
#include "reflector/peers.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERRBUF_LEN];
	struct peer_info *peers = NULL;
	size_t n = 0;
	if (peers_parse((const char *)data, size, "peers.json", &peers, &n, err) != 0)
		return 0;
	if (n > PEERS_MAX)
		abort();
	for (size_t i = 0; i < n; i++) {
		char canon[ENDPOINT_ID_LEN];
		if (endpoint_id_parse(peers[i].id, NULL, canon, err) != 0 ||
		    strcmp(canon, peers[i].id) != 0 || peers[i].enrolled_at_ms < 0)
			abort();
	}
	free(peers);
	return 0;
}
