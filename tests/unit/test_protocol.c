/* protocol: every message round-trips, every malformed input is refused
 * with the right error code and a message naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/protocol.h"
#include "lib/errbuf.h"
#include "lib/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Serialises msg (taking it) and decodes the text as sent by `from`. */
static void round_trip(json_t *msg, enum pp_dir from, struct pp_msg *out)
{
	char err[ERRBUF_LEN] = "";
	assert_non_null(msg);
	size_t len;
	char *text = protocol_serialize(msg, &len, err);
	json_decref(msg);
	assert_non_null(text);
	enum pp_err_code code;
	int rc = protocol_decode(text, len, from, out, &code, err);
	if (rc != 0)
		fail_msg("decode of %s failed: %s", text, err);
	free(text);
}

/* Decodes text expecting a refusal with `want`; err must contain `field`. */
static void refused(const char *text, enum pp_dir from, enum pp_err_code want,
                    const char *field, struct pp_msg *out)
{
	char err[ERRBUF_LEN] = "";
	enum pp_err_code code;
	int rc = protocol_decode(text, strlen(text), from, out, &code, err);
	if (rc == 0)
		fail_msg("accepted: %s", text);
	if (code != want)
		fail_msg("%s: got code %s (%s), want %s", text, protocol_err_code_name(code), err,
		         protocol_err_code_name(want));
	if (field != NULL && strstr(err, field) == NULL)
		fail_msg("%s: message \"%s\" does not name %s", text, err, field);
}

static void refuse(const char *text, enum pp_dir from, enum pp_err_code want, const char *field)
{
	struct pp_msg m;
	refused(text, from, want, field, &m);
	protocol_msg_free(&m);
}

static void hello_round_trips(void **state)
{
	(void)state;
	struct pp_hello h = {.version = "1.0", .features = {"throughput", "udp_echo"},
	                     .n_features = 2};
	struct pp_msg m;
	round_trip(protocol_hello("req-001", &h), PP_FROM_CLIENT, &m);
	assert_int_equal(m.type, PP_MSG_HELLO);
	assert_string_equal(m.request_id, "req-001");
	assert_string_equal(m.u.hello.version, "1.0");
	assert_int_equal(m.u.hello.n_features, 2);
	assert_string_equal(m.u.hello.features[1], "udp_echo");
	protocol_msg_free(&m);
}

static void server_hello_round_trips(void **state)
{
	(void)state;
	struct pp_server_hello sh = {
		.version = "1.0",
		.endpoint_id = "PP-ABCD-EFGH-C",
		.features = {"throughput", "udp_echo", "path_meta"},
		.n_features = 3,
		.policy = {.max_test_duration_sec = 30, .max_concurrent_tests = 1,
		           .max_tests_per_hour = 10,
		           .allowed_test_types = PP_TEST_BIT(PP_TEST_UDP_ECHO) |
		                                 PP_TEST_BIT(PP_TEST_THROUGHPUT),
		           .cooldown_sec = 2, .max_bytes_per_day = 5000000000LL, .max_streams = 4,
		           .has_bytes_left = true, .bytes_left_today = 4999000000LL,
		           .mode = PP_MODE_DIRECT_EPHEMERAL},
	};
	struct pp_msg m;
	round_trip(protocol_server_hello("r", &sh), PP_FROM_SERVER, &m);
	assert_int_equal(m.type, PP_MSG_SERVER_HELLO);
	const struct pp_server_hello *g = &m.u.server_hello;
	assert_string_equal(g->endpoint_id, "PP-ABCD-EFGH-C");
	assert_int_equal(g->n_features, 3);
	assert_string_equal(g->features[2], "path_meta");
	assert_int_equal(g->policy.max_test_duration_sec, 30);
	assert_int_equal(g->policy.max_concurrent_tests, 1);
	assert_int_equal(g->policy.max_tests_per_hour, 10);
	assert_int_equal(g->policy.allowed_test_types, sh.policy.allowed_test_types);
	assert_int_equal(g->policy.cooldown_sec, 2);
	assert_int_equal(g->policy.max_bytes_per_day, 5000000000LL);
	assert_int_equal(g->policy.max_streams, 4);
	assert_int_equal(g->policy.mode, PP_MODE_DIRECT_EPHEMERAL);
	assert_true(g->policy.has_bytes_left);
	assert_int_equal(g->policy.bytes_left_today, 4999000000LL);
	protocol_msg_free(&m);
}

