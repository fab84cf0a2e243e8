/* Fuzz the TOML parser: any bytes; a parsed tree must be walkable. */
#include "fuzz.h"

#include "lib/errbuf.h"
#include "lib/toml.h"

#include <stdlib.h>
#include <string.h>

/* Walk the tree (bounded by TOML_MAX_DEPTH) touching every accessor. */
static void walk(const struct toml_value *v, int depth)
{
	if (depth > TOML_MAX_DEPTH + 1 || toml_line(v) < 1)
		abort();
	size_t n = toml_count(v);
	for (size_t i = 0; i < n; i++) {
		if (toml_kind(v) == TOML_TABLE) {
			size_t klen;
			const char *k = toml_key_at(v, i, &klen);
			if (k == NULL)
				abort();
			if (strlen(k) == klen && toml_get(v, k) == NULL)
				abort(); /* every listed key can be looked up */
		}
		walk(toml_at(v, i), depth + 1);
	}
	size_t len;
	(void)toml_string(v, &len);
	(void)toml_int(v);
	(void)toml_float(v);
	(void)toml_bool(v);
	const struct toml_datetime *dt = toml_datetime(v);
	if (dt != NULL && memchr(dt->text, '\0', sizeof(dt->text)) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERRBUF_LEN];
	err[0] = '\0';
	struct toml_value *root = toml_parse((const char *)data, size, err);
	if (root == NULL) {
		if (err[0] == '\0')
			abort(); /* every rejection says why */
		return 0;
	}
	walk(root, 0);
	toml_free(root);
	return 0;
}
