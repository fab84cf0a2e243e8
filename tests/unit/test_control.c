/* control: the control socket's two ends, over a real unix socket. */
#include "cmocka_all.h"

#include "lib/errbuf.h"
#include "lib/evloop.h"
#include "reflector/control.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char dir[64], path[100];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pp-control-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	control_socket_path(dir, path, sizeof(path));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static json_t *echo_handler(void *ctx, const json_t *request)
{
	int *calls = ctx;
	(*calls)++;
	const char *cmd = json_string_value(json_object_get(request, "cmd"));
	if (strcmp(cmd, "fail") == 0)
		return control_error("asked to fail (%d)", *calls);
	return json_pack("{s:b, s:s}", "ok", 1, "echo", cmd);
}

struct client_job {
	const char *cmd;
	json_t *response;
	char err[ERRBUF_LEN];
	struct evloop *loop;
	int done; /* written by the client thread, read by the loop (atomics) */
};

/* libevent is not told about threads here: the loop polls the flag. */
static void stop_when_done(void *arg)
{
	struct client_job *job = arg;
	if (__atomic_load_n(&job->done, __ATOMIC_SEQ_CST))
		evloop_stop(job->loop);
}

static void *client_thread(void *arg)
{
	struct client_job *job = arg;
	int not_running;
	job->response = control_call(path, json_pack("{s:s}", "cmd", job->cmd), 5000, &not_running, job->err);
	__atomic_store_n(&job->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static json_t *call_through_loop(struct evloop *loop, const char *cmd)
{
	static struct client_job job;
	memset(&job, 0, sizeof(job));
	job.cmd = cmd;
	job.loop = loop;
	evloop_add_periodic(loop, "test-done", 10, stop_when_done, &job, NULL);
	pthread_t th;
	pthread_create(&th, NULL, client_thread, &job);
	evloop_run(loop);
	pthread_join(th, NULL);
	return job.response;
}

static void request_and_answer_round_trip(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	int calls = 0;
	struct evloop *loop = evloop_new(err);
	struct control_server *cs = control_server_start(loop, path, echo_handler, &calls, err);
	assert_non_null(cs);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	json_t *r = call_through_loop(loop, "status");
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "echo")), "status");
	json_decref(r);
	r = call_through_loop(loop, "fail");
	assert_false(json_is_true(json_object_get(r, "ok")));
	assert_string_equal(json_string_value(json_object_get(r, "error")), "asked to fail (2)");
	json_decref(r);

	/* A second server on the same path is refused while this one lives. */
	assert_null(control_server_start(loop, path, echo_handler, &calls, err));
	assert_non_null(strstr(err, "another reflector is running"));
	control_server_stop(cs);
	assert_int_not_equal(access(path, F_OK), 0);
	evloop_free(loop);
}

static void nobody_listening_is_reported_as_not_running(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	int not_running = 0;
	assert_null(control_call(path, json_pack("{s:s}", "cmd", "status"), 1000, &not_running, err));
	assert_int_equal(not_running, 1);
	assert_non_null(strstr(err, path));
}

static void stale_socket_file_is_replaced(void **state)
{
	(void)state;
	char err[ERRBUF_LEN];
	int calls = 0;
	/* What a crash leaves: a socket file nobody listens on. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(access(path, F_OK), 0);
	struct evloop *loop = evloop_new(err);
	struct control_server *cs = control_server_start(loop, path, echo_handler, &calls, err);
	assert_non_null(cs);
	json_t *r = call_through_loop(loop, "status");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	control_server_stop(cs);
	evloop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(request_and_answer_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(nobody_listening_is_reported_as_not_running, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_socket_file_is_replaced, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
