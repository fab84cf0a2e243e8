/* Seed 002 checklist rows 11-17: authorization and pairing on a real
 * reflector, plus the pairing paths SPEC adds (token picked up by the next
 * serve, persisted peers, removal closing connections). */
#include "cmocka_all.h"
#include "rproc.h"

#include "lib/errbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *hello_fields(void)
{
	return json_pack("{s:s, s:[]}", "version", "1.0", "features");
}

static struct link *connect_as(struct rproc *r, const struct identity *id)
{
	char err[ERRBUF_LEN];
	struct link *l = rproc_connect(r, id, err);
	if (l == NULL)
		fail_msg("connect: %s", err);
	return l;
}

/* The error code of the first message a connection receives unasked. */
static const char *unsolicited_code(struct link *l, json_t **msg)
{
	char err[ERRBUF_LEN];
	*msg = link_recv_json(l, 10000, err);
	return json_string_value(json_object_get(json_object_get(*msg, "payload"), "code"));
}

static const char *pair_with(struct link *l, const char *token, json_t **payload)
{
	return rproc_request(l, "pair_request", json_pack("{s:s}", "token", token), payload);
}

/* A reflector on its defaults and a client key it does not know yet. */
static void start_with_stranger(struct rproc *r, const char *name, struct identity *who)
{
	assert_int_equal(rproc_setup(r, NULL, NULL), 0);
	assert_int_equal(rproc_client(r, name, who), 0);
	assert_int_equal(rproc_start(r), 0);
}

static void row11_authorized_peer_connects(void **state)
{
	(void)state;
	struct rproc r;
	struct identity alice;
	assert_int_equal(rproc_setup_with_client(&r, &alice, NULL, NULL), 0);
	assert_int_equal(rproc_start(&r), 0);
	struct link *l = connect_as(&r, &alice);
	assert_string_equal(link_peer_id(l), r.endpoint_id);
	json_t *p;
	assert_string_equal(rproc_request(l, "hello", hello_fields(), &p), "server_hello");
	assert_string_equal(json_string_value(json_object_get(p, "endpoint_id")), r.endpoint_id);
	json_decref(p);
	assert_int_equal(rproc_audit_count(&r, "connection_accepted", alice.id, NULL), 1);
	link_close(l);
	identity_free(&alice);
	rproc_cleanup(&r);
}

static void row12_unauthorized_peer_without_pairing_is_closed(void **state)
{
	(void)state;
	struct rproc r;
	struct identity mallory;
	start_with_stranger(&r, "mallory", &mallory);
	struct link *l = connect_as(&r, &mallory);
	json_t *msg;
	assert_string_equal(unsolicited_code(l, &msg), "unauthorized");
	json_decref(msg);
	char err[ERRBUF_LEN];
	assert_null(link_recv_json(l, 5000, err)); /* closed */
	assert_int_equal(link_last_status(l), LINK_CLOSED);
	assert_int_equal(rproc_audit_count(&r, "connection_denied", mallory.id, "unauthorized"), 1);
	link_close(l);
	identity_free(&mallory);
	rproc_cleanup(&r);
}

static void row13_unknown_peer_with_open_window_is_offered_pairing(void **state)
{
	(void)state;
	struct rproc r;
	struct identity bob;
	char token[64];
	start_with_stranger(&r, "bob", &bob);
	assert_int_equal(rproc_pair_token(&r, "10m", token, sizeof(token)), 0);
	struct link *l = connect_as(&r, &bob);
	json_t *p;
	assert_string_equal(rproc_request(l, "hello", hello_fields(), &p), "error");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "pairing_required");
	json_decref(p);
	/* Still open: the peer can pair now. */
	assert_string_equal(pair_with(l, token, &p), "pair_response");
	assert_true(json_is_true(json_object_get(p, "success")));
	json_decref(p);
	link_close(l);
	identity_free(&bob);
	rproc_cleanup(&r);
}

