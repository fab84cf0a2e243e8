/*
 * capture/tcp_report: turns a finished (or evicted) flow into findings and
 * a row of the per-flow table.
 */
#include "paramedic/capture/ctx.h"

#include <stdio.h>
#include <string.h>

#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define NS_PER_SEC 1000000000LL

static const char *hs_name(enum hs_outcome hs)
{
	switch (hs) {
	case HS_NONE: return "not_seen";
	case HS_SYN_UNANSWERED: return "syn_unanswered";
	case HS_SYNACK_LOST: return "synack_lost";
	case HS_REFUSED: return "refused";
	case HS_COMPLETE: return "complete";
	}
	return "?";
}

static void handshake_findings(struct capture_ctx *c, struct flow *f, const char *client,
                               const char *server)
{
	struct findings *fs = &c->rep->findings;
	switch (f->hs) {
	case HS_SYN_UNANSWERED:
		findings_add(fs, "tcp.syn_unanswered", SEV_WARNING, server, f->syn_frame,
		             "%llu SYN(s) from %s, no SYN-ACK or RST in the capture",
		             (unsigned long long)f->d[0].syns, client);
		break;
	case HS_SYNACK_LOST:
		/* only when someone retried: a capture may simply end here */
		if (f->d[0].syns > 1 || f->d[1].syns > 1)
			findings_add(fs, "tcp.synack_lost", SEV_WARNING, server, f->synack_frame,
			             "SYN-ACK (frame %llu) sent %llu time(s), client sent %llu SYN(s), "
			             "no ACK completed the handshake",
			             (unsigned long long)f->synack_frame,
			             (unsigned long long)f->d[1].syns, (unsigned long long)f->d[0].syns);
		break;
	case HS_REFUSED:
		findings_add(fs, "tcp.refused", SEV_WARNING, server, f->d[1].first_rst_frame,
		             "%s answered the SYN of %s with a RST", server, client);
		break;
	default:
		break;
	}
}

static void loss_findings(struct capture_ctx *c, struct flow *f, const char *name)
{
	struct findings *fs = &c->rep->findings;
	uint64_t retrans = f->d[0].retrans + f->d[1].retrans;
	uint64_t pkts = f->pkts[0] + f->pkts[1];
	if (retrans > 0 && f->hs != HS_SYN_UNANSWERED) {
		uint64_t first = f->d[0].first_retrans_frame;
		if (first == 0 || (f->d[1].first_retrans_frame && f->d[1].first_retrans_frame < first))
			first = f->d[1].first_retrans_frame;
		bool many = retrans >= 3 && retrans * 100 >= pkts; /* >= 1% of packets */
		findings_add(fs, "tcp.retransmissions", many ? SEV_WARNING : SEV_INFO, name, first,
		             "%llu retransmissions (%llu fast) and %llu duplicate ACKs in %llu packets",
		             (unsigned long long)retrans,
		             (unsigned long long)(f->d[0].fast_retrans + f->d[1].fast_retrans),
		             (unsigned long long)(f->d[0].dup_acks + f->d[1].dup_acks),
		             (unsigned long long)pkts);
	}
	for (int d = 0; d < 2; d++) {
		if (f->d[d].zero_windows > 0) {
			char who[64];
			flow_endpoint_str(f, d, who, sizeof(who));
			findings_add(fs, "tcp.zero_window", SEV_WARNING, name, f->d[d].first_zero_win_frame,
			             "%s advertised a zero window %llu time(s)", who,
			             (unsigned long long)f->d[d].zero_windows);
		}
		if (f->d[d].rsts > 0 && f->hs != HS_REFUSED) {
			char who[64];
			flow_endpoint_str(f, d, who, sizeof(who));
			findings_add(fs, "tcp.reset", SEV_INFO, name, f->d[d].first_rst_frame,
			             "%s sent %llu RST(s)", who, (unsigned long long)f->d[d].rsts);
		}
	}
	if (f->idle_then_loss)
		findings_add(fs, "tcp.idle_then_loss", SEV_WARNING, name, f->idle_loss_frame,
		             "after %.0f s of silence the connection ran into a retransmission or reset "
		             "(frame %llu)", (double)f->idle_loss_gap_ns / NS_PER_SEC,
		             (unsigned long long)f->idle_loss_frame);
}

