/*
 * capture/l2: layer-2 forwarding checks (seed 000).
 *
 * l2.forwarded_same_macs: the same IP packet (same addresses, protocol,
 * IPv4 ID, length and transport checksum; for IPv6 TCP with payload only,
 * as it has no ID) seen twice within 2 s in one capture with the same
 * source and destination MAC. On one Ethernet segment a frame appears once;
 * a second identical frame means a forwarder re-sent it at layer 2 without
 * rewriting the MACs for its next hop. If the TTL dropped between the two,
 * a router decremented it and still kept the MACs: the same fault. In a
 * Linux cooked capture (-i any) the signature is the packet received and
 * sent again with the same source MAC (normal on a bridge: a warning).
 * l2.dst_is_src: a frame whose destination MAC is its own source MAC.
 * l2.inconsistent_macs: one direction of one flow seen with other MACs
 * than its first packet (counted per flow, reported by tcp_report.c).
 */
#include "paramedic/capture/ctx.h"

#include <stdio.h>
#include <string.h>

#define DUP_WINDOW_NS 2000000000LL

static uint64_t mix(uint64_t h, const void *data, size_t len)
{
	const uint8_t *b = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* A fingerprint of the IP packet that forwarding does not change; 0 when
 * the packet has nothing unique enough to tell it from a legitimate copy. */
static uint64_t fingerprint(const struct pkt *p)
{
	uint64_t h = 14695981039346656037ull;
	size_t alen = p->ip.version == 4 ? 4 : 16;
	uint16_t csum;
	if (p->layers & PKT_HAS_TCP)
		csum = p->tcp.checksum;
	else if (p->layers & PKT_HAS_UDP)
		csum = p->udp.checksum;
	else if (p->layers & PKT_HAS_ICMP)
		csum = p->icmp.checksum;
	else
		return 0;
	bool tcp_data = (p->layers & PKT_HAS_TCP) && p->tcp.payload_bytes > 0;
	if (p->ip.version == 6 && !tcp_data)
		return 0;
	if (p->ip.version == 4 && p->ip.id == 0 && !tcp_data)
		return 0;
	h = mix(h, p->ip.src, alen);
	h = mix(h, p->ip.dst, alen);
	h = mix(h, &p->ip.proto, 1);
	h = mix(h, &p->ip.id, sizeof(p->ip.id));
	h = mix(h, &p->ip.total_bytes, sizeof(p->ip.total_bytes));
	h = mix(h, &csum, sizeof(csum));
	if (p->layers & PKT_HAS_TCP)
		h = mix(h, &p->tcp.seq, sizeof(p->tcp.seq));
	return h | 1;
}

static void mac_str(const uint8_t m[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

bool l2_packet(struct capture_ctx *c, const struct pkt *p, const struct pcap_record *rec)
{
	const struct pkt_link *l = &p->link;
	static const uint8_t zero[6];
	/* loopback captures carry all-zero MACs: nothing to check there */
	bool eth = l->has_macs && memcmp(l->mac_src, zero, 6) != 0;
	if (eth && memcmp(l->mac_src, l->mac_dst, 6) == 0 && !(l->mac_src[0] & 1)) {
		char m[24];
		mac_str(l->mac_src, m, sizeof(m));
		findings_add(&c->rep->findings, "l2.dst_is_src", SEV_CRITICAL, m, rec->frame_no,
		             "frame %llu is addressed to its own sender's MAC %s",
		             (unsigned long long)rec->frame_no, m);
	}
	bool sll = l->direction != PKT_DIR_UNKNOWN;
	if (!eth && !sll)
		return false;
	uint64_t h = fingerprint(p);
	if (h == 0)
		return false;
	struct l2_recent *r = &c->recent[h % L2_RECENT];
	bool dup = false;
	if (r->hash == h && c->now_ns - r->ts_ns <= DUP_WINDOW_NS && r->frame != rec->frame_no) {
		bool same_src = memcmp(r->mac_src, l->mac_src, 6) == 0;
		bool same_dst = !eth || memcmp(r->mac_dst, l->mac_dst, 6) == 0;
		dup = true;
		if (eth && same_src && same_dst) {
			char s[24], d[24], subj[64];
			mac_str(l->mac_src, s, sizeof(s));
			mac_str(l->mac_dst, d, sizeof(d));
			snprintf(subj, sizeof(subj), "%s > %s", s, d);
			findings_add(&c->rep->findings, "l2.forwarded_same_macs", SEV_CRITICAL, subj,
			             r->frame, "frames %llu and %llu carry the same IP packet with the "
			             "same MACs%s", (unsigned long long)r->frame,
			             (unsigned long long)rec->frame_no,
			             r->ttl != p->ip.ttl ? " (TTL decremented in between)" : "");
		} else if (sll && same_src && r->direction == PKT_DIR_IN && l->direction == PKT_DIR_OUT) {
			char s[24];
			mac_str(l->mac_src, s, sizeof(s));
			findings_add(&c->rep->findings, "l2.forwarded_same_macs", SEV_WARNING, s, r->frame,
			             "frame %llu received and frame %llu sent again with the same "
			             "source MAC (normal if this host is a bridge, wrong if it routes)",
			             (unsigned long long)r->frame, (unsigned long long)rec->frame_no);
		}
	}
	r->hash = h;
	r->frame = rec->frame_no;
	r->ts_ns = c->now_ns;
	memcpy(r->mac_src, l->mac_src, 6);
	memcpy(r->mac_dst, l->mac_dst, 6);
	r->ttl = p->ip.ttl;
	r->direction = (uint8_t)l->direction;
	return dup;
}

void l2_flow_macs(struct capture_ctx *c, struct flow *f, int dir, const struct pkt *p,
                  uint64_t frame)
{
	(void)c;
	if (!p->link.has_macs)
		return;
	if (!f->macs_known[dir]) {
		f->macs_known[dir] = true;
		memcpy(f->mac_src[dir], p->link.mac_src, 6);
		memcpy(f->mac_dst[dir], p->link.mac_dst, 6);
		return;
	}
	if (memcmp(f->mac_src[dir], p->link.mac_src, 6) != 0 ||
	    memcmp(f->mac_dst[dir], p->link.mac_dst, 6) != 0) {
		if (f->mac_changes++ == 0)
			f->mac_change_frame = frame;
	}
}
