/* pcap/checksum: see checksum.h. */
#include "lib/pcap/checksum.h"

#include "lib/pcap/bytes.h"

#include <string.h>

uint32_t pkt_csum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
	/* RFC 1071: the one's-complement sum does not care about byte order,
	 * so add native 32-bit halves of 64-bit loads (the per-packet hot loop
	 * of capture analyze) and swap the folded result once at the end. */
	uint64_t acc = 0;
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, buf + i, 8);
		acc += (w & 0xffffffffu) + (w >> 32); /* < 2^33 each: no overflow below 2^31 words */
	}
	for (; i + 2 <= len; i += 2) {
		uint16_t h;
		memcpy(&h, buf + i, 2);
		acc += h;
	}
	if (i < len) {
		uint8_t last[2] = {buf[i], 0}; /* an odd byte is the high byte of a padded word */
		uint16_t h;
		memcpy(&h, last, 2);
		acc += h;
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	uint16_t native = (uint16_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	native = (uint16_t)(native << 8 | native >> 8);
#endif
	uint64_t s = (uint64_t)sum + native;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

enum pkt_csum pkt_csum_ipv4_header(const struct pkt *p)
{
	if (!(p->layers & PKT_HAS_IP) || p->ip.version != 4)
		return PKT_CSUM_NA;
	if (p->ip.hdr_caplen < p->ip.header_bytes)
		return PKT_CSUM_UNVERIFIABLE;
	uint16_t s = pkt_csum_fold(pkt_csum_add(0, p->ip.hdr, p->ip.header_bytes));
	return s == 0xffff ? PKT_CSUM_OK : PKT_CSUM_BAD;
}

static uint32_t pseudo_header(const struct pkt *p, uint32_t l4_bytes)
{
	uint32_t s = 0;
	size_t alen = p->ip.version == 4 ? 4 : 16;
	s = pkt_csum_add(s, p->ip.src, alen);
	s = pkt_csum_add(s, p->ip.dst, alen);
	s += p->ip.proto;
	s += l4_bytes >> 16;
	s += l4_bytes & 0xffff;
	return s;
}

enum pkt_csum pkt_csum_l4(const struct pkt *p)
{
	if (!(p->layers & (PKT_HAS_TCP | PKT_HAS_UDP | PKT_HAS_ICMP)))
		return PKT_CSUM_NA;
	if (p->ip.mf || p->ip.frag_offset_bytes != 0)
		return PKT_CSUM_NA;
	uint32_t len = p->l4_bytes;
	uint16_t field;
	if (p->layers & PKT_HAS_UDP) {
		field = p->udp.checksum;
		len = p->udp.length;
		if (field == 0 && p->ip.version == 4)
			return PKT_CSUM_NONE;
	} else if (p->layers & PKT_HAS_TCP) {
		field = p->tcp.checksum;
	} else {
		field = p->icmp.checksum;
	}
	if (p->l4_caplen < len)
		return PKT_CSUM_UNVERIFIABLE;
	bool icmpv4 = p->ip.version == 4 && p->ip.proto == 1;
	uint32_t pseudo = icmpv4 ? 0 : pseudo_header(p, len);
	uint16_t s = pkt_csum_fold(pkt_csum_add(pseudo, p->l4, len));
	if (s == 0xffff)
		return PKT_CSUM_OK;
	if (!icmpv4) {
		/* Linux leaves ~csum_tcpudp_magic(...) = the folded pseudo-header sum
		 * in the field of CHECKSUM_PARTIAL packets for the NIC to finish. */
		uint16_t partial = pkt_csum_fold(pseudo);
		if (field == partial || (uint16_t)~field == (uint16_t)~partial)
			return PKT_CSUM_PARTIAL;
	}
	return PKT_CSUM_BAD;
}

const char *pkt_csum_name(enum pkt_csum c)
{
	switch (c) {
	case PKT_CSUM_NA: return "n/a";
	case PKT_CSUM_OK: return "ok";
	case PKT_CSUM_BAD: return "bad";
	case PKT_CSUM_PARTIAL: return "partial (TX offload)";
	case PKT_CSUM_UNVERIFIABLE: return "unverifiable (snaplen)";
	case PKT_CSUM_NONE: return "none";
	}
	return "?";
}
