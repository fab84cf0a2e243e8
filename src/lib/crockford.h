/*
 * crockford: Crockford Base32 (https://www.crockford.com/base32.html) and
 * the Luhn mod N check character with N = 32 over the same alphabet.
 *
 * Encoding packs bits most-significant first, no padding: n bytes become
 * ceil(8n/5) symbols (32 bytes -> 52). Decoding is forgiving about what
 * humans type (any case, O->0, I/L->1, hyphens ignored) and strict about
 * everything else (U, spaces, other bytes, a length no encoder produces,
 * non-zero pad bits). Knows nothing of endpoint IDs.
 */
#ifndef PP_LIB_CROCKFORD_H
#define PP_LIB_CROCKFORD_H

#include <stddef.h>
#include <stdint.h>

#define CROCKFORD_ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/* Symbols needed for nbytes bytes (without NUL). */
size_t crockford_encoded_len(size_t nbytes);

/* Encodes len bytes into out (outlen bytes including the NUL). Returns the
 * number of symbols written, or 0 when out is too small (out is then ""). */
size_t crockford_encode(const uint8_t *in, size_t len, char *out, size_t outlen);

/* Value 0..31 of one typed symbol (case-insensitive, O/o->0, I/i/L/l->1),
 * -1 for anything else (including '-' and 'U'). */
int crockford_value(char c);

/* Decodes textlen characters of text (hyphens skipped) into out (capacity
 * outcap bytes); *outlen gets the byte count. Fails on a bad character, a
 * symbol count that no encoding produces, non-zero pad bits, or an output
 * larger than outcap. */
int crockford_decode(const char *text, size_t textlen, uint8_t *out, size_t outcap,
                     size_t *outlen, char *err);

/* The Luhn mod 32 check symbol for len symbols (aliases and case accepted,
 * no hyphens), as an upper-case alphabet character; '\0' if a symbol is
 * invalid. */
char luhn32_check_char(const char *symbols, size_t len);

/* 1 when the last of len symbols is the correct check symbol of the ones
 * before it, else 0 (also for len < 2 or an invalid symbol). */
int luhn32_validate(const char *symbols, size_t len);

#endif
