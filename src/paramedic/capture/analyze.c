/*
 * capture/analyze: the single pass over a capture. Reads records, decodes
 * them, feeds the rule modules, and at the end finalises every flow and
 * the per-host tables into the report.
 */
#include "paramedic/capture/analyze.h"

#include "paramedic/capture/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_FLOWS 20000
#define DEFAULT_IDLE_GAP_NS (60LL * 1000000000LL)

static void on_evict(struct flow *f, void *arg)
{
	tcp_finalize(arg, f);
}

static void packet(struct capture_ctx *c, const struct pcap_record *rec)
{
	struct capture_report *rep = c->rep;
	struct pkt p;
	enum pkt_status st = pkt_decode(c->linktype, rec->data, rec->caplen, rec->wirelen, &p);
	switch (st) {
	case PKT_OK: rep->decode_ok++; break;
	case PKT_SNAPLEN: rep->decode_snaplen++; break;
	case PKT_MALFORMED:
		rep->decode_malformed++;
		findings_add(&rep->findings, "capture.malformed", SEV_WARNING, "capture",
		             rec->frame_no, "first: frame %llu, %s", (unsigned long long)rec->frame_no,
		             p.why ? p.why : "malformed");
		return;
	case PKT_UNSUPPORTED: rep->decode_unsupported++; break;
	}
	if (!(p.layers & PKT_HAS_IP))
		return;
	hosts_checksums(c, &p, rec);
	bool dup = l2_packet(c, &p, rec);
	if (p.layers & PKT_HAS_ICMP)
		hosts_icmp(c, &p, rec);
	hosts_picture(c, &p, rec);

	struct flow_key key;
	int canon;
	if (!flow_key_of(&p, &key, &canon))
		return;
	bool created;
	struct flow *f = flow_lookup(&c->flows, &key, &created, on_evict, c);
	if (created) {
		f->initiator = (uint8_t)canon;
		/* a SYN-ACK first: the other side opened the connection */
		if ((p.layers & PKT_HAS_TCP) && (p.tcp.flags & PKT_TCP_SYN) &&
		    (p.tcp.flags & PKT_TCP_ACK))
			f->initiator = (uint8_t)!canon;
		f->first_frame = rec->frame_no;
		f->first_ns = c->now_ns;
	} else {
		flow_touch(&c->flows, f);
		int64_t gap = c->now_ns - f->last_ns;
		if (gap > f->max_gap_ns)
			f->max_gap_ns = gap;
		if (gap >= c->opt->idle_gap_ns) {
			f->pending_gap_ns = gap;
			f->pending_gap_frame = rec->frame_no;
			f->after_gap_pkts = 0;
		}
	}
	int dir = flow_dir(f, canon);
	f->last_frame = rec->frame_no;
	f->last_ns = c->now_ns;
	f->pkts[dir]++;
	f->bytes[dir] += rec->wirelen;
	if (!dup)
		l2_flow_macs(c, f, dir, &p, rec->frame_no);
	if (p.layers & PKT_HAS_TCP)
		tcp_packet(c, f, dir, &p, rec);
}

static int ctx_init(struct capture_ctx *c, const struct capture_options *opt,
                    struct capture_report *rep)
{
	memset(c, 0, sizeof(*c));
	c->opt = opt;
	c->rep = rep;
	if (flow_table_init(&c->flows, opt->max_flows) != 0)
		return -1;
	c->prefix = calloc(TLS_PREFIX_SLOTS, TLS_PREFIX_BYTES);
	c->recent = calloc(L2_RECENT, sizeof(struct l2_recent));
	rep->rows = calloc(REPORT_MAX_FLOW_ROWS, sizeof(struct flow_row));
	if (c->prefix == NULL || c->recent == NULL || rep->rows == NULL)
		return -1;
	for (int i = 0; i < TLS_PREFIX_SLOTS; i++)
		c->prefix_free[i] = TLS_PREFIX_SLOTS - 1 - i;
	c->nprefix_free = TLS_PREFIX_SLOTS;
	return 0;
}

static void ctx_free(struct capture_ctx *c)
{
	flow_table_free(&c->flows);
	free(c->prefix);
	free(c->recent);
}

