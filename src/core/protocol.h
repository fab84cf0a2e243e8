/*
 * protocol: the pp-link/1 control messages (docs/PROTOCOL.md is the contract).
 *
 * Owns the message table (name, type, direction, validator), the JSON
 * envelope {"request_id": ..., "payload": {"type": ..., ...}}, decoding and
 * validation of untrusted messages into typed structs, one builder per
 * message type, and the names of test types, deny reasons and error codes.
 * It knows nothing of sockets or TLS: frames come from lib/frame, bytes from
 * the caller.
 *
 * Decoded strings point into the parsed JSON kept in pp_msg.root: they live
 * until protocol_msg_free(). The same structs are used to build messages
 * (then the strings are the caller's).
 */
#ifndef PP_CORE_PROTOCOL_H
#define PP_CORE_PROTOCOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PP_PROTOCOL_ALPN "pp-link/1"
#define PP_PROTOCOL_VERSION "1.0"

/* Wire limits (decoding refuses anything beyond them). */
#define PP_REQUEST_ID_MAX_BYTES 128 /* printable ASCII 0x20..0x7e, at least 1 */
#define PP_MAX_FEATURES 32          /* entries of a features array */
#define PP_FEATURE_MAX_BYTES 64     /* one feature name */
#define PP_TEXT_MAX_BYTES 1024      /* human text: message fields */
#define PP_TOKEN_MAX_BYTES 128      /* pair_request token, printable ASCII */
#define PP_NAME_MAX_BYTES 128       /* endpoint ids, limit names, versions */
#define PP_PEM_MAX_BYTES 4096       /* a PEM public key (session_grant) */
#define PP_JSON_MAX_DEPTH 32        /* nesting of arrays/objects, envelope = 1 */
#define PP_WIRE_INT_MAX 2147483647  /* duration_sec 0.., streams 1.. up to 2^31-1 */
#define PP_WIRE_BYTES_MAX 9007199254740991LL /* byte counts: 2^53 - 1, exact in any JSON reader */
#define PP_UUID_TEXT_BYTES 36       /* 8-4-4-4-12 hex digits */
#define PP_RFC3339_BUF_BYTES 32     /* "2026-02-12T15:00:00.000Z" + NUL, with room */

/* Timing constants of the contract. */
#define PP_HANDSHAKE_TIMEOUT_SEC 5 /* TCP accept to finished TLS handshake */
#define PP_SESSION_GRACE_SEC 5     /* expires_at = grant + clamped duration + grace */

/* Who sends a message. */
enum pp_dir {
	PP_FROM_CLIENT, /* client -> server (paramedic -> reflector) */
	PP_FROM_SERVER, /* server -> client */
};

/* The message table's rows (protocol_msgs.c). */
enum pp_msg_type {
	PP_MSG_NONE = 0, /* not (yet) known: decoding failed before the type */
	PP_MSG_HELLO,
	PP_MSG_SERVER_HELLO,
	PP_MSG_SESSION_REQUEST,
	PP_MSG_SESSION_GRANT,
	PP_MSG_SESSION_DENY,
	PP_MSG_SESSION_CLOSE,
	PP_MSG_OK,
	PP_MSG_GET_PATH_META,
	PP_MSG_PATH_META,
	PP_MSG_PAIR_REQUEST,
	PP_MSG_PAIR_RESPONSE,
	PP_MSG_ERROR,
	PP_MSG_TUNNEL_ATTACH,
	PP_MSG__COUNT
};

enum pp_test_type {
	PP_TEST_UDP_ECHO,
	PP_TEST_THROUGHPUT,
	PP_TEST__COUNT
};

enum pp_session_mode {
	PP_MODE_TUNNELED,
	PP_MODE_DIRECT_EPHEMERAL,
	PP_MODE__COUNT
};

