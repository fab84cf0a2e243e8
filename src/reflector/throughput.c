/* throughput: the throughput engine (see throughput.h). */
#include "reflector/throughput.h"

#include "core/protocol.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "lib/log.h"
#include "reflector/conn.h"
#include "reflector/iperf3.h"
#include "reflector/iperf3_auth.h"
#include "reflector/relay.h"
#include "reflector/server.h"
#include "reflector/sessions.h"
#include "reflector/usage.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* How long the grant may wait for iperf3 to listen (it takes a few ms). */
#define LISTEN_WAIT_MS 5000
/* How long a closing session may wait for a finished test's report. */
#define FINISH_WAIT_MS 1000

struct tp_stream {
	struct relay *relay;
	struct tp_stream *next;
};

/* The engine state of one session. Outlives it while iperf3 is being
 * stopped (then s is NULL). */
struct tp {
	struct server *srv;
	struct session *s;
	char peer_id[SESSION_PEER_ID_LEN];
	char test_id[PP_UUID_TEXT_BYTES + 1];
	bool tunneled;
	uint16_t iperf3_port;
	struct iperf3_proc *proc;
	struct tp_stream *streams;
	unsigned n_streams;
	uint64_t budget_bytes; /* what the peer may still move today */
	struct relay_budget budget; /* the same, spent live by the relay threads */
	bool budget_cut;
	struct tp *next;
};

static struct tp *g_head;
static struct iperf3_auth *g_auth; /* direct mode with `[iperf3] authenticate` only */

static void unlink_tp(struct tp *t)
{
	for (struct tp **pp = &g_head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			return;
		}
}

static struct tp *find_tp(const struct session *s)
{
	for (struct tp *t = g_head; t != NULL; t = t->next)
		if (t->s == s)
			return t;
	return NULL;
}

static void free_tp(struct tp *t)
{
	unlink_tp(t);
	if (g_auth != NULL) /* its users file, if it was written */
		iperf3_auth_remove_user(g_auth, t->test_id);
	free(t);
}

int throughput_server_init(struct server *srv, char *err)
{
	if (!srv->cfg.iperf3.authenticate || srv->cfg.network.mode == CONFIG_MODE_TUNNELED)
		return 0; /* tunneled streams are authenticated by mTLS and the token */
	g_auth = iperf3_auth_new(srv->cfg.data_dir, err);
	return g_auth != NULL ? 0 : -1;
}

const char *throughput_iperf3_public_key(void)
{
	return g_auth != NULL ? iperf3_auth_public_pem(g_auth) : NULL;
}

static void log_end(const struct tp *t, const struct iperf3_result *r)
{
	char how[160];
	if (r->killed)
		snprintf(how, sizeof(how), "killed with SIGKILL: still running %d ms after SIGTERM", IPERF3_KILL_AFTER_MS);
	else if (r->stopped && r->signal != 0)
		snprintf(how, sizeof(how), "stopped with SIGTERM at the session's end (signal %d)", r->signal);
	else if (r->stopped)
		snprintf(how, sizeof(how), "exited with code %d after SIGTERM at the session's end", r->exit_code);
	else if (r->exited && r->exit_code == 0)
		snprintf(how, sizeof(how), "exited with code 0 after its test (--one-off)");
	else if (r->exited)
		snprintf(how, sizeof(how), "exited with code %d", r->exit_code);
	else
		snprintf(how, sizeof(how), "died from signal %d", r->signal);
	if (r->have_bytes)
		log_info("iperf3 (pid %d, port %u, session %s) %s; its report: %llu bytes", (int)r->pid,
		         t->iperf3_port, t->test_id, how, (unsigned long long)r->bytes);
	else
		log_info("iperf3 (pid %d, port %u, session %s) %s; no byte count (%s)", (int)r->pid,
		         t->iperf3_port, t->test_id, how, r->error);
	if (r->exited && r->exit_code != 0 && !r->stopped)
		log_warn("iperf3 exited with code %d (session %s): %s", r->exit_code, t->test_id, r->error);
}

