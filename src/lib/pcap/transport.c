/*
 * pcap/transport: TCP (with its options), UDP, ICMP and ICMPv6 (with the
 * next-hop MTU and the quoted packet of error messages).
 */
#include "lib/pcap/bytes.h"
#include "lib/pcap/decode.h"

#include <string.h>

#define TCP_MIN_HEADER_BYTES 20
#define UDP_HEADER_BYTES 8

/* Options between buf[20] and buf[hdr); only the captured part is read. */
static void tcp_options(const uint8_t *buf, size_t hdr, size_t caplen, struct pkt_tcp_opts *o)
{
	size_t end = hdr;
	if (caplen < hdr) {
		end = caplen;
		o->truncated = true;
	}
	size_t i = TCP_MIN_HEADER_BYTES;
	while (i < end) {
		uint8_t kind = buf[i];
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= end)
			break;
		size_t len = buf[i + 1];
		if (len < 2 || i + len > end)
			break; /* a broken option ends the list */
		const uint8_t *v = buf + i + 2;
		if (kind == 2 && len == 4) {
			o->mss = pkt_be16(v);
		} else if (kind == 3 && len == 3) {
			o->wscale = (int8_t)(v[0] > 14 ? 14 : v[0]); /* RFC 7323: at most 14 */
		} else if (kind == 4 && len == 2) {
			o->sack_permitted = true;
		} else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0) {
			for (size_t b = 0; b < (len - 2) / 8 && o->sack_count < PKT_MAX_SACK_BLOCKS; b++) {
				o->sack_left[o->sack_count] = pkt_be32(v + b * 8);
				o->sack_right[o->sack_count] = pkt_be32(v + b * 8 + 4);
				o->sack_count++;
			}
		} else if (kind == 8 && len == 10) {
			o->has_timestamps = true;
			o->ts_val = pkt_be32(v);
			o->ts_ecr = pkt_be32(v + 4);
		}
		i += len;
	}
}

enum pkt_status pkt_decode_tcp(const uint8_t *buf, size_t caplen, size_t wirelen,
                               struct pkt_tcp *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->opts.wscale = -1;
	enum pkt_status st = pkt_need(TCP_MIN_HEADER_BYTES, caplen, wirelen,
	                              "TCP header cut short", why);
	if (st != PKT_OK)
		return st;
	size_t hdr = (size_t)(buf[12] >> 4) * 4;
	if (hdr < TCP_MIN_HEADER_BYTES)
		return pkt_fail(PKT_MALFORMED, "TCP data offset below 20 bytes", why);
	if (hdr > wirelen)
		return pkt_fail(PKT_MALFORMED, "TCP header longer than the IP payload", why);
	out->sport = pkt_be16(buf);
	out->dport = pkt_be16(buf + 2);
	out->seq = pkt_be32(buf + 4);
	out->ack = pkt_be32(buf + 8);
	out->flags = buf[13];
	out->window = pkt_be16(buf + 14);
	out->checksum = pkt_be16(buf + 16);
	out->header_bytes = hdr;
	out->payload_bytes = (uint32_t)(wirelen - hdr);
	if (caplen > hdr) {
		out->payload = buf + hdr;
		out->payload_caplen = caplen - hdr;
	}
	tcp_options(buf, hdr, caplen, &out->opts);
	return PKT_OK;
}

enum pkt_status pkt_decode_udp(const uint8_t *buf, size_t caplen, size_t wirelen,
                               struct pkt_udp *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	enum pkt_status st = pkt_need(UDP_HEADER_BYTES, caplen, wirelen,
	                              "UDP header cut short", why);
	if (st != PKT_OK)
		return st;
	out->sport = pkt_be16(buf);
	out->dport = pkt_be16(buf + 2);
	out->length = pkt_be16(buf + 4);
	out->checksum = pkt_be16(buf + 6);
	if (out->length < UDP_HEADER_BYTES)
		return pkt_fail(PKT_MALFORMED, "UDP length below 8 bytes", why);
	if (out->length > wirelen)
		return pkt_fail(PKT_MALFORMED, "UDP length beyond the IP payload", why);
	out->payload_bytes = out->length - UDP_HEADER_BYTES;
	return PKT_OK;
}

static bool icmp_is_error(bool v6, uint8_t type)
{
	if (v6)
		return type >= 1 && type <= 4;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* The quoted packet of an ICMP error: only its start is there, so the
 * quoted lengths are reported, not checked against what follows. */
static void icmp_inner(const uint8_t *q, size_t len, struct pkt_icmp *out)
{
	size_t l4 = 0;
	if (len >= 20 && q[0] >> 4 == 4 && (size_t)(q[0] & 0x0f) * 4 >= 20) {
		out->inner_version = 4;
		out->inner_proto = q[9];
		out->inner_total_bytes = pkt_be16(q + 2);
		memcpy(out->inner_src, q + 12, 4);
		memcpy(out->inner_dst, q + 16, 4);
		l4 = (size_t)(q[0] & 0x0f) * 4;
	} else if (len >= 40 && q[0] >> 4 == 6) {
		out->inner_version = 6;
		out->inner_proto = q[6];
		out->inner_total_bytes = 40u + pkt_be16(q + 4);
		memcpy(out->inner_src, q + 8, 16);
		memcpy(out->inner_dst, q + 24, 16);
		l4 = 40;
	} else {
		return;
	}
	out->has_inner = true;
	bool ports = out->inner_proto == 6 || out->inner_proto == 17;
	if (ports && len >= l4 + 4) {
		out->inner_sport = pkt_be16(q + l4);
		out->inner_dport = pkt_be16(q + l4 + 2);
	}
}

enum pkt_status pkt_decode_icmp(bool icmpv6, const uint8_t *buf, size_t caplen, size_t wirelen,
                                struct pkt_icmp *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	enum pkt_status st = pkt_need(4, caplen, wirelen, "ICMP header cut short", why);
	if (st != PKT_OK)
		return st;
	out->type = buf[0];
	out->code = buf[1];
	out->checksum = pkt_be16(buf + 2);
	if (wirelen < 8)
		return PKT_OK; /* nothing more defined for such a short message */
	if (caplen < 8)
		return pkt_fail(PKT_SNAPLEN, "ICMP header cut short", why);
	bool echo = icmpv6 ? (out->type == 128 || out->type == 129)
	                   : (out->type == 0 || out->type == 8);
	if (echo) {
		out->id = pkt_be16(buf + 4);
		out->seq = pkt_be16(buf + 6);
	}
	if (!icmpv6 && out->type == 3 && out->code == 4)
		out->mtu = pkt_be16(buf + 6);
	if (icmpv6 && out->type == 2)
		out->mtu = pkt_be32(buf + 4);
	if (icmp_is_error(icmpv6, out->type))
		icmp_inner(buf + 8, caplen - 8, out);
	return PKT_OK;
}
