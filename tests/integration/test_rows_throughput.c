/* Seed 002 checklist rows 29-31 (the iperf3 throughput engine) on a real
 * reflector, in both modes, plus iperf3 authentication in direct mode,
 * tunnel_attach refusals, UDP throughput
 * refused when tunneled, byte-quota exhaustion with real transfers (seed
 * 5.3) and the mid-test budget cut of the tunneled relay. */
#include "cmocka_all.h"
#include "rproc.h"

#include "core/protocol.h"
#include "lib/errbuf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	struct rproc r;
	struct identity alice;
	struct link *l;
	char pm_dir[160]; /* a paramedic data dir with alice's key */
};

/* bob: when not NULL, a second authorized client. */
static struct fixture *start2(const char *mode, const char *extra, struct identity *bob)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[ERRBUF_LEN], net[128], out[1024];
	snprintf(net, sizeof(net), "mode = \"%s\"", mode);
	assert_int_equal(rproc_setup_with_client(&f->r, &f->alice, net, extra), 0);
	if (bob != NULL) {
		char both[2048];
		assert_int_equal(rproc_client(&f->r, "bob", bob), 0);
		snprintf(both, sizeof(both), "[access]\nauthorized_peers = [\"%s\", \"%s\"]\n\n%s\n", f->alice.id,
		         bob->id, extra ? extra : "");
		assert_int_equal(rproc_write_config(&f->r, net, both), 0);
	}
	assert_int_equal(rproc_start(&f->r), 0);
	f->l = rproc_connect(&f->r, &f->alice, err);
	if (f->l == NULL)
		fail_msg("connect: %s", err);
	snprintf(f->pm_dir, sizeof(f->pm_dir), "%s/pm", f->r.dir);
	assert_int_equal(run_capture(out, sizeof(out), "mkdir -p %s && cp %s/clients/alice.key %s/identity.ed25519 && "
	                             "chmod 600 %s/identity.ed25519", f->pm_dir, f->r.dir, f->pm_dir, f->pm_dir), 0);
	return f;
}

static struct fixture *start(const char *mode, const char *extra)
{
	return start2(mode, extra, NULL);
}

static void stop(struct fixture *f)
{
	link_close(f->l);
	rproc_cleanup(&f->r);
	identity_free(&f->alice);
	free(f);
}

static json_t *throughput_req(int duration, const char *protocol)
{
	return json_pack("{s:s, s:{s:i, s:s, s:i}}", "test_type", "throughput", "params", "duration_sec",
	                 duration, "protocol", protocol, "streams", 1);
}

/* The pid of the process listening on TCP port (any address) or 0. */
static int listener_pid(int port, char *cmd_out, size_t cmd_len)
{
	char out[2048];
	run_capture(out, sizeof(out), "ss -Htlnp 'sport = :%d'", port);
	const char *p = strstr(out, "pid=");
	if (cmd_out != NULL) {
		const char *q = strstr(out, "((\"");
		const char *e = q ? strchr(q + 3, '"') : NULL;
		snprintf(cmd_out, cmd_len, "%.*s", q && e ? (int)(e - q - 3) : 0, q ? q + 3 : "");
	}
	return p != NULL ? atoi(p + 4) : 0;
}

static bool pid_alive(int pid)
{
	return pid > 0 && kill(pid, 0) == 0;
}

struct pid_arg {
	int pid;
};
static int pid_gone(void *arg)
{
	return !pid_alive(((struct pid_arg *)arg)->pid);
}

/* The iperf3 children of the reflector, as pids (0 = none). */
static int child_iperf3(const struct rproc *r)
{
	char out[256];
	if (run_capture(out, sizeof(out), "pgrep -P %d", (int)r->pid) != 0)
		return 0;
	return atoi(out);
}

static bool log_has(const struct rproc *r, const char *text)
{
	char out[64];
	return run_capture(out, sizeof(out), "grep -qF -- '%s' %s", text, r->log_path) == 0;
}

static int log_says_sigterm(void *arg)
{
	return log_has(arg, "after SIGTERM at the session") || log_has(arg, "stopped with SIGTERM");
}

