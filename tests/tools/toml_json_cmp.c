/*
 * toml_json_cmp: compares two toml-test tagged JSON files the way toml-test
 * does: same tables and arrays, same leaf types; integers as integers,
 * floats by value (nan equals nan), datetimes by the instant they denote,
 * strings byte for byte. Exit 0 when equal; else 1 with the path that differs.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_leaf(json_t *o)
{
	return json_is_object(o) && json_object_size(o) == 2 &&
	       json_is_string(json_object_get(o, "type")) &&
	       json_is_string(json_object_get(o, "value"));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Canonical form of a date/time text: 'T' separator, fraction without
 * trailing zeros (max 9 digits), and for offset datetimes the UTC instant. */
static void canon_datetime(const char *type, const char *in, char *out, size_t cap)
{
	char s[96];
	snprintf(s, sizeof(s), "%s", in);
	for (char *c = s; *c; c++) {
		if (*c == 't' || (*c == ' ' && c > s))
			*c = 'T';
		if (*c == 'z')
			*c = 'Z';
	}
	int has_date = strcmp(type, "time-local") != 0;
	int has_time = strcmp(type, "date-local") != 0;
	if (!has_time) {
		snprintf(out, cap, "%s", s);
		return;
	}
	char *tp = has_date ? strchr(s, 'T') : s;
	if (tp == NULL) {
		snprintf(out, cap, "%s", s);
		return;
	}
	if (has_date)
		tp++;
	int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
	if (has_date)
		sscanf(s, "%d-%d-%d", &y, &mo, &d);
	sscanf(tp, "%d:%d:%d", &h, &mi, &sec);
	char frac[16] = "";
	char *rest = tp + 8;
	if (*rest == '.') {
		size_t k = 0;
		rest++;
		while (*rest >= '0' && *rest <= '9') {
			if (k < 9)
				frac[k++] = *rest;
			rest++;
		}
		frac[k] = '\0';
		while (k > 0 && frac[k - 1] == '0')
			frac[--k] = '\0';
	}
	if (strcmp(type, "datetime") == 0) {
		int off_min = 0;
		if (*rest == '+' || *rest == '-') {
			int oh = 0, om = 0;
			sscanf(rest + 1, "%d:%d", &oh, &om);
			off_min = (*rest == '-' ? -1 : 1) * (oh * 60 + om);
		}
		long long t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec -
		              off_min * 60LL;
		snprintf(out, cap, "@%lld.%s", t, frac);
		return;
	}
	if (has_date)
		snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%s", y, mo, d, h, mi, sec, frac);
	else
		snprintf(out, cap, "%02d:%02d:%02d.%s", h, mi, sec, frac);
}

static int leaf_equal(json_t *a, json_t *b)
{
	const char *ta = json_string_value(json_object_get(a, "type"));
	const char *tb = json_string_value(json_object_get(b, "type"));
	json_t *va = json_object_get(a, "value"), *vb = json_object_get(b, "value");
	if (strcmp(ta, tb) != 0)
		return 0;
	const char *sa = json_string_value(va), *sb = json_string_value(vb);
	if (strcmp(ta, "integer") == 0)
		return strtoll(sa, NULL, 10) == strtoll(sb, NULL, 10);
	if (strcmp(ta, "float") == 0) {
		double fa = strtod(sa, NULL), fb = strtod(sb, NULL);
		if (isnan(fa) || isnan(fb))
			return isnan(fa) && isnan(fb);
		return fa == fb;
	}
	if (strcmp(ta, "string") == 0 || strcmp(ta, "bool") == 0)
		return json_string_length(va) == json_string_length(vb) &&
		       memcmp(sa, sb, json_string_length(va)) == 0;
	char ca[128], cb[128];
	canon_datetime(ta, sa, ca, sizeof(ca));
	canon_datetime(tb, sb, cb, sizeof(cb));
	return strcmp(ca, cb) == 0;
}

static int equal(json_t *a, json_t *b, char *path, size_t cap)
{
	size_t plen = strlen(path);
	if (is_leaf(a) || is_leaf(b))
		return is_leaf(a) && is_leaf(b) && leaf_equal(a, b);
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		const char *k;
		json_t *va;
		json_object_foreach(a, k, va)
		{
			json_t *vb = json_object_get(b, k);
			snprintf(path + plen, cap - plen, ".%s", k);
			if (vb == NULL || !equal(va, vb, path, cap))
				return 0;
		}
		path[plen] = '\0';
		return 1;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++) {
			snprintf(path + plen, cap - plen, "[%zu]", i);
			if (!equal(json_array_get(a, i), json_array_get(b, i), path, cap))
				return 0;
		}
		path[plen] = '\0';
		return 1;
	}
	return 0;
}

/* jansson cannot hold U+0000 in object keys (toml-test has such a key), so
 * both files get every \u0000 escape rewritten to the private-use U+E000. */
static json_t *load(const char *path, json_error_t *je)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(je->text, sizeof(je->text), "cannot open");
		snprintf(je->source, sizeof(je->source), "%s", path);
		return NULL;
	}
	size_t cap = 1 << 16, len = 0, n;
	char *text = malloc(cap + 1);
	while (text != NULL && (n = fread(text + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *bigger = realloc(text, cap * 2 + 1);
			if (bigger == NULL) {
				free(text);
				text = NULL;
				break;
			}
			text = bigger;
			cap *= 2;
		}
	}
	fclose(f);
	if (text == NULL)
		return NULL;
	text[len] = '\0';
	for (size_t i = 0; i + 1 < len; i++) {
		if (text[i] != '\\')
			continue;
		if (strncmp(text + i + 1, "u0000", 5) == 0)
			memcpy(text + i + 1, "uE000", 5);
		i++; /* skip the escaped character, so "\\\\u0000" stays */
	}
	json_t *j = json_loads(text, JSON_ALLOW_NUL, je);
	free(text);
	return j;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: toml_json_cmp GOT.json EXPECTED.json\n");
		return 2;
	}
	json_error_t je;
	json_t *a = load(argv[1], &je);
	json_t *b = a ? load(argv[2], &je) : NULL;
	if (a == NULL || b == NULL) {
		fprintf(stderr, "toml_json_cmp: %s:%d: %s\n", je.source, je.line, je.text);
		json_decref(a);
		return 2;
	}
	char path[1024] = "";
	int same = equal(a, b, path, sizeof(path));
	if (!same)
		fprintf(stderr, "differs at '%s'\n", path[0] ? path : ".");
	json_decref(a);
	json_decref(b);
	return same ? 0 : 1;
}
