/*
 * protocol_msgs: the message table (habit 6) and one validator per message
 * type. A validator sees a payload that is already a JSON object, checks
 * every field it knows (type and range) and fills the typed struct; fields
 * it does not know are ignored so that newer peers can add some.
 */
#include "core/protocol_fields.h"

#include "lib/errbuf.h"

#include <stdio.h>
#include <string.h>

#define P "payload"
#define PARAMS "payload.params"

/* "1.0", "1.7": we speak major version 1, any minor. */
static int check_version(const json_t *payload, const char **out, char *err)
{
	int rc = pf_string(payload, P, "version", PF_REQUIRED, PP_NAME_MAX_BYTES, true, out, err);
	if (rc != 0)
		return rc;
	const char *s = *out;
	size_t i = 0;
	if (s[0] != '1' || s[1] != '.')
		goto bad;
	for (i = 2; s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i > 2 && s[i] == '\0')
		return 0;
bad:
	errbuf_set(err, P ".version: \"%s\" is not supported (this side speaks %s)", s,
	           PP_PROTOCOL_VERSION);
	return PF_BAD_RANGE;
}

static int check_uuid(const json_t *payload, const char *key, const char **out, char *err)
{
	int rc = pf_string(payload, P, key, PF_REQUIRED, PP_UUID_TEXT_BYTES, true, out, err);
	if (rc != 0)
		return rc;
	if (!protocol_uuid_valid(*out)) {
		errbuf_set(err, P ".%s: \"%s\" is not a UUID", key, *out);
		return PF_BAD_RANGE;
	}
	return 0;
}

/* A string field naming one value of an enum; parse is its *_parse. */
#define CHECK_ENUM(obj, where, key, need, parse, out_ptr, what, bad_rc)                      \
	do {                                                                                 \
		const char *s_;                                                              \
		int rc_ = pf_string(obj, where, key, need, PP_NAME_MAX_BYTES, true, &s_, err); \
		if (rc_ != 0)                                                                \
			return rc_;                                                          \
		if (s_ != NULL && parse(s_, out_ptr) != 0) {                                 \
			errbuf_set(err, "%s.%s: \"%s\" is not %s", where, key, s_, what);    \
			return bad_rc;                                                       \
		}                                                                            \
	} while (0)

#define TRY(expr)                       \
	do {                                \
		int rc_ = (expr);           \
		if (rc_ != 0)               \
			return rc_;         \
	} while (0)

static int validate_hello(const json_t *payload, struct pp_msg *out, char *err)
{
	struct pp_hello *m = &out->u.hello;
	TRY(check_version(payload, &m->version, err));
	return pf_string_array(payload, P, "features", PF_NULLABLE, PP_MAX_FEATURES,
	                       PP_FEATURE_MAX_BYTES, m->features, &m->n_features, err);
}

static int validate_policy(const json_t *pol, struct pp_policy_summary *p, char *err)
{
	static const char where[] = P ".policy_summary";
	static const struct {
		const char *key;
		size_t offset;
	} ints[] = {
		{"max_test_duration_sec", offsetof(struct pp_policy_summary, max_test_duration_sec)},
		{"max_concurrent_tests", offsetof(struct pp_policy_summary, max_concurrent_tests)},
		{"max_tests_per_hour", offsetof(struct pp_policy_summary, max_tests_per_hour)},
		{"cooldown_sec", offsetof(struct pp_policy_summary, cooldown_sec)},
		{"max_bytes_per_day", offsetof(struct pp_policy_summary, max_bytes_per_day)},
		{"max_streams", offsetof(struct pp_policy_summary, max_streams)},
	};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		bool has;
		int64_t *dst = (int64_t *)(void *)((char *)p + ints[i].offset);
		TRY(pf_int(pol, where, ints[i].key, PF_REQUIRED, 0, INT64_MAX, &has, dst, err));
	}
	const char *types[PP_MAX_FEATURES];
	size_t n_types;
	TRY(pf_string_array(pol, where, "allowed_test_types", PF_REQUIRED, PP_MAX_FEATURES,
	                    PP_FEATURE_MAX_BYTES, types, &n_types, err));
	p->allowed_test_types = 0;
	for (size_t i = 0; i < n_types; i++) {
		enum pp_test_type t;
		/* A test type this side does not know is one it cannot run: skip. */
		if (protocol_test_type_parse(types[i], &t) == 0)
			p->allowed_test_types |= PP_TEST_BIT(t);
	}
	CHECK_ENUM(pol, where, "mode", PF_REQUIRED, protocol_mode_parse, &p->mode,
	           "\"tunneled\" or \"direct_ephemeral\"", PF_BAD_RANGE);
	return pf_int(pol, where, "bytes_left_today", PF_NULLABLE, 0, PP_WIRE_BYTES_MAX, &p->has_bytes_left,
	              &p->bytes_left_today, err);
}

