#include "reflector/handlers.h"

#include "core/protocol.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/log.h"
#include "reflector/conn.h"
#include "reflector/engine.h"
#include "reflector/governance.h"
#include "reflector/pairing.h"
#include "reflector/path_meta.h"
#include "reflector/peers.h"
#include "reflector/server.h"
#include "reflector/server_audit.h"
#include "reflector/sessions.h"
#include "reflector/throughput.h"
#include "reflector/usage.h"

#include <string.h>

/* Unknown peers get a few tries at a pairing token, then the door. */
#define CONN_MAX_PAIRING_ATTEMPTS 3

static const char *const server_features[] = {"throughput", "udp_echo", "path_meta"};

/* What the peer may still move today, as the wire carries it (hello and
 * the grant tell it, so that a tunneled test cut at the budget can be
 * explained). */
static int64_t wire_bytes_left(const struct server *srv, const struct usage_view *v)
{
	uint64_t left = usage_bytes_left(v, srv->cfg.quotas.max_bytes_per_day_per_peer);
	return left > (uint64_t)PP_WIRE_BYTES_MAX ? PP_WIRE_BYTES_MAX : (int64_t)left;
}

static void on_hello(struct conn *c, const struct pp_msg *m)
{
	const struct reflector_config *cfg = &c->srv->cfg;
	struct usage_view usage;
	usage_get(c->srv->usage, c->peer_id, clock_wall_ms(), &usage);
	struct pp_server_hello h = {
		.version = PP_PROTOCOL_VERSION,
		.endpoint_id = c->srv->id.id,
		.n_features = sizeof(server_features) / sizeof(server_features[0]),
		.policy = {
			.max_test_duration_sec = cfg->quotas.max_test_duration_sec,
			.max_concurrent_tests = cfg->quotas.max_concurrent_tests,
			.max_tests_per_hour = cfg->quotas.max_tests_per_hour_per_peer,
			.cooldown_sec = cfg->quotas.cooldown_sec,
			.max_bytes_per_day = (int64_t)cfg->quotas.max_bytes_per_day_per_peer,
			.max_streams = cfg->iperf3.max_streams,
			.mode = cfg->network.mode == CONFIG_MODE_TUNNELED ? PP_MODE_TUNNELED : PP_MODE_DIRECT_EPHEMERAL,
			.has_bytes_left = true,
			.bytes_left_today = wire_bytes_left(c->srv, &usage),
		},
	};
	for (size_t i = 0; i < h.n_features; i++)
		h.features[i] = server_features[i];
	if (cfg->quotas.allow_udp_echo)
		h.policy.allowed_test_types |= PP_TEST_BIT(PP_TEST_UDP_ECHO);
	if (cfg->quotas.allow_throughput && c->srv->iperf3_available)
		h.policy.allowed_test_types |= PP_TEST_BIT(PP_TEST_THROUGHPUT);
	conn_send(c, protocol_server_hello(m->request_id, &h));
}

static struct gov_policy policy_of(const struct server *srv)
{
	const struct reflector_config *cfg = &srv->cfg;
	return (struct gov_policy){
		.max_test_duration_sec = cfg->quotas.max_test_duration_sec,
		.max_concurrent_tests = cfg->quotas.max_concurrent_tests,
		.max_tests_per_hour_per_peer = cfg->quotas.max_tests_per_hour_per_peer,
		.max_bytes_per_day_per_peer = cfg->quotas.max_bytes_per_day_per_peer,
		.cooldown_sec = cfg->quotas.cooldown_sec,
		.allow_udp_echo = cfg->quotas.allow_udp_echo,
		.allow_throughput = cfg->quotas.allow_throughput,
		.default_streams = cfg->iperf3.default_streams,
		.max_streams = cfg->iperf3.max_streams,
		.throughput_available = srv->iperf3_available,
		.tunneled = cfg->network.mode == CONFIG_MODE_TUNNELED,
	};
}