/* session_request params.protocol; PP_TRANSPORT_UNSET = absent or null. */
enum pp_transport {
	PP_TRANSPORT_UNSET,
	PP_TRANSPORT_TCP,
	PP_TRANSPORT_UDP,
	PP_TRANSPORT__COUNT
};

/* In order of precedence: when several apply, the first one is sent. */
enum pp_deny_reason {
	PP_DENY_UNAUTHORIZED,
	PP_DENY_INVALID_PARAMS,
	PP_DENY_BUSY,
	PP_DENY_RATE_LIMITED,
	PP_DENY_QUOTA_EXCEEDED,
	PP_DENY__COUNT
};

enum pp_err_code {
	PP_ERR_MALFORMED_FRAME,  /* length 0 (connection closed after) */
	PP_ERR_FRAME_TOO_LARGE,  /* length > 1 MiB (connection closed after) */
	PP_ERR_INVALID_JSON,     /* not a UTF-8 JSON object, duplicate keys, too deep */
	PP_ERR_INVALID_MESSAGE,  /* envelope or a field missing, of the wrong type or range */
	PP_ERR_UNKNOWN_TYPE,     /* payload.type unknown, or not one this side receives */
	PP_ERR_PAIRING_REQUIRED, /* unknown peer, pairing window open: send pair_request */
	PP_ERR_UNAUTHORIZED,     /* unknown peer, no pairing window (connection closed after) */
	PP_ERR_NOT_FOUND,        /* session_close of an unknown test_id */
	PP_ERR_TIMEOUT,          /* a frame did not complete in time (connection closed after) */
	PP_ERR_INTERNAL,
	PP_ERR_SHUTTING_DOWN,
	PP_ERR__COUNT
};

/* Bitmask of test types, e.g. (1u << PP_TEST_UDP_ECHO). */
#define PP_TEST_BIT(t) (1u << (t))

/* ---- message bodies (payload fields without "type") ---- */

/* hello, client -> server. */
struct pp_hello {
	const char *version; /* "1.0" */
	const char *features[PP_MAX_FEATURES];
	size_t n_features;
};

struct pp_policy_summary {
	int64_t max_test_duration_sec;
	int64_t max_concurrent_tests;
	int64_t max_tests_per_hour;
	unsigned allowed_test_types; /* PP_TEST_BIT() mask */
	int64_t cooldown_sec;
	int64_t max_bytes_per_day;
	int64_t max_streams;
	enum pp_session_mode mode;
	bool has_bytes_left;      /* optional on the wire */
	int64_t bytes_left_today; /* what the asking peer may still move today */
};

/* server_hello, server -> client. */
struct pp_server_hello {
	const char *version;
	const char *endpoint_id; /* the reflector's PP-... ID */
	const char *features[PP_MAX_FEATURES];
	size_t n_features;
	struct pp_policy_summary policy;
};

/* session_request.params; every field may be null or absent ("has_" false). */
struct pp_session_params {
	bool has_duration;
	int64_t duration_sec; /* 0..PP_WIRE_INT_MAX; 0 = as long as allowed (like null) */
	enum pp_transport protocol;
	bool has_streams;
	int64_t streams; /* 1..PP_WIRE_INT_MAX when present */
	bool has_reverse;
	bool reverse;
};

struct pp_session_request {
	enum pp_test_type test_type;
	struct pp_session_params params;
};

/* session_grant, server -> client. */
struct pp_session_grant {
	const char *test_id; /* UUID text */
	enum pp_session_mode mode;
	uint16_t port;         /* 1..65535; the control port when tunneled */
	const char *token;     /* UUID v4 text, >= 122 random bits */
	int64_t expires_at_ms; /* wall ms; on the wire RFC 3339 UTC with ms */
	int64_t duration_sec;  /* the clamped duration */
	bool has_streams;      /* throughput only */
	int64_t streams;
	const char *iperf3_rsa_public_key; /* PEM; NULL = null (no iperf3 authentication) */
	bool has_bytes_left;               /* throughput only */
	int64_t bytes_left_today;          /* the peer's daily byte budget left at the grant */
};

