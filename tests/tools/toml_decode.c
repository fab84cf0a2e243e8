/*
 * toml_decode: the toml-test decoder interface for our parser. Reads TOML on
 * stdin, prints toml-test's tagged JSON on stdout; on invalid input prints
 * the parser's error on stderr and exits 1.
 */
#include "lib/toml.h"

#include "lib/errbuf.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static json_t *tagged(const char *type, const char *value)
{
	return json_pack("{s:s, s:s}", "type", type, "value", value);
}

static json_t *to_json(const struct toml_value *v)
{
	char buf[64];
	switch (toml_kind(v)) {
	case TOML_TABLE: {
		json_t *o = json_object();
		for (size_t i = 0; i < toml_count(v); i++) {
			size_t klen;
			const char *k = toml_key_at(v, i, &klen);
			json_object_setn_new(o, k, klen, to_json(toml_at(v, i)));
		}
		return o;
	}
	case TOML_ARRAY: {
		json_t *a = json_array();
		for (size_t i = 0; i < toml_count(v); i++)
			json_array_append_new(a, to_json(toml_at(v, i)));
		return a;
	}
	case TOML_STRING: {
		size_t len;
		const char *s = toml_string(v, &len);
		return json_pack("{s:s, s:s%}", "type", "string", "value", s, len);
	}
	case TOML_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, toml_int(v));
		return tagged("integer", buf);
	case TOML_FLOAT: {
		double f = toml_float(v);
		if (isnan(f))
			snprintf(buf, sizeof(buf), "nan");
		else if (isinf(f))
			snprintf(buf, sizeof(buf), f < 0 ? "-inf" : "inf");
		else
			snprintf(buf, sizeof(buf), "%.17g", f);
		return tagged("float", buf);
	}
	case TOML_BOOL:
		return tagged("bool", toml_bool(v) ? "true" : "false");
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		return tagged(toml_kind_name(toml_kind(v)), toml_datetime(v)->text);
	}
	return json_null();
}

int main(void)
{
	size_t cap = 4096, len = 0, n;
	char *text = malloc(cap);
	while (text != NULL && (n = fread(text + len, 1, cap - len, stdin)) > 0) {
		len += n;
		if (len == cap) {
			char *bigger = cap > TOML_MAX_INPUT_BYTES ? NULL : realloc(text, cap * 2);
			if (bigger == NULL)
				break;
			text = bigger;
			cap *= 2;
		}
	}
	if (text == NULL)
		return 2;
	char err[ERRBUF_LEN];
	struct toml_value *root = toml_parse(text, len, err);
	free(text);
	if (root == NULL) {
		fprintf(stderr, "toml_decode: %s\n", err);
		return 1;
	}
	json_t *j = to_json(root);
	toml_free(root);
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(j);
	return 0;
}