static int64_t earliest_expiry(struct server *srv)
{
	int64_t earliest = 0;
	for (struct session *s = sessions_first(srv->sessions); s != NULL; s = s->next)
		if (earliest == 0 || s->expires_ms < earliest)
			earliest = s->expires_ms;
	return earliest;
}

/* The data port of a new session: the control port when tunneled, else the
 * first port of the data range no live session holds. 0 when none is free. */
static uint16_t pick_port(struct server *srv)
{
	const struct reflector_config *cfg = &srv->cfg;
	if (cfg->network.mode == CONFIG_MODE_TUNNELED)
		return srv->listen_port;
	for (unsigned p = cfg->network.data_port_range_start; p <= cfg->network.data_port_range_end; p++) {
		int used = 0;
		for (struct session *s = sessions_first(srv->sessions); s != NULL && !used; s = s->next)
			used = s->port == p;
		if (!used)
			return (uint16_t)p;
	}
	return 0;
}

static void deny(struct conn *c, const char *request_id, enum pp_test_type type,
                 const struct gov_decision *d)
{
	struct server *srv = c->srv;
	struct pp_session_deny w = {
		.reason = (enum pp_deny_reason)(d->reason - GOV_DENY_UNAUTHORIZED),
		.message = d->message,
		.has_retry_after = d->retry_after_sec != GOV_RETRY_NULL,
		.retry_after_sec = d->retry_after_sec,
		.limit = d->limit_key,
		.has_current = d->limit_key != NULL,
		.current = d->current,
		.has_maximum = d->limit_key != NULL,
		.maximum = d->maximum,
	};
	srv->counters.sessions_denied++;
	srv->counters.sessions_denied_by_reason[w.reason]++;
	json_t *fields = gov_deny_audit_fields(d);
	json_object_set_new(fields, "test_type", json_string(protocol_test_type_name(type)));
	srv_audit(srv, "session_denied", c->peer_id, fields);
	log_info("%s: session denied: %s", c->peer_id, d->message);
	conn_send(c, protocol_session_deny(request_id, &w));
}

