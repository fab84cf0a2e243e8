/*
 * capture/tcp: per-connection TCP analysis. Handshake outcome and RTT,
 * retransmissions (as Wireshark counts them: a segment starting below the
 * highest sequence already sent), fast retransmissions, duplicate ACKs
 * (Wireshark's definition), zero windows, resets, SYN retries, options,
 * segments above the peer's MSS, idle gaps followed by trouble, TLS hellos,
 * and the evidence of a PMTU black hole (which sizes got acknowledged).
 */
#include "paramedic/capture/ctx.h"
#include "paramedic/capture/tls.h"

#include <stdio.h>
#include <string.h>

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define AFTER_GAP_WATCH_PKTS 8

static void ring_push(struct tcp_dir *me, uint32_t end, uint32_t ip_bytes)
{
	if (me->ring_n == FLOW_RING) { /* forget the oldest: bounded memory */
		memmove(me->ring_end, me->ring_end + 1, (FLOW_RING - 1) * sizeof(me->ring_end[0]));
		memmove(me->ring_ip_bytes, me->ring_ip_bytes + 1,
		        (FLOW_RING - 1) * sizeof(me->ring_ip_bytes[0]));
		me->ring_n--;
	}
	me->ring_end[me->ring_n] = end;
	me->ring_ip_bytes[me->ring_n] = ip_bytes;
	me->ring_n++;
}

/* The peer acknowledged up to ack: what we sent below it got through. */
static void delivered(struct tcp_dir *sender, uint32_t ack)
{
	uint8_t keep = 0;
	for (uint8_t i = 0; i < sender->ring_n; i++) {
		if (SEQ_LEQ(sender->ring_end[i], ack)) {
			if (sender->ring_ip_bytes[i] > sender->delivered_max_ip_bytes)
				sender->delivered_max_ip_bytes = sender->ring_ip_bytes[i];
		} else {
			sender->ring_end[keep] = sender->ring_end[i];
			sender->ring_ip_bytes[keep] = sender->ring_ip_bytes[i];
			keep++;
		}
	}
	sender->ring_n = keep;
}

void tcp_prefix_release(struct capture_ctx *c, struct tcp_dir *me)
{
	if (me->prefix_slot >= 0) {
		c->prefix_free[c->nprefix_free++] = me->prefix_slot;
		me->prefix_slot = -1;
	}
}

/* Feeds in-order stream bytes from the start of the stream to the TLS
 * recogniser; holds a prefix buffer only while the answer is pending. */
static void tls_feed(struct capture_ctx *c, struct flow *f, struct tcp_dir *me,
                     const struct pkt *p, uint32_t seq, uint64_t frame)
{
	if (me->tls == TLS_NOT_TLS || !me->seq_known)
		return;
	if (me->tls != TLS_UNKNOWN && me->prefix_slot < 0)
		return; /* settled */
	uint32_t off = seq - (me->isn + 1);
	if (off != me->prefix_len || p->tcp.payload_caplen == 0)
		return; /* not the next in-order bytes (or not captured): wait */
	const uint8_t *data = p->tcp.payload;
	size_t n = p->tcp.payload_caplen;
	const uint8_t *buf = data;
	size_t len = n;
	if (me->prefix_slot < 0 && me->prefix_len == 0) {
		int done;
		enum tls_hello h = tls_parse_hello(data, n, f->sni, sizeof(f->sni), &done);
		if (h == TLS_HELLO_NOT_TLS) {
			me->tls = TLS_NOT_TLS;
			return;
		}
		if (h != TLS_HELLO_NEED_MORE) {
			me->tls = h == TLS_HELLO_CLIENT ? TLS_CLIENT_HELLO : TLS_SERVER_HELLO;
			me->tls_frame = frame;
			me->tls_ns = c->now_ns;
			if (done || h == TLS_HELLO_SERVER)
				return;
		}
		if (c->nprefix_free == 0)
			return; /* no buffer left: settle with what one segment told */
		me->prefix_slot = c->prefix_free[--c->nprefix_free];
	}
	uint8_t *pre = c->prefix[me->prefix_slot];
	size_t room = TLS_PREFIX_BYTES - me->prefix_len;
	size_t take = n < room ? n : room;
	memcpy(pre + me->prefix_len, data, take);
	me->prefix_len += (uint32_t)take;
	buf = pre;
	len = me->prefix_len;
	int done;
	enum tls_hello h = tls_parse_hello(buf, len, f->sni, sizeof(f->sni), &done);
	if (h == TLS_HELLO_NOT_TLS) {
		me->tls = TLS_NOT_TLS;
	} else if (h != TLS_HELLO_NEED_MORE && me->tls == TLS_UNKNOWN) {
		me->tls = h == TLS_HELLO_CLIENT ? TLS_CLIENT_HELLO : TLS_SERVER_HELLO;
		me->tls_frame = frame;
		me->tls_ns = c->now_ns;
	}
	if (h != TLS_HELLO_NEED_MORE && (done || h != TLS_HELLO_CLIENT))
		tcp_prefix_release(c, me);
	else if (me->prefix_len == TLS_PREFIX_BYTES)
		tcp_prefix_release(c, me); /* SNI beyond what we keep: give up on it */
}

