/*
 * conn: one TLS connection to the reflector, as a state machine.
 *
 *   HANDSHAKE --(TLS ok, peer known)--------------> AUTHORIZED
 *   HANDSHAKE --(TLS ok, unknown, window open)----> PAIRING --pair ok--> AUTHORIZED
 *   HANDSHAKE --(TLS fails / deadline / unknown)--> closed
 *   any state --(bad frame, timeout, removal)-----> CLOSING --(flushed)--> freed
 *
 * One timer serves every deadline, because only one applies at a time: the
 * handshake deadline, then the deadline of a frame that has started to
 * arrive, then the flush deadline while closing. A peer that stalls only
 * ever holds its own connection.
 */
#ifndef PP_REFLECTOR_CONN_H
#define PP_REFLECTOR_CONN_H

#include "core/endpoint_id.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/socket.h>

struct server;
struct bufferevent;
struct evloop_timer;
struct relay;

/* CONN_RELAY: after tunnel_attach, the connection carries a raw stream
 * (relay.c owns its callbacks; no more frames). */
enum conn_state { CONN_HANDSHAKE, CONN_PAIRING, CONN_AUTHORIZED, CONN_RELAY, CONN_CLOSING };

struct conn {
	struct server *srv;
	struct bufferevent *bev;
	enum conn_state state;
	struct sockaddr_storage addr;
	char addr_text[64]; /* "192.0.2.1" or "2001:db8::1", no port */
	char peer_id[ENDPOINT_ID_LEN];
	char tls_alert[96]; /* last TLS alert sent or received, for the audit log */
	struct evloop_timer *deadline;
	int64_t accepted_ms;
	int pairing_attempts;
	struct relay *relay; /* CONN_RELAY: the stream it carries */
	struct conn *prev, *next;
};

/* Takes ownership of fd (a freshly accepted TCP socket). */
void conn_accept(struct server *srv, int fd, const struct sockaddr *sa, int salen);

/* Queues one message (stolen) for the peer. */
void conn_send(struct conn *c, json_t *msg);

/* Stops reading, lets queued output drain (bounded in time), then frees. */
void conn_shutdown(struct conn *c);

/* Frees now (used at server shutdown). */
void conn_free(struct conn *c);

#endif