static void row14_pairing_with_correct_token_authorizes_for_good(void **state)
{
	(void)state;
	struct rproc r;
	struct identity bob;
	char token[64], out[8192];
	start_with_stranger(&r, "bob", &bob);
	assert_int_equal(rproc_pair_token(&r, "10m", token, sizeof(token)), 0);
	struct link *l = connect_as(&r, &bob);
	json_t *p;
	assert_string_equal(pair_with(l, token, &p), "pair_response");
	assert_true(json_is_true(json_object_get(p, "success")));
	assert_string_equal(json_string_value(json_object_get(p, "endpoint_id")), r.endpoint_id);
	json_decref(p);
	/* The same connection proceeds. */
	assert_string_equal(rproc_request(l, "hello", hello_fields(), NULL), "server_hello");
	link_close(l);
	assert_int_equal(rproc_audit_count(&r, "peer_paired", bob.id, NULL), 1);
	assert_int_equal(rproc_cli(&r, out, sizeof(out), "peers list"), 0);
	assert_non_null(strstr(out, bob.id));
	/* Enrolled peers survive a restart, with no token left. */
	assert_int_equal(rproc_stop(&r), 0);
	assert_int_equal(rproc_start(&r), 0);
	l = connect_as(&r, &bob);
	assert_string_equal(rproc_request(l, "hello", hello_fields(), NULL), "server_hello");
	link_close(l);
	identity_free(&bob);
	rproc_cleanup(&r);
}

static void row15_pairing_with_wrong_token_is_rejected(void **state)
{
	(void)state;
	struct rproc r;
	struct identity bob;
	char token[64], out[8192];
	start_with_stranger(&r, "bob", &bob);
	assert_int_equal(rproc_pair_token(&r, "10m", token, sizeof(token)), 0);
	struct link *l = connect_as(&r, &bob);
	json_t *p;
	assert_string_equal(pair_with(l, "00000000-0000-4000-8000-000000000000", &p), "pair_response");
	assert_false(json_is_true(json_object_get(p, "success")));
	json_decref(p);
	link_close(l);
	assert_int_equal(rproc_cli(&r, out, sizeof(out), "peers list"), 0);
	assert_null(strstr(out, bob.id));
	assert_int_equal(rproc_audit_count(&r, "pairing_failed", bob.id, NULL), 1);
	identity_free(&bob);
	rproc_cleanup(&r);
}

static void row16_pairing_with_expired_token_is_rejected(void **state)
{
	(void)state;
	struct rproc r;
	struct identity bob;
	char short_token[64], long_token[64];
	start_with_stranger(&r, "bob", &bob);
	assert_int_equal(rproc_pair_token(&r, "1s", short_token, sizeof(short_token)), 0);
	/* A second, long token keeps the window open so the expired one is
	 * judged on its own. */
	assert_int_equal(rproc_pair_token(&r, "10m", long_token, sizeof(long_token)), 0);
	sleep(2);
	struct link *l = connect_as(&r, &bob);
	json_t *p;
	assert_string_equal(pair_with(l, short_token, &p), "pair_response");
	assert_false(json_is_true(json_object_get(p, "success")));
	assert_non_null(strstr(json_string_value(json_object_get(p, "message")), "expired"));
	json_decref(p);
	link_close(l);
	identity_free(&bob);
	rproc_cleanup(&r);
}

static void row16_no_window_once_the_only_token_expired(void **state)
{
	(void)state;
	struct rproc r;
	struct identity bob;
	char token[64];
	start_with_stranger(&r, "bob", &bob);
	assert_int_equal(rproc_pair_token(&r, "1s", token, sizeof(token)), 0);
	sleep(2);
	struct link *l = connect_as(&r, &bob);
	json_t *msg;
	assert_string_equal(unsolicited_code(l, &msg), "unauthorized");
	json_decref(msg);
	link_close(l);
	identity_free(&bob);
	rproc_cleanup(&r);
}