static void pairs_to_rows(struct capture_ctx *c)
{
	struct capture_report *rep = c->rep;
	size_t n = 0;
	for (size_t i = 0; i < PAIRS_MAX; i++)
		n += c->pairs[i].used;
	rep->pairs = calloc(n ? n : 1, sizeof(struct pair_row));
	if (rep->pairs == NULL)
		return;
	for (size_t i = 0; i < PAIRS_MAX; i++) {
		const struct pair *x = &c->pairs[i];
		if (!x->used)
			continue;
		struct pair_row *r = &rep->pairs[rep->npairs++];
		pkt_addr_str(x->version, x->a, r->a, sizeof(r->a));
		pkt_addr_str(x->version, x->b, r->b, sizeof(r->b));
		for (int d = 0; d < 2; d++) {
			r->echo_req[d] = x->echo_req[d];
			r->echo_rep[d] = x->echo_rep[d];
			r->udp[d] = x->udp[d];
			r->tcp_syn[d] = x->tcp_syn[d];
			r->tcp_synack[d] = x->tcp_synack[d];
			r->tcp_data[d] = x->tcp_data[d];
		}
	}
}

static void finish(struct capture_ctx *c)
{
	struct capture_report *rep = c->rep;
	c->end_ns = rep->last_ns;
	for (uint32_t i = 0; i < c->flows.cap; i++)
		if (c->flows.slots[i].used)
			tcp_finalize(c, &c->flows.slots[i]);
	hosts_finalize(c);
	pairs_to_rows(c);
	rep->flows_total = c->flows.total_flows;
	rep->flows_evicted = c->flows.evicted;
	if (rep->flows_evicted > 0)
		findings_add(&rep->findings, "capture.flows_evicted", SEV_INFO, "capture", 0,
		             "%llu of %llu flows evicted (--max-flows %u)",
		             (unsigned long long)rep->flows_evicted,
		             (unsigned long long)rep->flows_total, rep->max_flows);
	if (rep->csum_unverifiable > 0)
		findings_add(&rep->findings, "checksum.unverifiable", SEV_INFO, "capture", 0,
		             "%llu packet(s) cut by the snaplen (%u bytes): checksums not verified",
		             (unsigned long long)rep->csum_unverifiable, rep->snaplen);
	if (rep->truncated)
		findings_add(&rep->findings, "capture.truncated", SEV_WARNING, "capture", rep->frames,
		             "analysed %llu whole frame(s); %s", (unsigned long long)rep->frames,
		             rep->read_error);
	findings_sort(&rep->findings);
}

struct capture_report *capture_analyze_file(const struct capture_options *opt_in,
                                            char err[ERRBUF_LEN])
{
	struct capture_options opt = *opt_in;
	if (opt.max_flows == 0)
		opt.max_flows = DEFAULT_MAX_FLOWS;
	if (opt.idle_gap_ns <= 0)
		opt.idle_gap_ns = DEFAULT_IDLE_GAP_NS;
	struct pcap_reader *r = pcap_reader_open(opt.path, err);
	if (r == NULL)
		return NULL;
	struct capture_report *rep = calloc(1, sizeof(*rep));
	struct capture_ctx *c = calloc(1, sizeof(*c));
	if (rep == NULL || c == NULL || ctx_init(c, &opt, rep) != 0) {
		errbuf_set(err, "%s: out of memory for %u flows", opt.path, opt.max_flows);
		goto fail;
	}
	snprintf(rep->path, sizeof(rep->path), "%s", opt.path);
	c->linktype = pcap_reader_linktype(r);
	rep->linktype = pkt_linktype_name(c->linktype);
	rep->snaplen = pcap_reader_snaplen(r);
	rep->max_flows = opt.max_flows;
	struct pcap_record rec;
	int rc;
	while ((rc = pcap_reader_next(r, &rec, rep->read_error)) == 1) {
		if (rep->frames == 0)
			rep->first_ns = rec.ts_ns;
		rep->frames++;
		rep->bytes += rec.wirelen;
		rep->last_ns = rec.ts_ns;
		c->now_ns = rec.ts_ns;
		packet(c, &rec);
	}
	if (rc < 0) {
		rep->truncated = pcap_reader_truncated(r);
		if (rep->frames == 0) { /* nothing could be read */
			errbuf_set(err, "%s: %s", opt.path, rep->read_error);
			goto fail;
		}
		rep->truncated = true; /* any read error ends the analysis early */
	} else {
		rep->read_error[0] = '\0';
	}
	finish(c);
	ctx_free(c);
	free(c);
	pcap_reader_close(r);
	return rep;
fail:
	if (c != NULL)
		ctx_free(c);
	free(c);
	capture_report_free(rep);
	pcap_reader_close(r);
	return NULL;
}

void capture_report_free(struct capture_report *rep)
{
	if (rep == NULL)
		return;
	free(rep->rows);
	free(rep->pairs);
	free(rep);
}

int capture_report_exit_status(const struct capture_report *rep)
{
	return findings_worst(&rep->findings) >= SEV_WARNING ? 1 : 0;
}
