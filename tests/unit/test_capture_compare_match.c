/* capture/compare_match + compare_clock: the matcher on crafted packet
 * lists (loss, NAT learning, duplicates, retransmissions, clock offset,
 * overlap, changes in flight, bounded memory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "paramedic/capture/compare_clock.h"
#include "paramedic/capture/compare_match.h"

#include <netinet/in.h>
#include <string.h>

#define MS 1000000ll
#define T0 1700000000000000000ll

/* A TCP data segment from 10.0.0.1:1000 to 10.0.1.1:80, ttl 64. */
static struct cmp_pkt seg(uint64_t frame, int64_t ts_ns, uint32_t seq, uint16_t ip_id)
{
	struct cmp_pkt p;
	memset(&p, 0, sizeof(p));
	p.frame = frame;
	p.ts_ns = ts_ns;
	p.has_macs = true;
	memset(p.mac_src, 0x11, 6);
	memset(p.mac_dst, 0x22, 6);
	p.ip_version = 4;
	p.proto = IPPROTO_TCP;
	p.ttl = 64;
	p.df = true;
	p.ip_id = ip_id;
	uint8_t s[4] = {10, 0, 0, 1}, d[4] = {10, 0, 1, 1};
	memcpy(p.src, s, 4);
	memcpy(p.dst, d, 4);
	p.sport = 1000;
	p.dport = 80;
	p.seq = seq;
	p.ack = 7;
	p.tcp_flags = 0x18;
	p.tcp_window = 500;
	p.tcp_header_bytes = 20;
	p.payload_bytes = 100;
	p.digest = seq * 31u;
	return p;
}

/* p as seen after a router: TTL - 1, new MACs, 1 ms later. */
static struct cmp_pkt routed(struct cmp_pkt p, uint64_t frame)
{
	p.frame = frame;
	p.ts_ns += 1 * MS;
	p.ttl--;
	memset(p.mac_src, 0x33, 6);
	memset(p.mac_dst, 0x44, 6);
	return p;
}

/* The reply direction (server to client) of seg(). */
static struct cmp_pkt reply(uint64_t frame, int64_t ts_ns, uint32_t seq, uint16_t ip_id)
{
	struct cmp_pkt p = seg(frame, ts_ns, seq, ip_id);
	uint8_t tmp[16];
	memcpy(tmp, p.src, 16);
	memcpy(p.src, p.dst, 16);
	memcpy(p.dst, tmp, 16);
	p.sport = 80;
	p.dport = 1000;
	p.digest ^= 0xabcdef;
	return p;
}

static struct cmp_engine *engine(size_t max_pending, size_t max_flows, int64_t hint)
{
	struct cmp_config cfg;
	cmp_config_default(&cfg);
	cfg.max_pending = max_pending;
	cfg.max_flows = max_flows;
	cfg.offset_hint_ns = hint;
	char err[512];
	struct cmp_engine *e = cmp_engine_new(&cfg, err);
	assert_non_null(e);
	return e;
}

static void start(struct cmp_engine *e, int64_t a_ns, int64_t b_ns)
{
	cmp_engine_set_start(e, CMP_A, a_ns);
	cmp_engine_set_start(e, CMP_B, b_ns);
}

static void done(struct cmp_engine *e, int64_t a_ns, int64_t b_ns)
{
	cmp_engine_side_done(e, CMP_A, a_ns);
	cmp_engine_side_done(e, CMP_B, b_ns);
	cmp_engine_finish(e);
}