static void on_session_request(struct conn *c, const struct pp_msg *m)
{
	struct server *srv = c->srv;
	const struct pp_session_request *r = &m->u.session_request;
	int64_t now_ms = clock_wall_ms();
	struct gov_request req = {
		.test_type = r->test_type == PP_TEST_THROUGHPUT ? GOV_TEST_THROUGHPUT : GOV_TEST_UDP_ECHO,
		.has_duration = r->params.has_duration,
		.duration_sec = r->params.duration_sec,
		.has_streams = r->params.has_streams,
		.streams = r->params.streams,
		.protocol = r->params.protocol == PP_TRANSPORT_UDP ? GOV_PROTO_UDP : GOV_PROTO_TCP,
		.reverse = r->params.has_reverse && r->params.reverse,
	};
	struct gov_policy policy = policy_of(srv);
	struct usage_view usage;
	usage_get(srv->usage, c->peer_id, now_ms, &usage);
	struct gov_decision d;
	gov_decide(&policy, peers_contains(srv->peers, c->peer_id), &req,
	           sessions_count(srv->sessions), earliest_expiry(srv), &usage, now_ms, &d);
	if (d.reason != GOV_GRANTED) {
		deny(c, m->request_id, r->test_type, &d);
		return;
	}

	char err[ERRBUF_LEN];
	struct session proto = {.owner = c, .granted_ms = now_ms, .duration_sec = d.duration_sec,
	                        .streams = d.streams, .port = pick_port(srv)};
	if (proto.port == 0 || protocol_uuid_v4(proto.test_id, err) != 0 ||
	    protocol_uuid_v4(proto.token, err) != 0) {
		conn_send(c, protocol_error(m->request_id, PP_ERR_INTERNAL, "no data port is free"));
		return;
	}
	proto.expires_ms = gov_expires_at_ms(now_ms, d.duration_sec);
	snprintf(proto.peer_id, sizeof(proto.peer_id), "%s", c->peer_id);
	proto.peer_addr = c->addr;
	snprintf(proto.test_type, sizeof(proto.test_type), "%s", protocol_test_type_name(r->test_type));
	snprintf(proto.mode, sizeof(proto.mode), "%s", server_mode_name(&srv->cfg));
	struct session *s = sessions_add(srv->sessions, &proto);
	if (s == NULL) {
		conn_send(c, protocol_error(m->request_id, PP_ERR_INTERNAL, "out of memory"));
		return;
	}
	if (engine_start(srv, s, err) != 0) {
		log_warn("%s: session %s: %s", c->peer_id, s->test_id, err);
		sessions_end(s, SESSION_END_ENGINE_FAILED);
		conn_send(c, protocol_error(m->request_id, PP_ERR_INTERNAL, err));
		return;
	}
	if (usage_record_start(srv->usage, c->peer_id, now_ms, err) != 0)
		log_warn("usage ledger: %s", err); /* counted in memory all the same */
	srv->counters.sessions_granted++;
	srv_audit_session_granted(srv, s, r->params.has_duration ? r->params.duration_sec : 0);

	struct pp_session_grant g = {
		.test_id = s->test_id,
		.mode = srv->cfg.network.mode == CONFIG_MODE_TUNNELED ? PP_MODE_TUNNELED : PP_MODE_DIRECT_EPHEMERAL,
		.port = s->port,
		.token = s->token,
		.expires_at_ms = s->expires_ms,
		.duration_sec = s->duration_sec,
		.has_streams = r->test_type == PP_TEST_THROUGHPUT,
		.streams = s->streams,
		.iperf3_rsa_public_key = r->test_type == PP_TEST_THROUGHPUT ? throughput_iperf3_public_key() : NULL,
		.has_bytes_left = r->test_type == PP_TEST_THROUGHPUT,
		.bytes_left_today = wire_bytes_left(srv, &usage),
	};
	conn_send(c, protocol_session_grant(m->request_id, &g));
}

static void on_session_close(struct conn *c, const struct pp_msg *m)
{
	struct session *s = sessions_find(c->srv->sessions, m->u.session_close.test_id);
	if (s == NULL || strcmp(s->peer_id, c->peer_id) != 0) {
		conn_send(c, protocol_error(m->request_id, PP_ERR_NOT_FOUND, "no such session of yours"));
		return;
	}
	sessions_end(s, SESSION_END_CLOSED);
	conn_send(c, protocol_ok(m->request_id));
}

/* A data-plane connection asks to carry a tunneled throughput stream
 * (PROTOCOL.md 9.5): ok, then raw bytes; or not_found and a close. */
static void on_tunnel_attach(struct conn *c, const struct pp_msg *m)
{
	char err[ERRBUF_LEN];
	if (throughput_attach(c->srv, c, m->u.tunnel_attach.token, err) != 0) {
		log_info("%s %s: tunnel_attach refused: %s", c->addr_text, c->peer_id, err);
		conn_send(c, protocol_error(m->request_id, PP_ERR_NOT_FOUND, err));
		conn_shutdown(c);
		return;
	}
	conn_send(c, protocol_ok(m->request_id)); /* before any relayed byte */
}

static const char *pairing_failure_message(enum pairing_result res)
{
	switch (res) {
	case PAIRING_EXPIRED:
		return "pairing token expired: ask the reflector's operator for a new one";
	case PAIRING_ALREADY_USED:
		return "pairing token already used: tokens are single-use";
	case PAIRING_ERROR:
		return "the reflector could not record the pairing (see its log)";
	default:
		return "invalid pairing token";
	}
}

