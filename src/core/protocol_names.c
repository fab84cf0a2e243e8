/*
 * protocol_names: the wire spelling of every enum of protocol.h, one table
 * per enum, indexed by the enum, with its inverse lookup.
 */
#include "core/protocol.h"

#include <string.h>

static const char *const test_type_names[PP_TEST__COUNT] = {
	[PP_TEST_UDP_ECHO] = "udp_echo",
	[PP_TEST_THROUGHPUT] = "throughput",
};

static const char *const mode_names[PP_MODE__COUNT] = {
	[PP_MODE_TUNNELED] = "tunneled",
	[PP_MODE_DIRECT_EPHEMERAL] = "direct_ephemeral",
};

static const char *const transport_names[PP_TRANSPORT__COUNT] = {
	[PP_TRANSPORT_UNSET] = NULL,
	[PP_TRANSPORT_TCP] = "tcp",
	[PP_TRANSPORT_UDP] = "udp",
};

static const char *const deny_reason_names[PP_DENY__COUNT] = {
	[PP_DENY_UNAUTHORIZED] = "unauthorized",
	[PP_DENY_INVALID_PARAMS] = "invalid_params",
	[PP_DENY_BUSY] = "busy",
	[PP_DENY_RATE_LIMITED] = "rate_limited",
	[PP_DENY_QUOTA_EXCEEDED] = "quota_exceeded",
};

static const char *const err_code_names[PP_ERR__COUNT] = {
	[PP_ERR_MALFORMED_FRAME] = "malformed_frame",
	[PP_ERR_FRAME_TOO_LARGE] = "frame_too_large",
	[PP_ERR_INVALID_JSON] = "invalid_json",
	[PP_ERR_INVALID_MESSAGE] = "invalid_message",
	[PP_ERR_UNKNOWN_TYPE] = "unknown_type",
	[PP_ERR_PAIRING_REQUIRED] = "pairing_required",
	[PP_ERR_UNAUTHORIZED] = "unauthorized",
	[PP_ERR_NOT_FOUND] = "not_found",
	[PP_ERR_TIMEOUT] = "timeout",
	[PP_ERR_INTERNAL] = "internal",
	[PP_ERR_SHUTTING_DOWN] = "shutting_down",
};

static const char *name_of(const char *const *names, size_t n, int v)
{
	if (v < 0 || (size_t)v >= n || names[v] == NULL)
		return "?";
	return names[v];
}

static int parse_name(const char *const *names, size_t n, const char *s, int *out)
{
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return -1;
}

#define NAME_FUNCS(prefix, type, table)                                          \
	const char *prefix##_name(type v)                                        \
	{                                                                        \
		return name_of(table, sizeof(table) / sizeof(table[0]), (int)v); \
	}                                                                        \
	int prefix##_parse(const char *s, type *out)                             \
	{                                                                        \
		int v;                                                           \
		if (parse_name(table, sizeof(table) / sizeof(table[0]), s, &v) != 0) \
			return -1;                                               \
		*out = (type)v;                                                  \
		return 0;                                                        \
	}

NAME_FUNCS(protocol_test_type, enum pp_test_type, test_type_names)
NAME_FUNCS(protocol_mode, enum pp_session_mode, mode_names)
NAME_FUNCS(protocol_transport, enum pp_transport, transport_names)
NAME_FUNCS(protocol_deny_reason, enum pp_deny_reason, deny_reason_names)
NAME_FUNCS(protocol_err_code, enum pp_err_code, err_code_names)
