#include "core/endpoint_id.h"

#include "lib/crockford.h"
#include "lib/errbuf.h"

#include <stdio.h>
#include <strings.h>
#include <string.h>

#define PREFIX "PP-"
#define PREFIX_LEN 3
#define GROUP_SYMBOLS 4
#define PARSE_MAX_BYTES 512 /* far above any sane spelling of an ID */

void endpoint_id_from_pubkey(const uint8_t pub[32], char out[ENDPOINT_ID_LEN])
{
	char payload[ENDPOINT_ID_PAYLOAD_SYMBOLS + 1];
	crockford_encode(pub, ENDPOINT_ID_PUBKEY_BYTES, payload, sizeof(payload));
	size_t n = 0;
	memcpy(out, PREFIX, PREFIX_LEN);
	n += PREFIX_LEN;
	for (size_t i = 0; i < ENDPOINT_ID_PAYLOAD_SYMBOLS; i++) {
		if (i > 0 && i % GROUP_SYMBOLS == 0)
			out[n++] = '-';
		out[n++] = payload[i];
	}
	out[n++] = '-';
	out[n++] = luhn32_check_char(payload, ENDPOINT_ID_PAYLOAD_SYMBOLS);
	out[n] = '\0';
}

/* The typed text, made safe and short for an error message. */
static void display_copy(const char *text, size_t len, char *out, size_t outlen)
{
	const size_t max_shown = 90;
	size_t n = 0;
	for (size_t i = 0; i < len && i < max_shown && n + 1 < outlen; i++) {
		unsigned char c = (unsigned char)text[i];
		out[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (len > max_shown && n + 4 < outlen) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

int endpoint_id_parse(const char *text, uint8_t pub_out[32], char canonical_out[ENDPOINT_ID_LEN],
                      char *err)
{
	size_t len = strnlen(text, PARSE_MAX_BYTES + 1);
	char shown[100];
	display_copy(text, len, shown, sizeof(shown));
	if (len > PARSE_MAX_BYTES)
		return errbuf_set(err, "%s: too long for an endpoint ID", shown);
	if (len == 0)
		return errbuf_set(err, "empty endpoint ID (expected PP-XXXX-...-C)");
	if (len < PREFIX_LEN || strncasecmp(text, PREFIX, PREFIX_LEN) != 0)
		return errbuf_set(err, "%s: an endpoint ID starts with \"PP-\"", shown);

	/* Gather the symbols (payload + check), dropping the hyphens. */
	char symbols[ENDPOINT_ID_PAYLOAD_SYMBOLS + 1];
	size_t count = 0;
	for (size_t i = PREFIX_LEN; i < len; i++) {
		char c = text[i];
		if (c == '-')
			continue;
		if (crockford_value(c) < 0) {
			unsigned char u = (unsigned char)c;
			if (u >= 0x20 && u < 0x7f)
				return errbuf_set(err,
				                  "%s: character '%c' at position %zu is not allowed in an "
				                  "endpoint ID (Crockford Base32: 0-9 and A-Z without I L O U)",
				                  shown, c, i + 1);
			return errbuf_set(err, "%s: byte 0x%02x at position %zu is not allowed in an endpoint ID",
			                  shown, u, i + 1);
		}
		if (count < sizeof(symbols))
			symbols[count] = c;
		count++;
	}
	if (count != ENDPOINT_ID_PAYLOAD_SYMBOLS + 1)
		return errbuf_set(err,
		                  "%s: has %zu symbols after \"PP-\", expected %d (%d for the key and 1 "
		                  "check character)",
		                  shown, count, ENDPOINT_ID_PAYLOAD_SYMBOLS + 1,
		                  ENDPOINT_ID_PAYLOAD_SYMBOLS);

	char expected = luhn32_check_char(symbols, ENDPOINT_ID_PAYLOAD_SYMBOLS);
	char given = CROCKFORD_ALPHABET[crockford_value(symbols[ENDPOINT_ID_PAYLOAD_SYMBOLS])];
	if (given != expected)
		return errbuf_set(err, "%s: check character is %c, expected %c: the ID is mistyped",
		                  shown, given, expected);

	uint8_t pub[ENDPOINT_ID_PUBKEY_BYTES];
	size_t publen = 0;
	char derr[ERRBUF_LEN];
	/* 52 symbols carry 260 bits: the key and 4 pad bits that must be 0. */
	if (crockford_decode(symbols, ENDPOINT_ID_PAYLOAD_SYMBOLS, pub, sizeof(pub), &publen, derr) != 0)
		return errbuf_set(err, "%s: not a valid endpoint ID: %s", shown, derr);
	if (pub_out != NULL)
		memcpy(pub_out, pub, sizeof(pub));
	if (canonical_out != NULL)
		endpoint_id_from_pubkey(pub, canonical_out);
	return 0;
}

int endpoint_id_equal(const char *a, const char *b)
{
	uint8_t ka[ENDPOINT_ID_PUBKEY_BYTES], kb[ENDPOINT_ID_PUBKEY_BYTES];
	if (endpoint_id_parse(a, ka, NULL, NULL) != 0 || endpoint_id_parse(b, kb, NULL, NULL) != 0)
		return 0;
	return memcmp(ka, kb, sizeof(ka)) == 0;
}
