#include "rproc.h"

#include "lib/errbuf.h"
#include "lib/fsutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* 1 when port is free on 127.0.0.1 for a socket of this type. */
static int port_free(int type, int port)
{
	int fd = socket(AF_INET, type, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* The first of n consecutive ports free for TCP and UDP, for a test's
 * servers. Chosen below the kernel's ephemeral range (32768 and up), so the
 * source port of some other test's outgoing connection cannot take one
 * between this check and the server's bind. */
static int free_ports(int n)
{
	static unsigned seed;
	if (seed == 0)
		seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
	for (;;) {
		int base = 20000 + (int)(rand_r(&seed) % (12000 - (unsigned)n)), ok = 1;
		for (int p = base; p < base + n && ok; p++)
			ok = port_free(SOCK_STREAM, p) && port_free(SOCK_DGRAM, p);
		if (ok)
			return base;
	}
}

static int free_port(void)
{
	return free_ports(1);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

int wait_until(int (*fn)(void *arg), void *arg, int timeout_ms)
{
	int v = 0;
	for (int waited = 0; waited <= timeout_ms; waited += 20) {
		if ((v = fn(arg)) != 0)
			return v;
		sleep_ms(20);
	}
	return v;
}

int rproc_write_config(struct rproc *r, const char *network_lines, const char *extra_toml)
{
	char text[16384];
	snprintf(text, sizeof(text),
	         "[identity]\nprivate_key_path = \"%s/identity.ed25519\"\n\n"
	         "[network]\nlisten_address = \"127.0.0.1:%s\"\n"
	         "data_port_range_start = %d\ndata_port_range_end = %d\n%s\n\n%s\n",
	         r->data_dir, r->port, r->data_port_start, r->data_port_start + 9,
	         network_lines ? network_lines : "", extra_toml ? extra_toml : "");
	return fsutil_write_atomic(r->config_path, text, strlen(text), 0600, NULL);
}

int rproc_setup(struct rproc *r, const char *network_lines, const char *extra_toml)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/pp-itest-XXXXXX");
	if (mkdtemp(r->dir) == NULL)
		return -1;
	snprintf(r->data_dir, sizeof(r->data_dir), "%s/data", r->dir);
	snprintf(r->config_path, sizeof(r->config_path), "%s/reflector.toml", r->dir);
	snprintf(r->audit_path, sizeof(r->audit_path), "%s/audit.jsonl", r->data_dir);
	snprintf(r->log_path, sizeof(r->log_path), "%s/server.log", r->dir);
	snprintf(r->port, sizeof(r->port), "%d", free_port());
	/* A data port of this test's own (free now, for TCP and UDP alike in
	 * practice), so parallel tests never share one. */
	r->data_port_start = free_ports(10);
	return rproc_write_config(r, network_lines, extra_toml);
}

/* Reflectors still running when the test program exits (a failed
 * assertion skips the test's cleanup): stopped at exit, never leaked. */
#define RPROC_MAX_LIVE 64
static pid_t live_pids[RPROC_MAX_LIVE];

static void kill_leftovers(void)
{
	for (int i = 0; i < RPROC_MAX_LIVE; i++)
		if (live_pids[i] > 0) {
			kill(live_pids[i], SIGKILL);
			waitpid(live_pids[i], NULL, 0);
		}
}

static void track(pid_t pid, pid_t replace)
{
	static int registered;
	if (!registered++)
		atexit(kill_leftovers);
	for (int i = 0; i < RPROC_MAX_LIVE; i++)
		if (live_pids[i] == replace) {
			live_pids[i] = pid;
			return;
		}
}

static int port_open(void *arg)
{
	struct rproc *r = arg;
	if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
		track(0, r->pid); /* reaped: its pid may be reused */
		r->pid = 0;
		return -1; /* died */
	}
	/* The control socket is created after the TLS listener is bound, so
	 * its presence means "ready" without a probe connection (which the
	 * reflector would rightly audit as a failed handshake). */
	char sock[400];
	snprintf(sock, sizeof(sock), "%s/control.sock", r->data_dir);
	return access(sock, F_OK) == 0;
}

int rproc_start(struct rproc *r)
{
	const char *bin = getenv("REFLECTOR_BIN");
	if (bin == NULL)
		return -1;
	r->pid = fork();
	if (r->pid < 0)
		return -1;
	if (r->pid == 0) {
		int fd = open(r->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "-c", r->config_path, "serve", (char *)NULL);
		_exit(127);
	}
	track(r->pid, 0);
	/* Generous: sanitizer builds on a loaded machine start slowly. */
	if (wait_until(port_open, r, 20000) != 1) {
		char log[4096] = "";
		run_capture(log, sizeof(log), "cat %s", r->log_path);
		fprintf(stderr, "reflector did not start:\n%s\n", log);
		return -1;
	}
	char out[256];
	if (rproc_cli(r, out, sizeof(out), "show-id") == 0)
		sscanf(out, "%79s", r->endpoint_id);
	return 0;
}

int rproc_stop(struct rproc *r)
{
	if (r->pid <= 0)
		return -1;
	kill(r->pid, SIGTERM);
	track(0, r->pid);
	int status = 0;
	for (int i = 0; i < 500; i++) {
		if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
			r->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		sleep_ms(20);
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &status, 0);
	r->pid = 0;
	return -1;
}

void rproc_cleanup(struct rproc *r)
{
	if (r->pid > 0)
		rproc_stop(r);
	if (r->dir[0] && getenv("PP_KEEP_TEST_DIRS") == NULL) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", r->dir);
	}
}