static const char *close_session(struct fixture *f, const json_t *grant)
{
	return rproc_request(f->l, "session_close", json_pack("{s:O}", "test_id", json_object_get(grant, "test_id")),
	                     NULL);
}

static json_int_t last_completed_bytes(const struct rproc *r)
{
	json_t *all = rproc_audit(r);
	json_int_t bytes = -1;
	size_t i;
	json_t *e;
	json_array_foreach(all, i, e)
		if (strcmp(json_string_value(json_object_get(e, "event_type")), "session_completed") == 0)
			bytes = json_integer_value(json_object_get(e, "bytes"));
	json_decref(all);
	return bytes;
}

static void row29_iperf3_server_starts(void **state)
{
	(void)state;
	struct fixture *f = start("direct_ephemeral", "[quotas]\ncooldown_sec = 0\n");
	json_t *g;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(10, "tcp"), &g), "session_grant");
	int port = (int)json_integer_value(json_object_get(g, "port"));
	assert_int_equal(port, f->r.data_port_start);
	/* ss -tlnp shows iperf3 on the granted port, a child of the reflector. */
	char cmd[64];
	int pid = listener_pid(port, cmd, sizeof(cmd));
	assert_true(pid > 0);
	assert_string_equal(cmd, "iperf3");
	assert_int_equal(child_iperf3(&f->r), pid);
	/* Closing the session stops it: no process (and no zombie) left. */
	assert_string_equal(close_session(f, g), "ok");
	struct pid_arg a = {pid};
	assert_true(wait_until(pid_gone, &a, 10000));
	assert_int_equal(child_iperf3(&f->r), 0);
	assert_true(wait_until(log_says_sigterm, &f->r, 5000)); /* iperf3 exits 1 on SIGTERM */
	json_decref(g);
	stop(f);
}

static void row29_tunneled_iperf3_listens_on_loopback_only(void **state)
{
	(void)state;
	struct fixture *f = start("tunneled", NULL);
	json_t *g;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(10, "tcp"), &g), "session_grant");
	assert_string_equal(json_string_value(json_object_get(g, "mode")), "tunneled");
	assert_int_equal(json_integer_value(json_object_get(g, "port")), atoi(f->r.port));
	int pid = child_iperf3(&f->r);
	assert_true(pid > 0);
	char out[2048];
	assert_int_equal(run_capture(out, sizeof(out), "ss -Htlnp | grep 'pid=%d,'", pid), 0);
	/* The local address column: loopback, not a wildcard. */
	char local[128] = "";
	assert_int_equal(sscanf(out, "%*s %*s %*s %127s", local), 1);
	assert_true(strncmp(local, "127.0.0.1:", 10) == 0);
	assert_string_equal(close_session(f, g), "ok");
	struct pid_arg a = {pid};
	assert_true(wait_until(pid_gone, &a, 10000));
	json_decref(g);
	stop(f);
}

struct session_arg {
	struct rproc *r;
};
static int no_active_sessions(void *arg)
{
	struct rproc *r = arg;
	char out[8192];
	if (rproc_cli(r, out, sizeof(out), "--json status") != 0)
		return 0;
	json_t *st = json_loads(out, 0, NULL);
	int empty = json_array_size(json_object_get(st, "active_sessions")) == 0;
	json_decref(st);
	return empty;
}

static void row30_iperf3_one_off_exits_after_test(void **state)
{
	(void)state;
	struct fixture *f = start("direct_ephemeral", "[quotas]\ncooldown_sec = 0\n");
	json_t *g;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(20, "tcp"), &g), "session_grant");
	int port = (int)json_integer_value(json_object_get(g, "port"));
	int pid = listener_pid(port, NULL, 0);
	assert_true(pid > 0);
	char out[4096];
	assert_int_equal(run_capture(out, sizeof(out), "iperf3 -c 127.0.0.1 -p %d -n 4M -b 40M -J >/dev/null", port), 0);
	/* --one-off: it exits by itself after the test, and is reaped... */
	struct pid_arg a = {pid};
	assert_true(wait_until(pid_gone, &a, 10000));
	assert_true(log_has(&f->r, "exited with code 0 after its test (--one-off)"));
	/* ...while the session stays until the client closes it. */
	assert_false(no_active_sessions(&f->r));
	assert_string_equal(close_session(f, g), "ok");
	/* Its report's bytes are the session's (charged to the quota). The
	 * server's report leaves out the block in flight when the test's
	 * time is up (at most 128 KiB a stream). */
	json_int_t bytes = last_completed_bytes(&f->r);
	assert_true(bytes > 4 * 1024 * 1024 - 256 * 1024 && bytes <= 4 * 1024 * 1024);
	json_decref(g);
	stop(f);
}