/* session_deny, server -> client. Optional numbers: "has_" false = null. */
struct pp_session_deny {
	enum pp_deny_reason reason;
	const char *message; /* names the limit, current value and maximum */
	bool has_retry_after;
	int64_t retry_after_sec;
	const char *limit; /* e.g. "max_tests_per_hour_per_peer"; NULL = null */
	bool has_current;
	int64_t current;
	bool has_maximum;
	int64_t maximum;
};

struct pp_session_close {
	const char *test_id;
};

/* path_meta, server -> client: an open object, filled by the data plane.
 * Decoded: the payload object itself (borrowed from pp_msg.root; includes
 * "type"). Known fields: cpu, memory, load, interfaces [{name, mtu}],
 * clock_sync, version. */
struct pp_path_meta {
	json_t *fields;
};

struct pp_pair_request {
	const char *token; /* 1..PP_TOKEN_MAX_BYTES printable ASCII */
};

/* tunnel_attach, client -> server: the first frame of a data-plane
 * connection (PROTOCOL.md 9.5); answered ok, then raw bytes both ways. */
struct pp_tunnel_attach {
	const char *token; /* the grant's token: a UUID */
};

struct pp_pair_response {
	bool success;
	const char *message;
	const char *endpoint_id; /* the reflector's */
};

struct pp_error {
	enum pp_err_code code;
	const char *message;
};

/* A decoded message. */
struct pp_msg {
	enum pp_msg_type type;
	/* NULL only for an error about an unparseable frame. After a failed
	 * decode: the request_id if one could be read, else NULL. */
	const char *request_id;
	/* After a failed decode of a session_request whose params are well
	 * typed but out of the wire range: answer session_deny invalid_params
	 * (protocol_reject does it). */
	bool bad_params;
	const char *bad_param; /* its name: "duration_sec", "streams", "protocol", "test_type" */
	bool has_bad_value;    /* the refused number, for session_deny.current */
	int64_t bad_value;
	union {
		struct pp_hello hello;
		struct pp_server_hello server_hello;
		struct pp_session_request session_request;
		struct pp_session_grant session_grant;
		struct pp_session_deny session_deny;
		struct pp_session_close session_close;
		struct pp_path_meta path_meta;
		struct pp_pair_request pair_request;
		struct pp_pair_response pair_response;
		struct pp_error error;
		struct pp_tunnel_attach tunnel_attach;
	} u; /* ok and get_path_meta have no fields */
	json_t *root; /* owns every string above */
};

/* ---- decoding ---- */

/*
 * Decodes one frame payload (len bytes, not NUL-terminated) sent by `from`.
 * Checks: size (<= 1 MiB), nesting (<= PP_JSON_MAX_DEPTH), UTF-8 JSON object
 * without duplicate keys or trailing bytes, the envelope, that the type is
 * known and sent by `from`, and every field's type and range. Unknown extra
 * fields are ignored (forward compatibility).
 *
 * Returns 0 and fills *out (free with protocol_msg_free). On failure returns
 * -1, sets *code to the error code to send back (PP_ERR_INVALID_JSON,
 * PP_ERR_INVALID_MESSAGE, PP_ERR_UNKNOWN_TYPE, PP_ERR_FRAME_TOO_LARGE), fills
 * err naming the field ("payload.params.streams: ..."), and leaves in *out
 * what could be read (request_id, type, bad_params) for protocol_reject();
 * protocol_msg_free(out) is still required.
 */
int protocol_decode(const char *json, size_t len, enum pp_dir from,
                    struct pp_msg *out, enum pp_err_code *code, char *err);

/* Releases what a decode kept and zeroes *m. NULL-safe, idempotent. */
void protocol_msg_free(struct pp_msg *m);

