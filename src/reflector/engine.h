/*
 * engine: the seam between the session table and the data-plane engines.
 *
 * A granted session gets its engine from engine_start() (called by the
 * session_request handler right after sessions_add()), chosen by its
 * test_type: "udp_echo" -> echo.c, "throughput" -> throughput.c. The
 * engine's state hangs off session->engine. engine_stop() is called first
 * thing when a session ends, before the audit line and the usage ledger, so
 * that session->bytes is final when they read it.
 *
 * engine_server_init()/engine_server_cleanup() hold what lives as long as
 * the server: the shared datagram buffers and, in tunneled mode, the one
 * UDP socket on the control port's number.
 */
#ifndef PP_REFLECTOR_ENGINE_H
#define PP_REFLECTOR_ENGINE_H

struct server;
struct session;

/* After the listener is bound (tunneled mode needs its port). */
int engine_server_init(struct server *srv, char *err);
/* After every session has ended. Safe on a server that failed to init. */
void engine_server_cleanup(struct server *srv);

/* -1 and err naming why (port, test type): the caller ends the session and
 * answers `error internal` with err. */
int engine_start(struct server *srv, struct session *s, char *err);
/* Idempotent; a session whose engine never started is fine. */
void engine_stop(struct server *srv, struct session *s);

#endif
