/*
 * toml_scalar: the leaves of a TOML document, i.e. strings (four forms and
 * their escapes), booleans, integers (decimal, hex, octal, binary), floats
 * and the four date/time kinds. Each scanner starts at p->pos and leaves
 * p->pos just after what it read; what follows is checked by the caller.
 */
#include "lib/toml_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sbuf {
	char *s;
	size_t len, cap;
};

static int sbuf_put(struct sbuf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 32;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *bigger = realloc(b->s, cap);
		if (bigger == NULL)
			return -1;
		b->s = bigger;
		b->cap = cap;
	}
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static int at(const struct toml_parser *p, size_t off)
{
	return p->pos + off < p->len ? (unsigned char)p->s[p->pos + off] : -1;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Consume a newline (LF or CRLF) at p->pos. Returns 1 when one was there. */
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

/* After a backslash in a basic string (p->pos on the character after it). */
static int scan_escape(struct toml_parser *p, int multiline, struct sbuf *b)
{
	int c = at(p, 0);
	if (multiline && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
		/* Line-ending backslash: only whitespace may sit between it and
		 * the newline; then all whitespace and newlines are dropped. */
		size_t save = p->pos;
		while (at(p, 0) == ' ' || at(p, 0) == '\t')
			p->pos++;
		if (!take_newline(p)) {
			p->pos = save;
			return toml_perr(p, "a backslash followed by whitespace must end the line");
		}
		for (;;) {
			if (at(p, 0) == ' ' || at(p, 0) == '\t')
				p->pos++;
			else if (!take_newline(p))
				break;
		}
		return 0;
	}
	const char *simple = NULL;
	switch (c) {
	case 'b':
		simple = "\b";
		break;
	case 't':
		simple = "\t";
		break;
	case 'n':
		simple = "\n";
		break;
	case 'f':
		simple = "\f";
		break;
	case 'r':
		simple = "\r";
		break;
	case '"':
		simple = "\"";
		break;
	case '\\':
		simple = "\\";
		break;
	default:
		break;
	}
	if (simple != NULL) {
		p->pos++;
		return sbuf_put(b, simple, 1) == 0 ? 0 : toml_perr(p, "out of memory");
	}
	if (c != 'u' && c != 'U') {
		if (c >= 0x20 && c < 0x7f)
			return toml_perr(p, "invalid escape sequence '\\%c'", c);
		return toml_perr(p, "invalid escape sequence");
	}
	int digits = c == 'u' ? 4 : 8;
	uint32_t cp = 0;
	for (int i = 1; i <= digits; i++) {
		int h = hex_value(at(p, (size_t)i));
		if (h < 0)
			return toml_perr(p, "'\\%c' needs %d hex digits", c, digits);
		cp = cp * 16 + (uint32_t)h;
	}
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return toml_perr(p, "escape '\\%c' is not a Unicode scalar value", c);
	p->pos += (size_t)digits + 1;
	char enc[4];
	return sbuf_put(b, enc, utf8_encode(cp, enc)) == 0 ? 0 : toml_perr(p, "out of memory");
}

int toml_scan_string(struct toml_parser *p, int allow_multiline, char **out, size_t *out_len)
{
	char q = p->s[p->pos];
	int basic = q == '"';
	int multiline = at(p, 1) == q && at(p, 2) == q;
	struct sbuf b = {0};
	if (sbuf_put(&b, "", 0) != 0)
		return toml_perr(p, "out of memory");
	if (multiline) {
		if (!allow_multiline) {
			free(b.s);
			return toml_perr(p, "a multi-line string cannot be a key");
		}
		p->pos += 3;
		take_newline(p); /* a newline right after the opening is trimmed */
	} else {
		p->pos++;
	}
	for (;;) {
		int c = at(p, 0);
		if (c < 0) {
			toml_perr(p, "unterminated string");
			goto fail;
		}
		if (c == q) {
			if (!multiline) {
				p->pos++;
				break;
			}
			size_t run = 0;
			while (at(p, run) == q)
				run++;
			if (run >= 3) {
				/* Up to two quotes may sit right before the closing three. */
				if (run > 5) {
					p->pos += 5;
					toml_perr(
					    p, "too many quotes at the end of a multi-line string");
					goto fail;
				}
				if (sbuf_put(&b, p->s + p->pos, run - 3) != 0)
					goto oom;
				p->pos += run;
				break;
			}
			if (sbuf_put(&b, p->s + p->pos, run) != 0)
				goto oom;
			p->pos += run;
			continue;
		}
		if (c == '\n' || c == '\r') {
			if (!multiline) {
				toml_perr(p, "newline in a single-line string");
				goto fail;
			}
			if (!take_newline(p)) {
				toml_perr(p, "carriage return not followed by a line feed");
				goto fail;
			}
			if (sbuf_put(&b, "\n", 1) != 0)
				goto oom;
			continue;
		}
		if (c == '\\' && basic) {
			p->pos++;
			if (scan_escape(p, multiline, &b) != 0)
				goto fail;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			toml_perr(p, "control character U+%04X in a string", (unsigned)c);
			goto fail;
		}
		if (sbuf_put(&b, p->s + p->pos, 1) != 0)
			goto oom;
		p->pos++;
	}
	*out = b.s;
	*out_len = b.len;
	return 0;
oom:
	toml_perr(p, "out of memory");
fail:
	free(b.s);
	return -1;
}

/* --- numbers --- */

/* Copy digits of t[*i..n) that satisfy ok() into out (without underscores),
 * requiring each underscore to sit between two digits. Returns the number of
 * digits copied, or -1 on a misplaced underscore. */
static int take_digits(const char *t, size_t n, size_t *i, int (*ok)(int), char *out, size_t *olen,
                       size_t ocap)
{
	int count = 0;
	while (*i < n) {
		int c = (unsigned char)t[*i];
		if (c == '_') {
			if (count == 0 || *i + 1 >= n || !ok((unsigned char)t[*i + 1]))
				return -1;
			(*i)++;
			continue;
		}
		if (!ok(c))
			break;
		if (*olen + 1 < ocap)
			out[(*olen)++] = (char)c;
		count++;
		(*i)++;
	}
	out[*olen] = '\0';
	return count;
}

static int is_hex(int c)
{
	return hex_value(c) >= 0;
}
static int is_oct(int c)
{
	return c >= '0' && c <= '7';
}
static int is_bin(int c)
{
	return c == '0' || c == '1';
}

static int scan_number(struct toml_parser *p, const char *t, size_t n, struct toml_value *v)
{
	size_t i = 0;
	int neg = 0, has_sign = 0;
	if (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-';
		has_sign = 1;
		i = 1;
	}
	if (n - i == 3 && (memcmp(t + i, "inf", 3) == 0 || memcmp(t + i, "nan", 3) == 0)) {
		v->kind = TOML_FLOAT;
		v->u.f = t[i] == 'i' ? (neg ? -INFINITY : INFINITY) : (neg ? -NAN : NAN);
		return 0;
	}
	char digits[128];
	size_t dlen = 0;
	if (n - i > 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b')) {
		char base_c = t[i + 1];
		if (has_sign)
			return toml_perr(p, "a 0%c integer cannot have a sign", base_c);
		int (*ok)(int) = base_c == 'x' ? is_hex : base_c == 'o' ? is_oct : is_bin;
		unsigned base = base_c == 'x' ? 16 : base_c == 'o' ? 8 : 2;
		i += 2;
		if (take_digits(t, n, &i, ok, digits, &dlen, sizeof(digits)) <= 0 || i != n)
			return toml_perr(p, "invalid integer '%.*s'", (int)n, t);
		uint64_t val = 0;
		for (size_t k = 0; k < dlen; k++) {
			uint64_t d = (uint64_t)hex_value(digits[k]);
			if (val > ((uint64_t)INT64_MAX - d) / base)
				return toml_perr(p, "integer '%.*s' does not fit in 64 bits",
				                 (int)n, t);
			val = val * base + d;
		}
		v->kind = TOML_INTEGER;
		v->u.i = (int64_t)val;
		return 0;
	}
	/* Decimal: integer part, then maybe a fraction and/or an exponent. */
	char clean[160];
	size_t clen = 0;
	if (neg)
		clean[clen++] = '-';
	size_t int_start = i;
	int nint = take_digits(t, n, &i, is_digit, clean, &clen, sizeof(clean));
	if (nint <= 0)
		return toml_perr(p, "invalid value '%.*s'", (int)n, t);
	if (t[int_start] == '0' && nint > 1)
		return toml_perr(p, "leading zero in number '%.*s'", (int)n, t);
	int is_float = 0;
	if (i < n && t[i] == '.') {
		is_float = 1;
		i++;
		clean[clen++] = '.';
		if (take_digits(t, n, &i, is_digit, clean, &clen, sizeof(clean)) <= 0)
			return toml_perr(p, "a decimal point must be followed by digits in '%.*s'",
			                 (int)n, t);
	}
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		is_float = 1;
		i++;
		clean[clen++] = 'e';
		if (i < n && (t[i] == '+' || t[i] == '-'))
			clean[clen++] = t[i++];
		if (take_digits(t, n, &i, is_digit, clean, &clen, sizeof(clean)) <= 0)
			return toml_perr(p, "invalid exponent in '%.*s'", (int)n, t);
	}
	if (i != n || clen + 1 >= sizeof(clean))
		return toml_perr(p, "invalid value '%.*s'", (int)n, t);
	clean[clen] = '\0';
	if (is_float) {
		v->kind = TOML_FLOAT;
		v->u.f = strtod(clean, NULL);
		return 0;
	}
	errno = 0;
	long long val = strtoll(clean, NULL, 10);
	if (errno == ERANGE)
		return toml_perr(p, "integer '%.*s' does not fit in 64 bits", (int)n, t);
	v->kind = TOML_INTEGER;
	v->u.i = (int64_t)val;
	return 0;
}

