/*
 * paramedic throughput HOST[:PORT]: asks the reflector for a throughput
 * session, runs the iperf3 client against it (direct_ephemeral: the granted
 * port; tunneled: a local relay that carries every stream through mTLS,
 * throughput_tunnel.c), closes the session and reports iperf3's result.
 */
#include "paramedic/cmd_throughput.h"

#include "core/protocol.h"
#include "lib/exec_path.h"
#include "lib/clock.h"
#include "lib/errbuf.h"
#include "paramedic/connect.h"
#include "paramedic/history.h"
#include "paramedic/throughput.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TP_REQUEST_TIMEOUT_MS 15000

struct tp_args {
	const char *target;
	int duration_sec; /* 0: as long as the reflector allows */
	int streams;      /* 0: the reflector's default */
	bool reverse, udp;
	const char *bitrate;
	const char *iperf3;
};

static int usage(void)
{
	return pm_usage(stderr, "throughput");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct tp_args *a)
{
	memset(a, 0, sizeof(*a));
	a->iperf3 = getenv("PARAMEDIC_IPERF3") ? getenv("PARAMEDIC_IPERF3") : "iperf3";
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--reverse") == 0 || strcmp(o, "-R") == 0) {
			a->reverse = true;
		} else if (strcmp(o, "--udp") == 0 || strcmp(o, "-u") == 0) {
			a->udp = true;
		} else if (strcmp(o, "--duration") == 0 || strcmp(o, "-t") == 0) {
			if (v == NULL || parse_int(v, 1, 86400, &a->duration_sec) != 0) {
				fprintf(stderr, "paramedic throughput: --duration needs whole seconds, 1..86400\n");
				return -1;
			}
			i++;
		} else if (strcmp(o, "--streams") == 0 || strcmp(o, "-P") == 0) {
			if (v == NULL || parse_int(v, 1, TP_MAX_STREAMS, &a->streams) != 0) {
				fprintf(stderr, "paramedic throughput: --streams needs a number, 1..%d\n", TP_MAX_STREAMS);
				return -1;
			}
			i++;
		} else if (strcmp(o, "--bitrate") == 0 || strcmp(o, "-b") == 0) {
			if (v == NULL) {
				fprintf(stderr, "paramedic throughput: --bitrate needs a rate (e.g. 100M)\n");
				return -1;
			}
			a->bitrate = argv[++i];
		} else if (strcmp(o, "--iperf3") == 0) {
			if (v == NULL)
				return -1;
			a->iperf3 = argv[++i];
		} else if (o[0] == '-' || a->target != NULL) {
			fprintf(stderr, "paramedic throughput: unexpected '%s'\n", o);
			return -1;
		} else {
			a->target = o;
		}
	}
	return a->target == NULL ? -1 : 0;
}

static double fmt_rate(double bps, const char **unit)
{
	if (bps >= 1e9) {
		*unit = "Gbit/s";
		return bps / 1e9;
	}
	if (bps >= 1e6) {
		*unit = "Mbit/s";
		return bps / 1e6;
	}
	*unit = "kbit/s";
	return bps / 1e3;
}

static void print_human(const char *address, const char *mode, const char *test_id,
                        const struct tp_result *r)
{
	const char *u;
	double v;
	printf("throughput to %s (%s, session %s)\n", address, mode, test_id);
	printf("  %s, %d stream%s, %.1f s, %s\n", r->udp ? "udp" : "tcp", r->streams, r->streams == 1 ? "" : "s",
	       r->duration_sec, r->reverse ? "download (reflector -> here)" : "upload (here -> reflector)");
	v = fmt_rate(r->sent_bps, &u);
	printf("  sender    : %8.2f %s  (%llu bytes)", v, u, (unsigned long long)r->sent_bytes);
	if (r->retransmits >= 0)
		printf("  retransmits %lld", (long long)r->retransmits);
	v = fmt_rate(r->received_bps, &u);
	printf("\n  receiver  : %8.2f %s  (%llu bytes)\n", v, u, (unsigned long long)r->received_bytes);
	if (r->udp)
		printf("  udp       : jitter %.3f ms, lost %lld of %lld (%.2f%%)\n", r->jitter_ms,
		       (long long)r->lost_packets, (long long)r->packets, r->lost_percent);
	for (size_t i = 0; r->n_stream > 1 && i < r->n_stream; i++) {
		v = fmt_rate(r->stream[i].sent_bps, &u);
		printf("  stream %-3zu: %8.2f %s", i + 1, v, u);
		if (r->stream[i].retransmits >= 0)
			printf("  retransmits %lld", (long long)r->stream[i].retransmits);
		printf("\n");
	}
}

