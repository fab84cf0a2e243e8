/* stats: every figure on a short sequence whose answer was worked out by hand. */
#include "cmocka_all.h"

#include "lib/stats.h"

#include <string.h>

#define MS 1000000LL
#define US 1000LL

/* send times on a 10 ms grid */
static int64_t grid[200];

static int setup_grid(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++)
		grid[i] = 1000 * MS + i * 10 * MS;
	return 0;
}

static struct stats_arrival got(uint64_t seq, int64_t rtt_ns, uint64_t count)
{
	return (struct stats_arrival){.seq = seq, .recv_ns = grid[seq] + rtt_ns, .echo_count = count};
}

static void steady_run_has_no_variation(void **state)
{
	(void)state;
	struct stats_arrival a[5];
	for (int i = 0; i < 5; i++)
		a[i] = got((uint64_t)i, 1 * MS, (uint64_t)i + 1);
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 5, a, 5, 0, &r), 0);
	assert_int_equal(r.sent, 5);
	assert_int_equal(r.received, 5);
	assert_int_equal(r.lost, 0);
	assert_true(r.loss_split);
	assert_int_equal(r.lost_upstream + r.lost_downstream, 0);
	assert_true(r.have_rtt);
	assert_int_equal(r.rtt.min_ns, 1 * MS);
	assert_int_equal(r.rtt.median_ns, 1 * MS);
	assert_int_equal(r.rtt.max_ns, 1 * MS);
	assert_true(r.rtt.mean_ns == 1.0 * MS);
	assert_true(r.jitter_ns == 0);
	assert_int_equal(r.ipdv_pairs, 4);
	assert_int_equal(r.ipdv_max_abs_ns, 0);
	assert_int_equal(r.reordered + r.duplicates + r.late + r.ignored, 0);
	assert_false(r.have_one_way);
}

/* 10 sent. The echo side saw 0,1,2,4,5,6,7 (counts 1..7); 3, 8 and 9 never
 * got there; the replies to 5 and 7 were lost on the way back. We received
 * 0,1,2,4,6 and the highest count we saw is 6 (on seq 6's reply). */
static void loss_splits_by_the_echo_count(void **state)
{
	(void)state;
	struct stats_arrival a[] = {got(0, MS, 1), got(1, MS, 2), got(2, MS, 3), got(4, MS, 4),
	                            got(6, MS, 6)};
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 10, a, 5, 0, &r), 0);
	assert_int_equal(r.received, 5);
	assert_int_equal(r.lost, 5);
	assert_true(r.loss_split);
	/* True split: 3 up (3, 8, 9), 2 down (5, 7). Seq 7 was counted after
	 * the last reply we got, so it reads as upstream: the documented tail
	 * caveat. */
	assert_int_equal(r.lost_upstream, 4);
	assert_int_equal(r.lost_downstream, 1);
	/* IPDV pairs: (0,1), (1,2) only. */
	assert_int_equal(r.ipdv_pairs, 2);
}

static void loss_without_echo_counts_is_not_split(void **state)
{
	(void)state;
	struct stats_arrival a[] = {got(0, MS, 0), got(2, MS, 0)};
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 4, a, 2, 0, &r), 0);
	assert_int_equal(r.lost, 2);
	assert_false(r.loss_split);
	assert_int_equal(r.lost_upstream + r.lost_downstream, 0);
}

static void all_lost_has_no_rtt(void **state)
{
	(void)state;
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 5, NULL, 0, 0, &r), 0);
	assert_int_equal(r.lost, 5);
	assert_false(r.have_rtt);
	assert_int_equal(r.ipdv_pairs, 0);
	assert_int_equal(stats_compute(grid, 0, NULL, 0, 0, &r), 0);
	assert_int_equal(r.sent, 0);
	assert_int_equal(r.lost, 0);
}

/* Arrival order 0 2 1 3 3 5 4: 1 and 4 arrive after a higher number
 * (reordered), the second 3 is a duplicate. More echo counts than sent
 * (the network duplicated on the way there) never make loss negative. */
static void reorder_and_duplicates(void **state)
{
	(void)state;
	struct stats_arrival a[] = {got(0, MS, 1), got(2, MS, 3), got(1, 2 * MS, 2), got(3, MS, 4),
	                            got(3, MS, 5), got(5, MS, 7), got(4, 3 * MS, 6), got(99, MS, 8)};
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 6, a, 8, 0, &r), 0);
	assert_int_equal(r.received, 6);
	assert_int_equal(r.lost, 0);
	assert_int_equal(r.reordered, 2);
	assert_int_equal(r.duplicates, 1);
	assert_int_equal(r.ignored, 1); /* seq 99 was never sent */
	assert_int_equal(r.lost_upstream, 0);
	assert_int_equal(r.lost_downstream, 0);
}

/* RTTs in arrival order 10, 26, 10, 10 us: D = 16, -16, 0 us.
 * J1 = 16/16 = 1; J2 = 1 + (16 - 1)/16 = 1.9375; J3 = J2 - J2/16 = 1.81640625 (us).
 * IPDV |16|, |16|, |0| -> mean 32/3 us, max 16 us. */
static void jitter_and_ipdv_by_hand(void **state)
{
	(void)state;
	struct stats_arrival a[] = {got(0, 10 * US, 1), got(1, 26 * US, 2), got(2, 10 * US, 3),
	                            got(3, 10 * US, 4)};
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 4, a, 4, 0, &r), 0);
	assert_float_equal(r.jitter_ns, 1816.40625, 1e-6);
	assert_int_equal(r.ipdv_pairs, 3);
	assert_float_equal(r.ipdv_mean_abs_ns, 32000.0 / 3, 1e-6);
	assert_int_equal(r.ipdv_max_abs_ns, 16 * US);
	assert_int_equal(r.rtt.min_ns, 10 * US);
	assert_int_equal(r.rtt.median_ns, 10 * US); /* sorted 10 10 10 26: rank 2 */
	assert_int_equal(r.rtt.max_ns, 26 * US);
	assert_float_equal(r.rtt.mean_ns, 14000.0, 1e-6);
}

