/*
 * protocol_fields: bounded, self-describing getters for untrusted JSON
 * fields. Every failure message starts with the field's path so a peer (or
 * its operator) can see which field was refused and why.
 */
#include "core/protocol_fields.h"

#include "lib/errbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *pf_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* Looks key up; 1 = a non-null value in *v, 0 = absent/null and allowed,
 * -1 = absent/null but required (err filled). */
static int lookup(const json_t *obj, const char *where, const char *key, enum pf_need need,
                  const char *want, const json_t **v, char *err)
{
	*v = json_object_get(obj, key);
	if (*v != NULL && !json_is_null(*v))
		return 1;
	if (need == PF_NULLABLE)
		return 0;
	if (*v == NULL)
		errbuf_set(err, "%s.%s: missing (expected %s)", where, key, want);
	else
		errbuf_set(err, "%s.%s: expected %s, got null", where, key, want);
	return -1;
}

static bool is_printable_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static int check_string(const json_t *v, const char *where, const char *key, size_t max_bytes,
                        bool ascii, const char **out, char *err)
{
	if (!json_is_string(v)) {
		errbuf_set(err, "%s.%s: expected a string, got %s", where, key, pf_type_name(v));
		return PF_BAD_TYPE;
	}
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (len == 0) {
		errbuf_set(err, "%s.%s: empty string", where, key);
		return PF_BAD_RANGE;
	}
	if (len > max_bytes) {
		errbuf_set(err, "%s.%s: %zu bytes, more than the maximum of %zu", where, key, len,
		           max_bytes);
		return PF_BAD_RANGE;
	}
	if (ascii && !is_printable_ascii(s, len)) {
		errbuf_set(err, "%s.%s: must be printable ASCII", where, key);
		return PF_BAD_RANGE;
	}
	*out = s;
	return 0;
}

int pf_string(const json_t *obj, const char *where, const char *key, enum pf_need need,
              size_t max_bytes, bool ascii, const char **out, char *err)
{
	const json_t *v;
	*out = NULL;
	int r = lookup(obj, where, key, need, "a string", &v, err);
	if (r <= 0)
		return r < 0 ? PF_BAD_TYPE : 0;
	return check_string(v, where, key, max_bytes, ascii, out, err);
}

int pf_int(const json_t *obj, const char *where, const char *key, enum pf_need need,
           int64_t min, int64_t max, bool *has, int64_t *out, char *err)
{
	const json_t *v;
	*has = false;
	*out = 0;
	int r = lookup(obj, where, key, need, "an integer", &v, err);
	if (r <= 0)
		return r < 0 ? PF_BAD_TYPE : 0;
	if (!json_is_integer(v)) {
		errbuf_set(err, "%s.%s: expected an integer, got %s", where, key, pf_type_name(v));
		return PF_BAD_TYPE;
	}
	json_int_t n = json_integer_value(v);
	if (n < min || n > max) {
		errbuf_set(err, "%s.%s: %lld is out of range %" PRId64 "..%" PRId64, where, key,
		           (long long)n, min, max);
		return PF_BAD_RANGE;
	}
	*has = true;
	*out = (int64_t)n;
	return 0;
}

int pf_bool(const json_t *obj, const char *where, const char *key, enum pf_need need,
            bool *has, bool *out, char *err)
{
	const json_t *v;
	*has = false;
	*out = false;
	int r = lookup(obj, where, key, need, "a boolean", &v, err);
	if (r <= 0)
		return r < 0 ? PF_BAD_TYPE : 0;
	if (!json_is_boolean(v)) {
		errbuf_set(err, "%s.%s: expected a boolean, got %s", where, key, pf_type_name(v));
		return PF_BAD_TYPE;
	}
	*has = true;
	*out = json_is_true(v);
	return 0;
}

int pf_object(const json_t *obj, const char *where, const char *key, enum pf_need need,
              const json_t **out, char *err)
{
	const json_t *v;
	*out = NULL;
	int r = lookup(obj, where, key, need, "an object", &v, err);
	if (r <= 0)
		return r < 0 ? PF_BAD_TYPE : 0;
	if (!json_is_object(v)) {
		errbuf_set(err, "%s.%s: expected an object, got %s", where, key, pf_type_name(v));
		return PF_BAD_TYPE;
	}
	*out = v;
	return 0;
}

int pf_string_array(const json_t *obj, const char *where, const char *key,
                    enum pf_need need, size_t max_items, size_t max_bytes,
                    const char **items, size_t *n_items, char *err)
{
	const json_t *v;
	*n_items = 0;
	int r = lookup(obj, where, key, need, "an array of strings", &v, err);
	if (r <= 0)
		return r < 0 ? PF_BAD_TYPE : 0;
	if (!json_is_array(v)) {
		errbuf_set(err, "%s.%s: expected an array of strings, got %s", where, key,
		           pf_type_name(v));
		return PF_BAD_TYPE;
	}
	size_t n = json_array_size(v);
	if (n > max_items) {
		errbuf_set(err, "%s.%s: %zu entries, more than the maximum of %zu", where, key, n,
		           max_items);
		return PF_BAD_RANGE;
	}
	for (size_t i = 0; i < n; i++) {
		char elem[64];
		snprintf(elem, sizeof(elem), "%s[%zu]", key, i);
		int rc = check_string(json_array_get(v, i), where, elem, max_bytes, true, &items[i],
		                      err);
		if (rc != 0)
			return rc;
	}
	*n_items = n;
	return 0;
}
