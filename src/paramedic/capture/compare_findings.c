/*
 * capture/compare_findings: what the counts mean. Losses and additions are
 * named by the way a direction travels (upstream capture saw it, the
 * downstream one did not = lost between them), changes by whether the user
 * expects them (a routed hop and NAT by default, `--expect` adds more).
 */
#include "paramedic/capture/compare_report.h"

#include "lib/pcap/decode.h"

/* Finding texts are one line of bounded length: cutting a very long one
 * (IPv6 tuples) is intended. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

#include <netinet/in.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *cmp_finding_kind_name(enum cmp_finding_kind k)
{
	static const char *const names[] = {
		[CMP_F_LOST] = "lost", [CMP_F_ADDED] = "added", [CMP_F_ONLY_A] = "only_a",
		[CMP_F_ONLY_B] = "only_b", [CMP_F_CHANGED] = "changed", [CMP_F_EXPECTED] = "expected_change",
		[CMP_F_DUPLICATES] = "duplicates", [CMP_F_LIMITS] = "limits",
	};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

void cmp_flow_dir_str(const struct cmp_flow *f, int dir, char *buf, size_t len)
{
	char s[64], d[64], pb[16];
	const uint8_t *src = dir ? f->dst : f->src, *dst = dir ? f->src : f->dst;
	uint16_t sp = dir ? f->dport : f->sport, dp = dir ? f->sport : f->dport;
	pkt_addr_str(f->ip_version, src, s, sizeof(s));
	pkt_addr_str(f->ip_version, dst, d, sizeof(d));
	const char *proto = cmp_proto_name(f->proto, pb, sizeof(pb));
	bool v6 = f->ip_version == 6;
	if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP)
		snprintf(buf, len, "%s %s%s%s:%u > %s%s%s:%u", proto, v6 ? "[" : "", s, v6 ? "]" : "",
		         sp, v6 ? "[" : "", d, v6 ? "]" : "", dp);
	else if ((f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6) && f->sport != 0)
		snprintf(buf, len, "%s %s > %s id %u", proto, s, d, f->sport);
	else
		snprintf(buf, len, "%s %s > %s", proto, s, d);
}

static const struct cmp_flow *peer_of(const struct cmp_run *r, const struct cmp_flow *fa)
{
	return fa->peer >= 0 ? cmp_engine_flow(r->eng, CMP_B, (size_t)fa->peer) : NULL;
}

enum cmp_travel cmp_run_travel(const struct cmp_run *r, size_t i, int d)
{
	const struct cmp_flow *fa = cmp_engine_flow(r->eng, CMP_A, i);
	if (fa->pairs[d].travel != CMP_TRAVEL_UNKNOWN)
		return fa->pairs[d].travel;
	/* No twins this way: the reverse of the other way, when that is known. */
	switch (fa->pairs[!d].travel) {
	case CMP_TRAVEL_A_TO_B: return CMP_TRAVEL_B_TO_A;
	case CMP_TRAVEL_B_TO_A: return CMP_TRAVEL_A_TO_B;
	default: return CMP_TRAVEL_UNKNOWN;
	}
}

static void mac_str(uint64_t v, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", (unsigned)(v >> 40) & 0xff,
	         (unsigned)(v >> 32) & 0xff, (unsigned)(v >> 24) & 0xff, (unsigned)(v >> 16) & 0xff,
	         (unsigned)(v >> 8) & 0xff, (unsigned)v & 0xff);
}