static void losses_between_a_and_b_are_named_by_frame(void **state)
{
	(void)state;
	struct cmp_engine *e = engine(1024, 16, 0);
	start(e, T0, T0);
	uint64_t fb = 1;
	for (uint32_t i = 0; i < 10; i++) {
		struct cmp_pkt a = seg(i + 1, T0 + i * 10 * MS, 1000 + i * 100, (uint16_t)(50 + i));
		cmp_engine_add(e, CMP_A, &a);
		if (i == 3 || i == 7)
			continue; /* dropped between the points */
		struct cmp_pkt b = routed(a, fb++);
		cmp_engine_add(e, CMP_B, &b);
	}
	done(e, T0 + 90 * MS, T0 + 91 * MS);
	assert_int_equal(cmp_engine_flow_count(e, CMP_A), 1);
	const struct cmp_flow *fa = cmp_engine_flow(e, CMP_A, 0);
	assert_int_equal(fa->dir[0].packets, 10);
	assert_int_equal(fa->dir[0].matched, 8);
	assert_int_equal(fa->dir[0].only.count, 2);
	assert_int_equal(fa->dir[0].only.frame[0], 4);
	assert_int_equal(fa->dir[0].only.frame[1], 8);
	assert_int_equal(fa->pairs[0].travel, CMP_TRAVEL_A_TO_B);
	assert_int_equal(fa->pairs[0].ttl_drop_min, 1);
	assert_int_equal(fa->pairs[0].chg[CMP_CHG_MAC].count, 8);
	assert_int_equal(fa->pairs[0].chg[CMP_CHG_TTL].count, 8);
	assert_int_equal(fa->pairs[0].chg[CMP_CHG_NAT].count, 0);
	const struct cmp_flow *fb0 = cmp_engine_flow(e, CMP_B, 0);
	assert_int_equal(fb0->dir[0].only.count, 0);
	assert_int_equal(fb0->peer, 0);
	cmp_engine_free(e);
}

static void nat_mapping_is_learned_and_kept_per_flow(void **state)
{
	(void)state;
	struct cmp_engine *e = engine(1024, 16, 0);
	start(e, T0, T0);
	/* Two client flows masqueraded to 10.0.1.254 with new ports; both
	 * carry a segment with the same invariants after the first one. */
	for (int flow = 0; flow < 2; flow++) {
		struct cmp_pkt a = seg(1 + (uint64_t)flow, T0 + flow * MS, 5000u + (uint32_t)flow, 1);
		a.sport = (uint16_t)(1000 + flow);
		struct cmp_pkt b = routed(a, 1 + (uint64_t)flow);
		uint8_t nat[4] = {10, 0, 1, 254};
		memcpy(b.src, nat, 4);
		b.sport = (uint16_t)(40000 + flow);
		cmp_engine_add(e, CMP_A, &a);
		cmp_engine_add(e, CMP_B, &b);
	}
	/* Same payload, seq and id in both flows: only the learned mapping
	 * tells which B packet is whose. Flow 1's copy arrives at B first. */
	struct cmp_pkt a0 = seg(3, T0 + 10 * MS, 9999, 9), a1 = seg(4, T0 + 10 * MS, 9999, 9);
	a1.sport = 1001;
	struct cmp_pkt b1 = routed(a1, 3), b0 = routed(a0, 4);
	uint8_t nat[4] = {10, 0, 1, 254};
	memcpy(b1.src, nat, 4);
	memcpy(b0.src, nat, 4);
	b1.sport = 40001;
	b0.sport = 40000;
	cmp_engine_add(e, CMP_A, &a0);
	cmp_engine_add(e, CMP_A, &a1);
	cmp_engine_add(e, CMP_B, &b1);
	cmp_engine_add(e, CMP_B, &b0);
	done(e, T0 + 10 * MS, T0 + 11 * MS);
	for (size_t i = 0; i < 2; i++) {
		const struct cmp_flow *fa = cmp_engine_flow(e, CMP_A, i);
		assert_int_equal(fa->peer, (int32_t)i);
		assert_int_equal(fa->dir[0].matched, 2);
		assert_int_equal(fa->dir[0].only.count, 0);
		assert_int_equal(fa->pairs[0].chg[CMP_CHG_NAT].count, 2);
		assert_int_equal(fa->pairs[0].chg[CMP_CHG_IPID].count, 0);
	}
	assert_int_equal(cmp_engine_flow(e, CMP_B, 0)->sport, 40000);
	cmp_engine_free(e);
}

