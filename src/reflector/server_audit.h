/*
 * server_audit: the reflector's audit events, worded in one place.
 *
 * Each function builds the fields of one event from server objects and
 * hands it to the audit log (reflector/audit.h). Denied connections are
 * coalesced per (source address, reason) so that a flood of them costs a
 * bounded number of disk writes.
 */
#ifndef PP_REFLECTOR_SERVER_AUDIT_H
#define PP_REFLECTOR_SERVER_AUDIT_H

#include "reflector/sessions.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/socket.h>

struct server;
struct conn;

/* Any event; fields stolen (may be NULL); peer_id NULL = unknown. */
void srv_audit(struct server *srv, const char *event_type, const char *peer_id, json_t *fields);

void srv_audit_connection_accepted(struct server *srv, const struct conn *c);
/* detail may be NULL (e.g. the TLS error text). */
void srv_audit_connection_denied(struct server *srv, const struct conn *c, const char *reason,
                                 const char *detail);
/* A connection refused at accept time (limits), before any TLS. */
void srv_audit_refused(struct server *srv, const struct sockaddr *sa, const char *reason);
/* reason: the stable code (invalid, expired, already_used); message: for people. */
void srv_audit_pairing_failed(struct server *srv, const struct conn *c, const char *reason,
                              const char *message);
void srv_audit_session_granted(struct server *srv, const struct session *s,
                               int64_t requested_duration_sec);
void srv_audit_session_ended(struct server *srv, const struct session *s, enum session_end why);

#endif
