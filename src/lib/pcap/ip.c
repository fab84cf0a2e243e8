/*
 * pcap/ip: IPv4 (options, fragments) and IPv6 (a bounded walk of the
 * extension headers, fragment header). Fills struct pkt_ip with the
 * addresses, the upper protocol and where it starts.
 */
#include "lib/pcap/bytes.h"
#include "lib/pcap/decode.h"

#include <string.h>

#define IPV4_MIN_HEADER_BYTES 20
#define IPV6_HEADER_BYTES 40

enum pkt_status pkt_decode_ipv4(const uint8_t *buf, size_t caplen, size_t wirelen,
                                struct pkt_ip *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	enum pkt_status st = pkt_need(IPV4_MIN_HEADER_BYTES, caplen, wirelen,
	                              "IPv4 header cut short", why);
	if (st != PKT_OK)
		return st;
	if (buf[0] >> 4 != 4)
		return pkt_fail(PKT_MALFORMED, "IPv4 header with another version", why);
	size_t hdr = (size_t)(buf[0] & 0x0f) * 4;
	if (hdr < IPV4_MIN_HEADER_BYTES)
		return pkt_fail(PKT_MALFORMED, "IPv4 header length below 20 bytes", why);
	uint32_t total = pkt_be16(buf + 2);
	/* A capture taken on the sender before segmentation offload of a
	 * BIG TCP super-packet (> 64 KiB) carries 0 here: the frame says. */
	if (total == 0 && wirelen > 0xffff)
		total = (uint32_t)wirelen;
	if (total < hdr)
		return pkt_fail(PKT_MALFORMED, "IPv4 total length below its header length", why);
	if (total > wirelen)
		return pkt_fail(PKT_MALFORMED, "IPv4 total length beyond the frame", why);
	out->version = 4;
	out->tos = buf[1];
	out->id = pkt_be16(buf + 4);
	uint16_t frag = pkt_be16(buf + 6);
	out->df = (frag & 0x4000) != 0;
	out->mf = (frag & 0x2000) != 0;
	out->frag_offset_bytes = (uint16_t)((frag & 0x1fff) * 8);
	out->ttl = buf[8];
	out->proto = buf[9];
	memcpy(out->src, buf + 12, 4);
	memcpy(out->dst, buf + 16, 4);
	out->total_bytes = total;
	out->header_bytes = hdr;
	out->has_options = hdr > IPV4_MIN_HEADER_BYTES;
	out->hdr = buf;
	out->hdr_caplen = caplen < total ? caplen : total;
	if (caplen < hdr)
		return pkt_fail(PKT_SNAPLEN, "IPv4 options cut by snaplen", why);
	return PKT_OK;
}

static bool is_ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
}

enum pkt_status pkt_decode_ipv6(const uint8_t *buf, size_t caplen, size_t wirelen,
                                struct pkt_ip *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	enum pkt_status st = pkt_need(IPV6_HEADER_BYTES, caplen, wirelen,
	                              "IPv6 header cut short", why);
	if (st != PKT_OK)
		return st;
	if (buf[0] >> 4 != 6)
		return pkt_fail(PKT_MALFORMED, "IPv6 header with another version", why);
	uint32_t total = IPV6_HEADER_BYTES + pkt_be16(buf + 4);
	if (total == IPV6_HEADER_BYTES && wirelen > 0xffff + IPV6_HEADER_BYTES)
		total = (uint32_t)wirelen; /* jumbogram or BIG TCP before GSO */
	if (total > wirelen)
		return pkt_fail(PKT_MALFORMED, "IPv6 payload length beyond the frame", why);
	out->version = 6;
	out->tos = (uint8_t)((pkt_be16(buf) >> 4) & 0xff);
	out->ttl = buf[7];
	memcpy(out->src, buf + 8, 16);
	memcpy(out->dst, buf + 24, 16);
	out->total_bytes = total;
	out->hdr = buf;
	out->hdr_caplen = caplen < total ? caplen : total;
	size_t cap = out->hdr_caplen;
	uint8_t nh = buf[6];
	size_t off = IPV6_HEADER_BYTES;
	for (int n = 0; is_ipv6_ext(nh); n++) {
		if (n == PKT_MAX_IPV6_EXT_HEADERS)
			return pkt_fail(PKT_UNSUPPORTED, "more than 8 IPv6 extension headers", why);
		out->has_options = true;
		st = pkt_need(off + 8, cap, total, "IPv6 extension header cut short", why);
		if (st != PKT_OK)
			return st;
		const uint8_t *h = buf + off;
		size_t len;
		if (nh == 44) {
			len = 8;
			uint16_t fo = pkt_be16(h + 2);
			out->frag_offset_bytes = (uint16_t)(fo & 0xfff8);
			out->mf = (fo & 1) != 0;
			out->id = pkt_be32(h + 4);
		} else if (nh == 51) {
			len = ((size_t)h[1] + 2) * 4;
		} else {
			len = ((size_t)h[1] + 1) * 8;
		}
		st = pkt_need(off + len, cap, total, "IPv6 extension header cut short", why);
		if (st != PKT_OK)
			return st;
		nh = h[0];
		off += len;
		if (out->frag_offset_bytes != 0)
			break; /* a later fragment: what follows is not a header */
	}
	out->proto = nh;
	out->header_bytes = off;
	return PKT_OK;
}