static void session_request_round_trips_with_and_without_params(void **state)
{
	(void)state;
	struct pp_session_request r = {
		.test_type = PP_TEST_THROUGHPUT,
		.params = {.has_duration = true, .duration_sec = 10, .protocol = PP_TRANSPORT_UDP,
		           .has_streams = true, .streams = 4, .has_reverse = true, .reverse = true},
	};
	struct pp_msg m;
	round_trip(protocol_session_request("req-002", &r), PP_FROM_CLIENT, &m);
	assert_int_equal(m.type, PP_MSG_SESSION_REQUEST);
	assert_int_equal(m.u.session_request.test_type, PP_TEST_THROUGHPUT);
	const struct pp_session_params *dp = &m.u.session_request.params;
	assert_true(dp->has_duration);
	assert_int_equal(dp->duration_sec, 10);
	assert_int_equal(dp->protocol, PP_TRANSPORT_UDP);
	assert_true(dp->has_streams);
	assert_int_equal(dp->streams, 4);
	assert_true(dp->has_reverse);
	assert_true(dp->reverse);
	protocol_msg_free(&m);

	struct pp_session_request empty = {.test_type = PP_TEST_UDP_ECHO};
	round_trip(protocol_session_request("req-003", &empty), PP_FROM_CLIENT, &m);
	assert_int_equal(m.u.session_request.test_type, PP_TEST_UDP_ECHO);
	assert_false(m.u.session_request.params.has_duration);
	assert_int_equal(m.u.session_request.params.protocol, PP_TRANSPORT_UNSET);
	assert_false(m.u.session_request.params.has_streams);
	assert_false(m.u.session_request.params.has_reverse);
	protocol_msg_free(&m);

	/* params absent altogether = all null */
	const char *text = "{\"request_id\":\"a\",\"payload\":{\"type\":\"session_request\","
	                   "\"test_type\":\"udp_echo\"}}";
	char err[ERRBUF_LEN];
	enum pp_err_code code;
	assert_int_equal(protocol_decode(text, strlen(text), PP_FROM_CLIENT, &m, &code, err), 0);
	assert_false(m.u.session_request.params.has_duration);
	protocol_msg_free(&m);
}

static void session_grant_round_trips(void **state)
{
	(void)state;
	char test_id[PP_UUID_TEXT_BYTES + 1], token[PP_UUID_TEXT_BYTES + 1];
	char err[ERRBUF_LEN];
	assert_int_equal(protocol_uuid_v4(test_id, err), 0);
	assert_int_equal(protocol_uuid_v4(token, err), 0);
	struct pp_session_grant g = {.test_id = test_id, .mode = PP_MODE_TUNNELED, .port = 4000,
	                             .token = token, .expires_at_ms = 1770908400123LL,
	                             .duration_sec = 10, .has_streams = true, .streams = 2};
	struct pp_msg m;
	round_trip(protocol_session_grant("req-002", &g), PP_FROM_SERVER, &m);
	const struct pp_session_grant *d = &m.u.session_grant;
	assert_string_equal(d->test_id, test_id);
	assert_string_equal(d->token, token);
	assert_int_equal(d->mode, PP_MODE_TUNNELED);
	assert_int_equal(d->port, 4000);
	assert_int_equal(d->expires_at_ms, 1770908400123LL);
	assert_int_equal(d->duration_sec, 10);
	assert_true(d->has_streams);
	assert_int_equal(d->streams, 2);
	assert_null(d->iperf3_rsa_public_key); /* null: no iperf3 authentication */
	assert_false(d->has_bytes_left);
	protocol_msg_free(&m);
	/* Direct mode with iperf3 authentication: a PEM key, newlines and all. */
	static const char pem[] = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----\n";
	g.mode = PP_MODE_DIRECT_EPHEMERAL;
	g.iperf3_rsa_public_key = pem;
	g.has_bytes_left = true;
	g.bytes_left_today = 10000000000LL; /* beyond 32 bits */
	round_trip(protocol_session_grant("req-003", &g), PP_FROM_SERVER, &m);
	assert_string_equal(m.u.session_grant.iperf3_rsa_public_key, pem);
	assert_true(m.u.session_grant.has_bytes_left);
	assert_int_equal(m.u.session_grant.bytes_left_today, 10000000000LL);
	protocol_msg_free(&m);
	/* Larger than any key we make (4096 bytes): refused. */
	char *big = malloc(PP_PEM_MAX_BYTES + 2);
	memset(big, 'A', PP_PEM_MAX_BYTES + 1);
	big[PP_PEM_MAX_BYTES + 1] = '\0';
	g.iperf3_rsa_public_key = big;
	json_t *msg = protocol_session_grant("req-004", &g);
	size_t len;
	char *text = protocol_serialize(msg, &len, err);
	assert_non_null(text);
	json_decref(msg);
	free(big);
	refuse(text, PP_FROM_SERVER, PP_ERR_INVALID_MESSAGE, "iperf3_rsa_public_key");
	free(text);
}

static void session_deny_round_trips(void **state)
{
	(void)state;
	struct pp_session_deny dn = {
		.reason = PP_DENY_RATE_LIMITED,
		.message = "11 tests in the last hour, maximum max_tests_per_hour_per_peer = 10",
		.has_retry_after = true, .retry_after_sec = 60,
		.limit = "max_tests_per_hour_per_peer",
		.has_current = true, .current = 10, .has_maximum = true, .maximum = 10,
	};
	struct pp_msg m;
	round_trip(protocol_session_deny("req-011", &dn), PP_FROM_SERVER, &m);
	const struct pp_session_deny *d = &m.u.session_deny;
	assert_int_equal(d->reason, PP_DENY_RATE_LIMITED);
	assert_string_equal(d->message, dn.message);
	assert_true(d->has_retry_after);
	assert_int_equal(d->retry_after_sec, 60);
	assert_string_equal(d->limit, "max_tests_per_hour_per_peer");
	assert_int_equal(d->current, 10);
	assert_int_equal(d->maximum, 10);
	protocol_msg_free(&m);

	struct pp_session_deny busy = {.reason = PP_DENY_BUSY, .message = "busy"};
	round_trip(protocol_session_deny("x", &busy), PP_FROM_SERVER, &m);
	assert_false(m.u.session_deny.has_retry_after);
	assert_null(m.u.session_deny.limit);
	assert_false(m.u.session_deny.has_current);
	assert_false(m.u.session_deny.has_maximum);
	protocol_msg_free(&m);
}

