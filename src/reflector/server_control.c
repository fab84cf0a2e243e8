#include "reflector/server_control.h"

#include "core/endpoint_id.h"
#include "core/protocol.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/log.h"
#include "reflector/conn.h"
#include "reflector/control.h"
#include "reflector/pairing.h"
#include "reflector/peers.h"
#include "reflector/server.h"
#include "reflector/server_audit.h"
#include "reflector/sessions.h"
#include "version.h"

#include <string.h>

static json_t *session_json(const struct session *s, int64_t now_ms)
{
	char expires[PP_RFC3339_BUF_BYTES];
	protocol_format_rfc3339_ms(s->expires_ms, expires);
	int64_t left_ms = s->expires_ms - now_ms;
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:I}", "test_id", s->test_id,
	                 "peer_id", s->peer_id, "test_type", s->test_type, "mode", s->mode,
	                 "port", (int)s->port, "duration_sec", (json_int_t)s->duration_sec,
	                 "expires_at", expires, "remaining_sec",
	                 (json_int_t)(left_ms > 0 ? (left_ms + 999) / 1000 : 0));
}

static int cfg_pairing_enabled(const struct server *srv)
{
	return srv->cfg.access.pairing_enabled;
}

static json_t *status(struct server *srv)
{
	int64_t now_ms = clock_wall_ms();
	unsigned by_state[4] = {0};
	for (struct conn *c = srv->conns; c != NULL; c = c->next)
		by_state[c->state]++;
	json_t *sessions = json_array();
	for (struct session *s = sessions_first(srv->sessions); s != NULL; s = s->next)
		json_array_append_new(sessions, session_json(s, now_ms));
	json_t *peers = peers_list_json(srv->peers);
	json_t *pairing = json_pack("{s:b, s:b}", "enabled", cfg_pairing_enabled(srv), "window_open",
	                            pairing_window_open(srv->pairing, now_ms));
	if (pairing_window_open(srv->pairing, now_ms)) {
		char closes[PP_RFC3339_BUF_BYTES];
		protocol_format_rfc3339_ms(pairing_window_closes_at_ms(srv->pairing, now_ms), closes);
		json_object_set_new(pairing, "closes_at", json_string(closes));
	}
	const struct reflector_config *cfg = &srv->cfg;
	return json_pack(
	    "{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:I, "
	    "s:{s:i, s:i, s:i, s:i}, s:o, s:o, s:o, "
	    "s:{s:i, s:i, s:i, s:i, s:I, s:b, s:b, s:i}, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:b}",
	    "ok", 1, "endpoint_id", srv->id.id, "version", PP_VERSION, "listen",
	    cfg->network.listen_address, "mode", server_mode_name(cfg), "config",
	    cfg->source_path[0] ? cfg->source_path : "(built-in defaults)", "data_dir", cfg->data_dir,
	    "uptime_sec", (json_int_t)((now_ms - srv->started_ms) / 1000),
	    "connections", "total", (int)srv->n_conns, "handshaking", (int)by_state[CONN_HANDSHAKE],
	    "pairing", (int)by_state[CONN_PAIRING], "authorized", (int)by_state[CONN_AUTHORIZED],
	    "active_sessions", sessions,
	    "pairing", pairing,
	    "peers", peers,
	    "quotas", "max_test_duration_sec", (int)cfg->quotas.max_test_duration_sec,
	    "max_concurrent_tests", (int)cfg->quotas.max_concurrent_tests,
	    "max_tests_per_hour_per_peer", (int)cfg->quotas.max_tests_per_hour_per_peer,
	    "cooldown_sec", (int)cfg->quotas.cooldown_sec, "max_bytes_per_day_per_peer",
	    (json_int_t)cfg->quotas.max_bytes_per_day_per_peer, "allow_udp_echo",
	    cfg->quotas.allow_udp_echo, "allow_throughput", cfg->quotas.allow_throughput,
	    "max_packet_rate", (int)cfg->quotas.max_packet_rate,
	    "counters", "connections_accepted", (json_int_t)srv->counters.connections_accepted,
	    "connections_denied", (json_int_t)srv->counters.connections_denied, "handshake_failures",
	    (json_int_t)srv->counters.handshake_failures, "sessions_granted",
	    (json_int_t)srv->counters.sessions_granted, "sessions_denied",
	    (json_int_t)srv->counters.sessions_denied, "data_bytes", (json_int_t)srv->counters.data_bytes,
	    "echo_packets", (json_int_t)srv->counters.echo_packets, "echo_dropped_rate_limit",
	    (json_int_t)srv->counters.echo_dropped_rate_limit, "echo_dropped_source",
	    (json_int_t)srv->counters.echo_dropped_source,
	    "iperf3_available", srv->iperf3_available);
}

