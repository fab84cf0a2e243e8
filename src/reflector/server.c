#include "reflector/server.h"

#include "core/tls.h"
#include "core/tls_suites.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "lib/exec_path.h"
#include "lib/log.h"
#include "lib/netaddr.h"
#include "reflector/audit.h"
#include "reflector/conn.h"
#include "reflector/control.h"
#include "reflector/engine.h"
#include "reflector/health.h"
#include "reflector/pairing.h"
#include "reflector/peers.h"
#include "reflector/server_audit.h"
#include "reflector/server_control.h"
#include "reflector/sessions.h"
#include "reflector/throughput.h"
#include "reflector/usage.h"

#include <errno.h>
#include <malloc.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LISTEN_BACKLOG 512
#define TICK_MS 1000 /* audit coalescing windows, idle heap trim */

/* Handshakes in progress from the same address as addr. */
static unsigned count_handshakes_from(const struct server *srv, const struct sockaddr_storage *addr)
{
	unsigned n = 0;
	for (const struct conn *c = srv->conns; c != NULL; c = c->next)
		if (c->state == CONN_HANDSHAKE && netaddr_same_ip(&c->addr, addr))
			n++;
	return n;
}

/* Refuses a connection before any TLS work is spent on it. */
static void refuse(struct server *srv, int fd, const struct sockaddr *sa, const char *reason)
{
	char addr[80];
	netaddr_format(sa, addr, sizeof(addr));
	log_debug("%s: refused: %s", addr, reason);
	srv->counters.connections_denied++;
	srv_audit_refused(srv, sa, reason);
	close(fd);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
	(void)l;
	struct server *srv = arg;
	struct sockaddr_storage ss = {0};
	memcpy(&ss, sa, (size_t)salen < sizeof(ss) ? (size_t)salen : sizeof(ss));
	if (srv->n_conns >= srv->cfg.network.max_connections) {
		refuse(srv, fd, sa, "too_many_connections");
		return;
	}
	if (count_handshakes_from(srv, &ss) >= srv->cfg.network.max_handshakes_per_source) {
		refuse(srv, fd, sa, "too_many_handshakes");
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_accept(srv, fd, sa, salen);
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	/* EMFILE and friends: keep serving the connections we have. */
	log_warn("accept: %s", strerror(errno));
}

void server_drop_peer(struct server *srv, const char *peer_id, const char *why)
{
	sessions_end_matching(srv->sessions, NULL, peer_id, SESSION_END_PEER_REMOVED);
	for (struct conn *c = srv->conns; c != NULL; c = c->next) {
		if (c->state == CONN_CLOSING || strcmp(c->peer_id, peer_id) != 0)
			continue;
		log_info("%s: closing its connection from %s: %s", peer_id, c->addr_text, why);
		conn_send(c, protocol_error(NULL, PP_ERR_UNAUTHORIZED, why));
		conn_shutdown(c);
	}
}

static void on_stop_signal(int signo, void *arg)
{
	struct server *srv = arg;
	log_info("%s: shutting down", strsignal(signo));
	snprintf(srv->stop_reason, sizeof(srv->stop_reason), "%s", signo == SIGINT ? "SIGINT" : "SIGTERM");
	evloop_stop(srv->loop);
}

static void on_reload_signal(int signo, void *arg)
{
	(void)signo;
	struct server *srv = arg;
	struct reflector_config fresh;
	char err[ERRBUF_LEN];
	if (config_load(srv->cli_config_path[0] ? srv->cli_config_path : NULL, &fresh, NULL, NULL, err) != 0) {
		log_error("SIGHUP: keeping the old configuration: %s", err);
		return;
	}
	if (peers_set_config(srv->peers, fresh.access.authorized_peers,
	                     fresh.access.n_authorized_peers, err) != 0) {
		log_error("SIGHUP: %s", err);
		config_free(&fresh);
		return;
	}
	/* Peers no longer authorized lose their connections now. */
	for (struct conn *c = srv->conns; c != NULL; c = c->next)
		if (c->state == CONN_AUTHORIZED && !peers_contains(srv->peers, c->peer_id))
			server_drop_peer(srv, c->peer_id, "no longer authorized");
	srv_audit(srv, "config_reloaded", NULL,
	          json_pack("{s:s, s:i}", "path", fresh.source_path[0] ? fresh.source_path : "(built-in defaults)",
	                    "authorized_peers", (int)fresh.access.n_authorized_peers));
	log_info("SIGHUP: reloaded the authorized peers (%zu in the config)", fresh.access.n_authorized_peers);
	config_free(&fresh);
}

static void on_tick(void *arg)
{
	struct server *srv = arg;
	audit_tick(srv->audit, clock_wall_ms());
	/* glibc keeps the heap a burst of handshakes grew; give it back once
	 * everyone has left, so an idle reflector stays small. */
	if (srv->n_conns == 0 && srv->heap_dirty) {
		malloc_trim(0);
		srv->heap_dirty = false;
	}
	if (srv->n_conns > 0)
		srv->heap_dirty = true;
}

static void on_session_end(struct session *s, enum session_end why, void *ctx)
{
	struct server *srv = ctx;
	char err[ERRBUF_LEN];
	engine_stop(srv, s); /* first: s->bytes is final after it */
	srv->counters.data_bytes += s->bytes;
	if (s->bytes > 0 && usage_add_bytes(srv->usage, s->peer_id, s->bytes, clock_wall_ms(), err) != 0)
		log_warn("usage ledger: %s", err);
	srv_audit_session_ended(srv, s, why);
}

static int start_listener(struct server *srv, char *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	if (netaddr_parse_listen(srv->cfg.network.listen_address, &ss, &sslen, err) != 0)
		return -1;
	srv->listener = evconnlistener_new_bind(evloop_base(srv->loop), accept_cb, srv,
	                                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	                                        LISTEN_BACKLOG, (struct sockaddr *)&ss, (int)sslen);
	if (srv->listener == NULL)
		return errbuf_errno(err, "failed to bind TCP listener on %s", srv->cfg.network.listen_address);
	evconnlistener_set_error_cb(srv->listener, accept_error_cb);
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	if (getsockname(evconnlistener_get_fd(srv->listener), (struct sockaddr *)&bound, &blen) == 0)
		srv->listen_port = netaddr_port(&bound);
	return 0;
}

const char *server_mode_name(const struct reflector_config *cfg)
{
	return cfg->network.mode == CONFIG_MODE_TUNNELED ? "tunneled" : "direct_ephemeral";
}

int server_init(struct server *srv, struct reflector_config *cfg, const char *cli_config_path,
                char *err)
{
	memset(srv, 0, sizeof(*srv));
	srv->cfg = *cfg; /* the server now owns the peer list */
	memset(cfg, 0, sizeof(*cfg));
	snprintf(srv->cli_config_path, sizeof(srv->cli_config_path), "%s", cli_config_path ? cli_config_path : "");
	srv->started_ms = clock_wall_ms();
	signal(SIGPIPE, SIG_IGN);

	int created = 0;
	if (identity_load_or_create(srv->cfg.identity.private_key_path, &srv->id, &created, err) != 0)
		return -1;
	if (created)
		log_info("created a new identity in %s", srv->cfg.identity.private_key_path);
	if (srv->id.tightened_from_mode)
		log_warn("%s was readable by others (mode %03o): now 0600", srv->cfg.identity.private_key_path,
		         srv->id.tightened_from_mode);
	srv->tls = tls_server_ctx_new(&srv->id, srv->cfg.network.alpn, err);
	if (srv->tls == NULL)
		return -1;
	log_debug("TLS 1.3 suites, fastest on this machine first: %s", tls_suites_by_speed());
	if ((srv->loop = evloop_new(err)) == NULL)
		return -1;
	srv->audit = audit_open(srv->cfg.logging.audit_log_path, err);
	if (srv->audit == NULL)
		return -1;
	srv->peers = peers_open(srv->cfg.data_dir, srv->cfg.access.authorized_peers,
	                        srv->cfg.access.n_authorized_peers, err);
	if (srv->peers == NULL)
		return -1;
	if ((srv->pairing = pairing_open(srv->cfg.data_dir, err)) == NULL)
		return -1;
	if ((srv->usage = usage_open(srv->cfg.data_dir, err)) == NULL)
		return -1;
	srv->sessions = sessions_new(srv->loop, on_session_end, srv);
	if (srv->sessions == NULL)
		return errbuf_set(err, "out of memory");
	if (start_listener(srv, err) != 0)
		return -1;
	if (engine_server_init(srv, err) != 0)
		return -1;
	char control_path[4096];
	control_socket_path(srv->cfg.data_dir, control_path, sizeof(control_path));
	srv->control = control_server_start(srv->loop, control_path, server_control_handle, srv, err);
	if (srv->control == NULL)
		return -1;
	int health_disabled;
	srv->health = health_start(srv, &health_disabled, err);
	if (srv->health == NULL && !health_disabled)
		return -1;
	srv->iperf3_available = exec_path_found(srv->cfg.iperf3.path);
	if (!srv->iperf3_available)
		log_warn("iperf3 not found ('%s'): throughput tests will be denied; everything else is served",
		         srv->cfg.iperf3.path);
	if (evloop_on_signal(srv->loop, SIGTERM, on_stop_signal, srv, err) != 0 ||
	    evloop_on_signal(srv->loop, SIGINT, on_stop_signal, srv, err) != 0 ||
	    evloop_on_signal(srv->loop, SIGHUP, on_reload_signal, srv, err) != 0 ||
	    evloop_add_periodic(srv->loop, "audit-and-idle-trim", TICK_MS, on_tick, srv, err) != 0)
		return -1;
	srv_audit(srv, "server_started", NULL,
	          json_pack("{s:s, s:s, s:s}", "endpoint_id", srv->id.id, "listen",
	                    srv->cfg.network.listen_address, "mode", server_mode_name(&srv->cfg)));
	return 0;
}

int server_run(struct server *srv)
{
	return evloop_run(srv->loop);
}

void server_cleanup(struct server *srv)
{
	if (srv->sessions != NULL)
		sessions_free(srv->sessions); /* audits each session's end */
	srv->sessions = NULL;
	engine_server_cleanup(srv);
	while (srv->conns != NULL)
		conn_free(srv->conns);
	throughput_cleanup(); /* no iperf3 outlives the daemon */
	control_server_stop(srv->control);
	health_stop(srv->health);
	if (srv->listener != NULL)
		evconnlistener_free(srv->listener);
	if (srv->audit != NULL) {
		srv_audit(srv, "server_stopped", NULL,
		          json_pack("{s:s, s:I}", "reason", srv->stop_reason[0] ? srv->stop_reason : "stopped",
		                    "uptime_sec", (json_int_t)((clock_wall_ms() - srv->started_ms) / 1000)));
		audit_close(srv->audit); /* flushes coalesced counts */
	}
	usage_free(srv->usage);
	pairing_free(srv->pairing);
	peers_free(srv->peers);
	evloop_free(srv->loop);
	SSL_CTX_free(srv->tls);
	identity_free(&srv->id);
	config_free(&srv->cfg);
	memset(srv, 0, sizeof(*srv));
}
