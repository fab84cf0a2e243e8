/*
 * throughput: the throughput engine of a granted session (PROTOCOL.md 9.4,
 * 9.5). One iperf3 server per session (iperf3.h):
 *
 *  - direct_ephemeral: `iperf3 -s --one-off -J -p <granted port> -B <listen
 *    host>`; the bytes in its JSON report are the session's bytes.
 *  - tunneled: the same iperf3 on a free loopback port; each stream of the
 *    test arrives as an mTLS connection to the control port that sends
 *    tunnel_attach with the grant token and is then relayed (relay.h). The
 *    relay's count (both directions) is the session's bytes, and a stream
 *    is cut the moment the peer's daily byte budget runs out.
 *
 * iperf3 exiting on its own (--one-off, after its test) does not end the
 * session: the client closes it, or it expires. At the session's end
 * iperf3 gets SIGTERM, then SIGKILL 2 s later, and is reaped; bytes it
 * reports after the session has ended are charged to the ledger directly.
 */
#ifndef PP_REFLECTOR_THROUGHPUT_H
#define PP_REFLECTOR_THROUGHPUT_H

struct server;
struct session;
struct conn;

/* At server start: with `[iperf3] authenticate` in direct mode, makes the
 * RSA key iperf3 authenticates with (iperf3_auth.h). 0, or -1 and err. */
int throughput_server_init(struct server *srv, char *err);

/* The PEM public key a direct-mode grant carries, or NULL (no
 * authentication). */
const char *throughput_iperf3_public_key(void);

/* Starts iperf3 for s and waits (briefly, bounded) until it listens, so
 * that the grant is only sent for a port that answers. 0, or -1 and err
 * ("failed to spawn iperf3 (iperf3): No such file or directory"). */
int throughput_start(struct server *srv, struct session *s, char *err);

/* Stops s's streams and iperf3 (SIGTERM, SIGKILL after 2 s); the relayed
 * bytes are in s->bytes when it returns. Safe for any session. */
void throughput_stop(struct server *srv, struct session *s);

/* tunnel_attach on connection c: finds the tunneled throughput session of
 * c's peer with this token and turns c into a relay to its iperf3. 0, or
 * -1 and err (unknown token, another peer's, not a tunneled throughput
 * session, all its streams attached): the caller answers not_found. */
int throughput_attach(struct server *srv, struct conn *c, const char *token, char *err);

/* Daemon exit: stops and reaps every iperf3 still running (blocking, at
 * most ~2 s), frees the engine's state and removes the iperf3 key. Before
 * the loop is freed. */
void throughput_cleanup(void);

#endif