/* The server's answer to a message protocol_decode refused: session_deny
 * invalid_params for bad_params (limit = the param's name, current = the
 * refused number), else error {code, err} carrying the request_id when one
 * was read (else null). NULL on allocation failure. */
json_t *protocol_reject(const struct pp_msg *failed, enum pp_err_code code,
                        const char *err);

/* ---- encoding: each returns a new envelope (json_decref it) or NULL on
 * allocation failure or a string that is not UTF-8. Inputs are trusted. ---- */

json_t *protocol_hello(const char *request_id, const struct pp_hello *m);
json_t *protocol_server_hello(const char *request_id, const struct pp_server_hello *m);
json_t *protocol_session_request(const char *request_id, const struct pp_session_request *m);
json_t *protocol_session_grant(const char *request_id, const struct pp_session_grant *m);
json_t *protocol_session_deny(const char *request_id, const struct pp_session_deny *m);
json_t *protocol_session_close(const char *request_id, const char *test_id);
json_t *protocol_ok(const char *request_id);
json_t *protocol_get_path_meta(const char *request_id);
/* fields: an object whose members are copied into the payload (may be NULL). */
json_t *protocol_path_meta(const char *request_id, const json_t *fields);
json_t *protocol_pair_request(const char *request_id, const char *token);
json_t *protocol_pair_response(const char *request_id, const struct pp_pair_response *m);
json_t *protocol_tunnel_attach(const char *request_id, const char *token);
/* request_id NULL -> "request_id": null (an unparseable frame). */
json_t *protocol_error(const char *request_id, enum pp_err_code code, const char *message);

/* Compact JSON text of an envelope, malloc'd (free()), *len_out bytes
 * without the NUL. NULL (and err) if it would exceed the 1 MiB frame cap. */
char *protocol_serialize(const json_t *msg, size_t *len_out, char *err);

/* ---- names (the wire spelling) and their inverses ----
 * *_name returns "?" for out-of-range values; *_parse returns 0 or -1. */

const char *protocol_msg_type_name(enum pp_msg_type t);
int protocol_msg_type_parse(const char *s, enum pp_msg_type *out);
enum pp_dir protocol_msg_direction(enum pp_msg_type t);
const char *protocol_test_type_name(enum pp_test_type t);
int protocol_test_type_parse(const char *s, enum pp_test_type *out);
const char *protocol_mode_name(enum pp_session_mode m);
int protocol_mode_parse(const char *s, enum pp_session_mode *out);
const char *protocol_transport_name(enum pp_transport t); /* UNSET -> "?" */
int protocol_transport_parse(const char *s, enum pp_transport *out);
const char *protocol_deny_reason_name(enum pp_deny_reason r);
int protocol_deny_reason_parse(const char *s, enum pp_deny_reason *out);
const char *protocol_err_code_name(enum pp_err_code c);
int protocol_err_code_parse(const char *s, enum pp_err_code *out);

/* ---- small wire formats ---- */

/* 1..PP_REQUEST_ID_MAX_BYTES bytes of printable ASCII (0x20..0x7e). */
bool protocol_request_id_valid(const char *s);

/* A random UUID v4 (122 random bits from the OpenSSL CSPRNG), lowercase:
 * test_ids and session tokens. Returns 0, or -1 and err. */
int protocol_uuid_v4(char out[PP_UUID_TEXT_BYTES + 1], char *err);

/* True for 8-4-4-4-12 hex digits (either case), any version. */
bool protocol_uuid_valid(const char *s);

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" for wall ms since the epoch (>= 0). */
int protocol_format_rfc3339_ms(int64_t wall_ms, char out[PP_RFC3339_BUF_BYTES]);

/* Parses RFC 3339 in UTC ("Z" only, optional fraction, truncated to ms).
 * Returns 0 or -1. */
int protocol_parse_rfc3339_ms(const char *s, int64_t *wall_ms);

#endif
