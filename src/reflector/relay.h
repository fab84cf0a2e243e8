/*
 * relay: one tunneled throughput stream (PROTOCOL.md 9.5), relayed both
 * ways between an attached mTLS connection (conn.c, state CONN_RELAY) and a
 * plain TCP connection to the session's iperf3 on loopback.
 *
 * Once the attach's ok has been sent, the relay takes the connection's
 * socket over from its bufferevent and, once iperf3 has accepted, runs a
 * tls_pump (core/tls_pump.h: many records per system call, backpressure
 * both ways) in a thread of its own: a stream costs a core's worth of
 * cipher work at full speed, and the event loop stays free for every other
 * connection. The thread touches only the stream's two sockets and its
 * SSL; everything else (hooks, the connection, the session) stays on the
 * loop's thread, which is told when the pump ends (an eventfd) and joins
 * the thread before it touches the stream again.
 *
 * Bytes are spent from the session's budget by the thread as they move
 * (the stream stops the moment it is spent); the owner hears of them once,
 * when the relay ends (on_bytes, before on_end).
 */
#ifndef PP_REFLECTOR_RELAY_H
#define PP_REFLECTOR_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct relay;

/* What the streams of one session may still move, both ways: shared by
 * their threads. A stream that takes it to zero or below stops itself
 * ("byte budget exhausted"). */
struct relay_budget {
	_Atomic int64_t left;
};

struct relay_hooks {
	/* n bytes were moved (either way); called once, as the relay ends. */
	void (*on_bytes)(struct relay *r, uint64_t n, void *arg);
	/* The relay ended (EOF, error, cut, connection gone); r is freed right
	 * after. why is for logs. */
	void (*on_end)(struct relay *r, const char *why, void *arg);
};

/* Takes over c's bufferevent (whatever is already in its input buffer is
 * relayed first) and connects to 127.0.0.1:port. NULL and err on failure
 * (the caller answers the attach with an error). */
struct relay *relay_start(struct conn *c, uint16_t port, const struct relay_hooks *hooks, void *arg,
                          struct relay_budget *budget, char *err);

/* Bytes moved so far, both directions. */
uint64_t relay_bytes(const struct relay *r);

/* Ends the relay now (its thread is stopped and joined): the plain side is
 * closed, the connection shut down; on_bytes and on_end are called. A no-op
 * on a relay that is already ending. */
void relay_cut(struct relay *r, const char *why);

/* conn.c calls this when it frees a connection in CONN_RELAY. */
void relay_conn_gone(struct relay *r);

#endif