static void row31_iperf3_killed_on_timeout(void **state)
{
	(void)state;
	/* A stand-in for iperf3 that listens where it is told and ignores
	 * SIGTERM: only SIGKILL ends it. */
	char fake[256], extra[768];
	snprintf(fake, sizeof(fake), "/tmp/pp-stubborn-iperf3-%d", (int)getpid());
	FILE *fp = fopen(fake, "w");
	assert_non_null(fp);
	/* A signal ignored before exec stays ignored in the new program, so nc
	 * (netcat-openbsd, a test dependency) inherits the deafness to SIGTERM. */
	fprintf(fp, "#!/bin/sh\n"
	            "trap '' TERM\n"
	            "host=0.0.0.0\n"
	            "while [ $# -gt 0 ]; do\n"
	            "  case $1 in -p) port=$2; shift ;; -B) host=$2; shift ;; esac\n"
	            "  shift\n"
	            "done\n"
	            "exec nc -l -k \"$host\" \"$port\" >/dev/null </dev/null\n");
	fclose(fp);
	chmod(fake, 0755);
	snprintf(extra, sizeof(extra), "[quotas]\nmax_test_duration_sec = 1\n\n[iperf3]\npath = \"%s\"\n", fake);
	struct fixture *f = start("direct_ephemeral", extra);
	json_t *g;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(30, "tcp"), &g), "session_grant");
	int pid = listener_pid((int)json_integer_value(json_object_get(g, "port")), NULL, 0);
	assert_true(pid > 0);
	/* Expiry (1 s + 5 s grace): SIGTERM, ignored; SIGKILL 2 s later. */
	assert_true(wait_until(no_active_sessions, &f->r, 15000));
	struct pid_arg a = {pid};
	assert_true(wait_until(pid_gone, &a, 10000));
	assert_int_equal(child_iperf3(&f->r), 0);
	assert_true(log_has(&f->r, "still running 2000 ms after SIGTERM: SIGKILL"));
	assert_true(log_has(&f->r, "killed with SIGKILL"));
	assert_int_equal(rproc_audit_count(&f->r, "session_expired", f->alice.id, NULL), 1);
	json_decref(g);
	stop(f);
	unlink(fake);
}

static void shutdown_leaves_no_iperf3(void **state)
{
	(void)state;
	struct fixture *f = start("direct_ephemeral", NULL);
	json_t *g;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(30, "tcp"), &g), "session_grant");
	int pid = child_iperf3(&f->r);
	assert_true(pid > 0);
	assert_int_equal(rproc_stop(&f->r), 0);
	assert_false(pid_alive(pid));
	json_decref(g);
	stop(f);
}

/* paramedic throughput, as a user runs it; its --json on stdout. */
static json_t *paramedic_throughput(struct fixture *f, const char *args, int *rc)
{
	static char out[1 << 17];
	/* In a subshell: run_capture appends 2>&1, which would win otherwise. */
	*rc = run_capture(out, sizeof(out), "(%s --data-dir %s --json throughput 127.0.0.1:%s %s 2>%s/pm.err)",
	                  getenv("PARAMEDIC_BIN"), f->pm_dir, f->r.port, args, f->r.dir);
	if (*rc != 0) { /* for the failure's diagnosis */
		char err[4096];
		run_capture(err, sizeof(err), "cat %s/pm.err; tail -5 %s", f->r.dir, f->r.log_path);
		fprintf(stderr, "paramedic throughput %s: exit %d\n%s\n", args, *rc, err);
	}
	return json_loads(out, 0, NULL);
}