/* --- dates and times --- */

static int take_fixed(struct toml_parser *p, int ndigits, int *out)
{
	int val = 0;
	for (int k = 0; k < ndigits; k++) {
		int c = at(p, (size_t)k);
		if (!is_digit(c))
			return -1;
		val = val * 10 + (c - '0');
	}
	p->pos += (size_t)ndigits;
	*out = val;
	return 0;
}

static int days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

static int scan_date(struct toml_parser *p, struct toml_datetime *dt)
{
	if (take_fixed(p, 4, &dt->year) || at(p, 0) != '-' || (p->pos++, 0) ||
	    take_fixed(p, 2, &dt->month) || at(p, 0) != '-' || (p->pos++, 0) ||
	    take_fixed(p, 2, &dt->day))
		return toml_perr(p, "invalid date (expected YYYY-MM-DD)");
	if (dt->month < 1 || dt->month > 12)
		return toml_perr(p, "month %d out of range", dt->month);
	if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
		return toml_perr(p, "day %d out of range for %04d-%02d", dt->day, dt->year,
		                 dt->month);
	return 0;
}

/* HH:MM:SS[.frac]; frac_text gets ".ddd" (at most 9 digits kept) or "". */
static int scan_time(struct toml_parser *p, struct toml_datetime *dt, char frac_text[11])
{
	if (take_fixed(p, 2, &dt->hour) || at(p, 0) != ':' || (p->pos++, 0) ||
	    take_fixed(p, 2, &dt->minute) || at(p, 0) != ':' || (p->pos++, 0) ||
	    take_fixed(p, 2, &dt->second))
		return toml_perr(p, "invalid time (expected HH:MM:SS)");
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return toml_perr(p, "time %02d:%02d:%02d out of range", dt->hour, dt->minute,
		                 dt->second);
	frac_text[0] = '\0';
	if (at(p, 0) == '.') {
		p->pos++;
		if (!is_digit(at(p, 0)))
			return toml_perr(p, "a decimal point in a time must be followed by digits");
		size_t k = 0;
		int scale = 100000000;
		frac_text[k++] = '.';
		while (is_digit(at(p, 0))) {
			int d = at(p, 0) - '0';
			if (k < 10) {
				frac_text[k++] = (char)at(p, 0);
				dt->nanosecond += d * scale;
				scale /= 10;
			}
			p->pos++;
		}
		frac_text[k] = '\0';
	}
	return 0;
}