static void small_messages_round_trip(void **state)
{
	(void)state;
	const char *uuid = "550e8400-e29b-41d4-a716-446655440000";
	struct pp_msg m;
	round_trip(protocol_session_close("c1", uuid), PP_FROM_CLIENT, &m);
	assert_int_equal(m.type, PP_MSG_SESSION_CLOSE);
	assert_string_equal(m.u.session_close.test_id, uuid);
	protocol_msg_free(&m);

	round_trip(protocol_ok("c1"), PP_FROM_SERVER, &m);
	assert_int_equal(m.type, PP_MSG_OK);
	assert_string_equal(m.request_id, "c1");
	protocol_msg_free(&m);

	round_trip(protocol_get_path_meta("c2"), PP_FROM_CLIENT, &m);
	assert_int_equal(m.type, PP_MSG_GET_PATH_META);
	protocol_msg_free(&m);

	round_trip(protocol_tunnel_attach("t1", uuid), PP_FROM_CLIENT, &m);
	assert_int_equal(m.type, PP_MSG_TUNNEL_ATTACH);
	assert_string_equal(m.request_id, "t1");
	assert_string_equal(m.u.tunnel_attach.token, uuid);
	protocol_msg_free(&m);

	round_trip(protocol_pair_request("p1", uuid), PP_FROM_CLIENT, &m);
	assert_int_equal(m.type, PP_MSG_PAIR_REQUEST);
	assert_string_equal(m.u.pair_request.token, uuid);
	protocol_msg_free(&m);

	struct pp_pair_response pr = {.success = true, .message = "paired",
	                              .endpoint_id = "PP-XXXX-C"};
	round_trip(protocol_pair_response("p1", &pr), PP_FROM_SERVER, &m);
	assert_true(m.u.pair_response.success);
	assert_string_equal(m.u.pair_response.message, "paired");
	assert_string_equal(m.u.pair_response.endpoint_id, "PP-XXXX-C");
	protocol_msg_free(&m);

	round_trip(protocol_error("e1", PP_ERR_NOT_FOUND, "no session 42"), PP_FROM_SERVER, &m);
	assert_int_equal(m.u.error.code, PP_ERR_NOT_FOUND);
	assert_string_equal(m.u.error.message, "no session 42");
	protocol_msg_free(&m);

	/* An error about an unparseable frame has a null request_id. */
	round_trip(protocol_error(NULL, PP_ERR_INVALID_JSON, "bad"), PP_FROM_SERVER, &m);
	assert_null(m.request_id);
	assert_int_equal(m.u.error.code, PP_ERR_INVALID_JSON);
	protocol_msg_free(&m);
}

static void path_meta_round_trips_as_an_open_object(void **state)
{
	(void)state;
	json_t *fields = json_pack("{s:{s:i},s:[{s:s,s:i}],s:s,s:s}", "cpu", "cores", 2,
	                           "interfaces", "name", "eth0", "mtu", 1500, "clock_sync",
	                           "synchronized", "version", "0.1.0");
	assert_non_null(fields);
	struct pp_msg m;
	round_trip(protocol_path_meta("m1", fields), PP_FROM_SERVER, &m);
	json_decref(fields);
	assert_int_equal(m.type, PP_MSG_PATH_META);
	json_t *ifs = json_object_get(m.u.path_meta.fields, "interfaces");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ifs, 0), "mtu")), 1500);
	assert_string_equal(json_string_value(json_object_get(m.u.path_meta.fields, "version")),
	                    "0.1.0");
	protocol_msg_free(&m);

	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"path_meta\",\"interfaces\":"
	       "[{\"name\":\"eth0\",\"mtu\":\"big\"}]}}",
	       PP_FROM_SERVER, PP_ERR_INVALID_MESSAGE, "payload.interfaces[0].mtu");
}

static void unknown_fields_are_ignored(void **state)
{
	(void)state;
	const char *text = "{\"request_id\":\"a\",\"extra\":[1,2],\"payload\":{\"type\":\"hello\","
	                   "\"version\":\"1.3\",\"features\":[],\"new_field\":{\"x\":1}}}";
	struct pp_msg m;
	char err[ERRBUF_LEN];
	enum pp_err_code code;
	assert_int_equal(protocol_decode(text, strlen(text), PP_FROM_CLIENT, &m, &code, err), 0);
	assert_string_equal(m.u.hello.version, "1.3");
	assert_int_equal(m.u.hello.n_features, 0);
	protocol_msg_free(&m);
}

