/* iperf3: supervision of `iperf3 -s --one-off -J` processes (see iperf3.h). */
#include "reflector/iperf3.h"

#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "lib/log.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define READ_CHUNK_BYTES 65536
#define PROC_NET_MAX_BYTES (4u * 1024 * 1024)

struct iperf3_proc {
	struct evloop *loop;
	pid_t pid;
	uint16_t port;
	int out_fd;
	struct event *out_ev;
	struct evloop_timer *kill_timer;
	char *report;
	size_t report_len;
	bool truncated;
	bool eof, reaped;
	int wait_status;
	bool stopped, killed;
	iperf3_done_fn done;
	void *arg;
	struct iperf3_proc *next;
};

/* Every process we started and have not reaped yet. One SIGCHLD event
 * serves them all; it exists while the list is not empty. */
static struct {
	struct iperf3_proc *head;
	unsigned count;
	struct event *sigchld;
} g;

static void unlink_proc(struct iperf3_proc *p)
{
	for (struct iperf3_proc **pp = &g.head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			g.count--;
			break;
		}
	if (g.head == NULL && g.sigchld != NULL) {
		event_free(g.sigchld);
		g.sigchld = NULL;
	}
}

static void free_proc(struct iperf3_proc *p)
{
	unlink_proc(p);
	if (p->out_ev != NULL)
		event_free(p->out_ev);
	if (p->out_fd >= 0)
		close(p->out_fd);
	evloop_timer_free(p->kill_timer);
	free(p->report);
	free(p);
}

/* Reads what the pipe holds now; marks EOF. */
static void drain_pipe(struct iperf3_proc *p)
{
	while (!p->eof) {
		if (p->report_len == IPERF3_MAX_REPORT_BYTES) {
			char sink[READ_CHUNK_BYTES]; /* keep the child from blocking */
			ssize_t n = read(p->out_fd, sink, sizeof(sink));
			if (n > 0) {
				p->truncated = true;
				continue;
			}
			if (n == 0 || (errno != EINTR && errno != EAGAIN))
				p->eof = true;
			if (n < 0 && errno == EINTR)
				continue;
			return;
		}
		size_t room = IPERF3_MAX_REPORT_BYTES - p->report_len;
		if (room > READ_CHUNK_BYTES)
			room = READ_CHUNK_BYTES;
		char *grown = realloc(p->report, p->report_len + room);
		if (grown == NULL) {
			p->eof = true; /* give up on the report, not on the process */
			return;
		}
		p->report = grown;
		ssize_t n = read(p->out_fd, p->report + p->report_len, room);
		if (n > 0) {
			p->report_len += (size_t)n;
		} else if (n == 0) {
			p->eof = true;
		} else if (errno == EINTR) {
			continue;
		} else {
			if (errno != EAGAIN)
				p->eof = true;
			return;
		}
	}
}

static void finish(struct iperf3_proc *p)
{
	struct iperf3_result r = {.pid = p->pid, .stopped = p->stopped, .killed = p->killed};
	if (WIFEXITED(p->wait_status)) {
		r.exited = true;
		r.exit_code = WEXITSTATUS(p->wait_status);
	} else if (WIFSIGNALED(p->wait_status)) {
		r.signal = WTERMSIG(p->wait_status);
	}
	char err[ERRBUF_LEN];
	if (p->report_len == 0)
		snprintf(r.error, sizeof(r.error), "no report on its stdout");
	else if (iperf3_report_bytes(p->report, p->report_len, &r.bytes, r.error, sizeof(r.error), err) == 0)
		r.have_bytes = true;
	else if (r.error[0] == '\0')
		snprintf(r.error, sizeof(r.error), "%s%s", err, p->truncated ? " (report truncated)" : "");
	iperf3_done_fn done = p->done;
	void *arg = p->arg;
	free_proc(p);
	if (done != NULL)
		done(&r, arg);
}

static void maybe_finish(struct iperf3_proc *p)
{
	if (!p->reaped)
		return;
	/* The child is gone: what the pipe holds is all there is (a pipe kept
	 * open by someone else does not hold the report back). */
	if (!p->eof)
		drain_pipe(p);
	finish(p);
}

/* Non-blocking reap of one process; true when it is gone. */
static bool try_reap(struct iperf3_proc *p)
{
	if (p->reaped)
		return true;
	int st;
	pid_t r;
	do
		r = waitpid(p->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->reaped = true;
		p->wait_status = r == p->pid ? st : 0;
		evloop_timer_disarm(p->kill_timer);
	}
	return p->reaped;
}

