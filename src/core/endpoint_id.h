/*
 * endpoint_id: the human-facing name of a peer, derived from its key.
 *
 *   PP-XXXX-XXXX-...-XXXX-C
 *
 * "PP-", the 32-byte Ed25519 public key in Crockford Base32 (52 symbols,
 * grouped by 4 with '-'), '-', and one Luhn mod-32 check symbol computed
 * over the 52 payload symbols. The canonical form is upper case with the
 * hyphens above (69 characters). Parsing accepts any case, Crockford's
 * aliases (O->0, I/L->1) and hyphens anywhere (or none) after "PP-", so an
 * ID typed by a person in a config or on a command line still matches,
 * while a typo is caught by the check symbol.
 */
#ifndef PP_CORE_ENDPOINT_ID_H
#define PP_CORE_ENDPOINT_ID_H

#include <stdint.h>

#define ENDPOINT_ID_LEN 80             /* buffer size, NUL included */
#define ENDPOINT_ID_PUBKEY_BYTES 32
#define ENDPOINT_ID_PAYLOAD_SYMBOLS 52 /* Base32 of the 32-byte key */

/* Canonical ID of an Ed25519 public key. */
void endpoint_id_from_pubkey(const uint8_t pub[32], char out[ENDPOINT_ID_LEN]);

/* Parses a typed ID. On success returns 0 and fills pub_out and
 * canonical_out (either may be NULL). On failure returns -1 and err says
 * what is wrong, e.g. "PP-...: check character is X, expected Y: the ID is
 * mistyped". text must be NUL-terminated; only its first 512 bytes are
 * looked at. */
int endpoint_id_parse(const char *text, uint8_t pub_out[32] /* may be NULL */,
                      char canonical_out[ENDPOINT_ID_LEN] /* may be NULL */, char *err);

/* 1 when a and b name the same key (each parsed as above), else 0. */
int endpoint_id_equal(const char *a, const char *b);

#endif
