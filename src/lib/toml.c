/*
 * toml: document structure, i.e. key/value lines, [table] and [[array]]
 * headers, arrays and inline tables, and the rules on which table may be
 * extended by what (the TF_* flags). Leaves are scanned in toml_scalar.c.
 *
 * Recursion happens only through nested arrays and inline tables and is cut
 * at TOML_MAX_DEPTH; headers and dotted keys are walked iteratively but
 * count against the same depth, so toml_free never recurses deeper either.
 */
#include "lib/toml_internal.h"

#include "lib/errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int toml_perr(struct toml_parser *p, const char *fmt, ...)
{
	char msg[ERRBUF_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errbuf_set(p->err, "%d:%zu: %s", p->line, p->pos - p->line_start + 1, msg);
}

static int at(const struct toml_parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->s[p->pos + off] : -1;
}

static struct toml_value *value_new(struct toml_parser *p, enum toml_kind kind, int depth)
{
	if (depth > TOML_MAX_DEPTH) {
		toml_perr(p, "nesting deeper than %d levels", TOML_MAX_DEPTH);
		return NULL;
	}
	struct toml_value *v = calloc(1, sizeof(*v));
	if (v == NULL) {
		toml_perr(p, "out of memory");
		return NULL;
	}
	v->kind = kind;
	v->line = p->line;
	v->depth = depth;
	return v;
}

void toml_free(struct toml_value *v)
{
	if (v == NULL)
		return;
	if (v->kind == TOML_TABLE) {
		for (size_t i = 0; i < v->u.tab.n; i++) {
			free(v->u.tab.items[i].key);
			toml_free(v->u.tab.items[i].val);
		}
		free(v->u.tab.items);
		free(v->u.tab.index);
	} else if (v->kind == TOML_ARRAY) {
		for (size_t i = 0; i < v->u.arr.n; i++)
			toml_free(v->u.arr.items[i]);
		free(v->u.arr.items);
	} else if (v->kind == TOML_STRING) {
		free(v->u.str.s);
	}
	free(v);
}

/* Tables with more keys than this get a hash index, so that a document of
 * many keys (up to TOML_MAX_INPUT_BYTES) is not parsed in quadratic time. */
#define TABLE_INDEX_MIN_KEYS 16

static uint32_t key_hash(const char *key, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h;
}

static struct toml_value *table_find(const struct toml_value *t, const char *key, size_t len)
{
	if (t->u.tab.index != NULL) {
		size_t mask = t->u.tab.index_cap - 1;
		for (size_t slot = key_hash(key, len) & mask;; slot = (slot + 1) & mask) {
			uint32_t i = t->u.tab.index[slot];
			if (i == 0)
				return NULL;
			const struct toml_entry *e = &t->u.tab.items[i - 1];
			if (e->key_len == len && memcmp(e->key, key, len) == 0)
				return e->val;
		}
	}
	for (size_t i = 0; i < t->u.tab.n; i++) {
		const struct toml_entry *e = &t->u.tab.items[i];
		if (e->key_len == len && memcmp(e->key, key, len) == 0)
			return e->val;
	}
	return NULL;
}

static void index_put(struct toml_value *t, size_t entry)
{
	const struct toml_entry *e = &t->u.tab.items[entry];
	size_t mask = t->u.tab.index_cap - 1;
	size_t slot = key_hash(e->key, e->key_len) & mask;
	while (t->u.tab.index[slot] != 0)
		slot = (slot + 1) & mask;
	t->u.tab.index[slot] = (uint32_t)(entry + 1);
}

/* Keep the index at most half full; rebuilt when it grows. */
static int index_update(struct toml_parser *p, struct toml_value *t)
{
	size_t n = t->u.tab.n;
	if (n < TABLE_INDEX_MIN_KEYS)
		return 0;
	if (t->u.tab.index != NULL && n * 2 <= t->u.tab.index_cap) {
		index_put(t, n - 1);
		return 0;
	}
	size_t cap = 64;
	while (cap < n * 4)
		cap *= 2;
	uint32_t *index = calloc(cap, sizeof(*index));
	if (index == NULL)
		return toml_perr(p, "out of memory");
	free(t->u.tab.index);
	t->u.tab.index = index;
	t->u.tab.index_cap = cap;
	for (size_t i = 0; i < n; i++)
		index_put(t, i);
	return 0;
}

/* Takes ownership of key and val on success and on failure alike. */
static int table_add(struct toml_parser *p, struct toml_value *t, char *key, size_t len,
                     struct toml_value *val)
{
	if (t->u.tab.n == t->u.tab.cap) {
		size_t cap = t->u.tab.cap ? t->u.tab.cap * 2 : 8;
		struct toml_entry *bigger = realloc(t->u.tab.items, cap * sizeof(*bigger));
		if (bigger == NULL) {
			free(key);
			toml_free(val);
			return toml_perr(p, "out of memory");
		}
		t->u.tab.items = bigger;
		t->u.tab.cap = cap;
	}
	t->u.tab.items[t->u.tab.n++] = (struct toml_entry){key, len, val};
	return index_update(p, t);
}

static int array_add(struct toml_parser *p, struct toml_value *a, struct toml_value *val)
{
	if (a->u.arr.n == a->u.arr.cap) {
		size_t cap = a->u.arr.cap ? a->u.arr.cap * 2 : 8;
		struct toml_value **bigger = realloc(a->u.arr.items, cap * sizeof(*bigger));
		if (bigger == NULL) {
			toml_free(val);
			return toml_perr(p, "out of memory");
		}
		a->u.arr.items = bigger;
		a->u.arr.cap = cap;
	}
	a->u.arr.items[a->u.arr.n++] = val;
	return 0;
}

static void skip_ws(struct toml_parser *p)
{
	while (at(p, 0) == ' ' || at(p, 0) == '\t')
		p->pos++;
}

static int take_newline(struct toml_parser *p)
{
	size_t n = at(p, 0) == '\n' ? 1 : (at(p, 0) == '\r' && at(p, 1) == '\n') ? 2 : 0;
	if (n == 0)
		return 0;
	p->pos += n;
	p->line++;
	p->line_start = p->pos;
	return 1;
}

/* At '#': skip to the end of the line (not consuming the newline). */
static int skip_comment(struct toml_parser *p)
{
	for (;;) {
		int c = at(p, 0);
		if (c < 0 || c == '\n' || (c == '\r' && at(p, 1) == '\n'))
			return 0;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return toml_perr(p, "control character U+%04X in a comment", (unsigned)c);
		p->pos++;
	}
}

/* Whitespace, newlines and comments, as allowed inside an array. */
static int skip_ws_nl_comments(struct toml_parser *p)
{
	for (;;) {
		skip_ws(p);
		if (at(p, 0) == '#') {
			if (skip_comment(p) != 0)
				return -1;
		} else if (!take_newline(p)) {
			if (at(p, 0) == '\r')
				return toml_perr(p, "carriage return not followed by a line feed");
			return 0;
		}
	}
}

/* --- keys --- */

struct key_part {
	char *s;
	size_t len;
};

struct key_path {
	struct key_part parts[TOML_MAX_DEPTH + 1];
	size_t n;
};

static void key_path_free(struct key_path *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->parts[i].s);
	k->n = 0;
}

