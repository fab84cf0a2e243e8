/* capture/compare_json: the --json report, schema
 * "paramedic.capture.compare/1" (docs/CAPTURE_COMPARE.md). */
#include "paramedic/capture/compare_report.h"

#include "lib/pcap/decode.h"

#include <jansson.h>

static json_t *frames_json(const struct cmp_frames *fr)
{
	json_t *a = json_array();
	if (fr != NULL)
		for (unsigned i = 0; i < fr->n; i++)
			json_array_append_new(a, json_integer((json_int_t)fr->frame[i]));
	return a;
}

struct json_ctx {
	json_t *list;
};

static void add_finding(void *ctx, const struct cmp_finding *f)
{
	struct json_ctx *j = ctx;
	json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "severity",
	                      f->severity == CMP_WARNING ? "warning" : "info", "kind",
	                      cmp_finding_kind_name(f->kind), "text", f->text, "count", (json_int_t)f->count);
	if (f->flow >= 0)
		json_object_set_new(o, "flow", json_pack("{s:s, s:I, s:s}", "capture",
		                                         f->flow_side == CMP_A ? "a" : "b", "index",
		                                         (json_int_t)f->flow, "direction",
		                                         f->dir == 1 ? "rev" : "fwd"));
	else
		json_object_set_new(o, "flow", json_null());
	if (f->kind == CMP_F_CHANGED || f->kind == CMP_F_EXPECTED)
		json_object_set_new(o, "change", json_string(cmp_change_name(f->change)));
	json_object_set_new(o, "frames_a", frames_json(f->frames_a));
	json_object_set_new(o, "frames_b", frames_json(f->frames_b));
	json_array_append_new(j->list, o);
}

static json_t *tuple_json(const struct cmp_flow *f, enum cmp_side side, size_t i)
{
	char s[64], d[64], pb[16];
	pkt_addr_str(f->ip_version, f->src, s, sizeof(s));
	pkt_addr_str(f->ip_version, f->dst, d, sizeof(d));
	return json_pack("{s:s, s:I, s:s, s:i, s:s, s:i, s:s, s:i}", "capture", side == CMP_A ? "a" : "b",
	                 "index", (json_int_t)i, "proto", cmp_proto_name(f->proto, pb, sizeof(pb)), "ip_version",
	                 f->ip_version, "src", s, "sport", f->sport, "dst", d, "dport", f->dport);
}

static json_t *dir_side_json(const struct cmp_dir *d)
{
	if (d == NULL)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "packets", (json_int_t)d->packets, "matched",
	                 (json_int_t)d->matched, "only", (json_int_t)d->only.count, "outside",
	                 (json_int_t)d->outside, "duplicates", (json_int_t)d->duplicates, "only_frames",
	                 frames_json(&d->only));
}

static json_t *pairs_json(const struct cmp_run *r, const struct cmp_pairs *p, enum cmp_travel tr)
{
	json_t *o = json_object();
	json_object_set_new(o, "count", json_integer((json_int_t)p->n));
	if (p->n == 0)
		return o;
	double off = (double)cmp_engine_clock(r->eng)->offset_ns;
	double mean = p->delta_sum_ns / (double)p->n;
	bool ba = tr == CMP_TRAVEL_B_TO_A;
	/* A→B: delay = tB - tA - offset; B→A: offset - (tB - tA). */
	json_object_set_new(o, "delay_ns", json_pack("{s:I, s:I, s:I}",
	    "min", (json_int_t)(ba ? off - (double)p->delta_max_ns : (double)p->delta_min_ns - off),
	    "mean", (json_int_t)(ba ? off - mean : mean - off),
	    "max", (json_int_t)(ba ? off - (double)p->delta_min_ns : (double)p->delta_max_ns - off)));
	json_object_set_new(o, "ttl_drop", json_pack("{s:i, s:i}", "min", p->ttl_drop_min, "max", p->ttl_drop_max));
	json_t *ch = json_object();
	for (int c = 0; c < CMP_CHG_COUNT; c++) {
		const struct cmp_change_stat *s = &p->chg[c];
		if (s->count == 0)
			continue;
		json_object_set_new(ch, cmp_change_name((enum cmp_change)c),
		                    json_pack("{s:I, s:b, s:I, s:I, s:I, s:I}", "count", (json_int_t)s->count,
		                              "expected", (r->expected >> c) & 1, "frame_a", (json_int_t)s->frame_a,
		                              "frame_b", (json_int_t)s->frame_b, "a", (json_int_t)s->val_a, "b",
		                              (json_int_t)s->val_b));
	}
	json_object_set_new(o, "changes", ch);
	return o;
}