static int scan_datetime(struct toml_parser *p, struct toml_value *v)
{
	struct toml_datetime *dt = &v->u.dt;
	char frac[11];
	memset(dt, 0, sizeof(*dt));
	if (at(p, 2) == ':') {
		if (scan_time(p, dt, frac) != 0)
			return -1;
		v->kind = TOML_TIME_LOCAL;
		snprintf(dt->text, sizeof(dt->text), "%02d:%02d:%02d%s", dt->hour, dt->minute,
		         dt->second, frac);
		return 0;
	}
	if (scan_date(p, dt) != 0)
		return -1;
	int sep = at(p, 0);
	/* A space separates date and time only when a time follows. */
	if (!(sep == 'T' || sep == 't' ||
	      (sep == ' ' && is_digit(at(p, 1)) && is_digit(at(p, 2)) && at(p, 3) == ':'))) {
		v->kind = TOML_DATE_LOCAL;
		snprintf(dt->text, sizeof(dt->text), "%04d-%02d-%02d", dt->year, dt->month,
		         dt->day);
		return 0;
	}
	p->pos++;
	if (scan_time(p, dt, frac) != 0)
		return -1;
	char offset[8] = "";
	int c = at(p, 0);
	if (c == 'Z' || c == 'z') {
		p->pos++;
		strcpy(offset, "Z");
	} else if (c == '+' || c == '-') {
		int oh, om;
		p->pos++;
		if (take_fixed(p, 2, &oh) || at(p, 0) != ':' || (p->pos++, 0) ||
		    take_fixed(p, 2, &om))
			return toml_perr(p, "invalid UTC offset (expected +HH:MM)");
		if (oh > 23 || om > 59)
			return toml_perr(p, "UTC offset %c%02d:%02d out of range", c, oh, om);
		dt->offset_min = (c == '-' ? -1 : 1) * (oh * 60 + om);
		snprintf(offset, sizeof(offset), "%c%02d:%02d", c, oh, om);
	}
	v->kind = offset[0] ? TOML_DATETIME : TOML_DATETIME_LOCAL;
	snprintf(dt->text, sizeof(dt->text), "%04d-%02d-%02dT%02d:%02d:%02d%s%s", dt->year,
	         dt->month, dt->day, dt->hour, dt->minute, dt->second, frac, offset);
	return 0;
}

