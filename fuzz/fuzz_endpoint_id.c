/* Fuzz the endpoint ID parser (and, through it, the Crockford decoder and
 * the Luhn check): any byte string. An accepted ID must round-trip. */
#include "fuzz.h"

#include "core/endpoint_id.h"
#include "lib/crockford.h"
#include "lib/errbuf.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	char err[ERRBUF_LEN], canon[ENDPOINT_ID_LEN], again[ENDPOINT_ID_LEN];
	uint8_t pub[32], pub2[32];
	if (endpoint_id_parse(text, pub, canon, err) == 0) {
		endpoint_id_from_pubkey(pub, again);
		if (strcmp(canon, again) != 0 || endpoint_id_parse(canon, pub2, NULL, err) != 0 ||
		    memcmp(pub, pub2, 32) != 0)
			abort();
	} else if (strlen(err) == 0 || strlen(err) >= ERRBUF_LEN) {
		abort();
	}

	/* The raw decoder on the same bytes, with a small output bound. */
	uint8_t out[40];
	size_t n = 0;
	if (crockford_decode(text, size, out, sizeof(out), &n, err) == 0 && n > sizeof(out))
		abort();
	free(text);
	return 0;
}
