/*
 * identity: this endpoint's Ed25519 key and the ID derived from it.
 *
 * The key file holds exactly the 32 raw bytes of the Ed25519 secret (no
 * PEM, no header), mode 0600; it is created with its parent directories
 * (mode 0700) on first use and replaced atomically on rotation. Secrets
 * live only in the EVP_PKEY and in buffers wiped with OPENSSL_cleanse.
 */
#ifndef PP_CORE_IDENTITY_H
#define PP_CORE_IDENTITY_H

#include "core/endpoint_id.h"

#include <openssl/evp.h>
#include <stdint.h>

#define IDENTITY_SECRET_BYTES 32

struct identity {
	EVP_PKEY *key;            /* Ed25519 key pair; owned */
	uint8_t pub[32];          /* raw public key */
	char id[ENDPOINT_ID_LEN]; /* canonical endpoint ID of pub */
	/* 0, or the permission bits the key file had when load found it
	 * readable or writable by group/others and chmod'ed it to 0600. The
	 * caller (a program's edge) decides whether to warn. */
	unsigned tightened_from_mode;
};

/* Loads the key at path or, when the file does not exist, creates a new
 * one there. *created (may be NULL) is set to 1 when a key was created.
 * Refuses a file that is not a regular file of exactly 32 bytes. */
int identity_load_or_create(const char *path, struct identity *out, int *created, char *err);

/* Generates a new key and atomically replaces the file at path (created
 * with its directories if needed). On success out holds the new identity;
 * out is overwritten, not freed: free any identity it held before. */
int identity_rotate(const char *path, struct identity *out, char *err);

/* An identity from a given 32-byte secret (tests, fixtures). */
int identity_from_secret(const uint8_t secret[32], struct identity *out, char *err);

/* Frees the key and clears the struct. Safe on a zeroed struct. */
void identity_free(struct identity *id);

#endif