/* A deny, as a person needs it: why, and when to try again. */
static void print_deny(const struct pm_cli *cli, const json_t *p)
{
	const char *reason = json_string_value(json_object_get(p, "reason"));
	const char *msg = json_string_value(json_object_get(p, "message"));
	const json_t *retry = json_object_get(p, "retry_after_sec");
	if (cli->json) {
		json_t *out = json_pack("{s:s, s:s?, s:s?, s:O?}", "result", "denied", "reason", reason, "message",
		                        msg, "retry_after_sec", retry);
		pm_print_json(out);
		return;
	}
	fprintf(stderr, "paramedic throughput: session denied: %s: %s\n", reason ? reason : "?", msg ? msg : "");
	if (json_is_integer(retry))
		fprintf(stderr, "  retry in %lld s\n", (long long)json_integer_value(retry));
	else
		fprintf(stderr, "  waiting will not help: change the request or the reflector's policy\n");
}

static json_t *request_params(const struct tp_args *a)
{
	json_t *params = json_pack("{s:s, s:b}", "protocol", a->udp ? "udp" : "tcp", "reverse", a->reverse);
	json_object_set_new(params, "duration_sec", a->duration_sec > 0 ? json_integer(a->duration_sec) : json_null());
	json_object_set_new(params, "streams", a->streams > 0 ? json_integer(a->streams) : json_null());
	return json_pack("{s:s, s:o}", "test_type", "throughput", "params", params);
}

static void close_session(struct link *l, const char *test_id)
{
	char err[ERRBUF_LEN];
	json_t *res = link_request(l, "session_close", json_pack("{s:s}", "test_id", test_id), TP_REQUEST_TIMEOUT_MS, err);
	json_decref(res);
}

static void explain_budget_cut(FILE *out, long long left_today)
{
	fprintf(out, "  the reflector cut the test: this paramedic's daily byte budget there ran out "
	             "(%lld bytes were left today; its [quotas] max_bytes_per_day_per_peer)\n", left_today);
}