static void envelope_errors(void **state)
{
	(void)state;
	const enum pp_dir C = PP_FROM_CLIENT;
	refuse("{\"payload\":{\"type\":\"ok\"}}", PP_FROM_SERVER, PP_ERR_INVALID_MESSAGE,
	       "request_id");
	refuse("{\"request_id\":\"\",\"payload\":{\"type\":\"get_path_meta\"}}", C,
	       PP_ERR_INVALID_MESSAGE, "request_id");
	refuse("{\"request_id\":7,\"payload\":{\"type\":\"get_path_meta\"}}", C,
	       PP_ERR_INVALID_MESSAGE, "request_id");
	refuse("{\"request_id\":\"a\\u0001\",\"payload\":{\"type\":\"get_path_meta\"}}", C,
	       PP_ERR_INVALID_MESSAGE, "request_id");
	char longid[400];
	snprintf(longid, sizeof(longid),
	         "{\"request_id\":\"%0129d\",\"payload\":{\"type\":\"get_path_meta\"}}", 0);
	refuse(longid, C, PP_ERR_INVALID_MESSAGE, "request_id");
	snprintf(longid, sizeof(longid),
	         "{\"request_id\":\"%0128d\",\"payload\":{\"type\":\"get_path_meta\"}}", 0);
	struct pp_msg m;
	char err[ERRBUF_LEN];
	enum pp_err_code code;
	assert_int_equal(protocol_decode(longid, strlen(longid), C, &m, &code, err), 0);
	protocol_msg_free(&m);

	refuse("{\"request_id\":null,\"payload\":{\"type\":\"get_path_meta\"}}", C,
	       PP_ERR_INVALID_MESSAGE, "request_id");
	refuse("{\"request_id\":\"a\"}", C, PP_ERR_INVALID_MESSAGE, "payload: missing");
	refuse("{\"request_id\":\"a\",\"payload\":[]}", C, PP_ERR_INVALID_MESSAGE,
	       "payload: expected an object, got array");
	refuse("{\"request_id\":\"a\",\"payload\":{}}", C, PP_ERR_INVALID_MESSAGE, "payload.type");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":3}}", C, PP_ERR_INVALID_MESSAGE,
	       "payload.type");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"teleport\"}}", C,
	       PP_ERR_UNKNOWN_TYPE, "teleport");
	/* tunnel_attach: the token must be a UUID; only a client sends it. */
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"tunnel_attach\",\"token\":\"x\"}}",
	       C, PP_ERR_INVALID_MESSAGE, "payload.token");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"tunnel_attach\"}}",
	       C, PP_ERR_INVALID_MESSAGE, "payload.token");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"tunnel_attach\",\"token\":7}}",
	       C, PP_ERR_INVALID_MESSAGE, "payload.token");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"tunnel_attach\",\"token\":"
	       "\"550e8400-e29b-41d4-a716-446655440000\"}}",
	       PP_FROM_SERVER, PP_ERR_UNKNOWN_TYPE, "tunnel_attach");
	/* A server-to-client type sent by a client, and the reverse. */
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"ok\"}}", C, PP_ERR_UNKNOWN_TYPE,
	       "\"ok\"");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"get_path_meta\"}}", PP_FROM_SERVER,
	       PP_ERR_UNKNOWN_TYPE, "get_path_meta");
}

static void json_errors(void **state)
{
	(void)state;
	const enum pp_dir C = PP_FROM_CLIENT;
	refuse("", C, PP_ERR_INVALID_JSON, "empty");
	refuse("[1,2]", C, PP_ERR_INVALID_JSON, "object");
	refuse("\"text\"", C, PP_ERR_INVALID_JSON, NULL);
	refuse("{\"request_id\":\"a\"", C, PP_ERR_INVALID_JSON, "invalid JSON");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"get_path_meta\"}} x", C,
	       PP_ERR_INVALID_JSON, "invalid JSON");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"get_path_meta\"}}{}", C,
	       PP_ERR_INVALID_JSON, "invalid JSON");
	refuse("{\"request_id\":\"a\",\"request_id\":\"b\",\"payload\":{\"type\":\"ok\"}}", C,
	       PP_ERR_INVALID_JSON, "duplicate");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"hello\",\"type\":\"hello\"}}", C,
	       PP_ERR_INVALID_JSON, "duplicate");
	refuse("{\"request_id\":\"a\xff\",\"payload\":{\"type\":\"get_path_meta\"}}", C,
	       PP_ERR_INVALID_JSON, NULL);
	refuse("{\"request_id\":\"a\xc3\",\"payload\":{\"type\":\"get_path_meta\"}}", C,
	       PP_ERR_INVALID_JSON, NULL);
	refuse("{\"request_id\":\"a\\u0000b\",\"payload\":{\"type\":\"get_path_meta\"}}", C,
	       PP_ERR_INVALID_JSON, NULL);

	/* Nesting: PP_JSON_MAX_DEPTH levels pass, one more does not. */
	char deep[4 * PP_JSON_MAX_DEPTH + 128];
	for (int extra = 0; extra <= 1; extra++) {
		int n = PP_JSON_MAX_DEPTH - 2 + extra; /* envelope + payload + n */
		size_t o = (size_t)snprintf(deep, sizeof(deep),
		                            "{\"request_id\":\"a\",\"payload\":{\"type\":"
		                            "\"get_path_meta\",\"x\":");
		for (int i = 0; i < n; i++)
			deep[o++] = '[';
		for (int i = 0; i < n; i++)
			deep[o++] = ']';
		strcpy(deep + o, "}}");
		struct pp_msg m;
		char err[ERRBUF_LEN];
		enum pp_err_code code;
		int rc = protocol_decode(deep, strlen(deep), C, &m, &code, err);
		protocol_msg_free(&m);
		if (extra == 0) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(code, PP_ERR_INVALID_JSON);
			assert_non_null(strstr(err, "nested"));
		}
	}
	/* Brackets inside strings do not count. */
	const char *quoted = "{\"request_id\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\","
	                     "\"payload\":{\"type\":\"get_path_meta\",\"s\":\"\\\"{{{{{{{{{{{{"
	                     "{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{\"}}";
	struct pp_msg m;
	char err[ERRBUF_LEN];
	enum pp_err_code code;
	assert_int_equal(protocol_decode(quoted, strlen(quoted), C, &m, &code, err), 0);
	protocol_msg_free(&m);

	/* Over the frame cap, refused before parsing. */
	assert_int_equal(protocol_decode("{}", FRAME_MAX_PAYLOAD_BYTES + 1, C, &m, &code, err), -1);
	assert_int_equal(code, PP_ERR_FRAME_TOO_LARGE);
	protocol_msg_free(&m);
}

