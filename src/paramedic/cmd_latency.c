/* paramedic latency HOST[:PORT] [--interval T] [--duration T] [--size N]
 * [--dscp N] [--timeout T] [--json]: the UDP echo test through a granted
 * udp_echo session (docs/LATENCY.md). */
#include "paramedic/cli.h"

#include "lib/clock.h"
#include "lib/errbuf.h"
#include "paramedic/connect.h"
#include "paramedic/history.h"
#include "paramedic/latency.h"

#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LATENCY_CONTROL_TIMEOUT_MS 10000

struct latency_cli {
	const char *host;
	struct latency_params p;
	int dscp;
};

static int usage_error(const char *why)
{
	fprintf(stderr, "paramedic latency: %s\n", why);
	return pm_usage(stderr, "latency");
}

static int parse_args(int argc, char **argv, struct latency_cli *c, char *err)
{
	*c = (struct latency_cli){
	    .p = {.interval_ns = LATENCY_DEFAULT_INTERVAL_NS,
	          .duration_ns = LATENCY_DEFAULT_DURATION_NS,
	          .timeout_ns = LATENCY_DEFAULT_TIMEOUT_NS,
	          .size_bytes = LATENCY_DEFAULT_SIZE_BYTES},
	};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-') {
			if (c->host != NULL)
				return errbuf_set(err, "unexpected argument '%s'", a);
			c->host = a;
			continue;
		}
		static const char *const valued[] = {"--interval", "--duration", "--timeout", "--size", "--dscp"};
		bool known = false;
		for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
			known = known || strcmp(a, valued[k]) == 0;
		if (!known)
			return errbuf_set(err, "unknown option '%s'", a);
		if (i + 1 == argc)
			return errbuf_set(err, "%s needs a value", a);
		const char *v = argv[++i];
		long n;
		if (strcmp(a, "--interval") == 0) {
			if (latency_parse_time_ns(a, v, 0, &c->p.interval_ns, err) != 0)
				return -1;
			if (c->p.interval_ns < LATENCY_MIN_INTERVAL_NS || c->p.interval_ns > LATENCY_MAX_INTERVAL_NS)
				return errbuf_set(err, "--interval '%s': expected 10us to 60s", v);
		} else if (strcmp(a, "--duration") == 0) {
			if (latency_parse_time_ns(a, v, 1000000000LL, &c->p.duration_ns, err) != 0)
				return -1;
			if (c->p.duration_ns > LATENCY_MAX_DURATION_NS)
				return errbuf_set(err, "--duration '%s': at most 1 hour", v);
		} else if (strcmp(a, "--timeout") == 0) {
			if (latency_parse_time_ns(a, v, 1000000000LL, &c->p.timeout_ns, err) != 0)
				return -1;
			if (c->p.timeout_ns > LATENCY_MAX_TIMEOUT_NS)
				return errbuf_set(err, "--timeout '%s': at most 4s (the session ends 5 s after its "
				                       "duration)", v);
		} else if (strcmp(a, "--size") == 0) {
			if (latency_parse_int(a, v, PROBE_HEADER_BYTES, LATENCY_MAX_SIZE_BYTES, &n, err) != 0)
				return -1;
			c->p.size_bytes = (size_t)n;
		} else if (strcmp(a, "--dscp") == 0) {
			if (latency_parse_int(a, v, 0, 63, &n, err) != 0)
				return -1;
			c->dscp = (int)n;
		}
	}
	if (c->host == NULL)
		return errbuf_set(err, "which reflector? (HOST[:PORT])");
	if (c->p.duration_ns / c->p.interval_ns > LATENCY_MAX_PROBES)
		return errbuf_set(err, "--duration / --interval: more than %d probes", LATENCY_MAX_PROBES);
	return 0;
}

/* The deny's reason and retry time, for people. */
static void print_deny(const json_t *p)
{
	const char *code = json_string_value(json_object_get(p, "reason"));
	if (code == NULL)
		code = json_string_value(json_object_get(p, "code"));
	const char *msg = json_string_value(json_object_get(p, "message"));
	fprintf(stderr, "paramedic latency: the reflector refused the test: %s%s%s\n", code ? code : "error",
	        msg ? ": " : "", msg ? msg : "");
	const json_t *retry = json_object_get(p, "retry_after_sec");
	if (json_is_integer(retry))
		fprintf(stderr, "  retry in %lld s\n", (long long)json_integer_value(retry));
}

static void iso_now(int64_t ms, char *out, size_t outlen)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t n = strftime(out, outlen, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, outlen - n, ".%03dZ", (int)(ms % 1000));
}

