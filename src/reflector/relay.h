/*
 * relay: one tunneled throughput stream (PROTOCOL.md 9.5), relayed both
 * ways between an attached mTLS connection (conn.c, state CONN_RELAY) and a
 * plain TCP connection to the session's iperf3 on loopback.
 *
 * Once the attach's ok has been sent, the relay takes the connection's
 * socket over from its bufferevent and drives a tls_pump (core/tls_pump.h:
 * many records per system call, backpressure both ways) from the event
 * loop. Every chunk moved is counted and offered to the owner, which may
 * cut the stream (the session's daily byte budget).
 */
#ifndef PP_REFLECTOR_RELAY_H
#define PP_REFLECTOR_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct relay;

struct relay_hooks {
	/* n more bytes were moved (either way); false cuts the relay (then
	 * on_end follows with why = "byte budget exhausted"). */
	bool (*on_bytes)(struct relay *r, size_t n, void *arg);
	/* The relay ended (EOF, error, cut, connection gone); r is freed right
	 * after. why is for logs. */
	void (*on_end)(struct relay *r, const char *why, void *arg);
};

/* Takes over c's bufferevent (whatever is already in its input buffer is
 * relayed first) and connects to 127.0.0.1:port. NULL and err on failure
 * (the caller answers the attach with an error). */
struct relay *relay_start(struct conn *c, uint16_t port, const struct relay_hooks *hooks, void *arg,
                          char *err);

/* Bytes moved so far, both directions. */
uint64_t relay_bytes(const struct relay *r);

/* Ends the relay now: the plain side is closed, the connection shut down;
 * on_end is called with why. */
void relay_cut(struct relay *r, const char *why);

/* conn.c calls this when it frees a connection in CONN_RELAY. */
void relay_conn_gone(struct relay *r);

#endif
