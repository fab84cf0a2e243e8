/*
 * governance: the session admission decision. See governance.h and
 * docs/GOVERNANCE.md (the precedence and the retry_after arithmetic).
 */
#include "reflector/governance.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;   /* on the wire (session_deny.reason) */
	const char *phrase; /* in the audit log (session_denied.reason) */
} reasons[] = {
	[GOV_GRANTED] = {"granted", "granted"},
	[GOV_DENY_UNAUTHORIZED] = {"unauthorized", "peer not authorized"},
	[GOV_DENY_INVALID_PARAMS] = {"invalid_params", "invalid session parameters"},
	[GOV_DENY_BUSY] = {"busy", "too many concurrent tests"},
	[GOV_DENY_RATE_LIMITED] = {"rate_limited", "rate limit exceeded for this peer"},
	[GOV_DENY_QUOTA_EXCEEDED] = {"quota_exceeded", "daily byte quota exceeded"},
};

const char *gov_reason_name(enum gov_reason reason)
{
	return (unsigned)reason < sizeof(reasons) / sizeof(reasons[0]) ? reasons[reason].name
	                                                                : "unknown";
}

const char *gov_reason_phrase(enum gov_reason reason)
{
	return (unsigned)reason < sizeof(reasons) / sizeof(reasons[0]) ? reasons[reason].phrase
	                                                                : "unknown";
}

const char *gov_test_type_name(enum gov_test_type type)
{
	return type == GOV_TEST_THROUGHPUT ? "throughput" : "udp_echo";
}

const char *gov_protocol_name(enum gov_protocol protocol)
{
	return protocol == GOV_PROTO_UDP ? "udp" : "tcp";
}

int64_t gov_expires_at_ms(int64_t granted_at_ms, uint32_t duration_sec)
{
	return granted_at_ms + ((int64_t)duration_sec + GOV_GRACE_SEC) * 1000;
}

/* Milliseconds until a retry can succeed → whole seconds, rounded up, and
 * at least 1 (a client told "retry in 0 s" would retry at once and fail). */
static int64_t retry_sec(int64_t wait_ms)
{
	int64_t sec = wait_ms <= 0 ? 0 : (wait_ms + 999) / 1000;
	return sec < 1 ? 1 : sec;
}