/* One sentence about the first example of a change. */
static void describe_change(enum cmp_change c, const struct cmp_change_stat *s,
                            const struct cmp_flow *fa, const struct cmp_flow *fb, int d,
                            char *buf, size_t len)
{
	char x[160], y[160];
	switch (c) {
	case CMP_CHG_MAC: {
		char a1[24], a2[24], b1[24], b2[24];
		mac_str(s->val_a, a1, sizeof(a1));
		mac_str(s->val2_a, a2, sizeof(a2));
		mac_str(s->val_b, b1, sizeof(b1));
		mac_str(s->val2_b, b2, sizeof(b2));
		snprintf(buf, len, "MAC addresses rewritten: %s > %s at A, %s > %s at B", a1, a2, b1, b2);
		break;
	}
	case CMP_CHG_TTL:
		snprintf(buf, len, "TTL/hop limit %" PRIu64 " at A, %" PRIu64 " at B", s->val_a, s->val_b);
		break;
	case CMP_CHG_NAT:
		cmp_flow_dir_str(fa, d, x, sizeof(x));
		if (fb != NULL)
			cmp_flow_dir_str(fb, d ^ fa->peer_flip, y, sizeof(y));
		else
			snprintf(y, sizeof(y), "?");
		snprintf(buf, len, "addresses/ports translated (NAT): %s at A is %s at B", x, y);
		break;
	case CMP_CHG_MSS:
		if (s->val_b == 0)
			snprintf(buf, len, "TCP MSS option %" PRIu64 " at A removed at B", s->val_a);
		else
			snprintf(buf, len, "TCP MSS %" PRIu64 " at A, %" PRIu64 " at B (MSS clamping)",
			         s->val_a, s->val_b);
		break;
	case CMP_CHG_DF:
		snprintf(buf, len, "IPv4 DF %s at A, %s at B", s->val_a ? "set" : "clear",
		         s->val_b ? "set" : "clear");
		break;
	case CMP_CHG_DSCP:
		snprintf(buf, len, "DSCP %" PRIu64 " at A, %" PRIu64 " at B", s->val_a, s->val_b);
		break;
	case CMP_CHG_ECN:
		snprintf(buf, len, "ECN codepoint %" PRIu64 " at A, %" PRIu64 " at B", s->val_a, s->val_b);
		break;
	case CMP_CHG_IPID:
		snprintf(buf, len, "IPv4 ID %" PRIu64 " at A, %" PRIu64 " at B (rewritten)", s->val_a, s->val_b);
		break;
	case CMP_CHG_WINDOW:
		snprintf(buf, len, "TCP window %" PRIu64 " at A, %" PRIu64 " at B", s->val_a, s->val_b);
		break;
	case CMP_CHG_TCP_OPTIONS:
		snprintf(buf, len, "TCP header %" PRIu64 " bytes at A, %" PRIu64 " at B (options added or stripped)",
		         s->val_a, s->val_b);
		break;
	default:
		snprintf(buf, len, "?");
	}
}

static void emit_only(const struct cmp_run *r, enum cmp_finding_kind kind, enum cmp_side fs,
                      size_t fi, int d, const struct cmp_dir *seen, const struct cmp_frames *fr_a,
                      const struct cmp_frames *fr_b, void (*emit)(void *, const struct cmp_finding *),
                      void *ctx)
{
	const struct cmp_flow *f = cmp_engine_flow(r->eng, fs, fi);
	struct cmp_finding fd = {.severity = CMP_WARNING, .kind = kind, .flow_side = fs,
	                         .flow = (long)fi, .dir = d, .frames_a = fr_a, .frames_b = fr_b};
	const struct cmp_frames *fr = fr_a != NULL ? fr_a : fr_b;
	fd.count = fr->count;
	char tuple[200];
	cmp_flow_dir_str(f, d, tuple, sizeof(tuple));
	double pct = seen->packets ? 100.0 * (double)fr->count / (double)seen->packets : 0;
	switch (kind) {
	case CMP_F_LOST:
		snprintf(fd.text, sizeof(fd.text), "%" PRIu64 " of %" PRIu64 " packets (%.1f%%) of %s seen at %s never reached %s: lost between the two points",
		         fr->count, seen->packets, pct, tuple, fr_a ? "A" : "B", fr_a ? "B" : "A");
		break;
	case CMP_F_ADDED:
		snprintf(fd.text, sizeof(fd.text), "%" PRIu64 " packets of %s seen at %s were never seen at %s: added between the points (or %s's capture missed them)",
		         fr->count, tuple, fr_a ? "A" : "B", fr_a ? "B" : "A", fr_a ? "B" : "A");
		break;
	default:
		snprintf(fd.text, sizeof(fd.text), "%" PRIu64 " packets of %s seen only at %s (no packet of this flow direction matched)",
		         fr->count, tuple, fr_a ? "A" : "B");
	}
	emit(ctx, &fd);
}

