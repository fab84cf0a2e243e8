/*
 * stats: the statistics of one isochronous probe run (docs/LATENCY.md).
 *
 * Product-agnostic: the input is what a sender recorded (its send time of
 * every sequence number) and what came back, in arrival order (sequence
 * number, receive time, and the echo side's receive/send times and
 * received-count when it stamped them). All times are ns on one clock per
 * side: the sender's send and receive times share a clock; the echo side's
 * two times share another, whose offset cancels out in every figure that
 * uses them (variations only, never absolute one-way delays).
 *
 * Definitions (each tested on hand-computed sequences in test_stats.c):
 *   RTT          receive - send of the first copy of each probe.
 *                Percentiles are nearest-rank on the sorted sample:
 *                Pp = x[ceil(p/100 * N) - 1]; the median is P50 (the lower
 *                middle value for even N: always a measured value).
 *   jitter       RFC 3550 §6.4.1: J += (|D| - J) / 16, D the transit-time
 *                difference of consecutive first copies in arrival order.
 *   IPDV         RFC 3393 / RFC 5481: RTT(n) - RTT(n-1) for consecutive
 *                sequence numbers both received; mean and max of |IPDV|.
 *   duplicates   arrivals of a sequence number already seen (excluded from
 *                everything else).
 *   reordered    first copies arriving after a higher sequence number
 *                (RFC 4737 "reordered": seq < the highest seen so far).
 *   late         first copies whose RTT exceeds timeout_ns (still counted
 *                as received, and in the RTT figures).
 *   loss         sent - received (first copies). Split with the echo
 *                side's received-count C (the highest seen): upstream =
 *                sent - C (never reached the echo side), downstream = the
 *                rest (counted there, never came back). Caveat: a probe
 *                counted by the echo side after the last reply we received
 *                is indistinguishable from one it never saw, so losses in
 *                the tail of a run lean upstream.
 *   one-way variation  per direction, the one-way delay (clock offset
 *                included) minus its minimum over the run: min (0), median,
 *                max. Upstream = echo receive - send; downstream = receive
 *                - echo send.
 */
#ifndef PP_LIB_STATS_H
#define PP_LIB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One datagram that came back, in arrival order. */
struct stats_arrival {
	uint64_t seq;
	int64_t recv_ns;       /* sender's clock */
	int64_t echo_recv_ns;  /* echo side's clock; 0 = not stamped */
	int64_t echo_send_ns;  /* echo side's clock; 0 = not stamped */
	uint64_t echo_count;   /* echo side's received-count; 0 = unknown */
};

struct stats_dist {
	int64_t min_ns, median_ns, p95_ns, p99_ns, max_ns;
	double mean_ns;
};

struct stats_variation {
	int64_t min_ns, median_ns, max_ns; /* relative to the run's minimum */
};

struct stats_result {
	uint64_t sent, received, lost, lost_upstream, lost_downstream;
	uint64_t duplicates, reordered, late;
	uint64_t ignored;       /* arrivals with a seq never sent */
	bool loss_split;        /* an echo count was seen: the split is known */
	bool have_rtt;          /* received > 0 */
	struct stats_dist rtt;
	double jitter_ns;       /* RFC 3550 */
	uint64_t ipdv_pairs;
	double ipdv_mean_abs_ns;
	int64_t ipdv_max_abs_ns;
	bool have_one_way;      /* echo timestamps on at least one probe */
	struct stats_variation up, down;
	double echo_dwell_mean_ns; /* echo send - echo receive, mean */
};

/* send_ns[seq] for seq in 0..n_sent-1; arrivals in arrival order.
 * timeout_ns <= 0: nothing is late. -1 only when out of memory. */
int stats_compute(const int64_t *send_ns, uint64_t n_sent, const struct stats_arrival *arr,
                  size_t n_arr, int64_t timeout_ns, struct stats_result *out);

/* Nearest-rank percentile (0 < p <= 100) of an ascending array of n > 0. */
int64_t stats_percentile(const int64_t *sorted, size_t n, double p);

#endif