/* Runs the probes of a granted session; the result JSON or NULL. */
static json_t *run_granted(struct link *l, const json_t *grant, struct latency_cli *c, char *err)
{
	const char *mode = json_string_value(json_object_get(grant, "mode"));
	json_int_t port = json_integer_value(json_object_get(grant, "port"));
	json_int_t granted_sec = json_integer_value(json_object_get(grant, "duration_sec"));
	const char *token = json_string_value(json_object_get(grant, "token"));
	if (mode == NULL || port < 1 || port > 65535 || granted_sec < 1 || token == NULL) {
		errbuf_set(err, "the reflector's session_grant is incomplete");
		return NULL;
	}
	c->p.tunneled = strcmp(mode, "tunneled") == 0;
	if (!c->p.tunneled && strcmp(mode, "direct_ephemeral") != 0) {
		errbuf_set(err, "the reflector granted an unknown mode '%s'", mode);
		return NULL;
	}
	if (probe_uuid_parse(token, c->p.token) != 0) {
		errbuf_set(err, "the reflector's grant token is not a UUID");
		return NULL;
	}
	int64_t requested_ns = c->p.duration_ns;
	if (c->p.duration_ns > (int64_t)granted_sec * 1000000000LL)
		c->p.duration_ns = (int64_t)granted_sec * 1000000000LL;
	/* Same addresses as the control connection: the reflector echoes only
	 * the IP it authenticated. */
	struct sockaddr_storage local, peer;
	socklen_t ll = sizeof(local), pl = sizeof(peer);
	if (getsockname(link_fd(l), (struct sockaddr *)&local, &ll) != 0 ||
	    getpeername(link_fd(l), (struct sockaddr *)&peer, &pl) != 0) {
		errbuf_errno(err, "the control connection's addresses");
		return NULL;
	}
	int fd = latency_socket(&local, &peer, (uint16_t)port, c->dscp, err);
	if (fd < 0)
		return NULL;
	struct latency_run run;
	struct stats_result s;
	json_t *res = NULL;
	if (latency_run(fd, &c->p, &run, err) != 0)
		goto out;
	if (stats_compute(run.send_ns, run.n_sent, run.arr, run.n_arr, c->p.timeout_ns, &s) != 0) {
		errbuf_set(err, "latency: out of memory computing the statistics");
		goto out;
	}
	res = latency_result_json(&c->p, &run, &s);
	json_t *par = json_object_get(res, "params");
	json_object_set_new(par, "requested_duration_ns", json_integer(requested_ns));
	json_object_set_new(par, "dscp", json_integer(c->dscp));
	json_object_set_new(res, "mode", json_string(mode));
	json_object_set_new(res, "test_id", json_copy(json_object_get(grant, "test_id")));
	json_object_set_new(res, "granted_duration_sec", json_integer(granted_sec));
out:
	latency_run_free(&run);
	close(fd);
	return res;
}

int pm_cmd_latency(struct pm_cli *cli, int argc, char **argv)
{
	struct latency_cli c;
	char err[ERRBUF_LEN];
	if (parse_args(argc, argv, &c, err) != 0)
		return usage_error(err);
	struct pm_state st;
	if (pm_state_open(cli->data_dir, &st, err) != 0) {
		fprintf(stderr, "paramedic: %s\n", err);
		return 1;
	}
	struct pm_target t;
	struct link *l = NULL;
	json_t *grant_msg = NULL, *res = NULL;
	struct history *h = NULL;
	int rc = 1;
	if (pm_target_parse(&st, c.host, &t, err) != 0) {
		fprintf(stderr, "paramedic latency: %s\n", err);
		rc = 2;
		goto out;
	}
	if ((l = pm_connect(&st, &t, NULL, err)) == NULL) {
		fprintf(stderr, "paramedic latency: %s\n", err);
		goto out;
	}
	/* Whole seconds, rounded up: the grant clamps, we never ask for less. */
	json_int_t want_sec = (json_int_t)((c.p.duration_ns + 999999999LL) / 1000000000LL);
	grant_msg = link_request(l, "session_request",
	                         json_pack("{s:s, s:{s:I}}", "test_type", "udp_echo", "params", "duration_sec",
	                                   want_sec),
	                         LATENCY_CONTROL_TIMEOUT_MS, err);
	const json_t *gp = json_object_get(grant_msg, "payload");
	const char *type = json_string_value(json_object_get(gp, "type"));
	if (type == NULL) {
		fprintf(stderr, "paramedic latency: %s\n", grant_msg == NULL ? err : "unexpected answer");
		goto out;
	}
	if (strcmp(type, "session_grant") != 0) {
		print_deny(gp);
		goto out;
	}
	int64_t started_ms = clock_wall_ms();
	res = run_granted(l, gp, &c, err);
	/* Close even after a failed run: the slot counts against our quota. */
	json_t *closed = link_request(l, "session_close",
	                              json_pack("{s:O}", "test_id", json_object_get(gp, "test_id")),
	                              LATENCY_CONTROL_TIMEOUT_MS, NULL);
	json_decref(closed);
	if (res == NULL) {
		fprintf(stderr, "paramedic latency: %s\n", err);
		goto out;
	}
	char iso[40];
	iso_now(started_ms, iso, sizeof(iso));
	json_object_set_new(res, "target", json_string(t.address));
	json_object_set_new(res, "reflector_id", json_string(link_peer_id(l)));
	json_object_set_new(res, "started_at", json_string(iso));
	json_object_set_new(res, "started_at_ms", json_integer(started_ms));
	/* The result is printed even when it cannot be stored. */
	if (history_open(st.data_dir, &h, err) != 0 ||
	    history_add(h, "latency", t.address, link_peer_id(l), started_ms, res, err) != 0)
		fprintf(stderr, "paramedic latency: not stored in the history: %s\n", err);
	const json_t *pk = json_object_get(res, "packets");
	rc = json_integer_value(json_object_get(pk, "received")) > 0 ? 0 : 1;
	if (cli->json)
		pm_print_json(json_incref(res));
	else
		latency_print_human(res);
out:
	history_close(h);
	json_decref(res);
	json_decref(grant_msg);
	link_close(l);
	pm_state_close(&st);
	return rc;
}
