/* Fuzz the message decoder: any bytes, as sent by a client and by a server.
 * Whatever decodes must re-encode with the builders and decode again (the
 * builders and the validators agree), and every refusal must produce a
 * reply that serialises. */
#include "fuzz.h"

#include "core/protocol.h"
#include "lib/errbuf.h"

#include <stdlib.h>
#include <string.h>

static json_t *rebuild(const struct pp_msg *m)
{
	const char *rid = m->request_id;
	switch (m->type) {
	case PP_MSG_HELLO: return protocol_hello(rid, &m->u.hello);
	case PP_MSG_SERVER_HELLO: return protocol_server_hello(rid, &m->u.server_hello);
	case PP_MSG_SESSION_REQUEST: return protocol_session_request(rid, &m->u.session_request);
	case PP_MSG_SESSION_GRANT: return protocol_session_grant(rid, &m->u.session_grant);
	case PP_MSG_SESSION_DENY: return protocol_session_deny(rid, &m->u.session_deny);
	case PP_MSG_SESSION_CLOSE: return protocol_session_close(rid, m->u.session_close.test_id);
	case PP_MSG_OK: return protocol_ok(rid);
	case PP_MSG_GET_PATH_META: return protocol_get_path_meta(rid);
	case PP_MSG_PATH_META: return protocol_path_meta(rid, m->u.path_meta.fields);
	case PP_MSG_PAIR_REQUEST: return protocol_pair_request(rid, m->u.pair_request.token);
	case PP_MSG_PAIR_RESPONSE: return protocol_pair_response(rid, &m->u.pair_response);
	case PP_MSG_ERROR: return protocol_error(rid, m->u.error.code, m->u.error.message);
	case PP_MSG_TUNNEL_ATTACH: return protocol_tunnel_attach(rid, m->u.tunnel_attach.token);
	case PP_MSG_NONE:
	case PP_MSG__COUNT: break;
	}
	abort();
}

static void one(const char *data, size_t size, enum pp_dir from)
{
	struct pp_msg m;
	enum pp_err_code code;
	char err[ERRBUF_LEN];
	size_t len;
	if (protocol_decode(data, size, from, &m, &code, err) != 0) {
		json_t *reply = protocol_reject(&m, code, err);
		char *text = reply != NULL ? protocol_serialize(reply, &len, err) : NULL;
		if (text == NULL)
			abort(); /* a refusal must always be answerable */
		free(text);
		json_decref(reply);
		protocol_msg_free(&m);
		return;
	}
	json_t *again = rebuild(&m);
	if (again == NULL)
		abort();
	char *text = protocol_serialize(again, &len, err);
	if (text == NULL) { /* only an input near the cap can re-encode longer */
		if (size < 1024 * 1024 / 2)
			abort();
		json_decref(again);
		protocol_msg_free(&m);
		return;
	}
	struct pp_msg m2;
	if (protocol_decode(text, len, from, &m2, &code, err) != 0 || m2.type != m.type)
		abort();
	protocol_msg_free(&m2);
	free(text);
	json_decref(again);
	protocol_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one((const char *)data, size, PP_FROM_CLIENT);
	one((const char *)data, size, PP_FROM_SERVER);
	return 0;
}
