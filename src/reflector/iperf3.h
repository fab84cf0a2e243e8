/*
 * iperf3: supervision of one `iperf3 -s --one-off -J` server process.
 *
 * Started with posix_spawn from the event loop (never blocking it for
 * long): its stdout, the JSON report, is read through a pipe into a buffer
 * of bounded size; SIGCHLD wakes a waitpid(pid, WNOHANG) for each process
 * we started (only ours: other children's statuses are not stolen), so no
 * zombie is left. Stopping is SIGTERM, then SIGKILL when it has not exited
 * 2 s later. When the process has exited and its stdout is drained, the
 * owner's callback gets how it ended and the bytes from its report.
 *
 * A stopped process may outlive its session: the object stays until the
 * child is reaped, and iperf3_shutdown() reaps the rest synchronously when
 * the daemon stops (no process is left behind).
 */
#ifndef PP_REFLECTOR_IPERF3_H
#define PP_REFLECTOR_IPERF3_H

#include "lib/errbuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct evloop;
struct iperf3_proc;

/* The stop sequence: SIGTERM, then SIGKILL after this long. */
#define IPERF3_KILL_AFTER_MS 2000
/* The JSON report is read up to this size; beyond it the rest is discarded
 * (30 s with intervals and 128 streams stays well below). */
#define IPERF3_MAX_REPORT_BYTES (4u * 1024 * 1024)

/* How the process ended. */
struct iperf3_result {
	pid_t pid;
	bool exited;         /* exited on its own (exit_code valid) */
	int exit_code;
	int signal;          /* the signal that killed it (0 if it exited) */
	bool stopped;        /* we asked it to stop (SIGTERM was sent) */
	bool killed;         /* ... and it needed SIGKILL */
	bool have_bytes;     /* the report held byte counts */
	uint64_t bytes;      /* end.sum_sent.bytes + end.sum_received.bytes */
	char error[ERRBUF_LEN + 32]; /* iperf3's "error" member, or why the report was unreadable */
};

/* Called once, from the loop, when the child is reaped and its stdout is
 * drained. The object is freed right after the callback returns. */
typedef void (*iperf3_done_fn)(const struct iperf3_result *r, void *arg);

/* iperf3's RSA authentication (iperf3_auth.h): the server runs a test only
 * for a client with a user and password of users_path. */
struct iperf3_server_auth {
	const char *private_key_path;
	const char *users_path;
	int time_skew_sec;
};

/*
 * Starts `path -s --one-off -J -p port [-B bind_addr]` (bind_addr NULL or ""
 * = all addresses), with iperf3's authentication when auth is not NULL.
 * Returns NULL and fills err ("failed to spawn iperf3 (path): No such file
 * or directory") on failure.
 */
struct iperf3_proc *iperf3_spawn(struct evloop *loop, const char *path, const char *bind_addr,
                                 uint16_t port, const struct iperf3_server_auth *auth,
                                 iperf3_done_fn done, void *arg, char *err);

pid_t iperf3_pid(const struct iperf3_proc *p);

/* SIGTERM now, SIGKILL after IPERF3_KILL_AFTER_MS if still alive. The done
 * callback still comes (with stopped set). Idempotent. */
void iperf3_stop(struct iperf3_proc *p);

/* Forgets the owner: the callback will not be called (the process is still
 * stopped and reaped). Use when the owner goes away first. */
void iperf3_detach(struct iperf3_proc *p);

/* Blocks until a TCP socket listens on port (any local address), reading
 * /proc/net/tcp and tcp6, for at most timeout_ms; gives up early if the
 * process has exited. 0 when listening, -1 and err otherwise. */
int iperf3_wait_listening(struct iperf3_proc *p, uint16_t port, int timeout_ms, char *err);

/* When a test has run on port (a connection to it exists in any state),
 * waits up to timeout_ms, blocking, for the one-off process to exit by
 * itself and report; its done callback then runs before this returns.
 * Returns true when it did. For a session closed right after its test, so
 * that the report's bytes are the session's. */
bool iperf3_finish_if_tested(struct iperf3_proc *p, uint16_t port, int timeout_ms);

/* Kills (SIGTERM, then SIGKILL after IPERF3_KILL_AFTER_MS) and reaps every
 * process still supervised, blocking; frees them without callbacks. For the
 * daemon's exit, before its loop is freed. */
void iperf3_shutdown(void);

/* Number of processes still supervised (started and not yet reaped). */
unsigned iperf3_live_count(void);

/* ---- pure parsers (untrusted: a process's output, /proc text) ---- */

/* The bytes of an iperf3 -J report (len bytes, need not be NUL-terminated):
 * end.sum_sent.bytes + end.sum_received.bytes, the server's own counts of
 * what it sent and received (one of them is 0 except in --bidir). For a
 * UDP test end.sum_received/sum_sent are used the same way; a report with
 * no end sums (stopped mid-test) counts its intervals' sums. Also copies
 * the top-level "error" string when there is one. Returns 0 with *bytes
 * set, or -1 with err (not JSON, no end section: e.g. killed before the
 * test, or an error report). */
int iperf3_report_bytes(const char *text, size_t len, uint64_t *bytes, char *error_out,
                        size_t error_len, char *err);

/* True when a /proc/net/tcp or tcp6 text (len bytes) has a socket in the
 * LISTEN state (0A) on local port. */
bool iperf3_proc_net_listening(const char *text, size_t len, uint16_t port);

/* True when it has a socket in any state but LISTEN whose local or remote
 * port is port: a client has connected (established, closing, TIME_WAIT;
 * the remote port covers a client on this host). */
bool iperf3_proc_net_connected(const char *text, size_t len, uint16_t port);

#endif
