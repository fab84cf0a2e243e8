/* sessions: the table, its exact expiry timers, and the one end callback. */
#include "cmocka_all.h"

#include "lib/clock.h"
#include "lib/evloop.h"
#include "reflector/sessions.h"

#include <string.h>

struct ended {
	int count;
	enum session_end last_why;
	char last_id[64];
	int64_t at_ms;
};

static void on_end(struct session *s, enum session_end why, void *ctx)
{
	struct ended *e = ctx;
	e->count++;
	e->last_why = why;
	strcpy(e->last_id, s->test_id);
	e->at_ms = clock_wall_ms();
}

static struct session make(const char *id, const char *peer, void *owner, int64_t expires_ms)
{
	struct session s = {.owner = owner, .expires_ms = expires_ms, .granted_ms = clock_wall_ms()};
	strcpy(s.test_id, id);
	strcpy(s.peer_id, peer);
	return s;
}

static void add_find_end_and_count(void **state)
{
	(void)state;
	struct evloop *loop = evloop_new(NULL);
	struct ended e = {0};
	struct sessions *t = sessions_new(loop, on_end, &e);
	int64_t later = clock_wall_ms() + 60000;
	struct session a = make("a", "PP-A", NULL, later), b = make("b", "PP-B", NULL, later);
	assert_non_null(sessions_add(t, &a));
	assert_non_null(sessions_add(t, &b));
	assert_int_equal(sessions_count(t), 2);
	struct session *found = sessions_find(t, "b");
	assert_non_null(found);
	assert_string_equal(found->peer_id, "PP-B");
	assert_null(sessions_find(t, "zzz"));
	sessions_end(found, SESSION_END_CLOSED);
	assert_int_equal(e.count, 1);
	assert_int_equal(e.last_why, SESSION_END_CLOSED);
	assert_string_equal(e.last_id, "b");
	assert_int_equal(sessions_count(t), 1);
	sessions_free(t); /* ends the rest as a shutdown */
	assert_int_equal(e.count, 2);
	assert_int_equal(e.last_why, SESSION_END_SHUTDOWN);
	evloop_free(loop);
}

static void stop_loop(void *arg)
{
	evloop_stop(arg);
}

static void expiry_fires_when_due_not_before(void **state)
{
	(void)state;
	struct evloop *loop = evloop_new(NULL);
	struct ended e = {0};
	struct sessions *t = sessions_new(loop, on_end, &e);
	int64_t due = clock_wall_ms() + 150;
	struct session a = make("soon", "PP-A", NULL, due), b = make("later", "PP-A", NULL, due + 60000);
	sessions_add(t, &a);
	sessions_add(t, &b);
	struct evloop_timer *guard = evloop_timer_new(loop, stop_loop, loop);
	evloop_timer_arm_ms(guard, 1000);
	evloop_run(loop);
	assert_int_equal(e.count, 1);
	assert_int_equal(e.last_why, SESSION_END_EXPIRED);
	assert_string_equal(e.last_id, "soon");
	assert_true(e.at_ms >= due - 5); /* timers may round down a few ms */
	assert_int_equal(sessions_count(t), 1);
	evloop_timer_free(guard);
	sessions_free(t);
	evloop_free(loop);
}

static void end_matching_by_owner_or_peer(void **state)
{
	(void)state;
	struct evloop *loop = evloop_new(NULL);
	struct ended e = {0};
	struct sessions *t = sessions_new(loop, on_end, &e);
	int64_t later = clock_wall_ms() + 60000;
	int conn1, conn2;
	struct session s1 = make("1", "PP-A", &conn1, later), s2 = make("2", "PP-A", &conn2, later),
	               s3 = make("3", "PP-B", &conn2, later);
	sessions_add(t, &s1);
	sessions_add(t, &s2);
	sessions_add(t, &s3);
	sessions_end_matching(t, &conn2, NULL, SESSION_END_DISCONNECTED);
	assert_int_equal(e.count, 2);
	assert_non_null(sessions_find(t, "1"));
	sessions_end_matching(t, NULL, "PP-A", SESSION_END_PEER_REMOVED);
	assert_int_equal(e.count, 3);
	assert_int_equal(e.last_why, SESSION_END_PEER_REMOVED);
	assert_int_equal(sessions_count(t), 0);
	assert_string_equal(session_end_name(SESSION_END_EXPIRED), "expired");
	sessions_free(t);
	evloop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_find_end_and_count),
		cmocka_unit_test(expiry_fires_when_due_not_before),
		cmocka_unit_test(end_matching_by_owner_or_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
