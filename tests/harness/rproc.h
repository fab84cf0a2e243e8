/*
 * rproc: a real `reflector serve` process for integration tests.
 *
 * Each test gets a private temporary directory (config, data directory,
 * audit log, client keys) and free loopback ports, so tests can run in
 * parallel. Everything is removed by rproc_cleanup().
 */
#ifndef PP_TEST_RPROC_H
#define PP_TEST_RPROC_H

#include "core/identity.h"
#include "core/link.h"

#include <jansson.h>
#include <stdarg.h>
#include <sys/types.h>

struct rproc {
	char dir[64];
	char data_dir[128];
	char config_path[128];
	char audit_path[256];
	char log_path[128]; /* the server's stdout+stderr */
	char port[8];       /* control port on 127.0.0.1 */
	int data_port_start;
	pid_t pid;
	char endpoint_id[ENDPOINT_ID_LEN];
};

/* Creates the directory and writes the config: [identity] and [network]
 * (listen_address, data ports) are the harness's; network_lines go inside
 * [network]; extra_toml is appended (other sections). Either may be NULL. */
int rproc_setup(struct rproc *r, const char *network_lines, const char *extra_toml);

/* Rewrites the config (same directory and ports) e.g. before a SIGHUP. */
int rproc_write_config(struct rproc *r, const char *network_lines, const char *extra_toml);

/* Starts `reflector -c CONFIG serve` and waits until it accepts TCP. */
int rproc_start(struct rproc *r);

/* SIGTERM and wait (up to 10 s, then SIGKILL). Returns the exit status, or
 * -1 when it had to be killed or died from a signal. */
int rproc_stop(struct rproc *r);

/* Stops it if running and removes the directory. */
void rproc_cleanup(struct rproc *r);

/* Runs `reflector -c CONFIG ARGS` (a shell-quoted format) and captures
 * stdout+stderr into out. Returns the exit status. */
int rproc_cli(struct rproc *r, char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Runs a shell command line, capturing stdout+stderr; returns exit status. */
int run_capture(char *out, size_t outlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Every line of the audit log parsed (a JSON array; NULL if unreadable). */
json_t *rproc_audit(const struct rproc *r);

/* Number of audit lines with event_type (and peer_id / field "reason"
 * when not NULL). Coalesced lines count their "count". */
int rproc_audit_count(const struct rproc *r, const char *event_type, const char *peer_id,
                      const char *reason);

/* A client identity stored as <dir>/clients/<name>.key. */
int rproc_client(struct rproc *r, const char *name, struct identity *out);

/* Connects a client identity to the reflector. */
struct link *rproc_connect(struct rproc *r, const struct identity *id, char *err);

/* A token from `reflector pair --ttl TTL --json`; 0 on success. */
int rproc_pair_token(struct rproc *r, const char *ttl, char *token, size_t tokenlen);

/* Sends a request and returns its payload's "type" (static buffer) and the
 * payload in *payload_out (new reference, may be NULL). */
const char *rproc_request(struct link *l, const char *type, json_t *fields, json_t **payload_out);

/* Sets up a reflector whose config authorizes a new client identity
 * `client` (created under the test directory), with extra_toml appended
 * (no [access] section: the harness writes it). Does not start it. */
int rproc_setup_with_client(struct rproc *r, struct identity *client, const char *network_lines,
                            const char *extra_toml);

/* Polls until fn(arg) returns non-zero or timeout_ms passes; returns the
 * last value. For "eventually" conditions, not for timing assertions. */
int wait_until(int (*fn)(void *arg), void *arg, int timeout_ms);

#endif
