/* Fuzz the usage.json reader: whatever it accepts it must write back in a
 * form it accepts again, and governance must decide on it (at a few times)
 * without overflow or out-of-bounds reads. */
#include "fuzz.h"

#include "lib/errbuf.h"
#include "reflector/governance.h"
#include "reflector/usage.h"

#include <stdlib.h>
#include <string.h>

static void decide_for_all(struct usage_ledger *ledger, const char *text)
{
	static const int64_t nows[] = {0, 1795323600000, 253402300799999};
	struct gov_policy policy = {30, 1, 3, 1000000, 2, true, true, 2, 4, true, false};
	struct gov_request req = {.test_type = GOV_TEST_UDP_ECHO};
	json_t *root = json_loads(text, 0, NULL);
	json_t *peers = json_object_get(root, "peers");
	size_t i;
	json_t *p;
	json_array_foreach(peers, i, p) {
		const char *id = json_string_value(json_object_get(p, "id"));
		for (size_t k = 0; id != NULL && k < sizeof(nows) / sizeof(nows[0]); k++) {
			struct usage_view view;
			struct gov_decision d;
			usage_get(ledger, id, nows[k], &view);
			for (size_t j = 1; j < view.n_test_starts; j++)
				if (view.test_starts_ms[j - 1] > view.test_starts_ms[j])
					abort(); /* promised ascending */
			gov_decide(&policy, true, &req, 0, 0, &view, nows[k], &d);
			if (d.reason != GOV_GRANTED && d.retry_after_sec == 0)
				abort();
		}
	}
	json_decref(root);
}

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
	decide_for_all(again, text);
	free(text);
	usage_free(again);
	usage_free(ledger);
	return 0;
}
