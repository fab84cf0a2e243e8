/* Fuzz the pairing TTL parser: any text; what it accepts is in range. */
#include "fuzz.h"

#include "lib/errbuf.h"
#include "reflector/pairing.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[64], err[ERRBUF_LEN];
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	uint32_t sec = 0;
	if (pairing_parse_ttl(text, &sec, err) == 0 &&
	    (sec < PAIRING_TTL_MIN_SEC || sec > PAIRING_TTL_MAX_SEC))
		abort();
	return 0;
}