static void deny(struct gov_decision *out, enum gov_reason reason, const char *limit_key,
                 int64_t current, int64_t maximum, int64_t retry_after_sec,
                 const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static void deny(struct gov_decision *out, enum gov_reason reason, const char *limit_key,
                 int64_t current, int64_t maximum, int64_t retry_after_sec,
                 const char *fmt, ...)
{
	out->reason = reason;
	out->limit_key = limit_key;
	out->current = current;
	out->maximum = maximum;
	out->retry_after_sec = retry_after_sec;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
}

/* invalid_params, in the order a reader would check them. 1 when denied. */
static int check_params(const struct gov_policy *policy, const struct gov_request *req,
                        struct gov_decision *out)
{
	const char *type = gov_test_type_name(req->test_type);
	if (req->test_type == GOV_TEST_UDP_ECHO && !policy->allow_udp_echo) {
		deny(out, GOV_DENY_INVALID_PARAMS, "allow_udp_echo", 0, 0, GOV_RETRY_NULL,
		     "invalid params: test type udp_echo is not allowed here (allow_udp_echo = false)");
		return 1;
	}
	if (req->test_type == GOV_TEST_THROUGHPUT && !policy->allow_throughput) {
		deny(out, GOV_DENY_INVALID_PARAMS, "allow_throughput", 0, 0, GOV_RETRY_NULL,
		     "invalid params: test type throughput is not allowed here "
		     "(allow_throughput = false)");
		return 1;
	}
	if (req->test_type == GOV_TEST_THROUGHPUT && !policy->throughput_available) {
		deny(out, GOV_DENY_INVALID_PARAMS, "iperf3.path", 0, 0, GOV_RETRY_NULL,
		     "invalid params: throughput tests are unavailable: iperf3 was not found "
		     "on this reflector");
		return 1;
	}
	if (req->test_type == GOV_TEST_THROUGHPUT && req->protocol == GOV_PROTO_UDP && policy->tunneled) {
		deny(out, GOV_DENY_INVALID_PARAMS, "protocol", 0, 0, GOV_RETRY_NULL,
		     "invalid params: UDP throughput is not tunneled (iperf3's UDP streams need "
		     "datagrams): use protocol tcp, or a reflector in direct_ephemeral mode");
		return 1;
	}
	if (req->has_duration && req->duration_sec < 0) {
		deny(out, GOV_DENY_INVALID_PARAMS, "duration_sec", req->duration_sec,
		     policy->max_test_duration_sec, GOV_RETRY_NULL,
		     "invalid params: duration_sec = %" PRId64 " for %s (must be at least 1, "
		     "max_test_duration_sec = %" PRIu32 ")",
		     req->duration_sec, type, policy->max_test_duration_sec);
		return 1;
	}
	if (req->has_streams && req->streams < 1) {
		deny(out, GOV_DENY_INVALID_PARAMS, "streams", req->streams, policy->max_streams,
		     GOV_RETRY_NULL, "invalid params: streams = %" PRId64 " (must be at least 1)",
		     req->streams);
		return 1;
	}
	if (req->has_streams && req->streams > (int64_t)policy->max_streams) {
		deny(out, GOV_DENY_INVALID_PARAMS, "max_streams", req->streams, policy->max_streams,
		     GOV_RETRY_NULL, "invalid params: streams = %" PRId64 " (max_streams = %" PRIu32 ")",
		     req->streams, policy->max_streams);
		return 1;
	}
	return 0;
}

/* rate_limited: the cooldown since the last test, then the rolling hour. */
static int check_rate(const struct gov_policy *policy, const struct usage_view *usage,
                      int64_t now_ms, struct gov_decision *out)
{
	static const struct usage_view none = {.last_test_ms = -1};
	if (usage == NULL)
		usage = &none;
	int64_t cooldown_ms = (int64_t)policy->cooldown_sec * 1000;
	if (usage->last_test_ms >= 0 && now_ms < usage->last_test_ms + cooldown_ms) {
		int64_t wait_ms = usage->last_test_ms + cooldown_ms - now_ms;
		if (wait_ms > cooldown_ms)
			wait_ms = cooldown_ms; /* the clock stepped back: wait one cooldown */
		int64_t ago_sec = now_ms > usage->last_test_ms ? (now_ms - usage->last_test_ms) / 1000 : 0;
		int64_t retry = retry_sec(wait_ms);
		deny(out, GOV_DENY_RATE_LIMITED, "cooldown_sec", ago_sec, policy->cooldown_sec, retry,
		     "rate limited: last test started %" PRId64 " s ago (cooldown_sec = %" PRIu32
		     "); retry in %" PRId64 " s",
		     ago_sec, policy->cooldown_sec, retry);
		return 1;
	}
	/* Starts are ascending; the ones still in the window are a suffix. */
	size_t first = 0;
	while (first < usage->n_test_starts &&
	       usage->test_starts_ms[first] + USAGE_WINDOW_MS <= now_ms)
		first++;
	size_t in_window = usage->n_test_starts - first;
	uint32_t max = policy->max_tests_per_hour_per_peer;
	if (in_window < max)
		return 0;
	/* A slot frees when enough starts leave the window that fewer than max
	 * remain: that is the (in_window - max + 1)-th oldest one. */
	int64_t retry = GOV_RETRY_NULL; /* max 0: no slot ever frees */
	if (max > 0) {
		int64_t frees_at = usage->test_starts_ms[first + (in_window - max)] + USAGE_WINDOW_MS;
		retry = retry_sec(frees_at - now_ms);
	}
	if (retry == GOV_RETRY_NULL)
		deny(out, GOV_DENY_RATE_LIMITED, "max_tests_per_hour_per_peer", (int64_t)in_window,
		     max, retry, "rate limited: no tests are allowed (max_tests_per_hour_per_peer = 0)");
	else
		deny(out, GOV_DENY_RATE_LIMITED, "max_tests_per_hour_per_peer", (int64_t)in_window,
		     max, retry,
		     "rate limited: %zu tests in the last hour (max_tests_per_hour_per_peer = %" PRIu32
		     "); retry in %" PRId64 " s",
		     in_window, max, retry);
	return 1;
}

static int check_quota(const struct gov_policy *policy, const struct usage_view *usage,
                       int64_t now_ms, struct gov_decision *out)
{
	int64_t today = usage_utc_day(now_ms);
	uint64_t used = usage != NULL && usage->bytes_day == today ? usage->bytes_today : 0;
	if (used < policy->max_bytes_per_day_per_peer)
		return 0;
	int64_t retry = retry_sec((today + 1) * USAGE_DAY_MS - now_ms);
	int64_t current = used > INT64_MAX ? INT64_MAX : (int64_t)used;
	int64_t maximum = policy->max_bytes_per_day_per_peer > INT64_MAX
	                      ? INT64_MAX
	                      : (int64_t)policy->max_bytes_per_day_per_peer;
	deny(out, GOV_DENY_QUOTA_EXCEEDED, "max_bytes_per_day_per_peer", current, maximum, retry,
	     "quota exceeded: %" PRIu64 " bytes today (max_bytes_per_day_per_peer = %" PRIu64
	     "); retry in %" PRId64 " s, at 00:00 UTC",
	     used, policy->max_bytes_per_day_per_peer, retry);
	return 1;
}

void gov_decide(const struct gov_policy *policy, bool authorized,
                const struct gov_request *request, uint32_t active_sessions,
                int64_t busy_until_ms, const struct usage_view *usage, int64_t now_ms,
                struct gov_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->retry_after_sec = GOV_RETRY_NULL;
	out->protocol = request->protocol;
	out->reverse = request->reverse;
	if (!authorized) {
		deny(out, GOV_DENY_UNAUTHORIZED, NULL, 0, 0, GOV_RETRY_NULL,
		     "unauthorized: this peer is not authorized on this reflector");
		return;
	}
	if (check_params(policy, request, out))
		return;
	if (active_sessions >= policy->max_concurrent_tests) {
		int64_t retry = retry_sec(busy_until_ms > 0 ? busy_until_ms - now_ms : 0);
		deny(out, GOV_DENY_BUSY, "max_concurrent_tests", active_sessions,
		     policy->max_concurrent_tests, retry,
		     "busy: %" PRIu32 " tests running (max_concurrent_tests = %" PRIu32
		     "); retry in %" PRId64 " s",
		     active_sessions, policy->max_concurrent_tests, retry);
		return;
	}
	if (check_rate(policy, usage, now_ms, out) || check_quota(policy, usage, now_ms, out))
		return;

	out->reason = GOV_GRANTED;
	int64_t duration = request->has_duration ? request->duration_sec : 0;
	if (duration == 0 || duration > (int64_t)policy->max_test_duration_sec)
		duration = policy->max_test_duration_sec;
	out->duration_sec = (uint32_t)duration;
	if (request->test_type == GOV_TEST_THROUGHPUT)
		out->streams = request->has_streams ? (uint32_t)request->streams
		                                    : policy->default_streams;
	snprintf(out->message, sizeof(out->message), "granted: %s for %" PRIu32 " s",
	         gov_test_type_name(request->test_type), out->duration_sec);
}

json_t *gov_deny_audit_fields(const struct gov_decision *d)
{
	json_t *fields = json_object();
	json_object_set_new(fields, "reason", json_string(gov_reason_phrase(d->reason)));
	json_object_set_new(fields, "code", json_string(gov_reason_name(d->reason)));
	json_object_set_new(fields, "limit", d->limit_key ? json_string(d->limit_key) : json_null());
	json_object_set_new(fields, "current", json_integer(d->current));
	json_object_set_new(fields, "maximum", json_integer(d->maximum));
	json_object_set_new(fields, "retry_after_sec", d->retry_after_sec == GOV_RETRY_NULL
	                                                   ? json_null()
	                                                   : json_integer(d->retry_after_sec));
	json_object_set_new(fields, "message", json_string(d->message));
	return fields;
}
