#include "reflector/server_audit.h"

#include "core/protocol.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/log.h"
#include "lib/netaddr.h"
#include "reflector/audit.h"
#include "reflector/conn.h"
#include "reflector/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>

void srv_audit(struct server *srv, const char *event_type, const char *peer_id, json_t *fields)
{
	if (audit_event(srv->audit, event_type, peer_id, fields) != 0)
		log_error("audit log: %s", audit_last_error(srv->audit));
}

static void audit_coalesced(struct server *srv, const char *event_type, const char *peer_id,
                            const char *source, const char *reason, json_t *fields)
{
	if (audit_event_coalesced(srv->audit, event_type, peer_id, source, reason, fields) != 0)
		log_error("audit log: %s", audit_last_error(srv->audit));
}

void srv_audit_connection_accepted(struct server *srv, const struct conn *c)
{
	srv_audit(srv, "connection_accepted", c->peer_id, json_pack("{s:s}", "source", c->addr_text));
}

void srv_audit_connection_denied(struct server *srv, const struct conn *c, const char *reason,
                                 const char *detail)
{
	json_t *fields = json_pack("{s:s, s:s}", "source", c->addr_text, "reason", reason);
	if (detail != NULL)
		json_object_set_new(fields, "detail", json_string(detail));
	audit_coalesced(srv, "connection_denied", c->peer_id[0] ? c->peer_id : NULL, c->addr_text,
	                reason, fields);
}

void srv_audit_refused(struct server *srv, const struct sockaddr *sa, const char *reason)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof(ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof(ip));
	audit_coalesced(srv, "connection_denied", NULL, ip, reason,
	                json_pack("{s:s, s:s}", "source", ip, "reason", reason));
}

void srv_audit_pairing_failed(struct server *srv, const struct conn *c, const char *reason,
                              const char *message)
{
	srv_audit(srv, "pairing_failed", c->peer_id,
	          json_pack("{s:s, s:s, s:s}", "source", c->addr_text, "reason", reason, "message", message));
}

void srv_audit_session_granted(struct server *srv, const struct session *s,
                               int64_t requested_duration_sec)
{
	char expires[PP_RFC3339_BUF_BYTES];
	protocol_format_rfc3339_ms(s->expires_ms, expires);
	json_t *fields = json_pack("{s:s, s:s, s:s, s:i, s:I, s:s}", "test_id", s->test_id,
	                           "test_type", s->test_type, "mode", s->mode, "port", (int)s->port,
	                           "duration_sec", (json_int_t)s->duration_sec, "expires_at", expires);
	json_object_set_new(fields, "requested_duration_sec",
	                    requested_duration_sec > 0 ? json_integer(requested_duration_sec) : json_null());
	if (s->streams > 0)
		json_object_set_new(fields, "streams", json_integer(s->streams));
	srv_audit(srv, "session_granted", s->peer_id, fields);
}

void srv_audit_session_ended(struct server *srv, const struct session *s, enum session_end why)
{
	int64_t now_ms = clock_wall_ms();
	if (why == SESSION_END_EXPIRED)
		srv_audit(srv, "session_expired", s->peer_id, json_pack("{s:s}", "test_id", s->test_id));
	srv_audit(srv, "session_completed", s->peer_id,
	          json_pack("{s:s, s:s, s:s, s:I, s:I}", "test_id", s->test_id, "test_type", s->test_type,
	                    "ended_by", session_end_name(why), "bytes", (json_int_t)s->bytes,
	                    "duration_ms", (json_int_t)(now_ms - s->granted_ms)));
}