static void sigchld_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	struct iperf3_proc *p = g.head;
	while (p != NULL) {
		struct iperf3_proc *next = p->next;
		if (try_reap(p))
			maybe_finish(p);
		p = next;
	}
}

static void out_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct iperf3_proc *p = arg;
	drain_pipe(p);
	if (p->eof) {
		event_del(p->out_ev);
		/* Closing stdout usually means exiting: look now rather than wait
		 * for SIGCHLD, which may already have been consumed. */
		if (try_reap(p))
			maybe_finish(p);
	}
}

static void kill_cb(void *arg)
{
	struct iperf3_proc *p = arg;
	if (try_reap(p)) {
		maybe_finish(p);
		return;
	}
	log_warn("iperf3 (pid %d, port %u) still running %d ms after SIGTERM: SIGKILL", (int)p->pid,
	         p->port, IPERF3_KILL_AFTER_MS);
	p->killed = true;
	kill(p->pid, SIGKILL);
}

static int spawn_child(const char *path, char *const argv[], int out_fd, pid_t *pid, char *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	/* The daemon ignores SIGPIPE and handles TERM/INT/HUP/CHLD through the
	 * loop: the child starts with the defaults and no blocked signals. */
	sigset_t def, none;
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGCHLD);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setsigmask(&attr, &none);
	/* Its own process group: a Ctrl-C meant for the reflector's terminal
	 * does not end a test behind the reflector's back. */
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
	int rc = strchr(path, '/') != NULL ? posix_spawn(pid, path, &fa, &attr, argv, environ)
	                                   : posix_spawnp(pid, path, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0)
		return errbuf_set(err, "failed to spawn iperf3 (%s): %s", path, strerror(rc));
	return 0;
}

struct iperf3_proc *iperf3_spawn(struct evloop *loop, const char *path, const char *bind_addr,
                                 uint16_t port, const struct iperf3_server_auth *auth,
                                 iperf3_done_fn done, void *arg, char *err)
{
	struct iperf3_proc *p = calloc(1, sizeof(*p));
	int fds[2] = {-1, -1};
	if (p == NULL) {
		errbuf_set(err, "out of memory");
		return NULL;
	}
	p->loop = loop;
	p->port = port;
	p->out_fd = -1;
	p->done = done;
	p->arg = arg;
	struct event_base *base = evloop_base(loop);
	/* SIGCHLD is watched before the child exists, so its exit is never
	 * missed. */
	if (g.sigchld == NULL) {
		g.sigchld = evsignal_new(base, SIGCHLD, sigchld_cb, NULL);
		if (g.sigchld == NULL || event_add(g.sigchld, NULL) != 0) {
			if (g.sigchld != NULL)
				event_free(g.sigchld);
			g.sigchld = NULL;
			errbuf_set(err, "cannot watch SIGCHLD");
			free(p);
			return NULL;
		}
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		errbuf_errno(err, "iperf3 on port %u: pipe", port);
		goto fail;
	}
	char port_text[8];
	snprintf(port_text, sizeof(port_text), "%u", port);
	char *argv[16];
	int n = 0;
	argv[n++] = (char *)path;
	argv[n++] = "-s";
	argv[n++] = "--one-off";
	argv[n++] = "-J";
	argv[n++] = "-p";
	argv[n++] = port_text;
	if (bind_addr != NULL && bind_addr[0] != '\0') {
		argv[n++] = "-B";
		argv[n++] = (char *)bind_addr;
	}
	char skew[16];
	if (auth != NULL) {
		snprintf(skew, sizeof(skew), "%d", auth->time_skew_sec);
		argv[n++] = "--rsa-private-key-path";
		argv[n++] = (char *)auth->private_key_path;
		argv[n++] = "--authorized-users-path";
		argv[n++] = (char *)auth->users_path;
		argv[n++] = "--time-skew-threshold";
		argv[n++] = skew;
	}
	argv[n] = NULL;
	if (spawn_child(path, argv, fds[1], &p->pid, err) != 0)
		goto fail;
	close(fds[1]);
	fds[1] = -1;
	p->out_fd = fds[0];
	fcntl(p->out_fd, F_SETFL, fcntl(p->out_fd, F_GETFL) | O_NONBLOCK);
	p->next = g.head;
	g.head = p;
	g.count++;
	p->out_ev = event_new(base, p->out_fd, EV_READ | EV_PERSIST, out_cb, p);
	p->kill_timer = evloop_timer_new(loop, kill_cb, p);
	if (p->out_ev == NULL || p->kill_timer == NULL || event_add(p->out_ev, NULL) != 0) {
		/* Cannot watch it: do not leave it running unwatched. */
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		free_proc(p);
		errbuf_set(err, "iperf3 on port %u: cannot watch its output", port);
		return NULL;
	}
	log_info("iperf3 started: pid %d, port %u%s%s", (int)p->pid, port, bind_addr && *bind_addr ? ", bound to " : "",
	         bind_addr && *bind_addr ? bind_addr : "");
	return p;
fail:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (g.head == NULL && g.sigchld != NULL) {
		event_free(g.sigchld);
		g.sigchld = NULL;
	}
	free(p);
	return NULL;
}