static int is_bare_key_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* key = simple-key *( ws "." ws simple-key ). Leaves p->pos after the key. */
static int parse_key(struct toml_parser *p, struct key_path *k)
{
	k->n = 0;
	for (;;) {
		if (k->n == TOML_MAX_DEPTH + 1) {
			key_path_free(k);
			return toml_perr(p, "key has more than %d parts", TOML_MAX_DEPTH);
		}
		struct key_part *part = &k->parts[k->n];
		int c = at(p, 0);
		if (c == '"' || c == '\'') {
			if (toml_scan_string(p, 0, &part->s, &part->len) != 0) {
				key_path_free(k);
				return -1;
			}
		} else {
			size_t start = p->pos;
			while (is_bare_key_char(at(p, 0)))
				p->pos++;
			if (p->pos == start) {
				key_path_free(k);
				if (c < 0 || c == '\n' || c == '\r')
					return toml_perr(p, "expected a key");
				if (c == '=')
					return toml_perr(p, "missing key before '='");
				return toml_perr(p, "invalid character '%c' in a key",
				                 c >= 0x20 && c < 0x7f ? c : '?');
			}
			part->len = p->pos - start;
			part->s = malloc(part->len + 1);
			if (part->s == NULL) {
				key_path_free(k);
				return toml_perr(p, "out of memory");
			}
			memcpy(part->s, p->s + start, part->len);
			part->s[part->len] = '\0';
		}
		k->n++;
		size_t save = p->pos;
		skip_ws(p);
		if (at(p, 0) != '.') {
			p->pos = save;
			return 0;
		}
		p->pos++;
		skip_ws(p);
	}
}