static void iperf3_done(const struct iperf3_result *r, void *arg)
{
	struct tp *t = arg;
	t->proc = NULL;
	log_end(t, r);
	/* Tunneled: the relay counted every byte itself (the report is only
	 * logged). Direct: the report is all we know. */
	if (!t->tunneled && r->have_bytes && r->bytes > 0) {
		if (t->s != NULL) {
			t->s->bytes += r->bytes;
		} else {
			char err[ERRBUF_LEN];
			log_info("session %s: %llu bytes reported after its end: charged to %s", t->test_id,
			         (unsigned long long)r->bytes, t->peer_id);
			if (usage_add_bytes(t->srv->usage, t->peer_id, r->bytes, clock_wall_ms(), err) != 0)
				log_warn("usage ledger: %s", err);
			t->srv->counters.data_bytes += r->bytes;
		}
	}
	if (t->s == NULL)
		free_tp(t);
}

/* A free TCP port on 127.0.0.1 for a tunneled session's iperf3. */
static uint16_t free_loopback_port(char *err)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	uint16_t port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	else
		errbuf_errno(err, "no free loopback port for iperf3");
	if (fd >= 0)
		close(fd);
	return port;
}

int throughput_start(struct server *srv, struct session *s, char *err)
{
	const struct reflector_config *cfg = &srv->cfg;
	struct tp *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return errbuf_set(err, "out of memory");
	t->srv = srv;
	t->s = s;
	snprintf(t->peer_id, sizeof(t->peer_id), "%s", s->peer_id);
	snprintf(t->test_id, sizeof(t->test_id), "%s", s->test_id);
	t->tunneled = strcmp(s->mode, "tunneled") == 0;
	struct usage_view v;
	usage_get(srv->usage, s->peer_id, clock_wall_ms(), &v);
	t->budget_bytes = usage_bytes_left(&v, cfg->quotas.max_bytes_per_day_per_peer);
	atomic_init(&t->budget.left, t->budget_bytes > INT64_MAX ? INT64_MAX : (int64_t)t->budget_bytes);

	char host[CONFIG_ADDR_LEN] = "";
	uint16_t listen_port;
	if (t->tunneled) {
		snprintf(host, sizeof(host), "127.0.0.1");
		t->iperf3_port = free_loopback_port(err);
		if (t->iperf3_port == 0) {
			free(t);
			return -1;
		}
	} else {
		if (config_parse_host_port(cfg->network.listen_address, host, sizeof(host), &listen_port, err) != 0) {
			free(t);
			return -1;
		}
		t->iperf3_port = s->port;
	}
	/* Authenticated: iperf3's user is the test_id, its password the token
	 * (both only ever sent to the peer over mTLS). */
	char users[4200];
	struct iperf3_server_auth auth = {NULL, users, IPERF3_AUTH_SKEW_SEC};
	if (g_auth != NULL) {
		if (iperf3_auth_add_user(g_auth, s->test_id, s->token, users, sizeof(users), err) != 0) {
			free(t);
			return -1;
		}
		auth.private_key_path = iperf3_auth_private_key_path(g_auth);
	}
	t->proc = iperf3_spawn(srv->loop, cfg->iperf3.path, host, t->iperf3_port,
	                       g_auth != NULL ? &auth : NULL, iperf3_done, t, err);
	if (t->proc == NULL) {
		free_tp(t); /* not linked yet; removes the users file */
		return -1;
	}
	t->next = g_head;
	g_head = t;
	if (iperf3_wait_listening(t->proc, t->iperf3_port, LISTEN_WAIT_MS, err) != 0) {
		t->s = NULL; /* freed when the process is reaped */
		iperf3_stop(t->proc);
		return -1;
	}
	return 0;
}

static void cut_streams(struct tp *t, const char *why)
{
	while (t->streams != NULL)
		relay_cut(t->streams->relay, why); /* on_end unlinks it */
}