static void duplicates_are_counted_not_lost(void **state)
{
	(void)state;
	struct cmp_engine *e = engine(1024, 16, 0);
	start(e, T0, T0);
	struct cmp_pkt a = seg(1, T0, 1, 7);
	struct cmp_pkt a_dup = a;
	a_dup.frame = 2;
	a_dup.ts_ns += MS / 10;
	struct cmp_pkt b = routed(a, 1);
	struct cmp_pkt b_dup = b;
	b_dup.frame = 2;
	struct cmp_pkt b_dup2 = b;
	b_dup2.frame = 3;
	cmp_engine_add(e, CMP_A, &a);
	cmp_engine_add(e, CMP_A, &a_dup);
	cmp_engine_add(e, CMP_B, &b);
	cmp_engine_add(e, CMP_B, &b_dup);
	cmp_engine_add(e, CMP_B, &b_dup2);
	done(e, T0, T0 + MS);
	const struct cmp_flow *fa = cmp_engine_flow(e, CMP_A, 0), *fb = cmp_engine_flow(e, CMP_B, 0);
	assert_int_equal(fa->dir[0].duplicates, 1);
	assert_int_equal(fb->dir[0].duplicates, 2);
	assert_int_equal(fa->dir[0].matched, 1);
	assert_int_equal(fa->dir[0].only.count, 0);
	assert_int_equal(fb->dir[0].only.count, 0);
	cmp_engine_free(e);

	/* A SYN-ACK goes out with IPv4 ID 0 and is re-sent byte for byte, 1 s
	 * later and again 113 us after that (a timer and the client's repeated
	 * SYN); only the second copy crosses. Two copies were lost, the first
	 * and the third: ID-0 copies are packets of their own, not duplicates. */
	e = engine(1024, 16, 0);
	start(e, T0, T0);
	struct cmp_pkt s1 = seg(1, T0, 1, 0), s2 = seg(2, T0 + 1000 * MS, 1, 0);
	s1.tcp_flags = s2.tcp_flags = 0x12;
	struct cmp_pkt sb = routed(s2, 1), s3 = s2;
	s3.frame = 3;
	s3.ts_ns += 113000;
	cmp_engine_add(e, CMP_A, &s1);
	cmp_engine_add(e, CMP_A, &s2);
	cmp_engine_add(e, CMP_B, &sb);
	cmp_engine_add(e, CMP_A, &s3);
	done(e, T0 + 1001 * MS, T0 + 1001 * MS);
	fa = cmp_engine_flow(e, CMP_A, 0);
	assert_int_equal(fa->dir[1].duplicates, 0);
	assert_int_equal(fa->dir[1].matched, 1);
	assert_int_equal(fa->dir[1].only.count, 2);
	assert_int_equal(fa->dir[1].only.frame[0], 1);
	assert_int_equal(fa->dir[1].only.frame[1], 3);
	cmp_engine_free(e);
}

/* Duplicate ACKs that differ only in their SACK blocks have the same
 * invariants; the twin is the copy with the same TCP header length, and
 * among equals the earliest, so a capture compared with itself agrees. */
static void identical_copies_pair_in_order(void **state)
{
	(void)state;
	struct cmp_engine *e = engine(1024, 16, 0);
	start(e, T0, T0);
	struct cmp_pkt p[3];
	for (int i = 0; i < 3; i++) {
		p[i] = seg((uint64_t)i + 1, T0 + MS, 0, 0);
		p[i].ip_version = 6;
		p[i].tcp_header_bytes = i == 2 ? 32 : 44;
	}
	for (int i = 0; i < 3; i++)
		cmp_engine_add(e, CMP_A, &p[i]);
	for (int i = 0; i < 3; i++)
		cmp_engine_add(e, CMP_B, &p[i]);
	done(e, T0 + 2 * MS, T0 + 2 * MS);
	const struct cmp_flow *fa = cmp_engine_flow(e, CMP_A, 0);
	assert_int_equal(fa->dir[0].matched, 3);
	assert_int_equal(fa->dir[0].only.count, 0);
	assert_int_equal(fa->pairs[0].chg[CMP_CHG_TCP_OPTIONS].count, 0);
	cmp_engine_free(e);
}

