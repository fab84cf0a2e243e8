/*
 * toml: a strict TOML 1.0 parser (ours: Debian ships no C TOML library).
 *
 * The whole document is parsed into a tree of values in one call. The parser
 * is bounded: at most TOML_MAX_INPUT_BYTES of input and TOML_MAX_DEPTH levels
 * of nesting (tables, arrays, inline tables together), and it never recurses
 * deeper than that. Every value keeps the line it starts on, so that callers
 * can report "file:line" for a key. Errors read "LINE:COL: what is wrong"
 * (both 1-based; COL counts bytes).
 *
 * Tables keep their keys in insertion order. Strings are UTF-8 with an
 * explicit length (a TOML string may contain U+0000).
 */
#ifndef PP_LIB_TOML_H
#define PP_LIB_TOML_H

#include <stddef.h>
#include <stdint.h>

#define TOML_MAX_INPUT_BYTES (1024 * 1024)
#define TOML_MAX_DEPTH 64

enum toml_kind {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,       /* date, time and UTC offset */
	TOML_DATETIME_LOCAL, /* date and time, no offset */
	TOML_DATE_LOCAL,
	TOML_TIME_LOCAL,
};

struct toml_datetime {
	int year, month, day;     /* 0 when the kind has no date */
	int hour, minute, second; /* 0 when the kind has no time */
	int nanosecond;
	int offset_min; /* minutes east of UTC (TOML_DATETIME only) */
	char text[48];  /* canonical RFC 3339 text, e.g. 1979-05-27T07:32:00Z */
};

struct toml_value;

/* Parse a whole document. Returns the root table, or NULL with err filled
 * ("LINE:COL: message"). err may be NULL. */
struct toml_value *toml_parse(const char *text, size_t len, char *err);
void toml_free(struct toml_value *v);

enum toml_kind toml_kind(const struct toml_value *v);
/* "table", "array", "string", "integer", "float", "bool", "datetime"... */
const char *toml_kind_name(enum toml_kind kind);
/* 1-based line where the value starts (a table: its header or first key). */
int toml_line(const struct toml_value *v);

/* Number of keys of a table or items of an array; 0 for scalars. */
size_t toml_count(const struct toml_value *v);
/* The value of key in a table, NULL when absent or v is not a table. */
const struct toml_value *toml_get(const struct toml_value *table, const char *key);
/* The i-th key of a table (insertion order); *key_len (may be NULL) gets
 * its length. NULL when out of range. */
const char *toml_key_at(const struct toml_value *table, size_t i, size_t *key_len);
/* The i-th value of a table or array; NULL when out of range. */
const struct toml_value *toml_at(const struct toml_value *v, size_t i);

/* Scalars. Each returns the zero value when v is of another kind. */
const char *toml_string(const struct toml_value *v, size_t *len);
int64_t toml_int(const struct toml_value *v);
double toml_float(const struct toml_value *v);
int toml_bool(const struct toml_value *v);
/* For the four date/time kinds; NULL otherwise. */
const struct toml_datetime *toml_datetime(const struct toml_value *v);

#endif
