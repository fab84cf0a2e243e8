/*
 * echo: the reflector's UDP echo engine (PROTOCOL.md §9.1-9.3).
 *
 * direct_ephemeral: one non-blocking UDP socket per session, bound to the
 * listen address on the granted data port, closed when the session ends.
 * tunneled: ONE UDP socket on the control port's number, opened with the
 * server; each datagram's PPT1 prefix names its session by token.
 *
 * Either way a datagram is echoed only if its source IP is the IP of the
 * session's control connection and the session's token bucket has a token
 * (rate from [quotas] max_packet_rate); everything else is dropped silently
 * and counted. Probes (PPRB) get the kernel receive time, the send time and
 * the session's received-probe count; anything else goes back byte for
 * byte. Datagrams move in batches (recvmmsg/sendmmsg) through buffers
 * allocated once with the server: nothing is allocated per datagram. The
 * bytes of both directions are added to session->bytes (the daily quota).
 */
#ifndef PP_REFLECTOR_ECHO_H
#define PP_REFLECTOR_ECHO_H

struct server;
struct session;

/* The shared buffers, and the tunnel socket in tunneled mode. */
int echo_server_init(struct server *srv, char *err);
void echo_server_cleanup(struct server *srv);

/* -1 and err naming the port when the socket cannot be bound. */
int echo_start(struct server *srv, struct session *s, char *err);
/* Closes the session's socket (direct) or forgets its token (tunneled). */
void echo_stop(struct server *srv, struct session *s);

#endif
