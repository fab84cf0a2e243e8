/* capture/compare_clock: travel direction, clock offset, one-way delay. */
#include "paramedic/capture/compare_clock.h"

#include <stdlib.h>
#include <string.h>

static double mean_delta(const struct cmp_pairs *p)
{
	return p->delta_sum_ns / (double)p->n;
}

void cmp_clock_classify(struct cmp_flow *a_flows, size_t n, struct cmp_clock *out)
{
	memset(out, 0, sizeof(*out));
	/* Pass 1: TTL, then the flow's own two directions. */
	double sum[2] = {0, 0};
	uint64_t cnt[2] = {0, 0};
	for (size_t i = 0; i < n; i++) {
		struct cmp_pairs *pp = a_flows[i].pairs;
		for (int d = 0; d < 2; d++) {
			pp[d].travel = CMP_TRAVEL_UNKNOWN;
			if (pp[d].n == 0)
				continue;
			if (pp[d].ttl_a_higher > pp[d].ttl_b_higher)
				pp[d].travel = CMP_TRAVEL_A_TO_B;
			else if (pp[d].ttl_b_higher > pp[d].ttl_a_higher)
				pp[d].travel = CMP_TRAVEL_B_TO_A;
			else if (pp[!d].n > 0 && mean_delta(&pp[d]) != mean_delta(&pp[!d]))
				pp[d].travel = mean_delta(&pp[d]) > mean_delta(&pp[!d]) ? CMP_TRAVEL_A_TO_B
				                                                         : CMP_TRAVEL_B_TO_A;
			if (pp[d].travel != CMP_TRAVEL_UNKNOWN) {
				int k = pp[d].travel == CMP_TRAVEL_A_TO_B ? 0 : 1;
				sum[k] += pp[d].delta_sum_ns;
				cnt[k] += pp[d].n;
			}
		}
	}
	/* Pass 2: lone directions against the midpoint of the known groups. */
	double threshold = 0;
	if (cnt[0] > 0 && cnt[1] > 0)
		threshold = (sum[0] / (double)cnt[0] + sum[1] / (double)cnt[1]) / 2;
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < 2; d++) {
			struct cmp_pairs *p = &a_flows[i].pairs[d];
			if (p->n > 0 && p->travel == CMP_TRAVEL_UNKNOWN)
				p->travel = mean_delta(p) >= threshold ? CMP_TRAVEL_A_TO_B
				                                       : CMP_TRAVEL_B_TO_A;
		}
	/* The clock from the fastest pair each way. */
	int64_t best[2] = {0, 0};
	double dsum[2] = {0, 0};
	uint64_t dn[2] = {0, 0};
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < 2; d++) {
			const struct cmp_pairs *p = &a_flows[i].pairs[d];
			if (p->n == 0)
				continue;
			int k = p->travel == CMP_TRAVEL_A_TO_B ? 0 : 1;
			/* A→B pairs: tB - tA; B→A pairs: tA - tB. */
			int64_t fastest = k == 0 ? p->delta_min_ns : -p->delta_max_ns;
			if (dn[k] == 0 || fastest < best[k])
				best[k] = fastest;
			dsum[k] += k == 0 ? p->delta_sum_ns : -p->delta_sum_ns;
			dn[k] += p->n;
		}
	out->have_a_to_b = dn[0] > 0;
	out->have_b_to_a = dn[1] > 0;
	out->offset_known = out->have_a_to_b && out->have_b_to_a;
	out->offset_ns = out->offset_known ? (best[0] - best[1]) / 2 : 0;
	for (int k = 0; k < 2; k++) {
		if (dn[k] == 0)
			continue;
		/* A→B: delay = delta - offset; B→A: delay = -delta + offset. */
		int64_t corr = k == 0 ? -out->offset_ns : out->offset_ns;
		out->owd_min_ns[k] = best[k] + corr;
		out->owd_mean_ns[k] = dsum[k] / (double)dn[k] + (double)corr;
	}
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

int64_t cmp_clock_hint(const struct cmp_pkt *a, size_t na, const struct cmp_pkt *b, size_t nb,
                       size_t *found)
{
	*found = 0;
	if (na == 0 || nb == 0)
		return 0;
	int64_t *deltas = malloc(nb * sizeof(*deltas));
	size_t nbk = 16;
	while (nbk < na * 2)
		nbk <<= 1;
	uint32_t *slot = malloc(nbk * sizeof(*slot));
	if (deltas == NULL || slot == NULL) {
		free(deltas);
		free(slot);
		return 0;
	}
	/* Open addressing over A's signatures; the first copy wins. */
	memset(slot, 0xff, nbk * sizeof(*slot));
	for (size_t i = 0; i < na; i++) {
		size_t h = cmp_pkt_signature(&a[i]) & (nbk - 1);
		while (slot[h] != UINT32_MAX && !cmp_pkt_same_invariants(&a[slot[h]], &a[i]))
			h = (h + 1) & (nbk - 1);
		if (slot[h] == UINT32_MAX)
			slot[h] = (uint32_t)i;
	}
	size_t nd = 0;
	for (size_t j = 0; j < nb; j++) {
		size_t h = cmp_pkt_signature(&b[j]) & (nbk - 1);
		for (; slot[h] != UINT32_MAX; h = (h + 1) & (nbk - 1))
			if (cmp_pkt_same_invariants(&a[slot[h]], &b[j])) {
				deltas[nd++] = b[j].ts_ns - a[slot[h]].ts_ns;
				break;
			}
	}
	int64_t median = 0;
	if (nd > 0) {
		qsort(deltas, nd, sizeof(*deltas), cmp_i64);
		median = deltas[nd / 2];
	}
	*found = nd;
	free(deltas);
	free(slot);
	return median;
}
