/*
 * governance: the session admission decision, as one pure function.
 *
 * Given the quota policy, whether the peer is authorized, its request, the
 * number of active sessions, the peer's usage and the time, decide: grant
 * (with the duration and streams clamped/defaulted) or deny with exactly one
 * reason, in this precedence:
 *
 *   unauthorized > invalid_params > busy > rate_limited > quota_exceeded
 *
 * rate_limited checks the cooldown first, then the hourly count. Each deny
 * names the config key of the limit, its current value and maximum, a human
 * message, and retry_after_sec (whole seconds rounded up, >= 1; -1 = null for
 * unauthorized and invalid_params, where waiting does not help).
 * docs/GOVERNANCE.md has the arithmetic.
 */
#ifndef PP_REFLECTOR_GOVERNANCE_H
#define PP_REFLECTOR_GOVERNANCE_H

#include "reflector/usage.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* A session expires at grant time + clamped duration + this grace. */
#define GOV_GRACE_SEC 5
#define GOV_RETRY_NULL (-1)
#define GOV_MESSAGE_LEN 256

/* [quotas] and [iperf3] values the decision needs (from the config). */
struct gov_policy {
	uint32_t max_test_duration_sec;
	uint32_t max_concurrent_tests;
	uint32_t max_tests_per_hour_per_peer;
	uint64_t max_bytes_per_day_per_peer;
	uint32_t cooldown_sec;
	bool allow_udp_echo;
	bool allow_throughput;
	uint32_t default_streams;
	uint32_t max_streams;
	bool throughput_available; /* iperf3 was found at start-up */
	bool tunneled;             /* [network] mode: UDP throughput cannot be tunneled */
};

enum gov_test_type { GOV_TEST_UDP_ECHO, GOV_TEST_THROUGHPUT };
enum gov_protocol { GOV_PROTO_TCP, GOV_PROTO_UDP };

/* session_request, as decoded from the wire. */
struct gov_request {
	enum gov_test_type test_type;
	bool has_duration;    /* absent, or 0, means max_test_duration_sec */
	int64_t duration_sec; /* negative: invalid_params */
	bool has_streams;     /* absent means default_streams */
	int64_t streams;      /* < 1 or > max_streams: invalid_params */
	enum gov_protocol protocol;
	bool reverse;
};

/* Wire strings: gov_reason_name() gives "unauthorized", "invalid_params"... */
enum gov_reason {
	GOV_GRANTED = 0,
	GOV_DENY_UNAUTHORIZED,
	GOV_DENY_INVALID_PARAMS,
	GOV_DENY_BUSY,
	GOV_DENY_RATE_LIMITED,
	GOV_DENY_QUOTA_EXCEEDED,
};

struct gov_decision {
	enum gov_reason reason; /* GOV_GRANTED or the deny reason */
	/* On grant: */
	uint32_t duration_sec; /* clamped to max_test_duration_sec */
	uint32_t streams;      /* throughput: requested or default; udp_echo: 0 */
	enum gov_protocol protocol;
	bool reverse;
	/* On deny: */
	int64_t retry_after_sec; /* GOV_RETRY_NULL when retrying cannot help */
	const char *limit_key;   /* config key of the limit, or "test_type",
	                          * "duration_sec", "streams" for bad params */
	int64_t current;         /* the value that hit the limit */
	int64_t maximum;         /* the limit */
	char message[GOV_MESSAGE_LEN];
};

/* The decision. usage may be NULL (no usage yet). busy_until_ms is the
 * earliest expires_at of the active sessions (it sets a busy deny's
 * retry_after_sec), or 0 when unknown (retry_after_sec 1).
 * Pure: no I/O, no clock. */
void gov_decide(const struct gov_policy *policy, bool authorized,
                const struct gov_request *request, uint32_t active_sessions,
                int64_t busy_until_ms, const struct usage_view *usage,
                int64_t now_ms, struct gov_decision *out);

/* "unauthorized", "invalid_params", "busy", "rate_limited",
 * "quota_exceeded" ("granted" for GOV_GRANTED). */
const char *gov_reason_name(enum gov_reason reason);

/* A short fixed phrase per reason ("daily byte quota exceeded", "rate limit
 * exceeded for this peer"...), the audit log's session_denied "reason". */
const char *gov_reason_phrase(enum gov_reason reason);

const char *gov_test_type_name(enum gov_test_type type); /* "udp_echo"... */
const char *gov_protocol_name(enum gov_protocol protocol); /* "tcp", "udp" */

/* When a session granted at granted_at_ms for duration_sec expires:
 * granted_at_ms + (duration_sec + GOV_GRACE_SEC) * 1000. */
int64_t gov_expires_at_ms(int64_t granted_at_ms, uint32_t duration_sec);

/* The fields of a session_denied audit event for a deny decision (new
 * reference): {"reason": phrase, "code": wire name, "limit", "current",
 * "maximum", "retry_after_sec" (or null), "message"}. */
json_t *gov_deny_audit_fields(const struct gov_decision *decision);

#endif
