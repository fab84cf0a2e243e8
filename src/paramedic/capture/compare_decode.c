/* capture/compare_decode: decoded frame → struct cmp_pkt. */
#include "paramedic/capture/compare_decode.h"

#include <netinet/in.h>
#include <string.h>

/* Room for the largest headers we expect before the payload (Ethernet
 * with two VLAN tags, IPv6 with an extension header or IPv4 with options,
 * TCP with options): payload bytes beyond snaplen - this are not hashed. */
#define HEADROOM_BYTES 160
#define DIGEST_MAX_BYTES 64

size_t cmp_digest_bytes(uint32_t snaplen_a, uint32_t snaplen_b)
{
	uint32_t snap = snaplen_a < snaplen_b ? snaplen_a : snaplen_b;
	if (snap == 0) /* some writers leave it unset: assume whole frames */
		snap = snaplen_a > snaplen_b ? snaplen_a : snaplen_b;
	if (snap == 0)
		return DIGEST_MAX_BYTES;
	if (snap <= HEADROOM_BYTES)
		return 0;
	return snap - HEADROOM_BYTES < DIGEST_MAX_BYTES ? snap - HEADROOM_BYTES : DIGEST_MAX_BYTES;
}

static uint64_t digest_of(const uint8_t *payload, size_t caplen, uint32_t wire_bytes, size_t want)
{
	if (want > wire_bytes)
		want = wire_bytes;
	if (want > caplen)
		want = caplen; /* cut shorter than expected: hash what is there */
	return payload != NULL ? cmp_digest(CMP_DIGEST_INIT, payload, want) : CMP_DIGEST_INIT;
}

static bool is_echo(const struct pkt *d)
{
	uint8_t t = d->icmp.type;
	return d->ip.proto == IPPROTO_ICMP ? (t == 0 || t == 8) : (t == 128 || t == 129);
}

bool cmp_pkt_from_decoded(const struct pkt *d, uint64_t frame, int64_t ts_ns,
                          size_t digest_bytes, struct cmp_pkt *out)
{
	if (!(d->layers & PKT_HAS_IP))
		return false;
	memset(out, 0, sizeof(*out));
	out->frame = frame;
	out->ts_ns = ts_ns;
	if ((d->layers & PKT_HAS_LINK) && d->link.has_macs) {
		out->has_macs = true;
		memcpy(out->mac_src, d->link.mac_src, 6);
		memcpy(out->mac_dst, d->link.mac_dst, 6);
	}
	const struct pkt_ip *ip = &d->ip;
	out->ip_version = ip->version;
	out->proto = ip->proto;
	out->ttl = ip->ttl;
	out->tos = ip->tos;
	out->df = ip->df;
	out->ip_id = ip->id;
	memcpy(out->src, ip->src, 16);
	memcpy(out->dst, ip->dst, 16);

	if (ip->mf || ip->frag_offset_bytes != 0 || !(d->layers & (PKT_HAS_TCP | PKT_HAS_UDP | PKT_HAS_ICMP))) {
		/* A fragment, or a transport we do not decode: the IP payload. */
		out->fragment = ip->mf || ip->frag_offset_bytes != 0;
		out->frag_offset_bytes = ip->frag_offset_bytes;
		size_t hl = ip->header_bytes;
		uint32_t wire = ip->total_bytes > hl ? (uint32_t)(ip->total_bytes - hl) : 0;
		size_t cap = ip->hdr_caplen > hl ? ip->hdr_caplen - hl : 0;
		out->payload_bytes = wire;
		out->digest = digest_of(ip->hdr != NULL ? ip->hdr + hl : NULL, cap, wire, digest_bytes);
		return true;
	}
	if (d->layers & PKT_HAS_TCP) {
		const struct pkt_tcp *t = &d->tcp;
		out->sport = t->sport;
		out->dport = t->dport;
		out->seq = t->seq;
		out->ack = t->ack;
		out->tcp_flags = t->flags;
		out->tcp_window = t->window;
		out->tcp_header_bytes = (uint16_t)t->header_bytes;
		out->mss = t->opts.mss;
		out->payload_bytes = t->payload_bytes;
		out->digest = digest_of(t->payload, t->payload_caplen, t->payload_bytes, digest_bytes);
	} else if (d->layers & PKT_HAS_UDP) {
		out->sport = d->udp.sport;
		out->dport = d->udp.dport;
		out->payload_bytes = d->udp.payload_bytes;
		size_t cap = d->l4_caplen > 8 ? d->l4_caplen - 8 : 0;
		out->digest = digest_of(cap ? d->l4 + 8 : NULL, cap, d->udp.payload_bytes, digest_bytes);
	} else {
		out->icmp_type = d->icmp.type;
		out->icmp_code = d->icmp.code;
		uint32_t body = d->l4_bytes > 8 ? d->l4_bytes - 8 : 0;
		out->payload_bytes = body;
		if (is_echo(d)) {
			/* The identifier is NAT's "port"; the sequence and data are
			 * the invariants. */
			out->sport = out->dport = d->icmp.id;
			out->seq = d->icmp.seq;
			size_t cap = d->l4_caplen > 8 ? d->l4_caplen - 8 : 0;
			out->digest = digest_of(cap ? d->l4 + 8 : NULL, cap, body, digest_bytes);
		} else {
			/* An error quotes a packet a NAT rewrites: keep the MTU only. */
			out->ack = d->icmp.mtu;
			out->digest = CMP_DIGEST_INIT;
		}
	}
	return true;
}