static int is_token_char(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '+' || c == '-' || c == '.';
}

int toml_scan_scalar(struct toml_parser *p, struct toml_value *v)
{
	if (is_digit(at(p, 0)) && is_digit(at(p, 1))) {
		if ((is_digit(at(p, 2)) && is_digit(at(p, 3)) && at(p, 4) == '-') ||
		    at(p, 2) == ':')
			return scan_datetime(p, v);
	}
	size_t start = p->pos;
	while (p->pos < p->len && is_token_char((unsigned char)p->s[p->pos]))
		p->pos++;
	const char *t = p->s + start;
	size_t n = p->pos - start;
	if (n == 0) {
		int c = at(p, 0);
		if (c < 0 || c == '\n' || c == '\r' || c == '#')
			return toml_perr(p, "expected a value");
		return toml_perr(p, "unexpected character '%c' where a value should be",
		                 c >= 0x20 && c < 0x7f ? c : '?');
	}
	if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0)) {
		v->kind = TOML_BOOL;
		v->u.b = n == 4;
		return 0;
	}
	if (n > 100) {
		p->pos = start;
		return toml_perr(p, "value too long");
	}
	size_t end = p->pos;
	p->pos = start; /* report number errors at the value's start */
	if (scan_number(p, t, n, v) != 0)
		return -1;
	p->pos = end;
	return 0;
}
