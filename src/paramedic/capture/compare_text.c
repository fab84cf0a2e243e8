/* capture/compare_text: the human report, findings first, then flows. */
#include "paramedic/capture/compare_report.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

static void utc_str(int64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	char day[24];
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06d UTC", day, (int)((ns % 1000000000) / 1000));
}

static void print_frames(FILE *out, char side, const struct cmp_frames *fr)
{
	if (fr == NULL || fr->n == 0)
		return;
	fprintf(out, "             %c frames:", side);
	for (unsigned i = 0; i < fr->n; i++)
		fprintf(out, " %" PRIu64, fr->frame[i]);
	if (fr->count > fr->n)
		fprintf(out, " ... (first %u of %" PRIu64 ")", fr->n, fr->count);
	fputc('\n', out);
}

struct text_ctx {
	FILE *out;
	unsigned n;
};

static void print_finding(void *ctx, const struct cmp_finding *f)
{
	struct text_ctx *t = ctx;
	t->n++;
	fprintf(t->out, "  %-8s %-10s %s\n", f->severity == CMP_WARNING ? "WARNING" : "info",
	        cmp_finding_kind_name(f->kind), f->text);
	print_frames(t->out, 'A', f->frames_a);
	print_frames(t->out, 'B', f->frames_b);
}

static const char *arrow(enum cmp_travel t)
{
	return t == CMP_TRAVEL_A_TO_B ? "A->B" : t == CMP_TRAVEL_B_TO_A ? "B->A" : "?";
}

/* Mean one-way delay of a direction's pairs in ms, clock offset removed. */
static double delay_ms(const struct cmp_run *r, const struct cmp_pairs *p, enum cmp_travel tr)
{
	double off = (double)cmp_engine_clock(r->eng)->offset_ns;
	double mean = p->delta_sum_ns / (double)p->n;
	return (tr == CMP_TRAVEL_B_TO_A ? off - mean : mean - off) / 1e6;
}

static void flow_row(FILE *out, const struct cmp_run *r, const struct cmp_flow *f, size_t i,
                     enum cmp_side side, int d, const struct cmp_flow *peer)
{
	char tuple[200];
	cmp_flow_dir_str(f, d, tuple, sizeof(tuple));
	const struct cmp_dir *mine = &f->dir[d];
	const struct cmp_dir *other = peer ? &peer->dir[d ^ f->peer_flip] : NULL;
	const struct cmp_dir *da = side == CMP_A ? mine : other, *db = side == CMP_A ? other : mine;
	enum cmp_travel tr = side == CMP_A && peer ? cmp_run_travel(r, i, d) : CMP_TRAVEL_UNKNOWN;
	char delay[24] = "-";
	if (side == CMP_A && f->pairs[d].n > 0)
		snprintf(delay, sizeof(delay), "%.3f", delay_ms(r, &f->pairs[d], tr));
	fprintf(out, "  %-52s %-5s %7" PRIu64 " %7" PRIu64 " %7" PRIu64 " %6" PRIu64 " %6" PRIu64 " %4" PRIu64 " %7" PRIu64 " %9s\n",
	        tuple, arrow(tr), da ? da->packets : 0, db ? db->packets : 0, mine->matched,
	        da ? da->only.count : 0, db ? db->only.count : 0,
	        (da ? da->duplicates : 0) + (db ? db->duplicates : 0),
	        (da ? da->outside : 0) + (db ? db->outside : 0), delay);
	if (side == CMP_A && peer != NULL && f->pairs[d].chg[CMP_CHG_NAT].count > 0) {
		cmp_flow_dir_str(peer, d ^ f->peer_flip, tuple, sizeof(tuple));
		fprintf(out, "    at B: %s\n", tuple);
	}
}

void cmp_report_text(FILE *out, const struct cmp_run *r)
{
	fprintf(out, "capture compare\n");
	for (int s = 0; s < 2; s++) {
		const struct cmp_side_info *si = &r->side[s];
		char t0[64] = "-";
		if (si->compared > 0)
			utc_str(si->first_ns, t0, sizeof(t0));
		fprintf(out, "  %c: %s (%s): %" PRIu64 " frames, %" PRIu64 " IP packets compared, %" PRIu64 " not IP; from %s for %.3f s%s\n",
		        s == 0 ? 'A' : 'B', si->path, si->linktype, si->frames, si->compared, si->not_ip, t0,
		        si->compared > 0 ? (double)(si->last_ns - si->first_ns) / 1e9 : 0.0,
		        si->truncated ? " (truncated)" : "");
	}
	const struct cmp_clock *c = cmp_engine_clock(r->eng);
	if (c->offset_known)
		fprintf(out, "  clock: B's clock is %+.6f s from A's (symmetric-path estimate)\n",
		        (double)c->offset_ns / 1e9);
	else
		fprintf(out, "  clock: offset unknown (twins only one way); delays assume the clocks agree\n");
	for (int k = 0; k < 2; k++) {
		bool have = k == 0 ? c->have_a_to_b : c->have_b_to_a;
		if (have)
			fprintf(out, "  one-way delay %s: min %.3f ms, mean %.3f ms\n", k == 0 ? "A->B" : "B->A",
			        (double)c->owd_min_ns[k] / 1e6, c->owd_mean_ns[k] / 1e6);
	}
	bool agree = cmp_run_agrees(r);
	fprintf(out, "  verdict: %s\n\n", agree ? "the captures agree" : "the captures DIFFER");

	fprintf(out, "Findings\n");
	struct text_ctx t = {out, 0};
	cmp_findings(r, print_finding, &t);
	if (t.n == 0)
		fprintf(out, "  none: every packet seen at one point was seen at the other, unchanged\n");

	size_t na = cmp_engine_flow_count(r->eng, CMP_A), nb = cmp_engine_flow_count(r->eng, CMP_B);
	fprintf(out, "\nFlows (%zu at A, %zu at B; directions as seen at A)\n", na, nb);
	fprintf(out, "  %-52s %-5s %7s %7s %7s %6s %6s %4s %7s %9s\n", "direction", "path", "at A", "at B",
	        "matched", "only A", "only B", "dup", "outside", "delay ms");
	for (size_t i = 0; i < na; i++) {
		const struct cmp_flow *fa = cmp_engine_flow(r->eng, CMP_A, i);
		const struct cmp_flow *fb = fa->peer >= 0 ? cmp_engine_flow(r->eng, CMP_B, (size_t)fa->peer) : NULL;
		for (int d = 0; d < 2; d++)
			if (fa->dir[d].packets > 0 || (fb && fb->dir[d ^ fa->peer_flip].packets > 0))
				flow_row(out, r, fa, i, CMP_A, d, fb);
	}
	for (size_t j = 0; j < nb; j++) {
		const struct cmp_flow *fb = cmp_engine_flow(r->eng, CMP_B, j);
		if (fb->peer >= 0)
			continue;
		for (int d = 0; d < 2; d++)
			if (fb->dir[d].packets > 0)
				flow_row(out, r, fb, j, CMP_B, d, NULL);
	}
}
