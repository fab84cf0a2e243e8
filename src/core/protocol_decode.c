/*
 * protocol_decode: one untrusted frame payload -> a typed pp_msg, or the
 * error code and a message naming the refused field. Bounds are checked
 * before the JSON parser runs (size, nesting), then jansson parses with
 * duplicate keys refused, then the envelope and the table's validator.
 */
#include "core/protocol_fields.h"

#include "lib/errbuf.h"
#include "lib/frame.h"

#include <stdio.h>
#include <string.h>

/* Depth of [ and { outside strings, without parsing. Invalid JSON may fool
 * it, but then jansson refuses it anyway; what matters is that jansson is
 * never handed something deeper than the bound. */
static bool nesting_within(const char *s, size_t len, int max_depth)
{
	int depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++; /* skip the escaped character */
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return false;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return true;
}

static int fail(enum pp_err_code *code, enum pp_err_code c)
{
	*code = c;
	return -1;
}

int protocol_decode(const char *json, size_t len, enum pp_dir from,
                    struct pp_msg *out, enum pp_err_code *code, char *err)
{
	memset(out, 0, sizeof(*out));
	*code = PP_ERR_INTERNAL;
	if (len > FRAME_MAX_PAYLOAD_BYTES) {
		errbuf_set(err, "message of %zu bytes, more than the maximum of %d", len,
		           FRAME_MAX_PAYLOAD_BYTES);
		return fail(code, PP_ERR_FRAME_TOO_LARGE);
	}
	if (len == 0) {
		errbuf_set(err, "empty message: expected a JSON object");
		return fail(code, PP_ERR_INVALID_JSON);
	}
	if (!nesting_within(json, len, PP_JSON_MAX_DEPTH)) {
		errbuf_set(err, "JSON nested deeper than %d levels", PP_JSON_MAX_DEPTH);
		return fail(code, PP_ERR_INVALID_JSON);
	}
	json_error_t jerr;
	out->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (out->root == NULL) {
		errbuf_set(err, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
		return fail(code, PP_ERR_INVALID_JSON);
	}
	if (!json_is_object(out->root)) {
		errbuf_set(err, "expected a JSON object, got %s", pf_type_name(out->root));
		return fail(code, PP_ERR_INVALID_JSON);
	}

	/* The request_id first, so that even a refusal can carry it. */
	const json_t *rid = json_object_get(out->root, "request_id");
	bool rid_null = rid != NULL && json_is_null(rid);
	if (rid == NULL) {
		errbuf_set(err, "request_id: missing");
		return fail(code, PP_ERR_INVALID_MESSAGE);
	}
	if (!rid_null) {
		if (!json_is_string(rid)) {
			errbuf_set(err, "request_id: expected a string, got %s", pf_type_name(rid));
			return fail(code, PP_ERR_INVALID_MESSAGE);
		}
		if (json_string_length(rid) != strlen(json_string_value(rid)) ||
		    !protocol_request_id_valid(json_string_value(rid))) {
			errbuf_set(err, "request_id: must be 1..%d bytes of printable ASCII",
			           PP_REQUEST_ID_MAX_BYTES);
			return fail(code, PP_ERR_INVALID_MESSAGE);
		}
		out->request_id = json_string_value(rid);
	}

	const json_t *payload = json_object_get(out->root, "payload");
	if (payload == NULL) {
		errbuf_set(err, "payload: missing (expected an object)");
		return fail(code, PP_ERR_INVALID_MESSAGE);
	}
	if (!json_is_object(payload)) {
		errbuf_set(err, "payload: expected an object, got %s", pf_type_name(payload));
		return fail(code, PP_ERR_INVALID_MESSAGE);
	}
	const char *type;
	if (pf_string(payload, "payload", "type", PF_REQUIRED, PP_NAME_MAX_BYTES, true, &type,
	              err) != 0)
		return fail(code, PP_ERR_INVALID_MESSAGE);
	const struct pp_msg_def *def = pp_msg_def_by_name(type);
	if (def == NULL) {
		errbuf_set(err, "payload.type: unknown message type \"%s\"", type);
		return fail(code, PP_ERR_UNKNOWN_TYPE);
	}
	if (def->from != from) {
		errbuf_set(err, "payload.type: \"%s\" is sent by the %s, not accepted from the %s",
		           type, def->from == PP_FROM_CLIENT ? "client" : "server",
		           from == PP_FROM_CLIENT ? "client" : "server");
		return fail(code, PP_ERR_UNKNOWN_TYPE);
	}
	out->type = def->type;
	/* Only an error about an unparseable frame has no request to answer. */
	if (rid_null && def->type != PP_MSG_ERROR) {
		errbuf_set(err, "request_id: null is only allowed on an error");
		return fail(code, PP_ERR_INVALID_MESSAGE);
	}
	if (def->validate(payload, out, err) != 0)
		return fail(code, PP_ERR_INVALID_MESSAGE);
	*code = PP_ERR_INTERNAL; /* meaningless on success */
	return 0;
}

void protocol_msg_free(struct pp_msg *m)
{
	if (m == NULL)
		return;
	json_decref(m->root);
	memset(m, 0, sizeof(*m));
}

json_t *protocol_reject(const struct pp_msg *failed, enum pp_err_code code, const char *err)
{
	/* err may quote peer bytes (jansson quotes the offending token): keep
	 * printable ASCII so the reply is always valid UTF-8. */
	char message[ERRBUF_LEN];
	snprintf(message, sizeof(message), "%s",
	         err != NULL && err[0] != '\0' ? err : protocol_err_code_name(code));
	for (char *c = message; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	if (failed->bad_params && failed->request_id != NULL) {
		struct pp_session_deny d = {
			.reason = PP_DENY_INVALID_PARAMS,
			.message = message,
			.limit = failed->bad_param,
			.has_current = failed->has_bad_value,
			.current = failed->bad_value,
		};
		return protocol_session_deny(failed->request_id, &d);
	}
	return protocol_error(failed->request_id, code, message);
}