static void paramedic_throughput_in_both_modes(void **state)
{
	(void)state;
	const char *modes[] = {"direct_ephemeral", "tunneled"};
	for (int i = 0; i < 2; i++) {
		struct fixture *f = start(modes[i], "[quotas]\ncooldown_sec = 0\n");
		int rc;
		json_t *r = paramedic_throughput(f, "--duration 1 --streams 2", &rc);
		assert_int_equal(rc, 0);
		assert_string_equal(json_string_value(json_object_get(r, "result")), "ok");
		assert_string_equal(json_string_value(json_object_get(r, "mode")), modes[i]);
		assert_int_equal(json_integer_value(json_object_get(r, "streams")), 2);
		assert_true(json_real_value(json_object_get(r, "received_bits_per_second")) > 0);
		assert_int_equal(json_array_size(json_object_get(r, "per_stream")), 2);
		json_int_t received = json_integer_value(json_object_get(r, "received_bytes"));
		/* The reflector charged what moved: its own count (report or relay). */
		json_int_t charged = last_completed_bytes(&f->r);
		assert_true(charged > 0);
		if (i == 1) /* the relay also carries iperf3's control channel */
			assert_true(charged >= received);
		json_decref(r);
		/* Reverse (the reflector sends) works too. */
		r = paramedic_throughput(f, "--duration 1 --reverse", &rc);
		assert_int_equal(rc, 0);
		assert_true(json_is_true(json_object_get(r, "reverse")));
		json_decref(r);
		assert_int_equal(child_iperf3(&f->r), 0);
		/* Both results are in the history. */
		static char hist[1 << 16];
		assert_int_equal(run_capture(hist, sizeof(hist), "%s --data-dir %s --json history --kind throughput",
		                             getenv("PARAMEDIC_BIN"), f->pm_dir), 0);
		json_t *h = json_loads(hist, 0, NULL);
		json_t *rows = json_object_get(h, "results");
		assert_int_equal(json_array_size(rows), 2);
		assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "kind")), "throughput");
		json_decref(h);
		stop(f);
	}
}

/* [iperf3] authenticate: the granted port is iperf3 itself, but it runs a
 * test only for the peer that holds the grant (iperf3's RSA
 * authentication); a plain `iperf3 -c` on the port is refused and does not
 * use the grant up. */
static void direct_iperf3_authenticated_serves_only_the_grant_holder(void **state)
{
	(void)state;
	struct fixture *f = start("direct_ephemeral", "[quotas]\ncooldown_sec = 0\n[iperf3]\nauthenticate = true\n");
	json_t *g;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(20, "tcp"), &g), "session_grant");
	const char *pem = json_string_value(json_object_get(g, "iperf3_rsa_public_key"));
	assert_non_null(pem);
	assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
	int port = (int)json_integer_value(json_object_get(g, "port"));
	int pid = listener_pid(port, NULL, 0);
	assert_true(pid > 0);
	static char out[1 << 16];
	/* A stranger on the port: refused, and iperf3 still waits for the peer. */
	assert_int_not_equal(run_capture(out, sizeof(out), "iperf3 -c 127.0.0.1 -p %d -t 1 --connect-timeout 3000", port), 0);
	assert_non_null(strstr(out, "authorization failed"));
	/* ...also with the right user and a wrong password. */
	char key[300];
	snprintf(key, sizeof(key), "%s/grant.pem", f->r.dir);
	FILE *kf = fopen(key, "w");
	assert_non_null(kf);
	fputs(pem, kf);
	fclose(kf);
	const char *user = json_string_value(json_object_get(g, "test_id"));
	assert_int_not_equal(run_capture(out, sizeof(out), "IPERF3_PASSWORD=not-the-token iperf3 -c 127.0.0.1 -p %d -t 1 "
	                                 "--username %s --rsa-public-key-path %s", port, user, key), 0);
	assert_non_null(strstr(out, "authorization failed"));
	assert_int_equal(listener_pid(port, NULL, 0), pid);
	/* The grant holder's credentials (user = test_id, password = token) work. */
	assert_int_equal(run_capture(out, sizeof(out), "IPERF3_PASSWORD=%s iperf3 -c 127.0.0.1 -p %d -t 1 -J "
	                             "--username %s --rsa-public-key-path %s",
	                             json_string_value(json_object_get(g, "token")), port, user, key), 0);
	assert_string_equal(close_session(f, g), "ok");
	assert_true(last_completed_bytes(&f->r) > 0);
	json_decref(g);
	/* paramedic does the same by itself, and says so. */
	int rc;
	json_t *r = paramedic_throughput(f, "--duration 1", &rc);
	assert_int_equal(rc, 0);
	assert_true(json_is_true(json_object_get(r, "iperf3_authenticated")));
	assert_true(json_real_value(json_object_get(r, "received_bits_per_second")) > 0);
	json_decref(r);
	/* No key file left behind in the paramedic's data dir. */
	assert_int_not_equal(run_capture(out, sizeof(out), "ls %s | grep -q iperf3-key", f->pm_dir), 0);
	/* The reflector's users files go with their sessions, its key with it. */
	assert_int_equal(run_capture(out, sizeof(out), "ls %s/data/iperf3-auth", f->r.dir), 0);
	assert_null(strstr(out, ".users"));
	assert_non_null(strstr(out, "rsa-private.pem"));
	assert_int_equal(rproc_stop(&f->r), 0);
	assert_int_not_equal(run_capture(out, sizeof(out), "ls %s/data/iperf3-auth", f->r.dir), 0);
	stop(f);
}

