/*
 * protocol_encode: one builder per message type. Each returns a new
 * envelope {"request_id", "payload": {"type", ...}} or NULL when jansson
 * cannot allocate or a string is not UTF-8. Optional fields are always
 * written (as null when absent) so the wire shows every field.
 */
#include "core/protocol_fields.h"

#include "lib/errbuf.h"
#include "lib/frame.h"

#include <stdlib.h>
#include <string.h>

/* Accumulates failures so builders read as a list of fields. */
struct b {
	json_t *obj;
	bool failed;
};

static void put(struct b *b, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(b->obj, key, v) != 0)
		b->failed = true;
}

static json_t *str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *int_or_null(bool has, int64_t v)
{
	return has ? json_integer((json_int_t)v) : json_null();
}

static json_t *string_array(const char *const *items, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++) {
		if (json_array_append_new(a, json_string(items[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static struct b payload_of(enum pp_msg_type type)
{
	struct b b = {json_object(), false};
	if (b.obj == NULL)
		b.failed = true;
	else
		put(&b, "type", json_string(protocol_msg_type_name(type)));
	return b;
}

/* Wraps (and takes) the payload; NULL if anything failed on the way. */
static json_t *envelope(const char *request_id, struct b *payload)
{
	if (payload->failed) {
		json_decref(payload->obj);
		return NULL;
	}
	struct b env = {json_object(), false};
	if (env.obj == NULL) {
		json_decref(payload->obj);
		return NULL;
	}
	put(&env, "request_id", str_or_null(request_id));
	put(&env, "payload", payload->obj);
	if (env.failed) {
		json_decref(env.obj);
		return NULL;
	}
	return env.obj;
}

json_t *protocol_hello(const char *request_id, const struct pp_hello *m)
{
	struct b p = payload_of(PP_MSG_HELLO);
	put(&p, "version", json_string(m->version));
	put(&p, "features", string_array(m->features, m->n_features));
	return envelope(request_id, &p);
}

static json_t *policy_summary(const struct pp_policy_summary *pol)
{
	struct b p = {json_object(), false};
	if (p.obj == NULL)
		return NULL;
	put(&p, "max_test_duration_sec", json_integer(pol->max_test_duration_sec));
	put(&p, "max_concurrent_tests", json_integer(pol->max_concurrent_tests));
	put(&p, "max_tests_per_hour", json_integer(pol->max_tests_per_hour));
	const char *types[PP_TEST__COUNT];
	size_t n = 0;
	for (int t = 0; t < PP_TEST__COUNT; t++)
		if (pol->allowed_test_types & PP_TEST_BIT(t))
			types[n++] = protocol_test_type_name((enum pp_test_type)t);
	put(&p, "allowed_test_types", string_array(types, n));
	put(&p, "cooldown_sec", json_integer(pol->cooldown_sec));
	put(&p, "max_bytes_per_day", json_integer(pol->max_bytes_per_day));
	put(&p, "max_streams", json_integer(pol->max_streams));
	put(&p, "mode", json_string(protocol_mode_name(pol->mode)));
	put(&p, "bytes_left_today", int_or_null(pol->has_bytes_left, pol->bytes_left_today));
	if (p.failed) {
		json_decref(p.obj);
		return NULL;
	}
	return p.obj;
}

json_t *protocol_server_hello(const char *request_id, const struct pp_server_hello *m)
{
	struct b p = payload_of(PP_MSG_SERVER_HELLO);
	put(&p, "version", json_string(m->version));
	put(&p, "endpoint_id", json_string(m->endpoint_id));
	put(&p, "features", string_array(m->features, m->n_features));
	put(&p, "policy_summary", policy_summary(&m->policy));
	return envelope(request_id, &p);
}

json_t *protocol_session_request(const char *request_id, const struct pp_session_request *m)
{
	const struct pp_session_params *sp = &m->params;
	struct b p = payload_of(PP_MSG_SESSION_REQUEST);
	put(&p, "test_type", json_string(protocol_test_type_name(m->test_type)));
	struct b params = {json_object(), false};
	if (params.obj != NULL) {
		put(&params, "duration_sec", int_or_null(sp->has_duration, sp->duration_sec));
		put(&params, "protocol", sp->protocol == PP_TRANSPORT_UNSET
		                             ? json_null()
		                             : json_string(protocol_transport_name(sp->protocol)));
		put(&params, "streams", int_or_null(sp->has_streams, sp->streams));
		put(&params, "reverse", sp->has_reverse ? json_boolean(sp->reverse) : json_null());
		if (params.failed) {
			json_decref(params.obj);
			params.obj = NULL;
		}
	}
	put(&p, "params", params.obj);
	return envelope(request_id, &p);
}

json_t *protocol_session_grant(const char *request_id, const struct pp_session_grant *m)
{
	char expires[PP_RFC3339_BUF_BYTES];
	struct b p = payload_of(PP_MSG_SESSION_GRANT);
	if (protocol_format_rfc3339_ms(m->expires_at_ms, expires) != 0)
		p.failed = true;
	put(&p, "test_id", json_string(m->test_id));
	put(&p, "mode", json_string(protocol_mode_name(m->mode)));
	put(&p, "port", json_integer(m->port));
	put(&p, "token", json_string(m->token));
	put(&p, "expires_at", json_string(expires));
	put(&p, "duration_sec", json_integer(m->duration_sec));
	put(&p, "streams", int_or_null(m->has_streams, m->streams));
	put(&p, "iperf3_rsa_public_key", str_or_null(m->iperf3_rsa_public_key));
	put(&p, "bytes_left_today", int_or_null(m->has_bytes_left, m->bytes_left_today));
	return envelope(request_id, &p);
}

json_t *protocol_session_deny(const char *request_id, const struct pp_session_deny *m)
{
	struct b p = payload_of(PP_MSG_SESSION_DENY);
	put(&p, "reason", json_string(protocol_deny_reason_name(m->reason)));
	put(&p, "message", json_string(m->message));
	put(&p, "retry_after_sec", int_or_null(m->has_retry_after, m->retry_after_sec));
	put(&p, "limit", str_or_null(m->limit));
	put(&p, "current", int_or_null(m->has_current, m->current));
	put(&p, "maximum", int_or_null(m->has_maximum, m->maximum));
	return envelope(request_id, &p);
}

json_t *protocol_session_close(const char *request_id, const char *test_id)
{
	struct b p = payload_of(PP_MSG_SESSION_CLOSE);
	put(&p, "test_id", json_string(test_id));
	return envelope(request_id, &p);
}

json_t *protocol_ok(const char *request_id)
{
	struct b p = payload_of(PP_MSG_OK);
	return envelope(request_id, &p);
}

json_t *protocol_get_path_meta(const char *request_id)
{
	struct b p = payload_of(PP_MSG_GET_PATH_META);
	return envelope(request_id, &p);
}

json_t *protocol_path_meta(const char *request_id, const json_t *fields)
{
	struct b p = payload_of(PP_MSG_PATH_META);
	if (!p.failed && fields != NULL) {
		const char *key;
		json_t *v;
		/* The cast: jansson's iteration macro wants a non-const object;
		 * members are only referenced, never changed. */
		json_object_foreach((json_t *)fields, key, v) {
			if (strcmp(key, "type") != 0)
				put(&p, key, json_incref(v));
		}
	}
	return envelope(request_id, &p);
}

json_t *protocol_pair_request(const char *request_id, const char *token)
{
	struct b p = payload_of(PP_MSG_PAIR_REQUEST);
	put(&p, "token", json_string(token));
	return envelope(request_id, &p);
}

json_t *protocol_tunnel_attach(const char *request_id, const char *token)
{
	struct b p = payload_of(PP_MSG_TUNNEL_ATTACH);
	put(&p, "token", json_string(token));
	return envelope(request_id, &p);
}

json_t *protocol_pair_response(const char *request_id, const struct pp_pair_response *m)
{
	struct b p = payload_of(PP_MSG_PAIR_RESPONSE);
	put(&p, "success", json_boolean(m->success));
	put(&p, "message", json_string(m->message));
	put(&p, "endpoint_id", json_string(m->endpoint_id));
	return envelope(request_id, &p);
}

json_t *protocol_error(const char *request_id, enum pp_err_code code, const char *message)
{
	struct b p = payload_of(PP_MSG_ERROR);
	put(&p, "code", json_string(protocol_err_code_name(code)));
	put(&p, "message", json_string(message));
	return envelope(request_id, &p);
}

char *protocol_serialize(const json_t *msg, size_t *len_out, char *err)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	if (text == NULL) {
		errbuf_set(err, "cannot serialise message (out of memory or not an object)");
		return NULL;
	}
	size_t len = strlen(text);
	if (len > FRAME_MAX_PAYLOAD_BYTES) {
		errbuf_set(err, "message of %zu bytes exceeds the %d-byte frame maximum", len,
		           FRAME_MAX_PAYLOAD_BYTES);
		free(text);
		return NULL;
	}
	*len_out = len;
	return text;
}