void throughput_stop(struct server *srv, struct session *s)
{
	(void)srv;
	struct tp *t = find_tp(s);
	if (t == NULL)
		return;
	cut_streams(t, "session ended");
	/* Direct: a session closed right after its test may be a few ms ahead
	 * of iperf3's report; let it land (bounded) so the bytes are this
	 * session's. An iperf3 nobody connected to is stopped at once. */
	if (!t->tunneled && t->proc != NULL) /* when it finishes, iperf3_done runs now */
		(void)iperf3_finish_if_tested(t->proc, t->iperf3_port, FINISH_WAIT_MS);
	t->s = NULL;
	if (t->proc != NULL)
		iperf3_stop(t->proc); /* iperf3_done frees t */
	else
		free_tp(t);
}

/* A stream's bytes, told once as it ends. The first stream to end past the
 * budget (its thread stopped at it) stops the others: an idle one, such as
 * iperf3's control connection, would not notice by itself. */
static void stream_bytes(struct relay *r, uint64_t n, void *arg)
{
	struct tp *t = arg;
	if (t->s != NULL)
		t->s->bytes += n;
	if (atomic_load(&t->budget.left) > 0 || t->budget_cut)
		return;
	t->budget_cut = true;
	log_warn("%s: session %s used the peer's daily byte budget (%llu bytes) mid-test: streams cut",
	         t->peer_id, t->test_id, (unsigned long long)t->budget_bytes);
	for (struct tp_stream *st = t->streams; st != NULL;) {
		struct tp_stream *next = st->next; /* relay_cut frees st (stream_end) */
		if (st->relay != r)
			relay_cut(st->relay, "byte budget exhausted");
		st = next;
	}
}

static void stream_end(struct relay *r, const char *why, void *arg)
{
	struct tp *t = arg;
	for (struct tp_stream **pp = &t->streams; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->relay == r) {
			struct tp_stream *st = *pp;
			*pp = st->next;
			free(st);
			break;
		}
	log_debug("session %s: stream ended (%s) after %llu bytes", t->test_id, why,
	          (unsigned long long)relay_bytes(r));
}

int throughput_attach(struct server *srv, struct conn *c, const char *token, char *err)
{
	struct session *s = NULL;
	for (struct session *x = sessions_first(srv->sessions); x != NULL; x = x->next)
		if (strlen(token) == PP_UUID_TEXT_BYTES &&
		    CRYPTO_memcmp(x->token, token, PP_UUID_TEXT_BYTES) == 0) {
			s = x;
			break;
		}
	/* One answer for every failure: a wrong guess learns nothing. */
	if (s == NULL || strcmp(s->peer_id, c->peer_id) != 0 || strcmp(s->test_type, "throughput") != 0)
		return errbuf_set(err, "no throughput session of yours has this token");
	struct tp *t = find_tp(s);
	if (t == NULL || !t->tunneled)
		return errbuf_set(err, "session %s is not a tunneled throughput session", s->test_id);
	if (atomic_load(&t->budget.left) <= 0)
		return errbuf_set(err, "session %s: the daily byte budget is used up", s->test_id);
	/* iperf3's control connection plus one per stream. */
	if (t->n_streams >= s->streams + 1)
		return errbuf_set(err, "session %s already has its %u streams attached", s->test_id,
		                  s->streams + 1);
	struct tp_stream *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return errbuf_set(err, "out of memory");
	static const struct relay_hooks hooks = {.on_bytes = stream_bytes, .on_end = stream_end};
	st->relay = relay_start(c, t->iperf3_port, &hooks, t, &t->budget, err);
	if (st->relay == NULL) {
		free(st);
		return -1;
	}
	st->next = t->streams;
	t->streams = st;
	t->n_streams++;
	log_debug("%s: stream %u of session %s attached", c->peer_id, t->n_streams, s->test_id);
	return 0;
}

void throughput_cleanup(void)
{
	for (struct tp *t = g_head; t != NULL; t = t->next)
		if (t->proc != NULL)
			iperf3_detach(t->proc);
	iperf3_shutdown();
	while (g_head != NULL)
		free_tp(g_head);
	iperf3_auth_free(g_auth);
	g_auth = NULL;
}
