/* Fuzz the TLS hello recogniser with every prefix length a stream may
 * have reassembled, as capture analyze calls it. */
#include "fuzz.h"

#include "paramedic/capture/tls.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1); /* exact size: ASan sees overreads */
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	char sni[64];
	int done;
	for (size_t len = size > 64 ? size - 64 : 0; len <= size; len++) {
		tls_parse_hello(buf, len, sni, sizeof(sni), &done);
		if (strlen(sni) >= sizeof(sni))
			abort();
	}
	free(buf);
	return 0;
}
