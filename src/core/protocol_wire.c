/*
 * protocol_wire: the small text formats inside messages: request ids,
 * UUIDs (test ids and session tokens) and RFC 3339 UTC times.
 */
#include "core/protocol.h"

#include "lib/errbuf.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

bool protocol_request_id_valid(const char *s)
{
	if (s == NULL)
		return false;
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		if (n >= PP_REQUEST_ID_MAX_BYTES)
			return false;
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return false;
	}
	return n > 0;
}

int protocol_uuid_v4(char out[PP_UUID_TEXT_BYTES + 1], char *err)
{
	unsigned char b[16];
	if (RAND_bytes(b, sizeof(b)) != 1) {
		out[0] = '\0';
		return errbuf_set(err, "cannot draw random bytes for a UUID (OpenSSL RAND_bytes)");
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0f];
	}
	out[o] = '\0';
	OPENSSL_cleanse(b, sizeof(b)); /* tokens are secrets */
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool protocol_uuid_valid(const char *s)
{
	if (s == NULL)
		return false;
	for (size_t i = 0; i < PP_UUID_TEXT_BYTES; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (s[i] == '\0' || (dash ? s[i] != '-' : !is_hex(s[i])))
			return false;
	}
	return s[PP_UUID_TEXT_BYTES] == '\0';
}

int protocol_format_rfc3339_ms(int64_t wall_ms, char out[PP_RFC3339_BUF_BYTES])
{
	out[0] = '\0';
	/* Year 9999 at most: the format has four digits. */
	if (wall_ms < 0 || wall_ms > 253402300799999LL)
		return -1;
	time_t sec = (time_t)(wall_ms / 1000);
	struct tm tm;
	if (gmtime_r(&sec, &tm) == NULL)
		return -1;
	/* A roomy buffer: the compiler cannot see that tm's fields are small. */
	char text[128];
	snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(wall_ms % 1000));
	size_t n = strnlen(text, PP_RFC3339_BUF_BYTES - 1);
	memcpy(out, text, n);
	out[n] = '\0';
	return 0;
}

/* Reads exactly n digits. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int protocol_parse_rfc3339_ms(const char *s, int64_t *wall_ms)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, se, ms = 0;
	const char *p = s;
	if (s == NULL || !digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) ||
	    !expect(&p, '-') || !digits(&p, 2, &d) || !expect(&p, 'T') || !digits(&p, 2, &h) ||
	    !expect(&p, ':') || !digits(&p, 2, &mi) || !expect(&p, ':') || !digits(&p, 2, &se))
		return -1;
	if (*p == '.') {
		p++;
		int n = 0;
		for (; *p >= '0' && *p <= '9'; p++, n++) {
			if (n >= 9)
				return -1;
			if (n < 3)
				ms = ms * 10 + (*p - '0');
		}
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			ms *= 10;
	}
	if (!expect(&p, 'Z') || *p != '\0')
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
		return -1;
	if (d > mdays[mo - 1] + (mo == 2 && is_leap(y)))
		return -1;
	/* Days since the epoch, without timegm's dependence on the TZ. */
	int64_t days = 0;
	for (int yy = 1970; yy < y; yy++)
		days += is_leap(yy) ? 366 : 365;
	for (int m = 1; m < mo; m++)
		days += mdays[m - 1] + (m == 2 && is_leap(y));
	days += d - 1;
	*wall_ms = ((days * 24 + h) * 60 + mi) * 60000LL + se * 1000LL + ms;
	return 0;
}