#define SREQ(params) \
	"{\"request_id\":\"r9\",\"payload\":{\"type\":\"session_request\",\"test_type\":\"throughput\"," \
	"\"params\":" params "}}"

/* Returns whether the refusal was flagged as bad params. */
static bool refused_params(const char *text, enum pp_err_code want, const char *field)
{
	struct pp_msg m;
	refused(text, PP_FROM_CLIENT, want, field, &m);
	bool bad = m.bad_params;
	if (bad)
		assert_string_equal(m.request_id, "r9");
	protocol_msg_free(&m);
	return bad;
}

static void session_request_field_errors(void **state)
{
	(void)state;
	const enum pp_err_code IM = PP_ERR_INVALID_MESSAGE;
	/* Wrong JSON types: invalid_message. */
	assert_false(refused_params(SREQ("{\"duration_sec\":\"10\"}"), IM, "payload.params.duration_sec"));
	assert_false(refused_params(SREQ("{\"duration_sec\":10.5}"), IM, "payload.params.duration_sec"));
	assert_false(refused_params(SREQ("{\"streams\":true}"), IM, "payload.params.streams"));
	assert_false(refused_params(SREQ("{\"reverse\":1}"), IM, "payload.params.reverse"));
	assert_false(refused_params(SREQ("{\"protocol\":6}"), IM, "payload.params.protocol"));
	assert_false(refused_params(SREQ("[1]"), IM, "payload.params"));
	assert_false(refused_params(
		"{\"request_id\":\"r9\",\"payload\":{\"type\":\"session_request\"}}", IM,
		"payload.test_type"));
	assert_false(refused_params(
		"{\"request_id\":\"r9\",\"payload\":{\"type\":\"session_request\",\"test_type\":1}}",
		IM, "payload.test_type"));
	/* Right types, values out of range: bad params (session_deny invalid_params). */
	assert_true(refused_params(SREQ("{\"duration_sec\":-1}"), IM, "payload.params.duration_sec"));
	assert_true(refused_params(SREQ("{\"duration_sec\":2147483648}"), IM,
	                           "payload.params.duration_sec"));
	assert_true(refused_params(SREQ("{\"streams\":0}"), IM, "payload.params.streams"));
	assert_true(refused_params(SREQ("{\"streams\":9223372036854775807}"), IM,
	                           "payload.params.streams"));
	assert_true(refused_params(SREQ("{\"protocol\":\"sctp\"}"), IM, "payload.params.protocol"));
	assert_true(refused_params(
		"{\"request_id\":\"r9\",\"payload\":{\"type\":\"session_request\",\"test_type\":\"ping\"}}",
		IM, "payload.test_type"));
	/* Larger than any integer: not even JSON we can represent. */
	refuse(SREQ("{\"streams\":99999999999999999999999}"), PP_FROM_CLIENT, PP_ERR_INVALID_JSON,
	       NULL);
	/* Edges that are fine. */
	struct pp_msg m;
	char err[ERRBUF_LEN];
	enum pp_err_code code;
	const char *ok = SREQ("{\"duration_sec\":2147483647,\"streams\":1,\"protocol\":null}");
	assert_int_equal(protocol_decode(ok, strlen(ok), PP_FROM_CLIENT, &m, &code, err), 0);
	assert_int_equal(m.u.session_request.params.duration_sec, 2147483647);
	protocol_msg_free(&m);
	/* 0 = as long as the server allows (governance clamps it). */
	ok = SREQ("{\"duration_sec\":0}");
	assert_int_equal(protocol_decode(ok, strlen(ok), PP_FROM_CLIENT, &m, &code, err), 0);
	assert_true(m.u.session_request.params.has_duration);
	assert_int_equal(m.u.session_request.params.duration_sec, 0);
	protocol_msg_free(&m);
}