static json_t *flows_json(const struct cmp_run *r)
{
	json_t *list = json_array();
	size_t na = cmp_engine_flow_count(r->eng, CMP_A), nb = cmp_engine_flow_count(r->eng, CMP_B);
	for (size_t i = 0; i < na; i++) {
		const struct cmp_flow *fa = cmp_engine_flow(r->eng, CMP_A, i);
		const struct cmp_flow *fb = fa->peer >= 0 ? cmp_engine_flow(r->eng, CMP_B, (size_t)fa->peer) : NULL;
		json_t *dirs = json_array();
		for (int d = 0; d < 2; d++) {
			enum cmp_travel tr = fb ? cmp_run_travel(r, i, d) : CMP_TRAVEL_UNKNOWN;
			json_array_append_new(dirs, json_pack("{s:s, s:s, s:o, s:o, s:o}", "direction", d ? "rev" : "fwd",
			    "travel", cmp_travel_name(tr), "a", dir_side_json(&fa->dir[d]),
			    "b", dir_side_json(fb ? &fb->dir[d ^ fa->peer_flip] : NULL),
			    "pairs", pairs_json(r, &fa->pairs[d], tr)));
		}
		json_array_append_new(list, json_pack("{s:o, s:o, s:b, s:o}", "a", tuple_json(fa, CMP_A, i), "b",
		    fb ? tuple_json(fb, CMP_B, (size_t)fa->peer) : json_null(), "b_reversed", fb && fa->peer_flip,
		    "directions", dirs));
	}
	for (size_t j = 0; j < nb; j++) {
		const struct cmp_flow *fb = cmp_engine_flow(r->eng, CMP_B, j);
		if (fb->peer >= 0)
			continue;
		json_t *dirs = json_array();
		for (int d = 0; d < 2; d++)
			json_array_append_new(dirs, json_pack("{s:s, s:s, s:o, s:o, s:o}", "direction", d ? "rev" : "fwd",
			    "travel", "unknown", "a", json_null(), "b", dir_side_json(&fb->dir[d]),
			    "pairs", json_pack("{s:i}", "count", 0)));
		json_array_append_new(list, json_pack("{s:o, s:o, s:b, s:o}", "a", json_null(), "b",
		    tuple_json(fb, CMP_B, j), "b_reversed", 0, "directions", dirs));
	}
	return list;
}

static json_t *side_json(const struct cmp_run *r, enum cmp_side s)
{
	const struct cmp_side_info *si = &r->side[s];
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b, s:s?, s:I, s:I, s:I}", "file", si->path,
	                 "link_type", si->linktype, "frames", (json_int_t)si->frames, "compared",
	                 (json_int_t)si->compared, "not_ip", (json_int_t)si->not_ip, "first_ns",
	                 (json_int_t)si->first_ns, "last_ns", (json_int_t)si->last_ns, "truncated",
	                 si->truncated, "error", si->error[0] ? si->error : NULL, "window_overflow",
	                 (json_int_t)cmp_engine_overflow(r->eng, s), "untracked",
	                 (json_int_t)cmp_engine_untracked(r->eng, s), "flows",
	                 (json_int_t)cmp_engine_flow_count(r->eng, s));
}

static json_t *owd_json(const struct cmp_clock *c, int k)
{
	if (!(k == 0 ? c->have_a_to_b : c->have_b_to_a))
		return json_null();
	return json_pack("{s:I, s:I}", "min_ns", (json_int_t)c->owd_min_ns[k], "mean_ns",
	                 (json_int_t)c->owd_mean_ns[k]);
}

int cmp_report_json(FILE *out, const struct cmp_run *r, char err[ERRBUF_LEN])
{
	const struct cmp_clock *c = cmp_engine_clock(r->eng);
	json_t *expected = json_array();
	for (int k = 0; k < CMP_CHG_COUNT; k++)
		if (r->expected & (1u << k))
			json_array_append_new(expected, json_string(cmp_change_name((enum cmp_change)k)));
	struct json_ctx fc = {json_array()};
	cmp_findings(r, add_finding, &fc);
	json_t *root = json_pack(
	    "{s:s, s:b, s:{s:o, s:o}, s:{s:I, s:I, s:I, s:I, s:o}, s:{s:b, s:o, s:I, s:I, s:o, s:o}, s:o, s:o}",
	    "schema", "paramedic.capture.compare/1", "agree", cmp_run_agrees(r),
	    "inputs", "a", side_json(r, CMP_A), "b", side_json(r, CMP_B),
	    "settings", "window_ms", (json_int_t)(r->cfg.window_ns / 1000000), "max_pending",
	    (json_int_t)r->cfg.max_pending, "max_flows", (json_int_t)r->cfg.max_flows, "digest_bytes",
	    (json_int_t)r->digest_bytes, "expected", expected,
	    "clock", "offset_known", c->offset_known, "offset_ns",
	    c->offset_known ? json_integer(c->offset_ns) : json_null(), "hint_ns",
	    (json_int_t)r->cfg.offset_hint_ns, "hint_pairs", (json_int_t)r->hint_pairs, "a_to_b",
	    owd_json(c, 0), "b_to_a", owd_json(c, 1),
	    "findings", fc.list, "flows", flows_json(r));
	if (root == NULL)
		return errbuf_set(err, "compare: could not build the JSON report");
	int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return rc == 0 ? 0 : errbuf_set(err, "compare: could not write the JSON report");
}
