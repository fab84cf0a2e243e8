/*
 * health: the optional plain-HTTP listener ([health] listen_address).
 *
 *   GET /health   JSON: status, endpoint_id, version, uptime, active sessions
 *   GET /metrics  Prometheus text format, from the one metric table in
 *                 health.c (connections, handshake failures, sessions
 *                 granted and denied by reason, bytes, echo packets)
 *
 * Read-only and unauthenticated by design: bind it to loopback or a
 * management network. Nothing it serves is secret.
 */
#ifndef PP_REFLECTOR_HEALTH_H
#define PP_REFLECTOR_HEALTH_H

struct server;
struct health;

/* NULL with err when the address cannot be bound; NULL without error when
 * the listener is disabled (empty address) — check *disabled. */
struct health *health_start(struct server *srv, int *disabled, char *err);
void health_stop(struct health *h);

/* The Prometheus text of the server's metrics (malloc'd). */
char *health_metrics_text(const struct server *srv);

#endif