static void on_pair_request(struct conn *c, const struct pp_msg *m)
{
	struct server *srv = c->srv;
	struct pp_pair_response r = {.endpoint_id = srv->id.id};
	if (c->state == CONN_AUTHORIZED) {
		r.success = true;
		r.message = "already authorized";
		conn_send(c, protocol_pair_response(m->request_id, &r));
		return;
	}
	char err[ERRBUF_LEN] = "";
	int64_t now_ms = clock_wall_ms();
	enum pairing_result res = pairing_redeem(srv->pairing, m->u.pair_request.token, now_ms, err);
	if (res != PAIRING_OK) {
		r.success = false;
		r.message = pairing_failure_message(res);
		srv_audit_pairing_failed(srv, c, pairing_result_name(res), r.message);
		conn_send(c, protocol_pair_response(m->request_id, &r));
		if (++c->pairing_attempts >= CONN_MAX_PAIRING_ATTEMPTS)
			conn_shutdown(c);
		return;
	}
	bool added;
	if (peers_add(srv->peers, c->peer_id, now_ms, &added, err) != 0)
		log_error("enrolling %s: %s (authorized until restart)", c->peer_id, err);
	c->state = CONN_AUTHORIZED;
	srv->counters.connections_accepted++;
	srv_audit(srv, "peer_paired", c->peer_id, json_pack("{s:s}", "source", c->addr_text));
	srv_audit_connection_accepted(srv, c);
	log_info("%s paired from %s", c->peer_id, c->addr_text);
	r.success = true;
	r.message = "paired: this endpoint ID is now authorized";
	conn_send(c, protocol_pair_response(m->request_id, &r));
}

void handlers_on_frame(struct conn *c, const char *json, size_t len)
{
	struct pp_msg m;
	enum pp_err_code code;
	char err[ERRBUF_LEN];
	if (protocol_decode(json, len, PP_FROM_CLIENT, &m, &code, err) != 0) {
		log_info("%s %s: bad message: %s", c->addr_text, c->peer_id, err);
		conn_send(c, protocol_reject(&m, code, err));
		if (m.bad_params) {
			c->srv->counters.sessions_denied++;
			c->srv->counters.sessions_denied_by_reason[PP_DENY_INVALID_PARAMS]++;
			srv_audit(c->srv, "session_denied", c->peer_id,
			          json_pack("{s:s, s:s, s:s}", "reason", gov_reason_phrase(GOV_DENY_INVALID_PARAMS),
			                    "code", "invalid_params", "message", err));
		} else
			conn_shutdown(c); /* a peer that breaks the protocol is not answered twice */
		protocol_msg_free(&m);
		return;
	}
	if (c->state == CONN_PAIRING && m.type != PP_MSG_PAIR_REQUEST) {
		conn_send(c, protocol_error(m.request_id, PP_ERR_PAIRING_REQUIRED,
		                            "unknown endpoint ID: send pair_request with a pairing token"));
		if (++c->pairing_attempts >= CONN_MAX_PAIRING_ATTEMPTS)
			conn_shutdown(c);
		protocol_msg_free(&m);
		return;
	}
	switch (m.type) {
	case PP_MSG_HELLO:
		on_hello(c, &m);
		break;
	case PP_MSG_SESSION_REQUEST:
		on_session_request(c, &m);
		break;
	case PP_MSG_SESSION_CLOSE:
		on_session_close(c, &m);
		break;
	case PP_MSG_GET_PATH_META:
		conn_send(c, path_meta_message(m.request_id));
		break;
	case PP_MSG_PAIR_REQUEST:
		on_pair_request(c, &m);
		break;
	case PP_MSG_TUNNEL_ATTACH:
		on_tunnel_attach(c, &m);
		break;
	default: /* protocol_decode only lets client messages through */
		conn_send(c, protocol_error(m.request_id, PP_ERR_UNKNOWN_TYPE, "not a client message"));
		break;
	}
	protocol_msg_free(&m);
}
