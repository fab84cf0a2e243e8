#include "lib/crockford.h"

#include "lib/errbuf.h"

#include <string.h>

size_t crockford_encoded_len(size_t nbytes)
{
	return (nbytes * 8 + 4) / 5;
}

size_t crockford_encode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	size_t need = crockford_encoded_len(len);
	if (outlen == 0)
		return 0;
	if (need + 1 > outlen) {
		out[0] = '\0';
		return 0;
	}
	/* Shift bytes into an accumulator and emit its top 5 bits whenever it
	 * holds at least 5; the last symbol is zero-padded on the right. */
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[n++] = CROCKFORD_ALPHABET[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[n++] = CROCKFORD_ALPHABET[(acc << (5 - bits)) & 31];
	out[n] = '\0';
	return n;
}

int crockford_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	switch (c) {
	case 'O':
		return 0;
	case 'I':
	case 'L':
		return 1;
	default:
		break;
	}
	/* The alphabet leaves out I, L, O (aliases above) and U. */
	const char *p = c != '\0' ? strchr(CROCKFORD_ALPHABET, c) : NULL;
	return p != NULL ? (int)(p - CROCKFORD_ALPHABET) : -1;
}

int crockford_decode(const char *text, size_t textlen, uint8_t *out, size_t outcap,
                     size_t *outlen, char *err)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0, symbols = 0;
	for (size_t i = 0; i < textlen; i++) {
		if (text[i] == '-')
			continue;
		int v = crockford_value(text[i]);
		if (v < 0) {
			unsigned char c = (unsigned char)text[i];
			if (c >= 0x20 && c < 0x7f)
				return errbuf_set(err, "character '%c' at position %zu is not Crockford Base32",
				                  c, i + 1);
			return errbuf_set(err, "byte 0x%02x at position %zu is not Crockford Base32", c,
			                  i + 1);
		}
		symbols++;
		acc = ((acc << 5) | (uint32_t)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n == outcap)
				return errbuf_set(err, "decodes to more than %zu bytes", outcap);
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* An encoder leaves fewer than 5 pad bits, all zero; anything else is
	 * a truncated or altered string that would otherwise decode silently. */
	if (bits >= 5)
		return errbuf_set(err, "%zu symbols is not a possible encoded length", symbols);
	if ((acc & ((1u << bits) - 1)) != 0)
		return errbuf_set(err, "last symbol has non-zero padding bits (not a canonical encoding)");
	*outlen = n;
	return 0;
}

/* Luhn mod N as described for arbitrary alphabets: from the right, every
 * second code point (starting with the rightmost one of the payload) is
 * doubled and its base-N digits are summed. */
static int luhn32_sum(const char *symbols, size_t len, int double_first, unsigned *sum_out)
{
	unsigned sum = 0;
	int factor = double_first ? 2 : 1;
	for (size_t i = len; i-- > 0;) {
		int v = crockford_value(symbols[i]);
		if (v < 0)
			return -1;
		unsigned addend = (unsigned)(factor * v);
		sum += addend / 32 + addend % 32;
		factor = factor == 2 ? 1 : 2;
	}
	*sum_out = sum;
	return 0;
}

char luhn32_check_char(const char *symbols, size_t len)
{
	unsigned sum;
	if (luhn32_sum(symbols, len, 1, &sum) != 0)
		return '\0';
	return CROCKFORD_ALPHABET[(32 - sum % 32) % 32];
}

int luhn32_validate(const char *symbols, size_t len)
{
	unsigned sum;
	if (len < 2 || luhn32_sum(symbols, len, 0, &sum) != 0)
		return 0;
	return sum % 32 == 0;
}