static void row17_pairing_token_is_single_use(void **state)
{
	(void)state;
	struct rproc r;
	struct identity bob, carol;
	char token[64], other[64];
	assert_int_equal(rproc_setup(&r, NULL, NULL), 0);
	assert_int_equal(rproc_client(&r, "bob", &bob), 0);
	assert_int_equal(rproc_client(&r, "carol", &carol), 0);
	assert_int_equal(rproc_start(&r), 0);
	assert_int_equal(rproc_pair_token(&r, "10m", token, sizeof(token)), 0);
	assert_int_equal(rproc_pair_token(&r, "10m", other, sizeof(other)), 0);
	struct link *l = connect_as(&r, &bob);
	json_t *p;
	assert_string_equal(pair_with(l, token, &p), "pair_response");
	assert_true(json_is_true(json_object_get(p, "success")));
	json_decref(p);
	link_close(l);
	l = connect_as(&r, &carol);
	assert_string_equal(pair_with(l, token, &p), "pair_response");
	assert_false(json_is_true(json_object_get(p, "success")));
	json_decref(p);
	link_close(l);
	identity_free(&bob);
	identity_free(&carol);
	rproc_cleanup(&r);
}

static void token_created_while_stopped_is_picked_up_by_serve(void **state)
{
	(void)state;
	struct rproc r;
	struct identity bob;
	char token[64], out[4096];
	assert_int_equal(rproc_setup(&r, NULL, NULL), 0);
	assert_int_equal(rproc_client(&r, "bob", &bob), 0);
	assert_int_equal(rproc_pair_token(&r, "10m", token, sizeof(token)), 0); /* no server yet */
	assert_int_equal(rproc_start(&r), 0);
	struct link *l = connect_as(&r, &bob);
	json_t *p;
	assert_string_equal(pair_with(l, token, &p), "pair_response");
	assert_true(json_is_true(json_object_get(p, "success")));
	json_decref(p);
	link_close(l);
	/* Tokens are stored hashed only. */
	assert_int_equal(run_capture(out, sizeof(out), "grep -rl '%s' %s", token, r.data_dir), 1);
	identity_free(&bob);
	rproc_cleanup(&r);
}

static void removing_a_peer_closes_its_connections(void **state)
{
	(void)state;
	struct rproc r;
	struct identity bob;
	char token[64], out[4096], err[ERRBUF_LEN];
	start_with_stranger(&r, "bob", &bob);
	assert_int_equal(rproc_pair_token(&r, "10m", token, sizeof(token)), 0);
	struct link *l = connect_as(&r, &bob);
	assert_string_equal(pair_with(l, token, NULL), "pair_response");
	assert_int_equal(rproc_cli(&r, out, sizeof(out), "peers remove %s", bob.id), 0);
	json_t *msg = link_recv_json(l, 5000, err); /* the server says why, then closes */
	json_decref(msg);
	assert_null(link_recv_json(l, 5000, err));
	link_close(l);
	assert_int_equal(rproc_audit_count(&r, "peer_removed", bob.id, NULL), 1);
	l = connect_as(&r, &bob);
	assert_string_equal(unsolicited_code(l, &msg), "unauthorized");
	json_decref(msg);
	link_close(l);
	/* Removing it again is a clear error. */
	assert_int_equal(rproc_cli(&r, out, sizeof(out), "peers remove %s", bob.id), 1);
	assert_non_null(strstr(out, "not an enrolled peer"));
	identity_free(&bob);
	rproc_cleanup(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(row11_authorized_peer_connects),
		cmocka_unit_test(row12_unauthorized_peer_without_pairing_is_closed),
		cmocka_unit_test(row13_unknown_peer_with_open_window_is_offered_pairing),
		cmocka_unit_test(row14_pairing_with_correct_token_authorizes_for_good),
		cmocka_unit_test(row15_pairing_with_wrong_token_is_rejected),
		cmocka_unit_test(row16_pairing_with_expired_token_is_rejected),
		cmocka_unit_test(row16_no_window_once_the_only_token_expired),
		cmocka_unit_test(row17_pairing_token_is_single_use),
		cmocka_unit_test(token_created_while_stopped_is_picked_up_by_serve),
		cmocka_unit_test(removing_a_peer_closes_its_connections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