static void other_field_errors(void **state)
{
	(void)state;
	const enum pp_dir C = PP_FROM_CLIENT, S = PP_FROM_SERVER;
	const enum pp_err_code IM = PP_ERR_INVALID_MESSAGE;
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"hello\"}}", C, IM, "payload.version");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"hello\",\"version\":\"2.0\"}}", C, IM,
	       "payload.version");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"hello\",\"version\":\"1.0\","
	       "\"features\":[\"a\",5]}}",
	       C, IM, "payload.features[1]");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"hello\",\"version\":\"1.0\","
	       "\"features\":\"udp_echo\"}}",
	       C, IM, "payload.features");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"session_close\",\"test_id\":\"x\"}}",
	       C, IM, "payload.test_id");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"session_close\"}}", C, IM,
	       "payload.test_id");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"pair_request\",\"token\":\"\"}}", C,
	       IM, "payload.token");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"pair_request\",\"token\":null}}", C,
	       IM, "payload.token");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"error\",\"code\":\"oops\","
	       "\"message\":\"m\"}}",
	       S, IM, "payload.code");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"session_deny\",\"reason\":\"tired\","
	       "\"message\":\"m\"}}",
	       S, IM, "payload.reason");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"session_grant\",\"test_id\":"
	       "\"550e8400-e29b-41d4-a716-446655440000\",\"mode\":\"tunneled\",\"port\":70000,"
	       "\"token\":\"550e8400-e29b-41d4-a716-446655440000\",\"expires_at\":"
	       "\"2026-02-12T15:00:00Z\",\"duration_sec\":10}}",
	       S, IM, "payload.port");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"session_grant\",\"test_id\":"
	       "\"550e8400-e29b-41d4-a716-446655440000\",\"mode\":\"tunneled\",\"port\":4000,"
	       "\"token\":\"550e8400-e29b-41d4-a716-446655440000\",\"expires_at\":"
	       "\"2026-02-30T15:00:00Z\",\"duration_sec\":10}}",
	       S, IM, "payload.expires_at");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"session_grant\",\"test_id\":"
	       "\"550e8400-e29b-41d4-a716-446655440000\",\"mode\":\"tunneled\",\"port\":4000,"
	       "\"token\":\"550e8400-e29b-41d4-a716-446655440000\",\"expires_at\":"
	       "\"2026-02-12T15:00:00Z\",\"duration_sec\":10,\"bytes_left_today\":-1}}",
	       S, IM, "payload.bytes_left_today");
	refuse("{\"request_id\":\"a\",\"payload\":{\"type\":\"session_grant\",\"test_id\":"
	       "\"550e8400-e29b-41d4-a716-446655440000\",\"mode\":\"tunneled\",\"port\":4000,"
	       "\"token\":\"550e8400-e29b-41d4-a716-446655440000\",\"expires_at\":"
	       "\"2026-02-12T15:00:00Z\",\"duration_sec\":10,\"iperf3_rsa_public_key\":42}}",
	       S, IM, "payload.iperf3_rsa_public_key");
}

static void reject_builds_the_right_reply(void **state)
{
	(void)state;
	struct pp_msg m;
	char err[ERRBUF_LEN];
	enum pp_err_code code;
	const char *text = SREQ("{\"streams\":0}");
	assert_int_equal(protocol_decode(text, strlen(text), PP_FROM_CLIENT, &m, &code, err), -1);
	json_t *reply = protocol_reject(&m, code, err);
	protocol_msg_free(&m);
	assert_string_equal(json_string_value(json_object_get(reply, "request_id")), "r9");
	json_t *p = json_object_get(reply, "payload");
	assert_string_equal(json_string_value(json_object_get(p, "type")), "session_deny");
	assert_string_equal(json_string_value(json_object_get(p, "reason")), "invalid_params");
	assert_non_null(strstr(json_string_value(json_object_get(p, "message")), "streams"));
	assert_string_equal(json_string_value(json_object_get(p, "limit")), "streams");
	assert_int_equal(json_integer_value(json_object_get(p, "current")), 0);
	assert_true(json_is_null(json_object_get(p, "retry_after_sec")));
	json_decref(reply);

	text = "{\"request_id\":\"q\",\"payload\":{\"type\":\"teleport\"}}";
	assert_int_equal(protocol_decode(text, strlen(text), PP_FROM_CLIENT, &m, &code, err), -1);
	reply = protocol_reject(&m, code, err);
	protocol_msg_free(&m);
	assert_string_equal(json_string_value(json_object_get(reply, "request_id")), "q");
	p = json_object_get(reply, "payload");
	assert_string_equal(json_string_value(json_object_get(p, "type")), "error");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "unknown_type");
	json_decref(reply);

	/* Garbage: request_id null, and the peer's bytes never break UTF-8. */
	text = "{\"request_id\":\xff\xfe}";
	assert_int_equal(protocol_decode(text, strlen(text), PP_FROM_CLIENT, &m, &code, err), -1);
	reply = protocol_reject(&m, code, err);
	protocol_msg_free(&m);
	assert_non_null(reply);
	assert_true(json_is_null(json_object_get(reply, "request_id")));
	p = json_object_get(reply, "payload");
	assert_string_equal(json_string_value(json_object_get(p, "code")), "invalid_json");
	json_decref(reply);
}

