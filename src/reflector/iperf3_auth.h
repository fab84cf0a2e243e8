/*
 * iperf3_auth: iperf3's own RSA authentication for direct-mode tests
 * (`[iperf3] authenticate = true`, THROUGHPUT.md "Direct mode with
 * authentication").
 *
 * In direct_ephemeral mode the granted port is iperf3 itself, reachable by
 * anyone until the test runs. With authentication, iperf3 is started with
 * --rsa-private-key-path and --authorized-users-path: it runs a test only
 * for a client that sends, encrypted with the reflector's RSA public key,
 * the user name and password of a file written for this session alone.
 * The user is the session's test_id and the password its grant token, both
 * sent to the peer over the mTLS control link; the public key is in the
 * grant (iperf3_rsa_public_key). Nothing new is secret on the wire.
 *
 * The RSA key is made when the server starts (2048 bits) and lives in
 * <data_dir>/iperf3-auth/ (0700) as rsa-private.pem (0600) until it stops;
 * each session's users file sits beside it, removed when its iperf3 ends.
 */
#ifndef PP_REFLECTOR_IPERF3_AUTH_H
#define PP_REFLECTOR_IPERF3_AUTH_H

#include "lib/errbuf.h"

#include <stddef.h>

/* iperf3 compares the client's clock with ours: a path with a badly set
 * clock is exactly what this tool is for, so allow 10 minutes (the
 * credentials are single-session anyway). */
#define IPERF3_AUTH_SKEW_SEC 600

struct iperf3_auth;

/* Makes the key and writes it under data_dir. NULL and err on failure. */
struct iperf3_auth *iperf3_auth_new(const char *data_dir, char *err);

/* Removes the key file and the directory's users files; frees. NULL is fine. */
void iperf3_auth_free(struct iperf3_auth *a);

/* The public key, PEM (SubjectPublicKeyInfo), for the grant. */
const char *iperf3_auth_public_pem(const struct iperf3_auth *a);
const char *iperf3_auth_private_key_path(const struct iperf3_auth *a);

/* Writes the users file of one session (user,sha256) and puts its path in
 * path_out. 0, or -1 and err. user must be a plain name ([A-Za-z0-9-]). */
int iperf3_auth_add_user(const struct iperf3_auth *a, const char *user, const char *password,
                         char *path_out, size_t path_len, char *err);

/* Removes the users file written for user (no error if it is gone). */
void iperf3_auth_remove_user(const struct iperf3_auth *a, const char *user);

/* The line iperf3 expects in an authorized users file, without newline:
 * "user,hex(sha256("{user}password"))". out holds at least
 * strlen(user) + 66 bytes. Pure; unit-tested against sha256sum. */
void iperf3_auth_users_line(const char *user, const char *password, char *out, size_t out_len);

#endif