__attribute__((format(printf, 3, 0)))
static int vrun_capture(char *out, size_t outlen, const char *fmt, va_list ap)
{
	char cmd[8192];
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	strcat(cmd, " 2>&1");
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	size_t n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	while (fgetc(p) != EOF) /* drain what did not fit */
		;
	int status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_capture(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vrun_capture(out, outlen, fmt, ap);
	va_end(ap);
	return rc;
}

int rproc_cli(struct rproc *r, char *out, size_t outlen, const char *fmt, ...)
{
	char args[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return run_capture(out, outlen, "%s -c %s %s", getenv("REFLECTOR_BIN"), r->config_path, args);
}

json_t *rproc_audit(const struct rproc *r)
{
	FILE *f = fopen(r->audit_path, "r");
	if (f == NULL)
		return NULL;
	json_t *lines = json_array();
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_error_t jerr;
		json_t *obj = json_loads(line, 0, &jerr);
		/* A line that is not JSON shows up as null for the validity test. */
		json_array_append_new(lines, obj != NULL ? obj : json_null());
	}
	free(line);
	fclose(f);
	return lines;
}

int rproc_audit_count(const struct rproc *r, const char *event_type, const char *peer_id,
                      const char *reason)
{
	json_t *lines = rproc_audit(r);
	int n = 0;
	size_t i;
	json_t *e;
	json_array_foreach(lines, i, e) {
		const char *t = json_string_value(json_object_get(e, "event_type"));
		const char *p = json_string_value(json_object_get(e, "peer_id"));
		const char *why = json_string_value(json_object_get(e, "reason"));
		if (t == NULL || strcmp(t, event_type) != 0)
			continue;
		if (peer_id != NULL && (p == NULL || strcmp(p, peer_id) != 0))
			continue;
		if (reason != NULL && (why == NULL || strcmp(why, reason) != 0))
			continue;
		json_t *count = json_object_get(e, "count");
		n += json_is_integer(count) ? (int)json_integer_value(count) : 1;
	}
	json_decref(lines);
	return n;
}

int rproc_client(struct rproc *r, const char *name, struct identity *out)
{
	char path[512], err[ERRBUF_LEN];
	snprintf(path, sizeof(path), "%s/clients/%s.key", r->dir, name);
	if (identity_load_or_create(path, out, NULL, err) != 0) {
		fprintf(stderr, "client identity: %s\n", err);
		return -1;
	}
	return 0;
}

struct link *rproc_connect(struct rproc *r, const struct identity *id, char *err)
{
	return link_connect("127.0.0.1", r->port, id, NULL, 10000, err);
}

int rproc_pair_token(struct rproc *r, const char *ttl, char *token, size_t tokenlen)
{
	char out[4096];
	if (rproc_cli(r, out, sizeof(out), "--json pair --ttl %s 2>/dev/null", ttl) != 0)
		return -1;
	json_error_t jerr;
	json_t *j = json_loads(out, 0, &jerr);
	const char *t = json_string_value(json_object_get(j, "token"));
	int rc = -1;
	if (t != NULL) {
		snprintf(token, tokenlen, "%s", t);
		rc = 0;
	}
	json_decref(j);
	return rc;
}

const char *rproc_request(struct link *l, const char *type, json_t *fields, json_t **payload_out)
{
	static char got[64];
	char err[ERRBUF_LEN];
	json_t *res = link_request(l, type, fields, 10000, err);
	json_t *payload = json_object_get(res, "payload");
	const char *t = json_string_value(json_object_get(payload, "type"));
	snprintf(got, sizeof(got), "%s", t != NULL ? t : (res == NULL ? "(no answer)" : "(no type)"));
	if (payload_out != NULL)
		*payload_out = json_incref(payload);
	json_decref(res);
	return got;
}

int rproc_setup_with_client(struct rproc *r, struct identity *client, const char *network_lines,
                            const char *extra_toml)
{
	if (rproc_setup(r, network_lines, NULL) != 0 || rproc_client(r, "alice", client) != 0)
		return -1;
	char extra[8192];
	snprintf(extra, sizeof(extra), "[access]\nauthorized_peers = [\"%s\"]\n\n%s\n", client->id,
	         extra_toml ? extra_toml : "");
	return rproc_write_config(r, network_lines, extra);
}
