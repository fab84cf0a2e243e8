#include "reflector/health.h"

#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "lib/netaddr.h"
#include "reflector/peers.h"
#include "reflector/server.h"
#include "reflector/sessions.h"
#include "version.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_MAX_HEADERS_BYTES 8192
#define HEALTH_TIMEOUT_SEC 10

struct health {
	struct evhttp *http;
	struct server *srv;
};

/* The one metric table: docs and /metrics come from it. */
enum metric_kind { COUNTER, GAUGE };
struct metric {
	const char *name;
	enum metric_kind kind;
	const char *help;
	uint64_t (*value)(const struct server *srv);
};

static uint64_t conns_accepted(const struct server *s) { return s->counters.connections_accepted; }
static uint64_t conns_denied(const struct server *s) { return s->counters.connections_denied; }
static uint64_t hs_failures(const struct server *s) { return s->counters.handshake_failures; }
static uint64_t granted(const struct server *s) { return s->counters.sessions_granted; }
static uint64_t bytes(const struct server *s) { return s->counters.data_bytes; }
static uint64_t echoed(const struct server *s) { return s->counters.echo_packets; }
static uint64_t echo_drops(const struct server *s) { return s->counters.echo_dropped; }
static uint64_t echo_drops_rate(const struct server *s) { return s->counters.echo_dropped_rate_limit; }
static uint64_t echo_drops_source(const struct server *s) { return s->counters.echo_dropped_source; }
static uint64_t conns_open(const struct server *s) { return s->n_conns; }
static uint64_t sessions_open(const struct server *s) { return sessions_count(s->sessions); }
static uint64_t peers(const struct server *s) { return peers_count(s->peers); }
static uint64_t uptime(const struct server *s) { return (uint64_t)((clock_wall_ms() - s->started_ms) / 1000); }

static const struct metric metrics[] = {
	{"reflector_connections_accepted_total", COUNTER, "Connections from authorized peers.", conns_accepted},
	{"reflector_connections_denied_total", COUNTER, "Connections refused (limits, TLS, unauthorized).", conns_denied},
	{"reflector_handshake_failures_total", COUNTER, "TLS handshakes that failed or timed out.", hs_failures},
	{"reflector_sessions_granted_total", COUNTER, "Test sessions granted.", granted},
	{"reflector_data_bytes_total", COUNTER, "Bytes moved by the data plane (both directions).", bytes},
	{"reflector_echo_packets_total", COUNTER, "UDP echo datagrams echoed.", echoed},
	{"reflector_echo_dropped_total", COUNTER, "UDP echo datagrams dropped (rate limit, spoofed source, unknown token).", echo_drops},
	{"reflector_echo_dropped_rate_limit_total", COUNTER, "UDP echo datagrams dropped over [quotas] max_packet_rate.", echo_drops_rate},
	{"reflector_echo_dropped_source_total", COUNTER, "UDP echo datagrams dropped: not from the session's peer, unknown token, truncated.", echo_drops_source},
	{"reflector_connections", GAUGE, "Connections open now.", conns_open},
	{"reflector_active_sessions", GAUGE, "Test sessions active now.", sessions_open},
	{"reflector_authorized_peers", GAUGE, "Peers authorized (config and paired).", peers},
	{"reflector_uptime_seconds", GAUGE, "Seconds since the server started.", uptime},
};

static const char *const deny_reasons[] = {"unauthorized", "invalid_params", "busy", "rate_limited",
                                           "quota_exceeded"};

char *health_metrics_text(const struct server *srv)
{
	struct evbuffer *out = evbuffer_new();
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		const struct metric *m = &metrics[i];
		evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", m->name, m->help, m->name,
		                    m->kind == COUNTER ? "counter" : "gauge", m->name,
		                    (unsigned long long)m->value(srv));
	}
	evbuffer_add_printf(out, "# HELP reflector_sessions_denied_total Test sessions denied, by reason.\n"
	                         "# TYPE reflector_sessions_denied_total counter\n");
	for (size_t r = 0; r < sizeof(deny_reasons) / sizeof(deny_reasons[0]); r++)
		evbuffer_add_printf(out, "reflector_sessions_denied_total{reason=\"%s\"} %llu\n", deny_reasons[r],
		                    (unsigned long long)srv->counters.sessions_denied_by_reason[r]);
	size_t len = evbuffer_get_length(out);
	char *text = malloc(len + 1);
	if (text != NULL) {
		evbuffer_remove(out, text, len);
		text[len] = '\0';
	}
	evbuffer_free(out);
	return text;
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                  const char *body)
{
	struct evbuffer *buf = evbuffer_new();
	if (buf == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add(buf, body, strlen(body));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
}

static void handle(struct evhttp_request *req, void *arg)
{
	struct health *h = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		reply(req, 405, "Method Not Allowed", "text/plain", "only GET\n");
		return;
	}
	if (path != NULL && strcmp(path, "/health") == 0) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:i, s:i}", "status", "ok", "endpoint_id", h->srv->id.id,
		                      "version", PP_VERSION, "uptime_sec", (json_int_t)uptime(h->srv),
		                      "active_sessions", (int)sessions_count(h->srv->sessions), "connections",
		                      (int)h->srv->n_conns);
		char *text = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		reply(req, 200, "OK", "application/json", text != NULL ? text : "{}");
		free(text);
	} else if (path != NULL && strcmp(path, "/metrics") == 0) {
		char *text = health_metrics_text(h->srv);
		reply(req, 200, "OK", "text/plain; version=0.0.4", text != NULL ? text : "");
		free(text);
	} else {
		reply(req, 404, "Not Found", "text/plain", "try /health or /metrics\n");
	}
}

struct health *health_start(struct server *srv, int *disabled, char *err)
{
	*disabled = srv->cfg.health.listen_address[0] == '\0';
	if (*disabled)
		return NULL;
	char host[256], port[8];
	if (netaddr_split(srv->cfg.health.listen_address, NULL, host, sizeof(host), port, sizeof(port), err) != 0)
		return NULL;
	struct health *h = calloc(1, sizeof(*h));
	if (h == NULL || (h->http = evhttp_new(evloop_base(srv->loop))) == NULL) {
		free(h);
		errbuf_set(err, "out of memory");
		return NULL;
	}
	h->srv = srv;
	evhttp_set_max_headers_size(h->http, HEALTH_MAX_HEADERS_BYTES);
	evhttp_set_max_body_size(h->http, 0);
	evhttp_set_timeout(h->http, HEALTH_TIMEOUT_SEC);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	                                        EVHTTP_REQ_DELETE);
	evhttp_set_gencb(h->http, handle, h);
	if (evhttp_bind_socket(h->http, host, (ev_uint16_t)atoi(port)) != 0) {
		errbuf_errno(err, "failed to bind the health listener on %s", srv->cfg.health.listen_address);
		health_stop(h);
		return NULL;
	}
	return h;
}

void health_stop(struct health *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h);
}