static int validate_server_hello(const json_t *payload, struct pp_msg *out, char *err)
{
	struct pp_server_hello *m = &out->u.server_hello;
	TRY(check_version(payload, &m->version, err));
	TRY(pf_string(payload, P, "endpoint_id", PF_REQUIRED, PP_NAME_MAX_BYTES, true,
	              &m->endpoint_id, err));
	TRY(pf_string_array(payload, P, "features", PF_REQUIRED, PP_MAX_FEATURES,
	                    PP_FEATURE_MAX_BYTES, m->features, &m->n_features, err));
	const json_t *pol;
	TRY(pf_object(payload, P, "policy_summary", PF_REQUIRED, &pol, err));
	return validate_policy(pol, &m->policy, err);
}

/* Values of the right JSON type but outside the wire range are "bad
 * params": the server answers session_deny invalid_params, not an error. */
static int params_rc(int rc, struct pp_msg *out, const json_t *params, const char *key)
{
	if (rc == PF_BAD_RANGE) {
		out->bad_params = true;
		out->bad_param = key;
		const json_t *v = json_object_get(params, key);
		if (json_is_integer(v)) {
			out->has_bad_value = true;
			out->bad_value = json_integer_value(v);
		}
	}
	return rc;
}

static int validate_session_request(const json_t *payload, struct pp_msg *out, char *err)
{
	struct pp_session_request *m = &out->u.session_request;
	struct pp_session_params *p = &m->params;
	const char *tt;
	TRY(pf_string(payload, P, "test_type", PF_REQUIRED, PP_NAME_MAX_BYTES, true, &tt, err));
	if (protocol_test_type_parse(tt, &m->test_type) != 0) {
		errbuf_set(err, P ".test_type: \"%s\" is not a test type (udp_echo, throughput)", tt);
		out->bad_params = true;
		out->bad_param = "test_type";
		return PF_BAD_RANGE;
	}
	const json_t *params;
	TRY(pf_object(payload, P, "params", PF_NULLABLE, &params, err));
	if (params == NULL)
		return 0; /* all null */
	/* 0 means "as long as allowed", like null (governance clamps). */
	TRY(params_rc(pf_int(params, PARAMS, "duration_sec", PF_NULLABLE, 0, PP_WIRE_INT_MAX,
	                     &p->has_duration, &p->duration_sec, err),
	              out, params, "duration_sec"));
	const char *proto;
	TRY(pf_string(params, PARAMS, "protocol", PF_NULLABLE, PP_NAME_MAX_BYTES, true, &proto,
	              err));
	if (proto != NULL && (protocol_transport_parse(proto, &p->protocol) != 0 ||
	                      p->protocol == PP_TRANSPORT_UNSET)) {
		errbuf_set(err, PARAMS ".protocol: \"%s\" is not \"tcp\" or \"udp\"", proto);
		out->bad_params = true;
		out->bad_param = "protocol";
		return PF_BAD_RANGE;
	}
	TRY(params_rc(pf_int(params, PARAMS, "streams", PF_NULLABLE, 1, PP_WIRE_INT_MAX,
	                     &p->has_streams, &p->streams, err),
	              out, params, "streams"));
	return pf_bool(params, PARAMS, "reverse", PF_NULLABLE, &p->has_reverse, &p->reverse, err);
}