static void tunnel_attach_refusals(void **state)
{
	(void)state;
	struct identity bob;
	struct fixture *f = start2("tunneled", "[quotas]\nmax_concurrent_tests = 4\ncooldown_sec = 0\n", &bob);
	char err[ERRBUF_LEN];
	json_t *g, *p;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(10, "tcp"), &g), "session_grant");
	/* An unknown token: not_found, then the connection is closed. */
	struct link *x = rproc_connect(&f->r, &f->alice, err);
	assert_non_null(x);
	assert_string_equal(rproc_request(x, "tunnel_attach", json_pack("{s:s}", "token", "00000000-0000-4000-8000-000000000000"), &p),
	                    "error");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "not_found");
	json_decref(p);
	assert_null(link_recv_json(x, 5000, err));
	assert_int_equal(link_last_status(x), LINK_CLOSED);
	link_close(x);
	/* Another peer's connection with the right token: not_found. */
	x = rproc_connect(&f->r, &bob, err);
	assert_non_null(x);
	assert_string_equal(rproc_request(x, "tunnel_attach", json_pack("{s:O}", "token", json_object_get(g, "token")), &p),
	                    "error");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "not_found");
	json_decref(p);
	link_close(x);
	identity_free(&bob);
	/* A udp_echo session's token is not a throughput tunnel. */
	json_t *ge;
	assert_string_equal(rproc_request(f->l, "session_request",
	                                  json_pack("{s:s, s:{s:i}}", "test_type", "udp_echo", "params", "duration_sec", 5), &ge),
	                    "session_grant");
	x = rproc_connect(&f->r, &f->alice, err);
	assert_string_equal(rproc_request(x, "tunnel_attach", json_pack("{s:O}", "token", json_object_get(ge, "token")), &p),
	                    "error");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "not_found");
	json_decref(p);
	link_close(x);
	/* A token that is not a UUID: invalid_message. */
	x = rproc_connect(&f->r, &f->alice, err);
	assert_string_equal(rproc_request(x, "tunnel_attach", json_pack("{s:s}", "token", "x"), &p), "error");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "invalid_message");
	json_decref(p);
	link_close(x);
	/* The real token: ok. */
	x = rproc_connect(&f->r, &f->alice, err);
	assert_string_equal(rproc_request(x, "tunnel_attach", json_pack("{s:O}", "token", json_object_get(g, "token")), &p), "ok");
	json_decref(p);
	link_close(x);
	json_decref(g);
	json_decref(ge);
	stop(f);
}

static void udp_throughput_is_not_tunneled(void **state)
{
	(void)state;
	struct fixture *f = start("tunneled", NULL);
	json_t *p;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(5, "udp"), &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "invalid_params");
	assert_string_equal(json_string_value(json_object_get(p, "limit")), "protocol");
	assert_true(json_is_null(json_object_get(p, "retry_after_sec")));
	json_decref(p);
	int rc;
	json_t *r = paramedic_throughput(f, "--duration 1 --udp", &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(json_string_value(json_object_get(r, "result")), "denied");
	assert_string_equal(json_string_value(json_object_get(r, "reason")), "invalid_params");
	json_decref(r);
	stop(f);
}