static void names_round_trip(void **state)
{
	(void)state;
	for (int t = PP_MSG_NONE + 1; t < PP_MSG__COUNT; t++) {
		enum pp_msg_type back;
		assert_int_equal(protocol_msg_type_parse(protocol_msg_type_name(t), &back), 0);
		assert_int_equal(back, t);
	}
	for (int c = 0; c < PP_ERR__COUNT; c++) {
		enum pp_err_code back;
		assert_int_equal(protocol_err_code_parse(protocol_err_code_name(c), &back), 0);
		assert_int_equal(back, c);
	}
	for (int r = 0; r < PP_DENY__COUNT; r++) {
		enum pp_deny_reason back;
		assert_int_equal(protocol_deny_reason_parse(protocol_deny_reason_name(r), &back), 0);
		assert_int_equal(back, r);
	}
	enum pp_test_type tt;
	assert_int_equal(protocol_test_type_parse("throughput", &tt), 0);
	assert_int_equal(tt, PP_TEST_THROUGHPUT);
	assert_int_equal(protocol_test_type_parse("Throughput", &tt), -1);
	assert_string_equal(protocol_err_code_name(PP_ERR_PAIRING_REQUIRED), "pairing_required");
	assert_string_equal(protocol_deny_reason_name(PP_DENY_QUOTA_EXCEEDED), "quota_exceeded");
	assert_string_equal(protocol_err_code_name((enum pp_err_code)99), "?");
	assert_int_equal(protocol_msg_direction(PP_MSG_SESSION_REQUEST), PP_FROM_CLIENT);
	assert_int_equal(protocol_msg_direction(PP_MSG_SESSION_GRANT), PP_FROM_SERVER);
}