pid_t iperf3_pid(const struct iperf3_proc *p)
{
	return p->pid;
}

void iperf3_stop(struct iperf3_proc *p)
{
	if (p == NULL || p->stopped || p->reaped)
		return;
	p->stopped = true;
	kill(p->pid, SIGTERM);
	evloop_timer_arm_ms(p->kill_timer, IPERF3_KILL_AFTER_MS);
}

void iperf3_detach(struct iperf3_proc *p)
{
	if (p != NULL) {
		p->done = NULL;
		p->arg = NULL;
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool file_has(const char *path, uint16_t port, bool listener)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	char *text = malloc(PROC_NET_MAX_BYTES);
	bool found = false;
	if (text != NULL) {
		size_t len = fread(text, 1, PROC_NET_MAX_BYTES, f);
		found = listener ? iperf3_proc_net_listening(text, len, port) : iperf3_proc_net_connected(text, len, port);
	}
	free(text);
	fclose(f);
	return found;
}

int iperf3_wait_listening(struct iperf3_proc *p, uint16_t port, int timeout_ms, char *err)
{
	for (int waited = 0;; waited += 5) {
		if (file_has("/proc/net/tcp", port, true) || file_has("/proc/net/tcp6", port, true))
			return 0;
		int st;
		if (!p->reaped && waitpid(p->pid, &st, WNOHANG) == p->pid) {
			p->reaped = true;
			p->wait_status = st;
		}
		if (p->reaped)
			return errbuf_set(err, "iperf3 exited with code %d before listening on port %u",
			                  WIFEXITED(p->wait_status) ? WEXITSTATUS(p->wait_status) : -1, port);
		if (waited >= timeout_ms)
			return errbuf_set(err, "iperf3 (pid %d) is not listening on port %u after %d ms",
			                  (int)p->pid, port, timeout_ms);
		sleep_ms(5);
	}
}

bool iperf3_finish_if_tested(struct iperf3_proc *p, uint16_t port, int timeout_ms)
{
	if (p->stopped || (!file_has("/proc/net/tcp", port, false) && !file_has("/proc/net/tcp6", port, false)))
		return false;
	for (int waited = 0; waited <= timeout_ms; waited += 5) {
		drain_pipe(p);
		if (try_reap(p)) {
			maybe_finish(p); /* the callback runs, then p is freed */
			return true;
		}
		sleep_ms(5);
	}
	return false;
}

void iperf3_shutdown(void)
{
	for (struct iperf3_proc *p = g.head; p != NULL; p = p->next)
		if (!p->reaped && !p->stopped) {
			p->stopped = true;
			kill(p->pid, SIGTERM);
		}
	for (int waited = 0; g.head != NULL && waited < IPERF3_KILL_AFTER_MS; waited += 10) {
		bool all = true;
		for (struct iperf3_proc *p = g.head; p != NULL; p = p->next)
			all = try_reap(p) && all;
		if (all)
			break;
		sleep_ms(10);
	}
	while (g.head != NULL) {
		struct iperf3_proc *p = g.head;
		if (!try_reap(p)) {
			log_warn("iperf3 (pid %d, port %u) ignored SIGTERM: SIGKILL", (int)p->pid, p->port);
			kill(p->pid, SIGKILL);
			waitpid(p->pid, NULL, 0);
		}
		log_info("iperf3 (pid %d, port %u) stopped at shutdown", (int)p->pid, p->port);
		free_proc(p);
	}
}

unsigned iperf3_live_count(void)
{
	return g.count;
}