int pm_cmd_throughput(struct pm_cli *cli, int argc, char **argv)
{
	struct tp_args a;
	if (parse_args(argc, argv, &a) != 0)
		return usage();
	/* Before asking for a session: a grant we cannot use costs the
	 * reflector a slot and us an hourly test. */
	if (!exec_path_found(a.iperf3)) {
		fprintf(stderr, "paramedic throughput: iperf3 is not installed here ('%s' not found%s): "
		                "apt install iperf3, or --iperf3 PATH\n",
		        a.iperf3, strchr(a.iperf3, '/') ? "" : " in $PATH");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN); /* a stream's peer may vanish mid-write */
	struct pm_state st;
	char err[ERRBUF_LEN];
	if (pm_state_open(cli->data_dir, &st, err) != 0) {
		fprintf(stderr, "paramedic: %s\n", err);
		return 1;
	}
	int rc = 1;
	struct pm_target t;
	struct link *l = NULL;
	json_t *res = NULL;
	char *out = NULL;
	char test_id[PP_UUID_TEXT_BYTES + 1] = "";
	if (pm_target_parse(&st, a.target, &t, err) != 0) {
		fprintf(stderr, "paramedic throughput: %s\n", err);
		rc = 2;
		goto done;
	}
	if ((l = pm_connect(&st, &t, NULL, err)) == NULL) {
		fprintf(stderr, "paramedic throughput: %s\n", err);
		goto done;
	}
	res = link_request(l, "session_request", request_params(&a), TP_REQUEST_TIMEOUT_MS, err);
	const json_t *p = json_object_get(res, "payload");
	const char *type = json_string_value(json_object_get(p, "type"));
	if (type == NULL) {
		fprintf(stderr, "paramedic throughput: %s\n", res == NULL ? err : "unexpected answer");
		goto done;
	}
	if (strcmp(type, "session_deny") == 0) {
		print_deny(cli, p);
		goto done;
	}
	if (strcmp(type, "session_grant") != 0) {
		const char *code = json_string_value(json_object_get(p, "code"));
		const char *msg = json_string_value(json_object_get(p, "message"));
		fprintf(stderr, "paramedic throughput: the reflector answered %s: %s\n", code ? code : type, msg ? msg : "");
		if (code != NULL && (strcmp(code, "unauthorized") == 0 || strcmp(code, "pairing_required") == 0))
			fprintf(stderr, "  this paramedic (%s) is not authorized there: pair first (paramedic pair)\n", st.id.id);
		goto done;
	}
	snprintf(test_id, sizeof(test_id), "%s", json_string_value(json_object_get(p, "test_id")));
	const char *mode = json_string_value(json_object_get(p, "mode"));
	const char *token = json_string_value(json_object_get(p, "token"));
	bool tunneled = mode != NULL && strcmp(mode, "tunneled") == 0;
	struct tp_client_opts o = {
		.iperf3 = a.iperf3,
		.host = t.host,
		.port = (uint16_t)json_integer_value(json_object_get(p, "port")),
		.duration_sec = (int)json_integer_value(json_object_get(p, "duration_sec")),
		.streams = json_is_integer(json_object_get(p, "streams")) ? (int)json_integer_value(json_object_get(p, "streams")) : 1,
		.reverse = a.reverse,
		.udp = a.udp,
		.bitrate = a.bitrate,
	};
	/* Direct mode with iperf3 authentication: the reflector's iperf3 key
	 * from the grant, user = test_id, password = token (PROTOCOL.md 5.2). */
	const char *pem = json_string_value(json_object_get(p, "iperf3_rsa_public_key"));
	char key_path[4200] = "";
	if (!tunneled && pem != NULL) {
		if (tp_write_public_key(st.data_dir, pem, key_path, sizeof(key_path), err) != 0) {
			fprintf(stderr, "paramedic throughput: %s\n", err);
			close_session(l, test_id);
			goto done;
		}
		o.username = test_id;
		o.password = token;
		o.rsa_public_key_path = key_path;
	}
	struct tp_tunnel *tun = NULL;
	if (tunneled) {
		tun = tp_tunnel_start(&st, &t, link_peer_id(l), token, &o.port, err);
		if (tun == NULL) {
			fprintf(stderr, "paramedic throughput: %s\n", err);
			close_session(l, test_id);
			goto done;
		}
		o.host = "127.0.0.1";
	}
	size_t out_len = 0;
	int64_t started_ms = clock_wall_ms();
	int status = tp_iperf3_run(&o, &out, &out_len, err);
	if (key_path[0])
		unlink(key_path);
	char tun_err[ERRBUF_LEN] = "";
	uint64_t tun_bytes = tun != NULL ? tp_tunnel_stop(tun, tun_err) : 0;
	close_session(l, test_id);
	if (status < 0) {
		fprintf(stderr, "paramedic throughput: %s\n", err);
		goto done;
	}
	/* The reflector cuts a tunneled test the moment the peer's daily byte
	 * budget runs out; iperf3 only sees its sockets close. */
	const json_t *left = json_object_get(p, "bytes_left_today");
	long long left_today = json_is_integer(left) ? (long long)json_integer_value(left) : -1;
	bool budget_cut = tunneled && left_today >= 0 && tun_bytes >= (uint64_t)left_today;
	struct tp_result *r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto done;
	if (tp_result_parse(out, out_len, r, err) != 0 || (status != 0 && r->error[0])) {
		char exit_note[32] = ""; /* iperf3 -J may report an error and exit 0 */
		if (status != 0)
			snprintf(exit_note, sizeof(exit_note), " (exit %d)", status);
		fprintf(stderr, "paramedic throughput: iperf3 failed%s: %s\n", exit_note,
		        r->error[0] ? r->error : err);
		if (tun_err[0])
			fprintf(stderr, "  tunnel: %s\n", tun_err);
		if (budget_cut)
			explain_budget_cut(stderr, left_today);
		free(r);
		goto done;
	}
	json_t *j = tp_result_json(r);
	char summary[160];
	const char *unit;
	double v = fmt_rate(r->received_bps, &unit);
	snprintf(summary, sizeof(summary), "%.2f %s %s, %s, %d stream%s, %s", v, unit,
	         r->reverse ? "download" : "upload", r->udp ? "udp" : "tcp", r->streams, r->streams == 1 ? "" : "s",
	         mode ? mode : "?");
	json_object_set_new(j, "kind", json_string("throughput"));
	json_object_set_new(j, "summary", json_string(summary));
	json_object_set_new(j, "result", json_string("ok"));
	json_object_set_new(j, "target", json_string(t.address));
	json_object_set_new(j, "reflector_id", json_string(link_peer_id(l)));
	json_object_set_new(j, "started_at_ms", json_integer(started_ms));
	json_object_set_new(j, "test_id", json_string(test_id));
	json_object_set_new(j, "mode", json_string(mode ? mode : "?"));
	json_object_set_new(j, "tunnel_bytes", tunneled ? json_integer((json_int_t)tun_bytes) : json_null());
	json_object_set_new(j, "iperf3_authenticated", json_boolean(key_path[0] != '\0'));
	json_object_set_new(j, "bytes_left_today", left_today >= 0 ? json_integer(left_today) : json_null());
	json_object_set_new(j, "cut_by_daily_budget", json_boolean(budget_cut));
	json_object_set_new(j, "iperf3_error", r->error[0] ? json_string(r->error) : json_null());
	/* The result is printed even when it cannot be stored. */
	struct history *h = NULL;
	if (history_open(st.data_dir, &h, err) != 0 ||
	    history_add(h, "throughput", t.address, link_peer_id(l), started_ms, j, err) != 0)
		fprintf(stderr, "paramedic throughput: not stored in the history: %s\n", err);
	history_close(h);
	if (cli->json) {
		pm_print_json(j);
		if (budget_cut)
			explain_budget_cut(stderr, left_today);
	} else {
		json_decref(j);
		print_human(t.address, mode ? mode : "?", test_id, r);
		if (r->error[0])
			printf("  iperf3 said: %s\n", r->error);
		if (budget_cut)
			explain_budget_cut(stdout, left_today);
		if (tun_err[0])
			printf("  tunnel: %s\n", tun_err);
	}
	rc = r->error[0] || budget_cut ? 1 : 0;
	free(r);
done:
	free(out);
	json_decref(res);
	link_close(l);
	pm_state_close(&st);
	return rc;
}