static void wire_formats(void **state)
{
	(void)state;
	char u1[PP_UUID_TEXT_BYTES + 1], u2[PP_UUID_TEXT_BYTES + 1], err[ERRBUF_LEN];
	assert_int_equal(protocol_uuid_v4(u1, err), 0);
	assert_int_equal(protocol_uuid_v4(u2, err), 0);
	assert_true(protocol_uuid_valid(u1));
	assert_string_not_equal(u1, u2);
	assert_int_equal(u1[14], '4');
	assert_non_null(strchr("89ab", u1[19]));
	assert_false(protocol_uuid_valid("550e8400-e29b-41d4-a716-44665544000"));
	assert_false(protocol_uuid_valid("550e8400-e29b-41d4-a716-4466554400000"));
	assert_false(protocol_uuid_valid("550e8400xe29b-41d4-a716-446655440000"));
	assert_false(protocol_uuid_valid("550e8400-e29b-41d4-a716-44665544000g"));

	char t[PP_RFC3339_BUF_BYTES];
	assert_int_equal(protocol_format_rfc3339_ms(1770908400123LL, t), 0);
	assert_string_equal(t, "2026-02-12T15:00:00.123Z");
	assert_int_equal(protocol_format_rfc3339_ms(-1, t), -1);
	int64_t ms;
	assert_int_equal(protocol_parse_rfc3339_ms("2026-02-12T15:00:00Z", &ms), 0);
	assert_int_equal(ms, 1770908400000LL);
	assert_int_equal(protocol_parse_rfc3339_ms("2026-02-12T15:00:00.5Z", &ms), 0);
	assert_int_equal(ms, 1770908400500LL);
	assert_int_equal(protocol_parse_rfc3339_ms("2024-02-29T00:00:00.123456789Z", &ms), 0);
	assert_int_equal(protocol_parse_rfc3339_ms("1970-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, 0);
	const char *bad[] = {"2026-02-12T15:00:00", "2026-02-12 15:00:00Z", "2026-02-12T15:00:00+01:00",
	                     "2025-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-02-12T24:00:00Z",
	                     "2026-02-12T15:00:00.Z", "2026-02-12T15:00:00.1234567891Z", "",
	                     "2026-02-12T15:00:00Zx"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (protocol_parse_rfc3339_ms(bad[i], &ms) == 0)
			fail_msg("accepted time \"%s\"", bad[i]);

	assert_true(protocol_request_id_valid("req-001"));
	assert_false(protocol_request_id_valid(""));
	assert_false(protocol_request_id_valid("tab\there"));
	assert_false(protocol_request_id_valid(NULL));
}

static void serialize_refuses_oversize(void **state)
{
	(void)state;
	char *big = malloc(FRAME_MAX_PAYLOAD_BYTES + 1);
	assert_non_null(big);
	memset(big, 'a', FRAME_MAX_PAYLOAD_BYTES);
	big[FRAME_MAX_PAYLOAD_BYTES] = '\0';
	json_t *msg = protocol_error("r", PP_ERR_INTERNAL, big);
	free(big);
	char err[ERRBUF_LEN];
	size_t len;
	assert_null(protocol_serialize(msg, &len, err));
	assert_non_null(strstr(err, "frame maximum"));
	json_decref(msg);
}

/* Habit 6: the wire contract names every row of the tables. */
static void protocol_md_names_every_type_code_and_reason(void **state)
{
	(void)state;
	const char *src = getenv("PP_SOURCE_DIR");
	if (src == NULL)
		skip();
	char path[4096];
	snprintf(path, sizeof(path), "%s/docs/PROTOCOL.md", src);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char doc[256 * 1024];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	char want[160];
	for (int t = PP_MSG_NONE + 1; t < PP_MSG__COUNT; t++) {
		snprintf(want, sizeof(want), "`%s`", protocol_msg_type_name(t));
		if (strstr(doc, want) == NULL)
			fail_msg("docs/PROTOCOL.md does not mention message type %s", want);
	}
	for (int c = 0; c < PP_ERR__COUNT; c++) {
		snprintf(want, sizeof(want), "| `%s` |", protocol_err_code_name(c));
		if (strstr(doc, want) == NULL)
			fail_msg("docs/PROTOCOL.md has no error-code row %s", want);
	}
	for (int r = 0; r < PP_DENY__COUNT; r++) {
		snprintf(want, sizeof(want), "`%s`", protocol_deny_reason_name(r));
		if (strstr(doc, want) == NULL)
			fail_msg("docs/PROTOCOL.md does not mention deny reason %s", want);
	}
}

static void builders_fail_cleanly(void **state)
{
	(void)state;
	struct pp_hello h = {.version = NULL};
	assert_null(protocol_hello("r", &h));
	assert_null(protocol_pair_request("r", NULL));
	assert_null(protocol_error("r", PP_ERR_INTERNAL, "not utf-8 \xff"));
	struct pp_session_grant g = {.test_id = "x", .token = "y", .expires_at_ms = -5};
	assert_null(protocol_session_grant("r", &g)); /* no RFC 3339 form before 1970 */
	json_t *m = protocol_path_meta("r", NULL);
	assert_non_null(m);
	json_decref(m);
}

static void features_are_bounded(void **state)
{
	(void)state;
	char text[2048];
	size_t o = (size_t)snprintf(text, sizeof(text),
	                            "{\"request_id\":\"a\",\"payload\":{\"type\":\"hello\","
	                            "\"version\":\"1.0\",\"features\":[");
	for (int i = 0; i <= PP_MAX_FEATURES; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\"f%d\"", i ? "," : "", i);
	snprintf(text + o, sizeof(text) - o, "]}}");
	refuse(text, PP_FROM_CLIENT, PP_ERR_INVALID_MESSAGE, "payload.features");
	char longname[200];
	snprintf(longname, sizeof(longname),
	         "{\"request_id\":\"a\",\"payload\":{\"type\":\"hello\",\"version\":\"1.0\","
	         "\"features\":[\"%065d\"]}}", 0);
	refuse(longname, PP_FROM_CLIENT, PP_ERR_INVALID_MESSAGE, "payload.features[0]");
}

/* The messages of seed 002 (sections 2.6 and 3.7), verbatim, decode. */
static void seed_examples_decode(void **state)
{
	(void)state;
	static const struct {
		enum pp_dir from;
		enum pp_msg_type type;
		const char *text;
	} examples[] = {
		{PP_FROM_CLIENT, PP_MSG_HELLO,
		 "{\n    \"request_id\": \"req-001\",\n    \"payload\": {\n      \"type\": \"hello\",\n"
		 "      \"version\": \"1.0\",\n"
		 "      \"features\": [\"throughput\", \"udp_echo\", \"path_meta\"]\n    }\n  }"},
		{PP_FROM_CLIENT, PP_MSG_SESSION_REQUEST,
		 "{\"request_id\": \"req-002\", \"payload\": {\"type\": \"session_request\", "
		 "\"test_type\": \"udp_echo\", \"params\": {\"duration_sec\": 10, \"protocol\": null, "
		 "\"streams\": null, \"reverse\": null}}}"},
		{PP_FROM_CLIENT, PP_MSG_SESSION_CLOSE,
		 "{\"request_id\": \"req-003\", \"payload\": {\"type\": \"session_close\", "
		 "\"test_id\": \"550e8400-e29b-41d4-a716-446655440000\"}}"},
		{PP_FROM_SERVER, PP_MSG_OK,
		 "{\"request_id\": \"req-003\", \"payload\": { \"type\": \"ok\" }}"},
		{PP_FROM_SERVER, PP_MSG_SESSION_DENY,
		 "{\n  \"request_id\": \"req-011\",\n  \"payload\": {\n    \"type\": \"session_deny\",\n"
		 "    \"reason\": \"rate_limited\",\n"
		 "    \"message\": \"rate limit exceeded for this peer\",\n    \"retry_after_sec\": 60\n  }\n}"},
	};
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		struct pp_msg m;
		char err[ERRBUF_LEN];
		enum pp_err_code code;
		if (protocol_decode(examples[i].text, strlen(examples[i].text), examples[i].from, &m,
		                    &code, err) != 0)
			fail_msg("seed example %zu refused: %s", i, err);
		assert_int_equal(m.type, examples[i].type);
		if (m.type == PP_MSG_SESSION_DENY) {
			assert_int_equal(m.u.session_deny.retry_after_sec, 60);
			assert_null(m.u.session_deny.limit);
		}
		protocol_msg_free(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hello_round_trips),
		cmocka_unit_test(server_hello_round_trips),
		cmocka_unit_test(session_request_round_trips_with_and_without_params),
		cmocka_unit_test(session_grant_round_trips),
		cmocka_unit_test(session_deny_round_trips),
		cmocka_unit_test(small_messages_round_trip),
		cmocka_unit_test(path_meta_round_trips_as_an_open_object),
		cmocka_unit_test(unknown_fields_are_ignored),
		cmocka_unit_test(envelope_errors),
		cmocka_unit_test(json_errors),
		cmocka_unit_test(session_request_field_errors),
		cmocka_unit_test(other_field_errors),
		cmocka_unit_test(reject_builds_the_right_reply),
		cmocka_unit_test(names_round_trip),
		cmocka_unit_test(wire_formats),
		cmocka_unit_test(serialize_refuses_oversize),
		cmocka_unit_test(protocol_md_names_every_type_code_and_reason),
		cmocka_unit_test(builders_fail_cleanly),
		cmocka_unit_test(features_are_bounded),
		cmocka_unit_test(seed_examples_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