static int validate_session_grant(const json_t *payload, struct pp_msg *out, char *err)
{
	struct pp_session_grant *m = &out->u.session_grant;
	bool has;
	int64_t port;
	const char *expires;
	TRY(check_uuid(payload, "test_id", &m->test_id, err));
	CHECK_ENUM(payload, P, "mode", PF_REQUIRED, protocol_mode_parse, &m->mode,
	           "\"tunneled\" or \"direct_ephemeral\"", PF_BAD_RANGE);
	TRY(pf_int(payload, P, "port", PF_REQUIRED, 1, 65535, &has, &port, err));
	m->port = (uint16_t)port;
	TRY(check_uuid(payload, "token", &m->token, err));
	TRY(pf_string(payload, P, "expires_at", PF_REQUIRED, PP_NAME_MAX_BYTES, true, &expires,
	              err));
	if (protocol_parse_rfc3339_ms(expires, &m->expires_at_ms) != 0) {
		errbuf_set(err, P ".expires_at: \"%s\" is not an RFC 3339 UTC time", expires);
		return PF_BAD_RANGE;
	}
	TRY(pf_int(payload, P, "duration_sec", PF_REQUIRED, 1, PP_WIRE_INT_MAX, &has,
	           &m->duration_sec, err));
	TRY(pf_int(payload, P, "streams", PF_NULLABLE, 1, PP_WIRE_INT_MAX, &m->has_streams,
	           &m->streams, err));
	TRY(pf_int(payload, P, "bytes_left_today", PF_NULLABLE, 0, PP_WIRE_BYTES_MAX, &m->has_bytes_left,
	           &m->bytes_left_today, err));
	/* PEM has newlines: not printable-ASCII-only. */
	return pf_string(payload, P, "iperf3_rsa_public_key", PF_NULLABLE, PP_PEM_MAX_BYTES, false,
	                 &m->iperf3_rsa_public_key, err);
}

static int validate_session_deny(const json_t *payload, struct pp_msg *out, char *err)
{
	struct pp_session_deny *m = &out->u.session_deny;
	CHECK_ENUM(payload, P, "reason", PF_REQUIRED, protocol_deny_reason_parse, &m->reason,
	           "a deny reason", PF_BAD_RANGE);
	TRY(pf_string(payload, P, "message", PF_REQUIRED, PP_TEXT_MAX_BYTES, false, &m->message,
	              err));
	TRY(pf_int(payload, P, "retry_after_sec", PF_NULLABLE, 0, INT64_MAX, &m->has_retry_after,
	           &m->retry_after_sec, err));
	TRY(pf_string(payload, P, "limit", PF_NULLABLE, PP_NAME_MAX_BYTES, true, &m->limit, err));
	TRY(pf_int(payload, P, "current", PF_NULLABLE, INT64_MIN, INT64_MAX, &m->has_current,
	           &m->current, err));
	return pf_int(payload, P, "maximum", PF_NULLABLE, INT64_MIN, INT64_MAX, &m->has_maximum,
	              &m->maximum, err);
}

static int validate_session_close(const json_t *payload, struct pp_msg *out, char *err)
{
	return check_uuid(payload, "test_id", &out->u.session_close.test_id, err);
}

static int validate_empty(const json_t *payload, struct pp_msg *out, char *err)
{
	(void)payload;
	(void)out;
	(void)err;
	return 0;
}

/* Open object; only the interfaces list has a shape we rely on yet. */
static int validate_path_meta(const json_t *payload, struct pp_msg *out, char *err)
{
	out->u.path_meta.fields = (json_t *)payload;
	const json_t *ifs = json_object_get(payload, "interfaces");
	if (ifs == NULL || json_is_null(ifs))
		return 0;
	if (!json_is_array(ifs)) {
		errbuf_set(err, P ".interfaces: expected an array, got %s", pf_type_name(ifs));
		return PF_BAD_TYPE;
	}
	for (size_t i = 0; i < json_array_size(ifs); i++) {
		const json_t *itf = json_array_get(ifs, i);
		char where[64];
		snprintf(where, sizeof(where), P ".interfaces[%zu]", i);
		if (!json_is_object(itf)) {
			errbuf_set(err, "%s: expected an object, got %s", where, pf_type_name(itf));
			return PF_BAD_TYPE;
		}
		const char *name;
		bool has;
		int64_t mtu;
		TRY(pf_string(itf, where, "name", PF_REQUIRED, PP_NAME_MAX_BYTES, false, &name, err));
		TRY(pf_int(itf, where, "mtu", PF_NULLABLE, 0, PP_WIRE_INT_MAX, &has, &mtu, err));
	}
	return 0;
}

