/* iperf3: the report and /proc parsers, and the supervision of real
 * processes (fake iperf3 scripts, and the real iperf3 on loopback). */
#include "cmocka_all.h"

#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "reflector/iperf3.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the report ---- */

static int bytes_of(const char *text, uint64_t *bytes, char *error_out)
{
	char err[ERRBUF_LEN];
	char error[256];
	int rc = iperf3_report_bytes(text, strlen(text), bytes, error_out ? error_out : error, 256, err);
	return rc;
}

static void report_bytes_of_each_direction(void **state)
{
	(void)state;
	uint64_t b = 0;
	/* As iperf3 3.12's server writes them: upload, reverse, UDP. */
	assert_int_equal(bytes_of("{\"start\":{},\"end\":{\"sum_sent\":{\"bytes\":0,\"sender\":false},"
	                          "\"sum_received\":{\"bytes\":1440350208,\"sender\":false}}}", &b, NULL), 0);
	assert_int_equal(b, 1440350208u);
	assert_int_equal(bytes_of("{\"end\":{\"sum_sent\":{\"bytes\":2022440960,\"retransmits\":6},"
	                          "\"sum_received\":{\"bytes\":0}}}", &b, NULL), 0);
	assert_int_equal(b, 2022440960u);
	assert_int_equal(bytes_of("{\"end\":{\"sum\":{\"bytes\":1277952,\"jitter_ms\":0.02}}}", &b, NULL), 0);
	assert_int_equal(b, 1277952u);
	/* Interrupted before the end sums: the intervals. */
	assert_int_equal(bytes_of("{\"intervals\":[{\"sum\":{\"bytes\":1000}},{\"sum\":{\"bytes\":277952}},{\"x\":1}],"
	                          "\"end\":{},\"error\":\"interrupt - the server has terminated\"}", &b, NULL), 0);
	assert_int_equal(b, 278952u);
	/* --bidir: both counts. Reals (older versions) are accepted. */
	assert_int_equal(bytes_of("{\"end\":{\"sum_sent\":{\"bytes\":10},\"sum_received\":{\"bytes\":5.0}}}", &b, NULL), 0);
	assert_int_equal(b, 15u);
}

static void report_errors_are_refused_with_the_reason(void **state)
{
	(void)state;
	uint64_t b = 77;
	char error[256];
	assert_int_equal(bytes_of("{\"start\":{},\"intervals\":[],\"end\":{},"
	                          "\"error\":\"the client has unexpectedly closed the connection\"}",
	                          &b, error), -1);
	assert_string_equal(error, "the client has unexpectedly closed the connection");
	assert_int_equal(b, 77);
	const char *bad[] = {
		"", "not json", "[1,2]", "{\"end\":[]}", "{\"end\":{\"sum_sent\":{\"bytes\":-5}}}",
		"{\"end\":{\"sum_sent\":{\"bytes\":\"12\"}}}", "{\"end\":{\"sum_sent\":{\"bytes\":1e30}}}",
		("{\"end\":{\"sum_sent\":{\"bytes\":9223372036854775807},"
		 "\"sum_received\":{\"bytes\":9223372036854775807}}}x"), /* one string */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bytes_of(bad[i], &b, NULL), -1);
	/* iperf3 -s with authentication writes a report for each client it
	 * refused before the test's: the last one counts. */
	const char *several = "{\"start\":{},\"intervals\":[],\"end\":{},\"error\":\"error - test authorization failed\"}\n"
	                      "{\"error\":\"error - test authorization failed\"}\n"
	                      "{\"end\":{\"sum_received\":{\"bytes\":4096}}}\n";
	char why[ERRBUF_LEN];
	error[0] = 'x';
	assert_int_equal(iperf3_report_bytes(several, strlen(several), &b, error, sizeof(error), why), 0);
	assert_int_equal(b, 4096);
	assert_string_equal(error, "");
	/* Not NUL-terminated: only len bytes are read. */
	char err[ERRBUF_LEN];
	const char *t = "{\"end\":{\"sum\":{\"bytes\":3}}}GARBAGE";
	assert_int_equal(iperf3_report_bytes(t, strlen(t) - 7, &b, error, sizeof(error), err), 0);
	assert_int_equal(b, 3);
}