static void lost_original_is_told_from_its_retransmission(void **state)
{
	(void)state;
	struct cmp_engine *e = engine(1024, 16, 0);
	start(e, T0, T0);
	/* Same segment twice at A (new IP ID for the retransmission); only
	 * the retransmission crosses. The original must be the lost one. */
	struct cmp_pkt orig = seg(1, T0, 100, 20), retx = seg(2, T0 + 200 * MS, 100, 21);
	struct cmp_pkt b = routed(retx, 1);
	cmp_engine_add(e, CMP_A, &orig);
	cmp_engine_add(e, CMP_A, &retx);
	cmp_engine_add(e, CMP_B, &b);
	done(e, T0 + 200 * MS, T0 + 201 * MS);
	const struct cmp_flow *fa = cmp_engine_flow(e, CMP_A, 0);
	assert_int_equal(fa->dir[0].duplicates, 0);
	assert_int_equal(fa->dir[0].only.count, 1);
	assert_int_equal(fa->dir[0].only.frame[0], 1);
	assert_int_equal(fa->pairs[0].chg[CMP_CHG_IPID].count, 0);
	assert_int_equal(fa->pairs[0].delta_min_ns, 1 * MS);

	/* IPv6 has no ID: the closest in time is chosen. */
	struct cmp_engine *e6 = engine(1024, 16, 0);
	start(e6, T0, T0);
	orig.ip_version = retx.ip_version = b.ip_version = 6;
	cmp_engine_add(e6, CMP_A, &orig);
	cmp_engine_add(e6, CMP_A, &retx);
	cmp_engine_add(e6, CMP_B, &b);
	done(e6, T0 + 200 * MS, T0 + 201 * MS);
	fa = cmp_engine_flow(e6, CMP_A, 0);
	assert_int_equal(fa->dir[0].only.frame[0], 1);
	assert_int_equal(fa->pairs[0].delta_max_ns, 1 * MS);
	cmp_engine_free(e);
	cmp_engine_free(e6);
}

static void clock_offset_and_one_way_delay_from_both_ways(void **state)
{
	(void)state;
	/* B's clock is 5 s ahead; 3 ms one way, 3 ms back; same TTL (a
	 * switch between the points), so travel comes from timing. */
	const int64_t off = 5000 * MS, owd = 3 * MS;
	struct cmp_pkt a[40], b[40];
	size_t na = 0, nb = 0;
	for (uint32_t i = 0; i < 20; i++) {
		int64_t t = T0 + i * 20 * MS;
		a[na] = seg(na + 1, t, 100 + i, (uint16_t)i);
		b[nb] = a[na];
		b[nb].frame = nb + 1;
		b[nb].ts_ns = t + owd + off + (i % 3) * MS; /* queueing jitter */
		na++, nb++;
		/* reply leaves from B's side */
		b[nb] = reply(nb + 1, t + 5 * MS + off, 900 + i, (uint16_t)(300 + i));
		a[na] = b[nb];
		a[na].frame = na + 1;
		a[na].ts_ns = t + 5 * MS + owd;
		na++, nb++;
	}
	size_t found = 0;
	int64_t hint = cmp_clock_hint(a, na, b, nb, &found);
	assert_int_equal(found, 40);
	assert_true(hint > off - 10 * MS && hint < off + 10 * MS);

	struct cmp_engine *e = engine(1024, 16, hint);
	start(e, a[0].ts_ns, b[0].ts_ns);
	/* merge by aligned time, as the command does */
	size_t i = 0, j = 0;
	while (i < na || j < nb) {
		if (j >= nb || (i < na && a[i].ts_ns <= b[j].ts_ns - hint))
			cmp_engine_add(e, CMP_A, &a[i++]);
		else
			cmp_engine_add(e, CMP_B, &b[j++]);
	}
	done(e, a[na - 1].ts_ns, b[nb - 1].ts_ns);
	const struct cmp_flow *fa = cmp_engine_flow(e, CMP_A, 0);
	assert_int_equal(fa->pairs[0].travel, CMP_TRAVEL_A_TO_B);
	assert_int_equal(fa->pairs[1].travel, CMP_TRAVEL_B_TO_A);
	assert_int_equal(fa->dir[0].matched + fa->dir[1].matched, 40);
	const struct cmp_clock *c = cmp_engine_clock(e);
	assert_true(c->offset_known);
	assert_true(c->offset_ns == off);
	assert_true(c->owd_min_ns[0] == owd);
	assert_true(c->owd_min_ns[1] == owd);
	assert_true(c->owd_mean_ns[0] > (double)owd);
	cmp_engine_free(e);
}