static int validate_pair_request(const json_t *payload, struct pp_msg *out, char *err)
{
	return pf_string(payload, P, "token", PF_REQUIRED, PP_TOKEN_MAX_BYTES, true,
	                 &out->u.pair_request.token, err);
}

static int validate_tunnel_attach(const json_t *payload, struct pp_msg *out, char *err)
{
	return check_uuid(payload, "token", &out->u.tunnel_attach.token, err);
}

static int validate_pair_response(const json_t *payload, struct pp_msg *out, char *err)
{
	struct pp_pair_response *m = &out->u.pair_response;
	bool has;
	TRY(pf_bool(payload, P, "success", PF_REQUIRED, &has, &m->success, err));
	TRY(pf_string(payload, P, "message", PF_REQUIRED, PP_TEXT_MAX_BYTES, false, &m->message,
	              err));
	return pf_string(payload, P, "endpoint_id", PF_REQUIRED, PP_NAME_MAX_BYTES, true,
	                 &m->endpoint_id, err);
}

static int validate_error(const json_t *payload, struct pp_msg *out, char *err)
{
	struct pp_error *m = &out->u.error;
	CHECK_ENUM(payload, P, "code", PF_REQUIRED, protocol_err_code_parse, &m->code,
	           "an error code", PF_BAD_RANGE);
	return pf_string(payload, P, "message", PF_REQUIRED, PP_TEXT_MAX_BYTES, false,
	                 &m->message, err);
}

/* The one table of message types. */
static const struct pp_msg_def msg_table[] = {
	{"hello", PP_MSG_HELLO, PP_FROM_CLIENT, validate_hello},
	{"server_hello", PP_MSG_SERVER_HELLO, PP_FROM_SERVER, validate_server_hello},
	{"session_request", PP_MSG_SESSION_REQUEST, PP_FROM_CLIENT, validate_session_request},
	{"session_grant", PP_MSG_SESSION_GRANT, PP_FROM_SERVER, validate_session_grant},
	{"session_deny", PP_MSG_SESSION_DENY, PP_FROM_SERVER, validate_session_deny},
	{"session_close", PP_MSG_SESSION_CLOSE, PP_FROM_CLIENT, validate_session_close},
	{"ok", PP_MSG_OK, PP_FROM_SERVER, validate_empty},
	{"get_path_meta", PP_MSG_GET_PATH_META, PP_FROM_CLIENT, validate_empty},
	{"path_meta", PP_MSG_PATH_META, PP_FROM_SERVER, validate_path_meta},
	{"pair_request", PP_MSG_PAIR_REQUEST, PP_FROM_CLIENT, validate_pair_request},
	{"pair_response", PP_MSG_PAIR_RESPONSE, PP_FROM_SERVER, validate_pair_response},
	{"error", PP_MSG_ERROR, PP_FROM_SERVER, validate_error},
	{"tunnel_attach", PP_MSG_TUNNEL_ATTACH, PP_FROM_CLIENT, validate_tunnel_attach},
};
#define N_MSGS (sizeof(msg_table) / sizeof(msg_table[0]))
_Static_assert(N_MSGS == PP_MSG__COUNT - 1, "every message type has one row");

const struct pp_msg_def *pp_msg_def_by_name(const char *name)
{
	for (size_t i = 0; i < N_MSGS; i++)
		if (strcmp(msg_table[i].name, name) == 0)
			return &msg_table[i];
	return NULL;
}

const struct pp_msg_def *pp_msg_def_by_type(enum pp_msg_type type)
{
	for (size_t i = 0; i < N_MSGS; i++)
		if (msg_table[i].type == type)
			return &msg_table[i];
	return NULL;
}

const char *protocol_msg_type_name(enum pp_msg_type t)
{
	const struct pp_msg_def *d = pp_msg_def_by_type(t);
	return d != NULL ? d->name : "?";
}

int protocol_msg_type_parse(const char *s, enum pp_msg_type *out)
{
	const struct pp_msg_def *d = s != NULL ? pp_msg_def_by_name(s) : NULL;
	if (d == NULL)
		return -1;
	*out = d->type;
	return 0;
}

enum pp_dir protocol_msg_direction(enum pp_msg_type t)
{
	const struct pp_msg_def *d = pp_msg_def_by_type(t);
	return d != NULL ? d->from : PP_FROM_SERVER;
}