static void proc_net_listener_found_by_port_and_state(void **state)
{
	(void)state;
	const char *tcp =
	    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
	    "   0: 0100007F:3B71 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0\n"
	    "   1: 0100007F:0FA0 0100007F:C350 01 00000000:00000000 00:00000000 00000000 0\n";
	assert_true(iperf3_proc_net_listening(tcp, strlen(tcp), 0x3B71));
	assert_false(iperf3_proc_net_listening(tcp, strlen(tcp), 0x0FA0)); /* established, not listening */
	assert_true(iperf3_proc_net_connected(tcp, strlen(tcp), 0x0FA0));
	assert_false(iperf3_proc_net_connected(tcp, strlen(tcp), 0x3B71)); /* only a listener there */
	assert_false(iperf3_proc_net_listening(tcp, strlen(tcp), 5201));
	const char *tcp6 = "   0: 00000000000000000000000000000000:1451 00000000000000000000000000000000:0000 0A 0\n";
	assert_true(iperf3_proc_net_listening(tcp6, strlen(tcp6), 5201));
	const char *bad[] = {"", "\n\n", "0: :1451 x 0A", "   0: 0100007F:14510 00000000:0000 0A\n",
	                     "   0: 0100007F:zz51 00000000:0000 0A\n", "   0: 0100007F\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(iperf3_proc_net_listening(bad[i], strlen(bad[i]), 5201));
	/* Cut in the middle: only len bytes count. */
	assert_false(iperf3_proc_net_listening(tcp6, 40, 5201));
}

/* ---- supervision ---- */

struct run {
	struct evloop *loop;
	struct evloop_timer *guard;
	bool done;
	struct iperf3_result r;
};

static void on_done(const struct iperf3_result *r, void *arg)
{
	struct run *run = arg;
	run->done = true;
	run->r = *r;
	evloop_stop(run->loop);
}

static void on_guard(void *arg)
{
	evloop_stop(((struct run *)arg)->loop);
}

static void run_until_done(struct run *run, int max_ms)
{
	evloop_timer_arm_ms(run->guard, max_ms);
	evloop_run(run->loop);
	evloop_timer_disarm(run->guard);
}

static void run_init(struct run *run)
{
	char err[ERRBUF_LEN];
	memset(run, 0, sizeof(*run));
	run->loop = evloop_new(err);
	assert_non_null(run->loop);
	run->guard = evloop_timer_new(run->loop, on_guard, run);
}

static void run_free(struct run *run)
{
	evloop_timer_free(run->guard);
	evloop_free(run->loop);
}

/* A stand-in for iperf3: a shell script (its arguments are ignored). */
static void fake(char *path, size_t len, const char *body)
{
	snprintf(path, len, "/tmp/pp-fake-iperf3-%d-XXXXXX", (int)getpid());
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0700);
}

static bool gone(pid_t pid)
{
	/* Reaped: not our child any more, and no such process. */
	return waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD && kill(pid, 0) != 0;
}

static void report_of_a_process_that_exits(void **state)
{
	(void)state;
	struct run run;
	run_init(&run);
	char path[64], err[ERRBUF_LEN];
	fake(path, sizeof(path),
	     "echo '{\"end\":{\"sum_sent\":{\"bytes\":0},\"sum_received\":{\"bytes\":1234}}}'; exit 0");
	struct iperf3_proc *p = iperf3_spawn(run.loop, path, "127.0.0.1", 5999, NULL, on_done, &run, err);
	assert_non_null(p);
	pid_t pid = iperf3_pid(p);
	assert_int_equal(iperf3_live_count(), 1);
	run_until_done(&run, 10000);
	assert_true(run.done);
	assert_true(run.r.exited);
	assert_int_equal(run.r.exit_code, 0);
	assert_false(run.r.stopped);
	assert_true(run.r.have_bytes);
	assert_int_equal(run.r.bytes, 1234);
	assert_true(gone(pid));
	assert_int_equal(iperf3_live_count(), 0);
	unlink(path);
	run_free(&run);
}

static void stop_sends_sigterm(void **state)
{
	(void)state;
	struct run run;
	run_init(&run);
	char path[64], err[ERRBUF_LEN];
	fake(path, sizeof(path), "exec sleep 60");
	struct iperf3_proc *p = iperf3_spawn(run.loop, path, NULL, 5999, NULL, on_done, &run, err);
	assert_non_null(p);
	pid_t pid = iperf3_pid(p);
	iperf3_stop(p);
	iperf3_stop(p); /* idempotent */
	run_until_done(&run, 10000);
	assert_true(run.done);
	assert_true(run.r.stopped);
	assert_false(run.r.killed);
	assert_int_equal(run.r.signal, SIGTERM);
	assert_false(run.r.have_bytes);
	assert_true(gone(pid));
	unlink(path);
	run_free(&run);
}

