/* stats: probe-run statistics (definitions in stats.h). */
#include "lib/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int64_t stats_percentile(const int64_t *sorted, size_t n, double p)
{
	/* The epsilon keeps 95% of 100 at rank 95, not 96, despite rounding. */
	double r = ceil(p * (double)n / 100.0 - 1e-9);
	size_t rank = r < 1 ? 1 : (size_t)r;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

/* Sorts v[0..n) in place and fills the distribution. */
static void distribution(int64_t *v, size_t n, struct stats_dist *d)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	d->min_ns = v[0];
	d->max_ns = v[n - 1];
	d->median_ns = stats_percentile(v, n, 50);
	d->p95_ns = stats_percentile(v, n, 95);
	d->p99_ns = stats_percentile(v, n, 99);
	d->mean_ns = sum / (double)n;
}

static void variation(int64_t *v, size_t n, struct stats_variation *out)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	out->min_ns = 0;
	out->median_ns = stats_percentile(v, n, 50) - v[0];
	out->max_ns = v[n - 1] - v[0];
}

int stats_compute(const int64_t *send_ns, uint64_t n_sent, const struct stats_arrival *arr,
                  size_t n_arr, int64_t timeout_ns, struct stats_result *out)
{
	memset(out, 0, sizeof(*out));
	out->sent = n_sent;
	/* rtt_by_seq[seq] = RTT of the first copy, or -1: per-seq state for
	 * duplicates and IPDV; the other arrays hold one entry per first copy. */
	int64_t *rtt_by_seq = malloc((n_sent ? n_sent : 1) * sizeof(int64_t));
	int64_t *rtts = malloc((n_arr ? n_arr : 1) * sizeof(int64_t));
	int64_t *ups = malloc((n_arr ? n_arr : 1) * sizeof(int64_t));
	int64_t *downs = malloc((n_arr ? n_arr : 1) * sizeof(int64_t));
	if (rtt_by_seq == NULL || rtts == NULL || ups == NULL || downs == NULL) {
		free(rtt_by_seq), free(rtts), free(ups), free(downs);
		return -1;
	}
	for (uint64_t s = 0; s < n_sent; s++)
		rtt_by_seq[s] = -1;

	size_t n_rtt = 0, n_owd = 0;
	uint64_t max_count = 0, highest_seq = 0;
	bool any = false, have_prev_transit = false;
	int64_t prev_transit = 0;
	double jitter = 0, dwell_sum = 0;
	for (size_t i = 0; i < n_arr; i++) {
		const struct stats_arrival *a = &arr[i];
		if (a->seq >= n_sent) {
			out->ignored++;
			continue;
		}
		/* The echo side counted this one whichever copy reaches us. */
		if (a->echo_count > max_count)
			max_count = a->echo_count;
		if (rtt_by_seq[a->seq] >= 0) {
			out->duplicates++;
			continue;
		}
		int64_t rtt = a->recv_ns - send_ns[a->seq];
		if (rtt < 0) /* a clock step backwards; keep the sample sane */
			rtt = 0;
		rtt_by_seq[a->seq] = rtt;
		rtts[n_rtt++] = rtt;
		if (timeout_ns > 0 && rtt > timeout_ns)
			out->late++;
		if (any && a->seq < highest_seq)
			out->reordered++;
		if (!any || a->seq > highest_seq)
			highest_seq = a->seq;
		any = true;
		/* RFC 3550 §6.4.1, in arrival order; the transit is the RTT. */
		if (have_prev_transit) {
			int64_t d = rtt - prev_transit;
			jitter += ((double)(d < 0 ? -d : d) - jitter) / 16.0;
		}
		prev_transit = rtt;
		have_prev_transit = true;
		if (a->echo_recv_ns != 0 && a->echo_send_ns != 0) {
			ups[n_owd] = a->echo_recv_ns - send_ns[a->seq];
			downs[n_owd] = a->recv_ns - a->echo_send_ns;
			dwell_sum += (double)(a->echo_send_ns - a->echo_recv_ns);
			n_owd++;
		}
	}
	out->received = n_rtt;
	out->lost = n_sent - n_rtt;
	out->jitter_ns = jitter;
	if (max_count > 0) {
		out->loss_split = true;
		uint64_t up = max_count >= n_sent ? 0 : n_sent - max_count;
		out->lost_upstream = up > out->lost ? out->lost : up;
		out->lost_downstream = out->lost - out->lost_upstream;
	}

	/* IPDV over consecutive sequence numbers (sending order). */
	double ipdv_sum = 0;
	for (uint64_t s = 1; s < n_sent; s++) {
		if (rtt_by_seq[s] < 0 || rtt_by_seq[s - 1] < 0)
			continue;
		int64_t d = rtt_by_seq[s] - rtt_by_seq[s - 1];
		if (d < 0)
			d = -d;
		ipdv_sum += (double)d;
		if (d > out->ipdv_max_abs_ns)
			out->ipdv_max_abs_ns = d;
		out->ipdv_pairs++;
	}
	if (out->ipdv_pairs > 0)
		out->ipdv_mean_abs_ns = ipdv_sum / (double)out->ipdv_pairs;

	if (n_rtt > 0) {
		out->have_rtt = true;
		distribution(rtts, n_rtt, &out->rtt);
	}
	if (n_owd > 0) {
		out->have_one_way = true;
		variation(ups, n_owd, &out->up);
		variation(downs, n_owd, &out->down);
		out->echo_dwell_mean_ns = dwell_sum / (double)n_owd;
	}
	free(rtt_by_seq), free(rtts), free(ups), free(downs);
	return 0;
}