/* Jitter follows arrival order, IPDV sending order: with seq 1 arriving
 * before seq 0 they differ. RTT 0: 30 us, 1: 10 us; arrival order 1, 0:
 * D = 20 us -> J = 1.25 us; IPDV(1,0) = 20 us. */
static void jitter_uses_arrival_order(void **state)
{
	(void)state;
	struct stats_arrival a[] = {got(1, 10 * US, 1), got(0, 30 * US, 2)};
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 2, a, 2, 0, &r), 0);
	assert_float_equal(r.jitter_ns, 1250.0, 1e-6);
	assert_int_equal(r.ipdv_max_abs_ns, 20 * US);
	assert_int_equal(r.reordered, 1);
}

static void late_packets_are_counted_and_kept(void **state)
{
	(void)state;
	struct stats_arrival a[] = {got(0, 1 * MS, 1), got(1, 6 * MS, 2), got(2, 5 * MS, 3)};
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 3, a, 3, 5 * MS, &r), 0);
	assert_int_equal(r.late, 1); /* 6 ms > 5 ms; exactly 5 ms is in time */
	assert_int_equal(r.received, 3);
	assert_int_equal(r.rtt.max_ns, 6 * MS);
}

/* Echo clock 1 s ahead. Up delays 100, 300, 200 us; down 50, 50, 150 us;
 * 10 us in the echo side. Up variation: median 200-100, max 300-100;
 * down: median 0, max 100. */
static void one_way_variation_cancels_the_clock_offset(void **state)
{
	(void)state;
	const int64_t off = 1000 * MS, dwell = 10 * US;
	const int64_t up[] = {100 * US, 300 * US, 200 * US}, down[] = {50 * US, 50 * US, 150 * US};
	struct stats_arrival a[3];
	for (int i = 0; i < 3; i++) {
		a[i].seq = (uint64_t)i;
		a[i].echo_recv_ns = grid[i] + up[i] + off;
		a[i].echo_send_ns = a[i].echo_recv_ns + dwell;
		a[i].recv_ns = a[i].echo_send_ns - off + down[i];
		a[i].echo_count = (uint64_t)i + 1;
	}
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 3, a, 3, 0, &r), 0);
	assert_true(r.have_one_way);
	assert_int_equal(r.up.min_ns, 0);
	assert_int_equal(r.up.median_ns, 100 * US);
	assert_int_equal(r.up.max_ns, 200 * US);
	assert_int_equal(r.down.median_ns, 0);
	assert_int_equal(r.down.max_ns, 100 * US);
	assert_float_equal(r.echo_dwell_mean_ns, 10.0 * US, 1e-6);
}

static void percentiles_are_nearest_rank(void **state)
{
	(void)state;
	int64_t v[100];
	for (int i = 0; i < 100; i++)
		v[i] = i + 1;
	assert_int_equal(stats_percentile(v, 100, 50), 50);
	assert_int_equal(stats_percentile(v, 100, 95), 95);
	assert_int_equal(stats_percentile(v, 100, 99), 99);
	assert_int_equal(stats_percentile(v, 100, 100), 100);
	assert_int_equal(stats_percentile(v, 7, 50), 4);
	assert_int_equal(stats_percentile(v, 7, 95), 7);
	assert_int_equal(stats_percentile(v, 4, 50), 2);
	assert_int_equal(stats_percentile(v, 1, 99), 1);
	assert_int_equal(stats_percentile(v, 20, 95), 19);
}

/* The distribution through stats_compute: 20 RTTs of 1..20 us in a
 * shuffled arrival order. */
static void rtt_distribution(void **state)
{
	(void)state;
	static const int order[20] = {7, 3, 19, 0, 12, 5, 18, 1, 9, 14, 2, 17, 6, 11, 4, 16, 8, 13, 10, 15};
	struct stats_arrival a[20];
	for (int i = 0; i < 20; i++)
		a[i] = got((uint64_t)order[i], (order[i] + 1) * US, 0);
	struct stats_result r;
	assert_int_equal(stats_compute(grid, 20, a, 20, 0, &r), 0);
	assert_int_equal(r.rtt.min_ns, 1 * US);
	assert_int_equal(r.rtt.median_ns, 10 * US);
	assert_int_equal(r.rtt.p95_ns, 19 * US);
	assert_int_equal(r.rtt.p99_ns, 20 * US);
	assert_int_equal(r.rtt.max_ns, 20 * US);
	assert_float_equal(r.rtt.mean_ns, 10.5 * US, 1e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(steady_run_has_no_variation),
	    cmocka_unit_test(loss_splits_by_the_echo_count),
	    cmocka_unit_test(loss_without_echo_counts_is_not_split),
	    cmocka_unit_test(all_lost_has_no_rtt),
	    cmocka_unit_test(reorder_and_duplicates),
	    cmocka_unit_test(jitter_and_ipdv_by_hand),
	    cmocka_unit_test(jitter_uses_arrival_order),
	    cmocka_unit_test(late_packets_are_counted_and_kept),
	    cmocka_unit_test(one_way_variation_cancels_the_clock_offset),
	    cmocka_unit_test(percentiles_are_nearest_rank),
	    cmocka_unit_test(rtt_distribution),
	};
	return cmocka_run_group_tests(tests, setup_grid, NULL);
}