static void stop_kills_a_process_that_ignores_sigterm(void **state)
{
	(void)state;
	struct run run;
	run_init(&run);
	char path[64], err[ERRBUF_LEN];
	/* An ignored signal stays ignored across exec: sleep ignores SIGTERM. */
	fake(path, sizeof(path), "trap '' TERM\nexec sleep 60");
	struct iperf3_proc *p = iperf3_spawn(run.loop, path, NULL, 5999, NULL, on_done, &run, err);
	assert_non_null(p);
	pid_t pid = iperf3_pid(p);
	usleep(200 * 1000); /* let the script install its trap */
	iperf3_stop(p);
	run_until_done(&run, 10000);
	assert_true(run.done);
	assert_true(run.r.stopped);
	assert_true(run.r.killed);
	assert_int_equal(run.r.signal, SIGKILL);
	assert_true(gone(pid));
	unlink(path);
	run_free(&run);
}

static void shutdown_reaps_without_callbacks(void **state)
{
	(void)state;
	struct run run;
	run_init(&run);
	char path[64], err[ERRBUF_LEN];
	fake(path, sizeof(path), "trap '' TERM\nexec sleep 60");
	struct iperf3_proc *a = iperf3_spawn(run.loop, path, NULL, 5999, NULL, on_done, &run, err);
	struct iperf3_proc *b = iperf3_spawn(run.loop, "/bin/sleep", NULL, 60, NULL, on_done, &run, err);
	assert_non_null(a);
	assert_non_null(b);
	pid_t pa = iperf3_pid(a), pb = iperf3_pid(b);
	usleep(200 * 1000);
	iperf3_shutdown();
	assert_false(run.done);
	assert_true(gone(pa));
	assert_true(gone(pb));
	assert_int_equal(iperf3_live_count(), 0);
	unlink(path);
	run_free(&run);
}

static void missing_binary_is_a_clear_error(void **state)
{
	(void)state;
	struct run run;
	run_init(&run);
	char err[ERRBUF_LEN];
	assert_null(iperf3_spawn(run.loop, "/nonexistent/iperf3", NULL, 5201, NULL, on_done, &run, err));
	assert_non_null(strstr(err, "failed to spawn iperf3 (/nonexistent/iperf3)"));
	assert_null(iperf3_spawn(run.loop, "no-such-iperf3-here", NULL, 5201, NULL, on_done, &run, err));
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(iperf3_live_count(), 0);
	run_free(&run);
}

static uint16_t free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void real_iperf3_one_off_reports_the_bytes_and_exits(void **state)
{
	(void)state;
	if (system("command -v iperf3 >/dev/null 2>&1") != 0)
		skip();
	struct run run;
	run_init(&run);
	char err[ERRBUF_LEN];
	uint16_t port = free_port();
	struct iperf3_proc *p = iperf3_spawn(run.loop, "iperf3", "127.0.0.1", port, NULL, on_done, &run, err);
	assert_non_null(p);
	pid_t pid = iperf3_pid(p);
	if (iperf3_wait_listening(p, port, 5000, err) != 0)
		fail_msg("%s", err);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "iperf3 -c 127.0.0.1 -p %u -t 1 -J >/dev/null", port);
	assert_int_equal(system(cmd), 0);
	run_until_done(&run, 15000);
	assert_true(run.done);
	assert_true(run.r.exited);
	assert_int_equal(run.r.exit_code, 0);
	assert_true(run.r.have_bytes);
	assert_true(run.r.bytes > 0); /* (a test shorter than ~0.1 s reports 0 on the server) */
	assert_true(gone(pid));
	run_free(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report_bytes_of_each_direction),
		cmocka_unit_test(report_errors_are_refused_with_the_reason),
		cmocka_unit_test(proc_net_listener_found_by_port_and_state),
		cmocka_unit_test(report_of_a_process_that_exits),
		cmocka_unit_test(stop_sends_sigterm),
		cmocka_unit_test(stop_kills_a_process_that_ignores_sigterm),
		cmocka_unit_test(shutdown_reaps_without_callbacks),
		cmocka_unit_test(missing_binary_is_a_clear_error),
		cmocka_unit_test(real_iperf3_one_off_reports_the_bytes_and_exits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