static void size_findings(struct capture_ctx *c, struct flow *f, const char *name)
{
	struct findings *fs = &c->rep->findings;
	for (int d = 0; d < 2; d++) {
		struct tcp_dir *me = &f->d[d], *peer = &f->d[!d];
		char who[64];
		flow_endpoint_str(f, d, who, sizeof(who));
		int side = d ^ f->initiator;
		if (me->oversize > 0) {
			bool local = hosts_is_local(c, f->key.version, f->key.addr[side]);
			findings_add(fs, "tcp.oversize_segment", local ? SEV_INFO : SEV_WARNING, name,
			             me->first_oversize_frame,
			             "%llu segment(s) from %s above the peer's MSS of %u%s",
			             (unsigned long long)me->oversize, who, peer->mss,
			             local ? " (sent by the capturing host: TSO/GSO super-packets)" : "");
		}
		bool stuck = me->big_df_retrans >= 2 && (!peer->ack_known ||
		                                           SEQ_GT(me->big_df_end, peer->max_ack));
		if (stuck && !hosts_fragneed_for(c, f->key.version, f->key.addr[side])) {
			findings_add(fs, "pmtu.black_hole", SEV_CRITICAL, name, me->big_df_frame,
			             "%s retransmitted a %u-byte DF packet %llu time(s) and it was never "
			             "acknowledged, with no ICMP fragmentation-needed in the capture; the "
			             "largest packet that got through was %u bytes",
			             who, me->big_df_ip_bytes, (unsigned long long)me->big_df_retrans,
			             me->delivered_max_ip_bytes);
		}
	}
	/* A ClientHello without a ServerHello, once we can tell it is not just
	 * the capture ending: a second passed, something was retransmitted, or
	 * the connection was closed (FIN/RST) without the answer, or the server
	 * sent data whose start (the ServerHello) never showed up. */
	struct tcp_dir *cl = &f->d[0], *sv = &f->d[1];
	if (cl->tls == TLS_CLIENT_HELLO && sv->tls != TLS_SERVER_HELLO) {
		bool over = c->end_ns - cl->tls_ns >= NS_PER_SEC || cl->rsts || sv->rsts ||
		            cl->fins || sv->fins || cl->retrans || sv->retrans ||
		            (sv->seq_known && sv->tls == TLS_UNKNOWN && sv->next_seq != sv->isn + 1);
		char server[64];
		flow_endpoint_str(f, 1, server, sizeof(server));
		if (over)
			findings_add(fs, "tls.no_server_hello", SEV_CRITICAL, server, cl->tls_frame,
			             "ClientHello%s%s (frame %llu) got no ServerHello",
			             f->sni[0] ? " for " : "", f->sni,
			             (unsigned long long)cl->tls_frame);
	}
}

static void add_row(struct capture_ctx *c, struct flow *f, bool trouble)
{
	struct capture_report *rep = c->rep;
	if (rep->nrows == REPORT_MAX_FLOW_ROWS) {
		rep->rows_omitted++;
		return;
	}
	struct flow_row *r = &rep->rows[rep->nrows++];
	memset(r, 0, sizeof(*r));
	flow_endpoint_str(f, 0, r->from, sizeof(r->from));
	flow_endpoint_str(f, 1, r->to, sizeof(r->to));
	r->proto = f->key.proto;
	r->first_frame = f->first_frame;
	r->hs_rtt_ms = -1;
	for (int d = 0; d < 2; d++) {
		r->pkts[d] = f->pkts[d];
		r->bytes[d] = f->bytes[d];
	}
	r->trouble = trouble;
	if (f->key.proto != 6)
		return;
	r->handshake = hs_name(f->hs);
	if (f->hs == HS_COMPLETE)
		r->hs_rtt_ms = (double)f->hs_rtt_ns / 1e6;
	for (int d = 0; d < 2; d++) {
		const struct tcp_dir *t = &f->d[d];
		r->retrans += t->retrans;
		r->fast_retrans += t->fast_retrans;
		r->dup_acks += t->dup_acks;
		r->zero_windows += t->zero_windows;
		r->rsts += t->rsts;
		r->syn_retries += t->syns > 1 ? t->syns - 1 : 0;
		r->oversize += t->oversize;
		r->mss[d] = t->mss;
		r->wscale[d] = t->wscale;
		r->sack[d] = t->sack_ok;
		r->df[d] = t->df_seen;
		r->max_ip_bytes[d] = t->max_ip_bytes;
	}
	if (f->d[0].tls == TLS_CLIENT_HELLO)
		r->tls = f->d[1].tls == TLS_SERVER_HELLO ? "client_hello+server_hello" : "client_hello";
	else if (f->d[0].tls == TLS_SERVER_HELLO || f->d[1].tls == TLS_SERVER_HELLO)
		r->tls = "server_hello";
	snprintf(r->sni, sizeof(r->sni), "%s", f->sni);
}

void tcp_finalize(struct capture_ctx *c, struct flow *f)
{
	size_t before = c->rep->findings.n;
	uint64_t counts = 0;
	for (size_t i = 0; i < before; i++)
		counts += c->rep->findings.items[i].count;
	if (f->key.proto == 6) {
		char name[160], client[64], server[64];
		flow_str(f, name, sizeof(name));
		flow_endpoint_str(f, 0, client, sizeof(client));
		flow_endpoint_str(f, 1, server, sizeof(server));
		handshake_findings(c, f, client, server);
		loss_findings(c, f, name);
		size_findings(c, f, name);
		tcp_prefix_release(c, &f->d[0]);
		tcp_prefix_release(c, &f->d[1]);
	}
	if (f->mac_changes > 0) {
		char name[160];
		flow_str(f, name, sizeof(name));
		findings_add(&c->rep->findings, "l2.inconsistent_macs", SEV_WARNING, name,
		             f->mac_change_frame, "%llu packet(s) of this flow carried other MACs "
		             "than its first packet in the same direction",
		             (unsigned long long)f->mac_changes);
	}
	uint64_t after = 0;
	for (size_t i = 0; i < c->rep->findings.n; i++)
		after += c->rep->findings.items[i].count;
	if (f->key.proto == 6 || f->key.proto == 17)
		add_row(c, f, after != counts);
}