static void discrepancies(const struct cmp_run *r, void (*emit)(void *, const struct cmp_finding *),
                          void *ctx)
{
	size_t na = cmp_engine_flow_count(r->eng, CMP_A), nb = cmp_engine_flow_count(r->eng, CMP_B);
	for (size_t i = 0; i < na; i++) {
		const struct cmp_flow *fa = cmp_engine_flow(r->eng, CMP_A, i), *fb = peer_of(r, fa);
		for (int d = 0; d < 2; d++) {
			const struct cmp_dir *da = &fa->dir[d];
			const struct cmp_dir *db = fb ? &fb->dir[d ^ fa->peer_flip] : NULL;
			enum cmp_travel tr = fb ? cmp_run_travel(r, i, d) : CMP_TRAVEL_UNKNOWN;
			if (da->only.count > 0) {
				enum cmp_finding_kind k = tr == CMP_TRAVEL_A_TO_B ? CMP_F_LOST
				                        : tr == CMP_TRAVEL_B_TO_A ? CMP_F_ADDED : CMP_F_ONLY_A;
				emit_only(r, k, CMP_A, i, d, da, &da->only, NULL, emit, ctx);
			}
			if (db != NULL && db->only.count > 0) {
				enum cmp_finding_kind k = tr == CMP_TRAVEL_B_TO_A ? CMP_F_LOST
				                        : tr == CMP_TRAVEL_A_TO_B ? CMP_F_ADDED : CMP_F_ONLY_B;
				emit_only(r, k, CMP_B, (size_t)fa->peer, d ^ fa->peer_flip, db, NULL, &db->only,
				          emit, ctx);
			}
			for (int c = 0; c < CMP_CHG_COUNT; c++) {
				const struct cmp_change_stat *s = &fa->pairs[d].chg[c];
				if (s->count == 0 || (r->expected & (1u << c)))
					continue;
				struct cmp_finding fd = {.severity = CMP_WARNING, .kind = CMP_F_CHANGED,
				                         .flow_side = CMP_A, .flow = (long)i, .dir = d,
				                         .change = (enum cmp_change)c, .count = s->count};
				char tuple[200], what[256];
				cmp_flow_dir_str(fa, d, tuple, sizeof(tuple));
				describe_change((enum cmp_change)c, s, fa, fb, d, what, sizeof(what));
				snprintf(fd.text, sizeof(fd.text), "changed in flight on %s: %s; %" PRIu64 " of %" PRIu64 " packets (first: A frame %" PRIu64 ", B frame %" PRIu64 ")",
				         tuple, what, s->count, fa->pairs[d].n, s->frame_a, s->frame_b);
				emit(ctx, &fd);
			}
		}
	}
	for (size_t j = 0; j < nb; j++) {
		const struct cmp_flow *fb = cmp_engine_flow(r->eng, CMP_B, j);
		if (fb->peer >= 0)
			continue;
		for (int d = 0; d < 2; d++)
			if (fb->dir[d].only.count > 0)
				emit_only(r, CMP_F_ONLY_B, CMP_B, j, d, &fb->dir[d], NULL, &fb->dir[d].only, emit,
				          ctx);
	}
}

static void limits(const struct cmp_run *r, void (*emit)(void *, const struct cmp_finding *),
                   void *ctx)
{
	for (int s = 0; s < 2; s++) {
		const struct cmp_side_info *si = &r->side[s];
		struct cmp_finding fd = {.severity = CMP_WARNING, .kind = CMP_F_LIMITS, .flow = -1, .dir = -1};
		char side = s == CMP_A ? 'A' : 'B';
		if (si->truncated || si->error[0] != '\0') {
			snprintf(fd.text, sizeof(fd.text), "%c (%s) %s after frame %" PRIu64 ": compared up to there (%s)",
			         side, si->path, si->truncated ? "is truncated" : "could not be read further",
			         si->frames, si->error);
			emit(ctx, &fd);
		}
		if ((fd.count = cmp_engine_overflow(r->eng, (enum cmp_side)s)) > 0) {
			snprintf(fd.text, sizeof(fd.text), "the matching window (%zu packets) overflowed: %" PRIu64 " packets of %c were judged before their time; raise --max-pending",
			         r->cfg.max_pending, fd.count, side);
			emit(ctx, &fd);
		}
		if ((fd.count = cmp_engine_untracked(r->eng, (enum cmp_side)s)) > 0) {
			snprintf(fd.text, sizeof(fd.text), "the flow table (%zu flows) was full: %" PRIu64 " packets of %c were not compared; raise --max-flows",
			         r->cfg.max_flows, fd.count, side);
			emit(ctx, &fd);
		}
	}
}

