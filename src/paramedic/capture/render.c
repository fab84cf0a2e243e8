/*
 * capture/render: the human report. Findings first (severity, what,
 * evidence with frame numbers, likely cause, what to do), then the TCP
 * and UDP flow tables and the per-peer protocol picture.
 */
#include "paramedic/capture/analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX_ROWS 50

static void frames_str(const struct finding *f, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < f->nframes && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%llu", i ? ", " : "",
		                      (unsigned long long)f->frames[i]);
}

static void findings_text(const struct capture_report *rep, FILE *out)
{
	const struct findings *fs = &rep->findings;
	if (fs->n == 0) {
		fprintf(out, "No findings: nothing in this capture looks wrong.\n\n");
		return;
	}
	fprintf(out, "FINDINGS (%zu)\n\n", fs->n);
	for (size_t i = 0; i < fs->n; i++) {
		const struct finding *f = &fs->items[i];
		const struct finding_info *info = finding_info(f->code);
		char upper[16];
		snprintf(upper, sizeof(upper), "%s", severity_name(f->severity));
		for (char *p = upper; *p; p++)
			*p = (char)(*p - 32 * (*p >= 'a' && *p <= 'z'));
		fprintf(out, "[%s] %s: %s\n", upper, info ? info->title : f->code, f->subject);
		fprintf(out, "    code:     %s (x%llu)\n", f->code, (unsigned long long)f->count);
		fprintf(out, "    evidence: %s", f->detail);
		if (f->nframes > 0) {
			char fr[160];
			frames_str(f, fr, sizeof(fr));
			fprintf(out, "; frame%s %s", f->nframes > 1 ? "s" : "", fr);
		}
		fprintf(out, "\n");
		if (info != NULL) {
			fprintf(out, "    cause:    %s\n", info->cause);
			fprintf(out, "    do:       %s\n", info->action);
		}
		fprintf(out, "\n");
	}
	if (fs->dropped > 0)
		fprintf(out, "(%llu more findings did not fit)\n\n", (unsigned long long)fs->dropped);
}

static int cmp_rows(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;
	if (x->trouble != y->trouble)
		return x->trouble ? -1 : 1;
	return x->first_frame < y->first_frame ? -1 : x->first_frame > y->first_frame;
}

static void opt_str(const struct flow_row *r, int d, char *buf, size_t len)
{
	char ws[8] = "-";
	if (r->wscale[d] >= 0)
		snprintf(ws, sizeof(ws), "%d", r->wscale[d]);
	snprintf(buf, len, "%u/%s/%s%s", r->mss[d], ws, r->sack[d] ? "S" : "-", r->df[d] ? "D" : "-");
}

static void flows_text(const struct capture_report *rep, FILE *out)
{
	struct flow_row *rows = malloc(rep->nrows * sizeof(*rows) + 1);
	if (rows == NULL)
		return;
	memcpy(rows, rep->rows, rep->nrows * sizeof(*rows));
	qsort(rows, rep->nrows, sizeof(*rows), cmp_rows);
	size_t shown = 0;
	fprintf(out, "TCP FLOWS (client > server; opts = MSS/wscale/SACK/DF per side)\n");
	fprintf(out, "%-46s %-12s %8s %7s %6s %6s %5s %4s %-22s %s\n", "flow", "handshake",
	        "rtt_ms", "pkts", "retx", "dupack", "zwin", "rst", "opts c | s", "tls");
	for (size_t i = 0; i < rep->nrows && shown < TEXT_MAX_ROWS; i++) {
		const struct flow_row *r = &rows[i];
		if (r->proto != 6)
			continue;
		char name[140], rtt[16] = "-", oc[24], os[24], opts[52], tls[100] = "-";
		snprintf(name, sizeof(name), "%s > %s", r->from, r->to);
		if (r->hs_rtt_ms >= 0)
			snprintf(rtt, sizeof(rtt), "%.3f", r->hs_rtt_ms);
		opt_str(r, 0, oc, sizeof(oc));
		opt_str(r, 1, os, sizeof(os));
		snprintf(opts, sizeof(opts), "%s | %s", oc, os);
		if (r->tls != NULL)
			snprintf(tls, sizeof(tls), "%s%s%s", r->tls, r->sni[0] ? " sni=" : "", r->sni);
		fprintf(out, "%-46s %-12s %8s %7llu %6llu %6llu %5llu %4llu %-22s %s\n", name,
		        r->handshake, rtt, (unsigned long long)(r->pkts[0] + r->pkts[1]),
		        (unsigned long long)r->retrans, (unsigned long long)r->dup_acks,
		        (unsigned long long)r->zero_windows, (unsigned long long)r->rsts, opts, tls);
		shown++;
	}
	fprintf(out, "\nUDP FLOWS\n%-46s %9s %9s\n", "flow", "pkts >", "pkts <");
	size_t udp = 0;
	for (size_t i = 0; i < rep->nrows && udp < TEXT_MAX_ROWS; i++) {
		const struct flow_row *r = &rows[i];
		if (r->proto != 17)
			continue;
		char name[140];
		snprintf(name, sizeof(name), "%s > %s", r->from, r->to);
		fprintf(out, "%-46s %9llu %9llu\n", name, (unsigned long long)r->pkts[0],
		        (unsigned long long)r->pkts[1]);
		udp++;
	}
	size_t hidden = rep->nrows - shown - udp;
	if (hidden > 0 || rep->rows_omitted > 0)
		fprintf(out, "(%zu more flows in --json; %llu not kept)\n", hidden,
		        (unsigned long long)rep->rows_omitted);
	free(rows);
}

static void peers_text(const struct capture_report *rep, FILE *out)
{
	fprintf(out, "\nPEERS (a > b | b > a): ICMP echo req/rep, UDP pkts, TCP SYN/SYN-ACK\n");
	for (size_t i = 0; i < rep->npairs && i < TEXT_MAX_ROWS; i++) {
		const struct pair_row *p = &rep->pairs[i];
		fprintf(out, "%s <> %s: echo %llu/%llu | %llu/%llu  udp %llu | %llu  "
		        "tcp %llu/%llu | %llu/%llu\n", p->a, p->b,
		        (unsigned long long)p->echo_req[0], (unsigned long long)p->echo_rep[0],
		        (unsigned long long)p->echo_req[1], (unsigned long long)p->echo_rep[1],
		        (unsigned long long)p->udp[0], (unsigned long long)p->udp[1],
		        (unsigned long long)p->tcp_syn[0], (unsigned long long)p->tcp_synack[0],
		        (unsigned long long)p->tcp_syn[1], (unsigned long long)p->tcp_synack[1]);
	}
}

void capture_render_text(const struct capture_report *rep, FILE *out)
{
	double dur = rep->frames ? (double)(rep->last_ns - rep->first_ns) / 1e9 : 0;
	fprintf(out, "%s: %llu frames, %llu bytes, %.3f s, link type %s, snaplen %u\n", rep->path,
	        (unsigned long long)rep->frames, (unsigned long long)rep->bytes, dur, rep->linktype,
	        rep->snaplen);
	fprintf(out, "decoded %llu, cut by snaplen %llu, malformed %llu, not IP/unsupported %llu; "
	        "flows %llu (evicted %llu)\n\n", (unsigned long long)rep->decode_ok,
	        (unsigned long long)rep->decode_snaplen, (unsigned long long)rep->decode_malformed,
	        (unsigned long long)rep->decode_unsupported, (unsigned long long)rep->flows_total,
	        (unsigned long long)rep->flows_evicted);
	findings_text(rep, out);
	flows_text(rep, out);
	peers_text(rep, out);
}
