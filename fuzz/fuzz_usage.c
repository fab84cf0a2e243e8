/* Fuzz the usage.json reader: whatever it accepts it must write back in a
 * form it accepts again. */
#include "fuzz.h"

#include "lib/errbuf.h"
#include "reflector/usage.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERRBUF_LEN];
	struct usage_ledger *ledger = usage_parse((const char *)data, size, "usage.json", err);
	if (ledger == NULL)
		return 0;
	char *text = usage_to_json(ledger);
	if (text == NULL)
		abort();
	struct usage_ledger *again = usage_parse(text, strlen(text), "usage.json", err);
	if (again == NULL || usage_peer_count(again) != usage_peer_count(ledger))
		abort();
	free(text);
	usage_free(again);
	usage_free(ledger);
	return 0;
}