static json_t *pair(struct server *srv, const json_t *request)
{
	json_int_t ttl_sec = json_integer_value(json_object_get(request, "ttl_sec"));
	if (ttl_sec < PAIRING_TTL_MIN_SEC || ttl_sec > PAIRING_TTL_MAX_SEC)
		return control_error("pairing TTL must be between %d s and %d s", PAIRING_TTL_MIN_SEC,
		                     PAIRING_TTL_MAX_SEC);
	char token[PAIRING_TOKEN_LEN], err[ERRBUF_LEN];
	int64_t now_ms = clock_wall_ms(), expires_ms;
	if (pairing_create(srv->pairing, (uint32_t)ttl_sec, now_ms, token, &expires_ms, err) != 0)
		return control_error("%s", err);
	char expires[PP_RFC3339_BUF_BYTES];
	protocol_format_rfc3339_ms(expires_ms, expires);
	srv_audit(srv, "pairing_enabled", NULL,
	          json_pack("{s:I, s:s, s:s}", "ttl_sec", ttl_sec, "expires_at", expires, "via", "control_socket"));
	if (!srv->cfg.access.pairing_enabled)
		log_warn("a pairing token was created but [access] pairing_enabled = false: it cannot be used");
	json_t *out = json_pack("{s:b, s:s, s:s, s:s, s:I, s:b}", "ok", 1, "token", token, "endpoint_id",
	                        srv->id.id, "expires_at", expires, "ttl_sec", ttl_sec,
	                        "pairing_enabled", srv->cfg.access.pairing_enabled);
	OPENSSL_cleanse(token, sizeof(token));
	return out;
}

static json_t *peers_remove_cmd(struct server *srv, const json_t *request)
{
	const char *typed = json_string_value(json_object_get(request, "id"));
	char id[ENDPOINT_ID_LEN], err[ERRBUF_LEN];
	if (typed == NULL || endpoint_id_parse(typed, NULL, id, err) != 0)
		return control_error("%s", typed == NULL ? "missing peer ID" : err);
	enum peers_remove_result r = peers_remove(srv->peers, id, err);
	if (r == PEERS_REMOVE_FAILED)
		return control_error("%s", err);
	if (r == PEERS_NOT_FOUND)
		return control_error("%s is not an enrolled peer", id);
	if (r == PEERS_IN_CONFIG)
		return control_error("%s is listed in the config's [access] authorized_peers: remove it there and send SIGHUP", id);
	srv_audit(srv, "peer_removed", id, json_pack("{s:s}", "via", "control_socket"));
	server_drop_peer(srv, id, "this peer was removed from the reflector");
	return json_pack("{s:b, s:s}", "ok", 1, "removed", id);
}

json_t *server_control_handle(void *arg, const json_t *request)
{
	struct server *srv = arg;
	const char *cmd = json_string_value(json_object_get(request, "cmd"));
	if (strcmp(cmd, "status") == 0)
		return status(srv);
	if (strcmp(cmd, "pair") == 0)
		return pair(srv, request);
	if (strcmp(cmd, "peers_list") == 0)
		return json_pack("{s:b, s:o}", "ok", 1, "peers", peers_list_json(srv->peers));
	if (strcmp(cmd, "peers_remove") == 0)
		return peers_remove_cmd(srv, request);
	return control_error("unknown control command '%s'", cmd);
}