static void one_way_traffic_leaves_the_offset_unknown(void **state)
{
	(void)state;
	struct cmp_engine *e = engine(1024, 16, 0);
	start(e, T0, T0);
	struct cmp_pkt a = seg(1, T0, 1, 1), b = a;
	b.ts_ns += 2 * MS; /* same TTL: travel by the sign of the delta */
	cmp_engine_add(e, CMP_A, &a);
	cmp_engine_add(e, CMP_B, &b);
	done(e, T0, T0 + 2 * MS);
	const struct cmp_clock *c = cmp_engine_clock(e);
	assert_false(c->offset_known);
	assert_true(c->have_a_to_b);
	assert_true(c->owd_min_ns[0] == 2 * MS);
	assert_int_equal(cmp_engine_flow(e, CMP_A, 0)->pairs[0].travel, CMP_TRAVEL_A_TO_B);
	cmp_engine_free(e);
}

static void packets_outside_the_overlap_are_not_judged(void **state)
{
	(void)state;
	struct cmp_engine *e = engine(1024, 16, 0);
	/* B starts 50 ms after A and stops 50 ms before it. */
	start(e, T0, T0 + 50 * MS);
	for (uint32_t i = 0; i < 10; i++) {
		struct cmp_pkt a = seg(i + 1, T0 + i * 20 * MS, i, (uint16_t)i);
		cmp_engine_add(e, CMP_A, &a);
		if (a.ts_ns >= T0 + 49 * MS && a.ts_ns <= T0 + 130 * MS) {
			struct cmp_pkt b = routed(a, i + 1);
			cmp_engine_add(e, CMP_B, &b);
		}
	}
	done(e, T0 + 180 * MS, T0 + 141 * MS);
	const struct cmp_flow *fa = cmp_engine_flow(e, CMP_A, 0);
	assert_int_equal(fa->dir[0].matched, 4);   /* 60, 80, 100, 120 ms */
	assert_int_equal(fa->dir[0].outside, 5);   /* 0, 20, 40, 160, 180 */
	assert_int_equal(fa->dir[0].only.count, 1); /* 140 ms: B was running */
	assert_int_equal(fa->dir[0].only.frame[0], 8);
	cmp_engine_free(e);
}

static void changes_in_flight_are_recorded_with_values(void **state)
{
	(void)state;
	struct cmp_engine *e = engine(1024, 16, 0);
	start(e, T0, T0);
	struct cmp_pkt syn = seg(1, T0, 42, 1);
	syn.tcp_flags = 0x02;
	syn.ack = 0;
	syn.payload_bytes = 0;
	syn.mss = 1460;
	syn.tos = 0xb8; /* EF */
	struct cmp_pkt b = routed(syn, 1);
	b.mss = 1200;
	b.df = false;
	b.tos = 0x00;
	b.tcp_window = 1000;
	cmp_engine_add(e, CMP_A, &syn);
	cmp_engine_add(e, CMP_B, &b);
	done(e, T0, T0 + MS);
	const struct cmp_pairs *pp = &cmp_engine_flow(e, CMP_A, 0)->pairs[0];
	assert_int_equal(pp->chg[CMP_CHG_MSS].count, 1);
	assert_int_equal(pp->chg[CMP_CHG_MSS].val_a, 1460);
	assert_int_equal(pp->chg[CMP_CHG_MSS].val_b, 1200);
	assert_int_equal(pp->chg[CMP_CHG_DF].val_a, 1);
	assert_int_equal(pp->chg[CMP_CHG_DF].val_b, 0);
	assert_int_equal(pp->chg[CMP_CHG_DSCP].val_a, 46);
	assert_int_equal(pp->chg[CMP_CHG_WINDOW].count, 1);
	assert_int_equal(pp->chg[CMP_CHG_ECN].count, 0);
	assert_int_equal(pp->chg[CMP_CHG_MAC].val_a, 0x111111111111ull);
	assert_int_equal(pp->chg[CMP_CHG_MAC].val2_b, 0x444444444444ull);
	assert_int_equal(cmp_change_from_name("mss"), CMP_CHG_MSS);
	assert_int_equal(cmp_change_from_name("nope"), -1);
	unsigned exp = cmp_change_default_expected();
	assert_true(exp & (1u << CMP_CHG_NAT));
	assert_false(exp & (1u << CMP_CHG_MSS));
	cmp_engine_free(e);
}