/* Seed 5.3: max_bytes_per_day_per_peer = 10 MB; two 5 MB transfers
 * (iperf3's 5M: 5 MiB), then quota_exceeded (audited as "daily byte quota
 * exceeded"). */
static void quota_exhaustion_with_real_transfers(void **state)
{
	(void)state;
	struct fixture *f = start("direct_ephemeral",
	                          "[quotas]\nmax_bytes_per_day_per_peer = 10000000\ncooldown_sec = 0\n");
	char out[256];
	for (int i = 0; i < 2; i++) {
		json_t *g;
		assert_string_equal(rproc_request(f->l, "session_request", throughput_req(10, "tcp"), &g), "session_grant");
		int port = (int)json_integer_value(json_object_get(g, "port"));
		assert_int_equal(run_capture(out, sizeof(out), "iperf3 -c 127.0.0.1 -p %d -n 5M -b 40M -J >/dev/null", port), 0);
		struct pid_arg a = {child_iperf3(&f->r)};
		wait_until(pid_gone, &a, 10000); /* its report is in before the close */
		assert_string_equal(close_session(f, g), "ok");
		json_decref(g);
	}
	json_t *p;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(10, "tcp"), &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "quota_exceeded");
	assert_string_equal(json_string_value(json_object_get(p, "limit")), "max_bytes_per_day_per_peer");
	assert_true(json_integer_value(json_object_get(p, "current")) >= 10000000);
	json_decref(p);
	assert_int_equal(rproc_audit_count(&f->r, "session_denied", f->alice.id, "daily byte quota exceeded"), 1);
	stop(f);
}

static void tunneled_relay_cuts_the_test_at_the_daily_budget(void **state)
{
	(void)state;
	const json_int_t budget = 8000000;
	struct fixture *f = start("tunneled", "[quotas]\nmax_bytes_per_day_per_peer = 8000000\ncooldown_sec = 0\n");
	/* paramedic fails, and says why rather than only "iperf3 failed". */
	static char out[1 << 17];
	int rc = run_capture(out, sizeof(out), "%s --data-dir %s throughput 127.0.0.1:%s --duration 5 --streams 2",
	                     getenv("PARAMEDIC_BIN"), f->pm_dir, f->r.port);
	assert_int_not_equal(rc, 0);
	if (strstr(out, "daily byte budget there ran out (8000000 bytes were left today") == NULL)
		fail_msg("paramedic does not explain the cut: %s", out);
	/* The relay stopped the streams at the budget: what was charged is the
	 * budget plus at most what was in flight in one read per stream. */
	json_int_t charged = last_completed_bytes(&f->r);
	assert_true(charged >= budget);
	assert_true(charged < budget + 8 * 1024 * 1024);
	assert_true(log_has(&f->r, "daily byte budget"));
	json_t *p;
	assert_string_equal(rproc_request(f->l, "session_request", throughput_req(5, "tcp"), &p), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "quota_exceeded");
	json_decref(p);
	assert_int_equal(child_iperf3(&f->r), 0);
	stop(f);
}

int main(void)
{
	if (system("command -v iperf3 >/dev/null 2>&1") != 0) {
		fprintf(stderr, "iperf3 is not installed: skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(row29_iperf3_server_starts),
		cmocka_unit_test(row29_tunneled_iperf3_listens_on_loopback_only),
		cmocka_unit_test(row30_iperf3_one_off_exits_after_test),
		cmocka_unit_test(row31_iperf3_killed_on_timeout),
		cmocka_unit_test(shutdown_leaves_no_iperf3),
		cmocka_unit_test(paramedic_throughput_in_both_modes),
		cmocka_unit_test(direct_iperf3_authenticated_serves_only_the_grant_holder),
		cmocka_unit_test(tunnel_attach_refusals),
		cmocka_unit_test(udp_throughput_is_not_tunneled),
		cmocka_unit_test(quota_exhaustion_with_real_transfers),
		cmocka_unit_test(tunneled_relay_cuts_the_test_at_the_daily_budget),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
