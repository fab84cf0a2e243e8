/*
 * capture/render_json: the --json report (schema "paramedic.capture.analyze/1",
 * documented in docs/CAPTURE.md; fields are only ever added).
 */
#include "paramedic/capture/analyze.h"

#include <jansson.h>
#include <stdio.h>

static json_t *u64(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *pair_u64(const uint64_t v[2])
{
	return json_pack("[oo]", u64(v[0]), u64(v[1]));
}

static json_t *findings_json(const struct capture_report *rep)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < rep->findings.n; i++) {
		const struct finding *f = &rep->findings.items[i];
		const struct finding_info *info = finding_info(f->code);
		json_t *frames = json_array();
		for (size_t k = 0; k < f->nframes; k++)
			json_array_append_new(frames, u64(f->frames[k]));
		json_array_append_new(arr, json_pack("{ss ss ss ss ss so so ss ss}",
			"code", f->code, "severity", severity_name(f->severity),
			"title", info ? info->title : f->code, "subject", f->subject,
			"evidence", f->detail, "count", u64(f->count), "frames", frames,
			"cause", info ? info->cause : "", "action", info ? info->action : ""));
	}
	return arr;
}

static json_t *row_json(const struct flow_row *r)
{
	json_t *o = json_pack("{ss ss ss so so so so}", "proto", r->proto == 6 ? "tcp" : "udp",
	                      "from", r->from, "to", r->to, "first_frame", u64(r->first_frame),
	                      "packets", pair_u64(r->pkts), "bytes", pair_u64(r->bytes),
	                      "trouble", json_boolean(r->trouble));
	if (r->proto != 6)
		return o;
	json_object_set_new(o, "handshake", json_string(r->handshake));
	json_object_set_new(o, "handshake_rtt_ms", r->hs_rtt_ms >= 0 ? json_real(r->hs_rtt_ms)
	                                                             : json_null());
	json_object_set_new(o, "retransmissions", u64(r->retrans));
	json_object_set_new(o, "fast_retransmissions", u64(r->fast_retrans));
	json_object_set_new(o, "duplicate_acks", u64(r->dup_acks));
	json_object_set_new(o, "zero_windows", u64(r->zero_windows));
	json_object_set_new(o, "resets", u64(r->rsts));
	json_object_set_new(o, "syn_retries", u64(r->syn_retries));
	json_object_set_new(o, "oversize_segments", u64(r->oversize));
	json_object_set_new(o, "mss", json_pack("[ii]", r->mss[0], r->mss[1]));
	json_object_set_new(o, "window_scale", json_pack("[ii]", r->wscale[0], r->wscale[1]));
	json_object_set_new(o, "sack_permitted", json_pack("[bb]", r->sack[0], r->sack[1]));
	json_object_set_new(o, "df", json_pack("[bb]", r->df[0], r->df[1]));
	json_object_set_new(o, "max_ip_bytes", json_pack("[ii]", r->max_ip_bytes[0],
	                                                 r->max_ip_bytes[1]));
	json_object_set_new(o, "tls", r->tls ? json_string(r->tls) : json_null());
	json_object_set_new(o, "sni", r->sni[0] ? json_string(r->sni) : json_null());
	return o;
}

int capture_render_json(const struct capture_report *rep, FILE *out)
{
	json_t *flows = json_array(), *peers = json_array();
	for (size_t i = 0; i < rep->nrows; i++)
		json_array_append_new(flows, row_json(&rep->rows[i]));
	for (size_t i = 0; i < rep->npairs; i++) {
		const struct pair_row *p = &rep->pairs[i];
		json_array_append_new(peers, json_pack("{ss ss so so so so so so}", "a", p->a, "b", p->b,
			"icmp_echo_requests", pair_u64(p->echo_req),
			"icmp_echo_replies", pair_u64(p->echo_rep), "udp_packets", pair_u64(p->udp),
			"tcp_syns", pair_u64(p->tcp_syn), "tcp_synacks", pair_u64(p->tcp_synack),
			"tcp_data_packets", pair_u64(p->tcp_data)));
	}
	json_t *root = json_pack(
		"{ss ss ss si so so sf so s{so so so so} s{so so so so so so} s{so so si so} "
		"so so so si}",
		"schema", "paramedic.capture.analyze/1", "file", rep->path,
		"link_type", rep->linktype, "snaplen", (int)rep->snaplen,
		"frames", u64(rep->frames), "bytes", u64(rep->bytes),
		"duration_sec", rep->frames ? (double)(rep->last_ns - rep->first_ns) / 1e9 : 0.0,
		"truncated", json_boolean(rep->truncated),
		"decode", "ok", u64(rep->decode_ok), "snaplen_cut", u64(rep->decode_snaplen),
		"malformed", u64(rep->decode_malformed), "unsupported", u64(rep->decode_unsupported),
		"checksums", "verified", u64(rep->csum_verified), "bad", u64(rep->csum_bad),
		"partial", u64(rep->csum_partial), "tx_offload", u64(rep->tx_offload),
		"corrupt", u64(rep->corrupt), "unverifiable", u64(rep->csum_unverifiable),
		"flow_table", "flows", u64(rep->flows_total), "evicted", u64(rep->flows_evicted),
		"max_flows", (int)rep->max_flows, "rows_omitted", u64(rep->rows_omitted),
		"findings", findings_json(rep), "flows", flows, "peers", peers,
		"exit_status", capture_report_exit_status(rep));
	if (root == NULL)
		return -1;
	if (rep->truncated)
		json_object_set_new(root, "read_error", json_string(rep->read_error));
	int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(root);
	return rc;
}
