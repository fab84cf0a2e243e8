/* latency_report: a latency run as JSON (docs/LATENCY.md "JSON"), as a
 * short table, and as one plain-language line. */
#include "paramedic/latency.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static json_t *ns(double v)
{
	return json_integer((json_int_t)llround(v));
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

void latency_verdict(const struct stats_result *s, uint64_t send_misses, char *out, size_t outlen)
{
	size_t n = 0;
	if (s->sent == 0) {
		snprintf(out, outlen, "no probe was sent");
		return;
	}
	if (s->received == 0) {
		n = (size_t)snprintf(out, outlen,
		                     s->loss_split ? "every probe was lost"
		                                   : "no probe came back: UDP to the reflector is blocked, or "
		                                     "every packet is lost on the way");
	} else if (s->lost == 0) {
		n = (size_t)snprintf(out, outlen, "no loss; median RTT %.3f ms, jitter %.3f ms",
		                     (double)s->rtt.median_ns / 1e6, s->jitter_ns / 1e6);
	} else {
		const char *where;
		char mixed[96];
		if (!s->loss_split)
			where = "direction unknown: the reflector did not count";
		else if (s->lost_downstream == 0)
			where = "all upstream: packets to the reflector are dropped";
		else if (s->lost_upstream == 0)
			where = "all downstream: the return path drops packets";
		else {
			snprintf(mixed, sizeof(mixed), "%llu upstream, %llu downstream: both directions drop packets",
			         (unsigned long long)s->lost_upstream, (unsigned long long)s->lost_downstream);
			where = mixed;
		}
		n = (size_t)snprintf(out, outlen, "loss %.1f%% (%s)", pct(s->lost, s->sent), where);
	}
	if (n < outlen && send_misses * 100 > s->sent)
		snprintf(out + n, outlen - n,
		         "; %llu probes left more than an interval late: this machine was too busy to keep "
		         "the pace, so jitter is partly ours",
		         (unsigned long long)send_misses);
}

json_t *latency_result_json(const struct latency_params *p, const struct latency_run *r,
                            const struct stats_result *s)
{
	char verdict[400], summary[200];
	latency_verdict(s, r->send_misses, verdict, sizeof(verdict));
	if (s->have_rtt)
		snprintf(summary, sizeof(summary), "rtt median %.3f ms, p99 %.3f ms, jitter %.3f ms, loss %.1f%%",
		         (double)s->rtt.median_ns / 1e6, (double)s->rtt.p99_ns / 1e6, s->jitter_ns / 1e6,
		         pct(s->lost, s->sent));
	else
		snprintf(summary, sizeof(summary), "no reply, loss 100%%");
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I}, "
	    "s:f, s:b, s:I}",
	    "kind", "latency", "summary", summary, "verdict", verdict,
	    "params", "interval_ns", (json_int_t)p->interval_ns, "duration_ns", (json_int_t)p->duration_ns,
	    "timeout_ns", (json_int_t)p->timeout_ns, "size_bytes", (json_int_t)p->size_bytes,
	    "packets", "sent", (json_int_t)s->sent, "received", (json_int_t)s->received, "lost",
	    (json_int_t)s->lost, "lost_upstream", s->loss_split ? json_integer((json_int_t)s->lost_upstream) : json_null(),
	    "lost_downstream", s->loss_split ? json_integer((json_int_t)s->lost_downstream) : json_null(),
	    "duplicates", (json_int_t)s->duplicates, "reordered", (json_int_t)s->reordered, "late",
	    (json_int_t)s->late, "send_misses", (json_int_t)r->send_misses, "send_errors",
	    (json_int_t)r->send_errors, "foreign", (json_int_t)(r->foreign + s->ignored),
	    "loss_ratio", s->sent ? (double)s->lost / (double)s->sent : 0.0,
	    "kernel_timestamps", r->kernel_timestamps && r->n_arr > 0, "elapsed_ns", (json_int_t)r->elapsed_ns);
	if (s->have_rtt) {
		json_object_set_new(o, "rtt_ns",
		                    json_pack("{s:I, s:I, s:o, s:I, s:I, s:I}", "min", (json_int_t)s->rtt.min_ns,
		                              "median", (json_int_t)s->rtt.median_ns, "mean", ns(s->rtt.mean_ns),
		                              "p95", (json_int_t)s->rtt.p95_ns, "p99", (json_int_t)s->rtt.p99_ns,
		                              "max", (json_int_t)s->rtt.max_ns));
		json_object_set_new(o, "jitter_ns", ns(s->jitter_ns));
	} else {
		json_object_set_new(o, "rtt_ns", json_null());
		json_object_set_new(o, "jitter_ns", json_null());
	}
	json_object_set_new(o, "ipdv_ns",
	                    s->ipdv_pairs ? json_pack("{s:I, s:o, s:I}", "pairs", (json_int_t)s->ipdv_pairs,
	                                              "mean_abs", ns(s->ipdv_mean_abs_ns), "max_abs",
	                                              (json_int_t)s->ipdv_max_abs_ns)
	                                  : json_null());
	if (s->have_one_way) {
		json_object_set_new(
		    o, "one_way_variation_ns",
		    json_pack("{s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}}", "upstream", "min", (json_int_t)s->up.min_ns,
		              "median", (json_int_t)s->up.median_ns, "max", (json_int_t)s->up.max_ns,
		              "downstream", "min", (json_int_t)s->down.min_ns, "median",
		              (json_int_t)s->down.median_ns, "max", (json_int_t)s->down.max_ns));
		json_object_set_new(o, "reflector_dwell_mean_ns", ns(s->echo_dwell_mean_ns));
	} else {
		json_object_set_new(o, "one_way_variation_ns", json_null());
		json_object_set_new(o, "reflector_dwell_mean_ns", json_null());
	}
	return o;
}