static void handshake(struct capture_ctx *c, struct flow *f, int dir, const struct pkt *p,
                      uint64_t frame)
{
	const struct pkt_tcp *t = &p->tcp;
	struct tcp_dir *me = &f->d[dir];
	uint8_t fl = t->flags;
	if (fl & PKT_TCP_SYN) {
		me->syns++;
		me->mss = t->opts.mss;
		me->wscale = t->opts.wscale;
		me->sack_ok = t->opts.sack_permitted;
		if (!(fl & PKT_TCP_ACK) && !f->saw_syn) {
			f->saw_syn = true;
			f->syn_frame = frame;
			f->syn_ns = c->now_ns;
			f->hs = HS_SYN_UNANSWERED;
		} else if ((fl & PKT_TCP_ACK) && f->hs == HS_SYN_UNANSWERED && dir == 1) {
			f->hs = HS_SYNACK_LOST;
			f->synack_frame = frame;
			f->synack_ns = c->now_ns;
		}
		return;
	}
	if ((fl & PKT_TCP_RST) && dir == 1 && f->hs == HS_SYN_UNANSWERED) {
		f->hs = HS_REFUSED;
		return;
	}
	/* The ACK of the SYN-ACK (or data from the client) completes it. */
	if ((fl & PKT_TCP_ACK) && dir == 0 && f->hs == HS_SYNACK_LOST &&
	    f->d[1].seq_known && !SEQ_LEQ(t->ack, f->d[1].isn)) {
		f->hs = HS_COMPLETE;
		f->hs_rtt_ns = c->now_ns - f->syn_ns;
	}
}

void tcp_packet(struct capture_ctx *c, struct flow *f, int dir, const struct pkt *p,
                const struct pcap_record *rec)
{
	const struct pkt_tcp *t = &p->tcp;
	struct tcp_dir *me = &f->d[dir], *peer = &f->d[!dir];
	uint8_t fl = t->flags;
	uint64_t frame = rec->frame_no;
	uint32_t seg = t->payload_bytes + ((fl & PKT_TCP_SYN) ? 1 : 0) + ((fl & PKT_TCP_FIN) ? 1 : 0);
	bool trouble = false;

	if (p->ip.total_bytes > me->max_ip_bytes)
		me->max_ip_bytes = p->ip.total_bytes;
	if (p->ip.df)
		me->df_seen = true;
	handshake(c, f, dir, p, frame);
	if (fl & PKT_TCP_FIN)
		me->fins++;
	if (fl & PKT_TCP_RST) {
		me->rsts++;
		if (me->first_rst_frame == 0)
			me->first_rst_frame = frame;
		trouble = true;
	}

	/* sequence space: new data or a retransmission */
	if (!me->seq_known) {
		me->seq_known = true;
		me->isn = (fl & PKT_TCP_SYN) ? t->seq : t->seq - 1;
		me->next_seq = t->seq + seg;
		if (seg > 0)
			ring_push(me, t->seq + seg, p->ip.total_bytes);
	} else if (seg > 0 && !(fl & PKT_TCP_RST)) {
		uint32_t end = t->seq + seg;
		bool keepalive = t->payload_bytes <= 1 && t->seq == me->next_seq - 1 &&
		                 !(fl & (PKT_TCP_SYN | PKT_TCP_FIN));
		if (SEQ_LT(t->seq, me->next_seq) && !keepalive) {
			me->retrans++;
			trouble = true;
			if (me->first_retrans_frame == 0)
				me->first_retrans_frame = frame;
			if (peer->dup_run >= 2 && t->seq == peer->last_ack)
				me->fast_retrans++;
			if (p->ip.df && p->ip.total_bytes > me->delivered_max_ip_bytes &&
			    (!peer->ack_known || SEQ_GT(end, peer->max_ack))) {
				me->big_df_retrans++;
				if (me->big_df_frame == 0 || p->ip.total_bytes > me->big_df_ip_bytes) {
					me->big_df_frame = frame;
					me->big_df_ip_bytes = p->ip.total_bytes;
					me->big_df_end = end;
				}
			}
		} else if (SEQ_GT(end, me->next_seq)) {
			me->next_seq = end;
			ring_push(me, end, p->ip.total_bytes);
		}
	}
	if (t->payload_bytes > 0 && peer->mss != 0 && t->payload_bytes > peer->mss) {
		me->oversize++;
		if (me->first_oversize_frame == 0)
			me->first_oversize_frame = frame;
	}

	/* acknowledgements: zero windows, duplicate ACKs, delivery */
	if ((fl & PKT_TCP_ACK) && !(fl & PKT_TCP_RST)) {
		if (t->window == 0 && !(fl & (PKT_TCP_SYN | PKT_TCP_FIN))) {
			me->zero_windows++;
			if (me->first_zero_win_frame == 0)
				me->first_zero_win_frame = frame;
		}
		bool dup = me->ack_known && t->payload_bytes == 0 &&
		           !(fl & (PKT_TCP_SYN | PKT_TCP_FIN)) && t->window != 0 &&
		           t->window == me->last_win && t->ack == me->last_ack &&
		           t->seq == me->next_seq;
		if (dup) {
			me->dup_acks++;
			me->dup_run++;
		} else if (!me->ack_known || t->ack != me->last_ack) {
			me->dup_run = 0;
		}
		if (!me->ack_known || SEQ_GT(t->ack, me->max_ack))
			me->max_ack = t->ack;
		delivered(peer, me->max_ack);
		me->ack_known = true;
		me->last_ack = t->ack;
		me->last_win = t->window;
	}
	if (t->payload_bytes > 0 && f->saw_syn) /* stream start known */
		tls_feed(c, f, me, p, t->seq, frame);

	/* after a long silence, watch whether the first packets run into trouble */
	if (f->pending_gap_ns > 0) {
		if (trouble && !f->idle_then_loss) {
			f->idle_then_loss = true;
			f->idle_loss_frame = frame;
			f->idle_loss_gap_ns = f->pending_gap_ns;
		}
		if (trouble || ++f->after_gap_pkts >= AFTER_GAP_WATCH_PKTS)
			f->pending_gap_ns = 0;
	}
}