static void memory_bounds_are_counted(void **state)
{
	(void)state;
	/* A window of 4 packets: 10 A packets with no twins, then their twins
	 * arrive too late; every early judgement is counted. */
	struct cmp_engine *e = engine(4, 2, 0);
	start(e, T0, T0);
	for (uint32_t i = 0; i < 10; i++) {
		struct cmp_pkt a = seg(i + 1, T0 + i * MS, i, (uint16_t)i);
		cmp_engine_add(e, CMP_A, &a);
	}
	/* A third flow does not fit in a table of 2. */
	for (uint16_t port = 2000; port < 2002; port++) {
		struct cmp_pkt a = seg(20, T0 + 11 * MS, 77, 1);
		a.sport = port;
		cmp_engine_add(e, CMP_A, &a);
	}
	done(e, T0 + 11 * MS, T0 + 11 * MS);
	assert_true(cmp_engine_overflow(e, CMP_A) >= 6);
	assert_int_equal(cmp_engine_untracked(e, CMP_A), 1);
	assert_int_equal(cmp_engine_flow_count(e, CMP_A), 2);
	cmp_engine_free(e);

	struct cmp_config cfg;
	cmp_config_default(&cfg);
	cfg.max_pending = 0;
	char err[512];
	assert_null(cmp_engine_new(&cfg, err));
	assert_non_null(strstr(err, "window"));
}

static void signature_ignores_what_hops_change(void **state)
{
	(void)state;
	struct cmp_pkt a = seg(1, T0, 5, 1), b = routed(a, 9);
	b.src[3] = 99;
	b.sport = 4;
	b.ip_id = 77;
	b.mss = 3;
	b.tos = 4;
	assert_true(cmp_pkt_signature(&a) == cmp_pkt_signature(&b));
	assert_true(cmp_pkt_same_invariants(&a, &b));
	assert_false(cmp_pkt_same_tuple(&a, &b));
	b.digest++;
	assert_false(cmp_pkt_same_invariants(&a, &b));
	/* fragments: the IP ID is their only key */
	struct cmp_pkt f1 = a, f2 = a;
	f1.fragment = f2.fragment = true;
	f2.ip_id = 2;
	assert_false(cmp_pkt_same_invariants(&f1, &f2));
	char buf[16];
	assert_string_equal(cmp_proto_name(IPPROTO_UDP, buf, sizeof(buf)), "udp");
	assert_string_equal(cmp_proto_name(132, buf, sizeof(buf)), "ip-132");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(losses_between_a_and_b_are_named_by_frame),
		cmocka_unit_test(nat_mapping_is_learned_and_kept_per_flow),
		cmocka_unit_test(duplicates_are_counted_not_lost),
		cmocka_unit_test(identical_copies_pair_in_order),
		cmocka_unit_test(lost_original_is_told_from_its_retransmission),
		cmocka_unit_test(clock_offset_and_one_way_delay_from_both_ways),
		cmocka_unit_test(one_way_traffic_leaves_the_offset_unknown),
		cmocka_unit_test(packets_outside_the_overlap_are_not_judged),
		cmocka_unit_test(changes_in_flight_are_recorded_with_values),
		cmocka_unit_test(memory_bounds_are_counted),
		cmocka_unit_test(signature_ignores_what_hops_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