static double ms_of(const json_t *o, const char *key)
{
	return (double)json_integer_value(json_object_get(o, key)) / 1e6;
}

static long long int_of(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

void latency_print_human(const json_t *res)
{
	const json_t *par = json_object_get(res, "params");
	const json_t *pk = json_object_get(res, "packets");
	const json_t *rtt = json_object_get(res, "rtt_ns");
	const char *rid = json_string_value(json_object_get(res, "reflector_id"));
	printf("latency to %s (%s, %s): %lld probes of %lld bytes every %.3f ms\n",
	       json_string_value(json_object_get(res, "target")), rid ? rid : "?",
	       json_string_value(json_object_get(res, "mode")), int_of(pk, "sent"), int_of(par, "size_bytes"),
	       ms_of(par, "interval_ns"));
	if (json_is_object(rtt)) {
		printf("  rtt ms      min %.3f  median %.3f  mean %.3f  p95 %.3f  p99 %.3f  max %.3f\n",
		       ms_of(rtt, "min"), ms_of(rtt, "median"), ms_of(rtt, "mean"), ms_of(rtt, "p95"),
		       ms_of(rtt, "p99"), ms_of(rtt, "max"));
		const json_t *ipdv = json_object_get(res, "ipdv_ns");
		printf("  jitter ms   %.3f (RFC 3550)", ms_of(res, "jitter_ns"));
		if (json_is_object(ipdv))
			printf("   ipdv mean %.3f  max %.3f", ms_of(ipdv, "mean_abs"), ms_of(ipdv, "max_abs"));
		printf("\n");
	}
	const json_t *owd = json_object_get(res, "one_way_variation_ns");
	if (json_is_object(owd)) {
		const json_t *up = json_object_get(owd, "upstream"), *down = json_object_get(owd, "downstream");
		printf("  one-way ms  up: median +%.3f max +%.3f   down: median +%.3f max +%.3f (over each "
		       "direction's minimum)\n",
		       ms_of(up, "median"), ms_of(up, "max"), ms_of(down, "median"), ms_of(down, "max"));
	}
	long long sent = int_of(pk, "sent"), lost = int_of(pk, "lost");
	printf("  packets     sent %lld  received %lld  lost %lld (%.2f%%", sent, int_of(pk, "received"), lost,
	       sent ? 100.0 * (double)lost / (double)sent : 0.0);
	if (json_is_integer(json_object_get(pk, "lost_upstream")))
		printf(": %lld up, %lld down", int_of(pk, "lost_upstream"), int_of(pk, "lost_downstream"));
	printf(")  reordered %lld  duplicates %lld  late %lld\n", int_of(pk, "reordered"),
	       int_of(pk, "duplicates"), int_of(pk, "late"));
	printf("  sending     %lld probes sent more than one interval late\n", int_of(pk, "send_misses"));
	printf("%s\n", json_string_value(json_object_get(res, "verdict")));
}
