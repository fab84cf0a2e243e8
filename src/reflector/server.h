/*
 * server: the running reflector (`reflector serve`).
 *
 * Owns the event loop and everything that lives as long as it: the TLS
 * listener, the control socket, the connection list, the session table, the
 * authorized set, pairing tokens, the usage ledger and the audit log.
 * Connections (conn.c) and message handlers (handlers.c) reach them through
 * struct server.
 */
#ifndef PP_REFLECTOR_SERVER_H
#define PP_REFLECTOR_SERVER_H

#include "core/identity.h"
#include "reflector/config.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct evloop;
struct evconnlistener;
struct control_server;
struct health;
struct audit_log;
struct peer_store;
struct pairing_store;
struct usage_ledger;
struct sessions;
struct conn;
struct echo_shared;

struct server_counters {
	uint64_t connections_accepted;
	uint64_t connections_denied;
	uint64_t handshake_failures;
	uint64_t sessions_granted;
	uint64_t sessions_denied;
	uint64_t sessions_denied_by_reason[5]; /* unauthorized ... quota_exceeded */
	uint64_t data_bytes;                   /* moved by the data plane */
	uint64_t echo_packets;                 /* UDP echo datagrams echoed */
	uint64_t echo_dropped;                 /* rate limit, spoofed source, unknown token */
	uint64_t echo_dropped_rate_limit;      /* of which: over [quotas] max_packet_rate */
	uint64_t echo_dropped_source;          /* of which: spoofed source, unknown token, truncated */
};

struct server {
	struct evloop *loop;
	struct reflector_config cfg;
	char cli_config_path[4096]; /* -c, for SIGHUP reloads ("" = discovery) */
	struct identity id;
	SSL_CTX *tls;
	struct evconnlistener *listener;
	struct control_server *control;
	struct health *health;
	struct audit_log *audit;
	struct peer_store *peers;
	struct pairing_store *pairing;
	struct usage_ledger *usage;
	struct sessions *sessions;
	struct echo_shared *echo; /* the UDP echo engine's shared state (echo.c) */
	struct conn *conns;
	unsigned n_conns;
	uint16_t listen_port; /* as bound (the config may say 0) */
	int64_t started_ms;
	bool iperf3_available;
	bool heap_dirty;      /* connections came since the last idle trim */
	char stop_reason[16]; /* "SIGTERM", "SIGINT" */
	struct server_counters counters;
};

/* "tunneled" or "direct_ephemeral". */
const char *server_mode_name(const struct reflector_config *cfg);

/* Sets everything up: identity, TLS, listener, control socket, state files,
 * audit log. Takes over cfg (which is left empty). On failure err names what (file, port, key) and the caller
 * exits non-zero. */
int server_init(struct server *srv, struct reflector_config *cfg, const char *cli_config_path,
                char *err);

/* Runs until SIGTERM/SIGINT. */
int server_run(struct server *srv);

/* Ends sessions, closes connections, flushes the audit log, frees all. */
void server_cleanup(struct server *srv);

/* Ends the connections (and sessions) of a peer that lost its authorization. */
void server_drop_peer(struct server *srv, const char *peer_id, const char *why);

#endif