/* table_add with a copy of the key part (the path stays whole for messages). */
static int table_add_copy(struct toml_parser *p, struct toml_value *t, const struct key_part *part,
                          struct toml_value *val)
{
	char *key = malloc(part->len + 1);
	if (key == NULL) {
		toml_free(val);
		return toml_perr(p, "out of memory");
	}
	memcpy(key, part->s, part->len + 1);
	return table_add(p, t, key, part->len, val);
}

/* "a.b.c" for messages (quoted parts printed as they are). */
static const char *key_text(const struct key_path *k, size_t upto, char *buf, size_t cap)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < upto && off < cap; i++) {
		int n = snprintf(buf + off, cap - off, "%s%.*s", i ? "." : "", (int)k->parts[i].len,
		                 k->parts[i].s);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

/* --- values --- */

static struct toml_value *parse_value(struct toml_parser *p, int depth);
static int parse_keyval(struct toml_parser *p, struct toml_value *table);

/* Arrays and inline tables are closed once written: mark the whole value. */
static void freeze(struct toml_value *v)
{
	if (v->kind == TOML_TABLE) {
		v->flags |= TF_FROZEN;
		for (size_t i = 0; i < v->u.tab.n; i++)
			freeze(v->u.tab.items[i].val);
	} else if (v->kind == TOML_ARRAY) {
		v->flags |= TF_FROZEN;
		for (size_t i = 0; i < v->u.arr.n; i++)
			freeze(v->u.arr.items[i]);
	}
}

static struct toml_value *parse_array(struct toml_parser *p, int depth)
{
	struct toml_value *a = value_new(p, TOML_ARRAY, depth);
	if (a == NULL)
		return NULL;
	p->pos++; /* '[' */
	for (;;) {
		if (skip_ws_nl_comments(p) != 0)
			goto fail;
		if (at(p, 0) == ']')
			break;
		struct toml_value *item = parse_value(p, depth + 1);
		if (item == NULL || array_add(p, a, item) != 0)
			goto fail;
		if (skip_ws_nl_comments(p) != 0)
			goto fail;
		if (at(p, 0) == ',') {
			p->pos++;
			continue;
		}
		if (at(p, 0) == ']')
			break;
		toml_perr(p,
		          at(p, 0) < 0 ? "unterminated array" : "expected ',' or ']' in an array");
		goto fail;
	}
	p->pos++;
	freeze(a);
	return a;
fail:
	toml_free(a);
	return NULL;
}

static struct toml_value *parse_inline_table(struct toml_parser *p, int depth)
{
	struct toml_value *t = value_new(p, TOML_TABLE, depth);
	if (t == NULL)
		return NULL;
	p->pos++; /* '{' */
	skip_ws(p);
	if (at(p, 0) != '}') {
		for (;;) {
			skip_ws(p);
			if (parse_keyval(p, t) != 0)
				goto fail;
			skip_ws(p);
			if (at(p, 0) == '}')
				break;
			if (at(p, 0) != ',') {
				toml_perr(p, "expected ',' or '}' in an inline table "
				             "(which must stay on one line)");
				goto fail;
			}
			p->pos++;
			skip_ws(p);
			if (at(p, 0) == '}') {
				toml_perr(p, "trailing comma in an inline table");
				goto fail;
			}
		}
	}
	p->pos++;
	freeze(t);
	return t;
fail:
	toml_free(t);
	return NULL;
}

static struct toml_value *parse_value(struct toml_parser *p, int depth)
{
	int c = at(p, 0);
	if (c == '[')
		return parse_array(p, depth);
	if (c == '{')
		return parse_inline_table(p, depth);
	struct toml_value *v = value_new(p, TOML_STRING, depth);
	if (v == NULL)
		return NULL;
	int rc = c == '"' || c == '\'' ? toml_scan_string(p, 1, &v->u.str.s, &v->u.str.len)
	                               : toml_scan_scalar(p, v);
	if (rc != 0) {
		v->kind = TOML_BOOL; /* nothing to free */
		toml_free(v);
		return NULL;
	}
	return v;
}

/* key = value, inside `table` (the current [table] or an inline table). */
static int parse_keyval(struct toml_parser *p, struct toml_value *table)
{
	struct key_path k;
	char name[256];
	int line = p->line;
	size_t key_pos = p->pos;
	if (parse_key(p, &k) != 0)
		return -1;
	skip_ws(p);
	if (at(p, 0) != '=') {
		toml_perr(p, "expected '=' after key '%s'", key_text(&k, k.n, name, sizeof(name)));
		goto fail;
	}
	p->pos++;
	skip_ws(p);
	struct toml_value *t = table;
	for (size_t i = 0; i + 1 < k.n; i++) {
		struct toml_value *child = table_find(t, k.parts[i].s, k.parts[i].len);
		if (child == NULL) {
			child = value_new(p, TOML_TABLE, t->depth + 1);
			if (child == NULL)
				goto fail;
			child->flags = TF_DOTTED;
			child->line = line;
			if (table_add_copy(p, t, &k.parts[i], child) != 0)
				goto fail;
		} else if (child->kind != TOML_TABLE || !(child->flags & TF_DOTTED) ||
		           (child->flags & TF_FROZEN)) {
			p->pos = key_pos; /* point at the key, not the value */
			toml_perr(p, "cannot add to '%s': it is already defined as %s %s",
			          key_text(&k, i + 1, name, sizeof(name)),
			          child->kind == TOML_TABLE ? "a" : "a value of type",
			          toml_kind_name(child->kind));
			goto fail;
		}
		t = child;
	}
	struct key_part *last = &k.parts[k.n - 1];
	if (table_find(t, last->s, last->len) != NULL) {
		p->pos = key_pos;
		toml_perr(p, "duplicate key '%s'", key_text(&k, k.n, name, sizeof(name)));
		goto fail;
	}
	struct toml_value *v = parse_value(p, t->depth + 1);
	if (v == NULL)
		goto fail;
	if (table_add_copy(p, t, last, v) != 0)
		goto fail;
	key_path_free(&k);
	return 0;
fail:
	key_path_free(&k);
	return -1;
}

/* [a.b.c] or [[a.b.c]] (p->pos on the first '['). Sets *cur. */
static int parse_header(struct toml_parser *p, struct toml_value *root, struct toml_value **cur)
{
	int aot = at(p, 1) == '[';
	struct key_path k;
	char name[256];
	p->pos += aot ? 2 : 1;
	skip_ws(p);
	if (parse_key(p, &k) != 0)
		return -1;
	skip_ws(p);
	if (at(p, 0) != ']' || (aot && at(p, 1) != ']')) {
		toml_perr(p, aot ? "expected ']]' to close the array-of-tables header"
		                 : "expected ']' to close the table header");
		goto fail;
	}
	p->pos += aot ? 2 : 1;
	struct toml_value *t = root;
	for (size_t i = 0; i < k.n; i++) {
		int last = i + 1 == k.n;
		struct toml_value *child = table_find(t, k.parts[i].s, k.parts[i].len);
		const char *what = key_text(&k, i + 1, name, sizeof(name));
		if (child == NULL) {
			child = value_new(p, aot && last ? TOML_ARRAY : TOML_TABLE, t->depth + 1);
			if (child == NULL)
				goto fail;
			child->flags = !last ? TF_IMPLICIT : aot ? TF_AOT : TF_DEFINED;
			if (table_add_copy(p, t, &k.parts[i], child) != 0)
				goto fail;
		} else if (last && !aot) {
			if (child->kind != TOML_TABLE || child->flags != TF_IMPLICIT) {
				toml_perr(p, "table [%s] is defined twice", what);
				goto fail;
			}
			child->flags = TF_DEFINED;
			child->line = p->line;
		} else if (last && aot) {
			if (child->kind != TOML_ARRAY || !(child->flags & TF_AOT)) {
				toml_perr(
				    p, "cannot make '%s' an array of tables: it is already %s %s",
				    what, child->kind == TOML_ARRAY ? "an" : "a",
				    toml_kind_name(child->kind));
				goto fail;
			}
		} else if (child->kind == TOML_ARRAY && (child->flags & TF_AOT)) {
			child = child->u.arr.items[child->u.arr.n - 1];
		} else if (child->kind != TOML_TABLE || (child->flags & TF_FROZEN)) {
			toml_perr(p, "cannot add to '%s': it is already defined as %s", what,
			          child->kind == TOML_TABLE ? "an inline table"
			                                    : toml_kind_name(child->kind));
			goto fail;
		}
		t = child;
	}
	if (aot) {
		struct toml_value *elem = value_new(p, TOML_TABLE, t->depth + 1);
		if (elem == NULL || array_add(p, t, elem) != 0)
			goto fail;
		elem->flags = TF_DEFINED;
		t = elem;
	}
	*cur = t;
	key_path_free(&k);
	return 0;
fail:
	key_path_free(&k);
	return -1;
}

/* Reject malformed UTF-8 (overlong forms, surrogates, > U+10FFFF) up front
 * so that the scanners can copy non-ASCII bytes as they are. */
static int check_utf8(struct toml_parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i = 0;
	while (i < p->len) {
		unsigned c = s[i];
		if (c == '\n') {
			p->line++;
			p->line_start = i + 1;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n = (c & 0xE0) == 0xC0   ? 2
		           : (c & 0xF0) == 0xE0 ? 3
		           : (c & 0xF8) == 0xF0 ? 4
		                                : 0;
		uint32_t cp = n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
		int ok = n != 0 && i + n <= p->len;
		for (size_t k = 1; ok && k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				ok = 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (ok) {
			static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
			ok = cp >= min_cp[n] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
		}
		if (!ok) {
			p->pos = i;
			return toml_perr(p, "invalid UTF-8");
		}
		i += n;
	}
	p->line = 1;
	p->line_start = 0;
	return 0;
}

struct toml_value *toml_parse(const char *text, size_t len, char *err)
{
	struct toml_parser p = {.s = text, .len = len, .line = 1, .err = err};
	if (len > TOML_MAX_INPUT_BYTES) {
		errbuf_set(err, "1:1: document larger than %d bytes", TOML_MAX_INPUT_BYTES);
		return NULL;
	}
	if (check_utf8(&p) != 0)
		return NULL;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		p.pos = p.line_start = 3; /* byte order mark */
	struct toml_value *root = value_new(&p, TOML_TABLE, 0);
	if (root == NULL)
		return NULL;
	root->flags = TF_DEFINED;
	struct toml_value *cur = root;
	for (;;) {
		skip_ws(&p);
		int c = at(&p, 0);
		if (c < 0)
			break;
		if (take_newline(&p))
			continue;
		if (c == '#') {
			if (skip_comment(&p) != 0)
				goto fail;
			continue;
		}
		if (c == '\r') {
			toml_perr(&p, "carriage return not followed by a line feed");
			goto fail;
		}
		if ((c == '[' ? parse_header(&p, root, &cur) : parse_keyval(&p, cur)) != 0)
			goto fail;
		skip_ws(&p);
		if (at(&p, 0) == '#' && skip_comment(&p) != 0)
			goto fail;
		if (at(&p, 0) >= 0 && !take_newline(&p)) {
			toml_perr(&p, c == '[' ? "expected a newline after the table header"
			                       : "expected a newline after the value");
			goto fail;
		}
	}
	return root;
fail:
	toml_free(root);
	return NULL;
}

/* --- accessors --- */

enum toml_kind toml_kind(const struct toml_value *v)
{
	return v->kind;
}

const char *toml_kind_name(enum toml_kind kind)
{
	switch (kind) {
	case TOML_TABLE:
		return "table";
	case TOML_ARRAY:
		return "array";
	case TOML_STRING:
		return "string";
	case TOML_INTEGER:
		return "integer";
	case TOML_FLOAT:
		return "float";
	case TOML_BOOL:
		return "bool";
	case TOML_DATETIME:
		return "datetime";
	case TOML_DATETIME_LOCAL:
		return "datetime-local";
	case TOML_DATE_LOCAL:
		return "date-local";
	case TOML_TIME_LOCAL:
		return "time-local";
	}
	return "?";
}

int toml_line(const struct toml_value *v)
{
	return v->line;
}

size_t toml_count(const struct toml_value *v)
{
	if (v->kind == TOML_TABLE)
		return v->u.tab.n;
	if (v->kind == TOML_ARRAY)
		return v->u.arr.n;
	return 0;
}

const struct toml_value *toml_get(const struct toml_value *table, const char *key)
{
	if (table == NULL || table->kind != TOML_TABLE)
		return NULL;
	return table_find(table, key, strlen(key));
}

const char *toml_key_at(const struct toml_value *table, size_t i, size_t *key_len)
{
	if (table->kind != TOML_TABLE || i >= table->u.tab.n)
		return NULL;
	if (key_len != NULL)
		*key_len = table->u.tab.items[i].key_len;
	return table->u.tab.items[i].key;
}

const struct toml_value *toml_at(const struct toml_value *v, size_t i)
{
	if (v->kind == TOML_TABLE)
		return i < v->u.tab.n ? v->u.tab.items[i].val : NULL;
	if (v->kind == TOML_ARRAY)
		return i < v->u.arr.n ? v->u.arr.items[i] : NULL;
	return NULL;
}

const char *toml_string(const struct toml_value *v, size_t *len)
{
	if (v->kind != TOML_STRING) {
		if (len != NULL)
			*len = 0;
		return "";
	}
	if (len != NULL)
		*len = v->u.str.len;
	return v->u.str.s;
}

int64_t toml_int(const struct toml_value *v)
{
	return v->kind == TOML_INTEGER ? v->u.i : 0;
}
double toml_float(const struct toml_value *v)
{
	return v->kind == TOML_FLOAT ? v->u.f : 0.0;
}
int toml_bool(const struct toml_value *v)
{
	return v->kind == TOML_BOOL ? v->u.b : 0;
}

const struct toml_datetime *toml_datetime(const struct toml_value *v)
{
	return v->kind >= TOML_DATETIME ? &v->u.dt : NULL;
}
