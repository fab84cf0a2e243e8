/*
 * sessions: the table of granted test sessions and their expiry.
 *
 * Every session has a timer set for the exact moment it is due (granted at
 * + clamped duration + grace), not a periodic sweep. Ending a session, for
 * whatever reason, goes through sessions_end(), which tells the owner (the
 * server: audit, usage, data-plane engines) once, then frees it.
 */
#ifndef PP_REFLECTOR_SESSIONS_H
#define PP_REFLECTOR_SESSIONS_H

#include "core/protocol.h"

#include <stdint.h>
#include <sys/socket.h>

#define SESSION_PEER_ID_LEN 80

struct evloop;
struct evloop_timer;
struct sessions;

enum session_end {
	SESSION_END_CLOSED,       /* the peer sent session_close */
	SESSION_END_EXPIRED,      /* its time ran out */
	SESSION_END_DISCONNECTED, /* the control connection went away */
	SESSION_END_PEER_REMOVED, /* an operator removed the peer */
	SESSION_END_SHUTDOWN,     /* the reflector is stopping */
	SESSION_END_ENGINE_FAILED, /* its data-plane engine could not start */
};

struct session {
	char test_id[PP_UUID_TEXT_BYTES + 1];
	char token[PP_UUID_TEXT_BYTES + 1]; /* the grant token (data-plane attach) */
	char peer_id[SESSION_PEER_ID_LEN];
	char test_type[16]; /* "udp_echo" | "throughput" */
	char mode[24];      /* "tunneled" | "direct_ephemeral" */
	uint16_t port;
	uint32_t duration_sec; /* clamped */
	uint32_t streams;
	int64_t granted_ms;
	int64_t expires_ms;
	uint64_t bytes; /* moved by the data plane */
	void *owner;    /* the control connection that asked for it */
	struct sockaddr_storage peer_addr; /* its address: the only source the data plane serves */
	void *engine;   /* the data-plane engine's state (engine.h) */

	/* private */
	struct evloop_timer *expiry;
	struct sessions *table;
	struct session *next;
};

typedef void (*session_end_fn)(struct session *s, enum session_end why, void *ctx);

struct sessions *sessions_new(struct evloop *loop, session_end_fn on_end, void *ctx);
/* Ends every session (SESSION_END_SHUTDOWN), then frees the table. */
void sessions_free(struct sessions *t);

/* Copies proto (test_id, token... filled by the caller) into a new session
 * and arms its expiry at proto->expires_ms (wall clock). */
struct session *sessions_add(struct sessions *t, const struct session *proto);
void sessions_end(struct session *s, enum session_end why);

struct session *sessions_find(struct sessions *t, const char *test_id);
unsigned sessions_count(const struct sessions *t);
/* Iteration: for (s = sessions_first(t); s; s = s->next) — don't end while iterating. */
struct session *sessions_first(struct sessions *t);

/* Ends the sessions matching owner (when not NULL) or peer_id (when not NULL). */
void sessions_end_matching(struct sessions *t, const void *owner, const char *peer_id,
                           enum session_end why);

const char *session_end_name(enum session_end why);

#endif