static void infos(const struct cmp_run *r, void (*emit)(void *, const struct cmp_finding *), void *ctx)
{
	size_t na = cmp_engine_flow_count(r->eng, CMP_A);
	for (int c = 0; c < CMP_CHG_COUNT; c++) {
		if (!(r->expected & (1u << c)))
			continue;
		uint64_t dirs = 0, total = 0;
		struct cmp_finding fd = {.severity = CMP_INFO, .kind = CMP_F_EXPECTED, .flow_side = CMP_A,
		                         .flow = -1, .dir = -1, .change = (enum cmp_change)c};
		char first[256] = "";
		uint64_t fra = 0, frb = 0;
		for (size_t i = 0; i < na; i++) {
			const struct cmp_flow *fa = cmp_engine_flow(r->eng, CMP_A, i);
			for (int d = 0; d < 2; d++) {
				const struct cmp_change_stat *s = &fa->pairs[d].chg[c];
				if (s->count == 0)
					continue;
				if (dirs++ == 0) {
					describe_change((enum cmp_change)c, s, fa, peer_of(r, fa), d, first, sizeof(first));
					fd.flow = (long)i;
					fd.dir = d;
					fra = s->frame_a;
					frb = s->frame_b;
				}
				total += s->count;
			}
		}
		if (dirs == 0)
			continue;
		fd.count = total;
		snprintf(fd.text, sizeof(fd.text), "expected change (%s) in %" PRIu64 " flow direction%s, %" PRIu64 " packets; first: %s (A frame %" PRIu64 ", B frame %" PRIu64 ")",
		         cmp_change_name((enum cmp_change)c), dirs, dirs == 1 ? "" : "s", total, first, fra, frb);
		emit(ctx, &fd);
	}
	for (int s = 0; s < 2; s++) {
		size_t n = cmp_engine_flow_count(r->eng, (enum cmp_side)s);
		for (size_t i = 0; i < n; i++) {
			const struct cmp_flow *f = cmp_engine_flow(r->eng, (enum cmp_side)s, i);
			for (int d = 0; d < 2; d++) {
				if (f->dir[d].duplicates == 0)
					continue;
				struct cmp_finding fd = {.severity = CMP_INFO, .kind = CMP_F_DUPLICATES,
				                         .flow_side = (enum cmp_side)s, .flow = (long)i, .dir = d,
				                         .count = f->dir[d].duplicates};
				char tuple[200];
				cmp_flow_dir_str(f, d, tuple, sizeof(tuple));
				snprintf(fd.text, sizeof(fd.text), "%" PRIu64 " duplicate packets of %s in %c (same packet, same IP ID, seen again)",
				         fd.count, tuple, s == CMP_A ? 'A' : 'B');
				emit(ctx, &fd);
			}
		}
	}
}

void cmp_findings(const struct cmp_run *r, void (*emit)(void *ctx, const struct cmp_finding *f),
                  void *ctx)
{
	discrepancies(r, emit, ctx);
	limits(r, emit, ctx);
	infos(r, emit, ctx);
}

static void count_discrepancy(void *ctx, const struct cmp_finding *f)
{
	if (f->severity == CMP_WARNING && f->kind != CMP_F_LIMITS)
		++*(unsigned long *)ctx;
}

bool cmp_run_agrees(const struct cmp_run *r)
{
	unsigned long n = 0;
	discrepancies(r, count_discrepancy, &n);
	return n == 0;
}
