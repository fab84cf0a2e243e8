/*
 * toml_internal: what toml.c (document structure) and toml_scalar.c
 * (strings, numbers, dates) share. Not for use outside src/lib/toml*.c.
 */
#ifndef PP_LIB_TOML_INTERNAL_H
#define PP_LIB_TOML_INTERNAL_H

#include "lib/toml.h"

#include <stddef.h>
#include <stdint.h>

/* Table flags: how a table came to exist decides what may extend it. */
enum {
	TF_DEFINED = 1 << 0,  /* by a [header] or as an [[array]] element */
	TF_IMPLICIT = 1 << 1, /* as a prefix of a header path ([a] of [a.b]) */
	TF_DOTTED = 1 << 2,   /* by a dotted key (a.b = 1) */
	TF_FROZEN = 1 << 3,   /* inline table or array literal: closed for good */
	TF_AOT = 1 << 4,      /* an array made by [[header]]s */
};

struct toml_entry {
	char *key;
	size_t key_len;
	struct toml_value *val;
};

struct toml_value {
	enum toml_kind kind;
	int line;
	int depth; /* nesting level, root = 0 */
	unsigned flags;
	union {
		struct {
			char *s;
			size_t len;
		} str;
		int64_t i;
		double f;
		int b;
		struct toml_datetime dt;
		struct {
			struct toml_entry *items;
			size_t n, cap;
			/* Open-addressing hash of entry index + 1 (0 = empty), built
			 * once a table is big enough for linear search to hurt. */
			uint32_t *index;
			size_t index_cap; /* a power of two, or 0 */
		} tab;
		struct {
			struct toml_value **items;
			size_t n, cap;
		} arr;
	} u;
};

struct toml_parser {
	const char *s;
	size_t len;
	size_t pos;
	int line;
	size_t line_start; /* offset of the current line's first byte */
	char *err;
};

/* Fill err with "LINE:COL: message" at the current position; returns -1. */
int toml_perr(struct toml_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* At a quote: parse a string (basic, literal, or when allow_multiline also
 * their multi-line forms) into a malloc'd buffer (NUL-terminated too). */
int toml_scan_string(struct toml_parser *p, int allow_multiline, char **out, size_t *out_len);

/* At anything else: bool, integer, float, or one of the date/time kinds. */
int toml_scan_scalar(struct toml_parser *p, struct toml_value *v);

#endif
