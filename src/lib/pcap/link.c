/*
 * pcap/link: link-layer headers (Ethernet + 802.1Q/802.1ad tags, Linux
 * cooked v1/v2, BSD loopback, raw IP). Finds where the network layer
 * starts and its ethertype; keeps MACs, VLAN IDs and, for Linux cooked
 * captures, whether the capturing host sent or received the frame.
 */
#include "lib/pcap/decode.h"
#include "lib/pcap/bytes.h"

#include <string.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define SLL_HEADER_BYTES 16
#define SLL2_HEADER_BYTES 20
#define SLL_OUTGOING 4
#define ETH_HEADER_BYTES 14
#define VLAN_TAG_BYTES 4

static bool is_vlan_tpid(uint16_t type)
{
	return type == 0x8100 || type == 0x88a8 || type == 0x9100;
}

/* VLAN tags starting at buf[off] with ethertype *type; advances both. */
static enum pkt_status skip_vlans(const uint8_t *buf, size_t caplen, size_t wirelen,
                                  struct pkt_link *out, const char **why)
{
	while (is_vlan_tpid(out->ethertype)) {
		if (out->vlan_count == PKT_MAX_VLANS)
			return pkt_fail(PKT_UNSUPPORTED, "more than two VLAN tags", why);
		size_t off = out->header_bytes;
		enum pkt_status st = pkt_need(off + VLAN_TAG_BYTES, caplen, wirelen,
		                                "VLAN tag cut short", why);
		if (st != PKT_OK)
			return st;
		out->vlan_id[out->vlan_count++] = pkt_be16(buf + off) & 0x0fff;
		out->ethertype = pkt_be16(buf + off + 2);
		out->header_bytes = off + VLAN_TAG_BYTES;
	}
	return PKT_OK;
}

static enum pkt_status decode_ethernet(const uint8_t *buf, size_t caplen, size_t wirelen,
                                       struct pkt_link *out, const char **why)
{
	enum pkt_status st = pkt_need(ETH_HEADER_BYTES, caplen, wirelen,
	                                "frame shorter than an Ethernet header", why);
	if (st != PKT_OK)
		return st;
	memcpy(out->mac_dst, buf, 6);
	memcpy(out->mac_src, buf + 6, 6);
	out->has_macs = true;
	out->ethertype = pkt_be16(buf + 12);
	out->header_bytes = ETH_HEADER_BYTES;
	if (out->ethertype < 0x0600) /* an 802.3 length: LLC/SNAP, not IP */
		return pkt_fail(PKT_UNSUPPORTED, "802.3 LLC frame", why);
	return skip_vlans(buf, caplen, wirelen, out, why);
}

static enum pkt_status decode_sll(const uint8_t *buf, size_t caplen, size_t wirelen,
                                  struct pkt_link *out, const char **why)
{
	enum pkt_status st = pkt_need(SLL_HEADER_BYTES, caplen, wirelen,
	                                "frame shorter than a Linux cooked header", why);
	if (st != PKT_OK)
		return st;
	uint16_t pkttype = pkt_be16(buf);
	out->direction = pkttype == SLL_OUTGOING ? PKT_DIR_OUT : PKT_DIR_IN;
	if (pkt_be16(buf + 2) == 1 && pkt_be16(buf + 4) == 6) /* ARPHRD_ETHER, 6-byte address */
		memcpy(out->mac_src, buf + 6, 6);
	out->ethertype = pkt_be16(buf + 14);
	out->header_bytes = SLL_HEADER_BYTES;
	return skip_vlans(buf, caplen, wirelen, out, why);
}

static enum pkt_status decode_sll2(const uint8_t *buf, size_t caplen, size_t wirelen,
                                   struct pkt_link *out, const char **why)
{
	enum pkt_status st = pkt_need(SLL2_HEADER_BYTES, caplen, wirelen,
	                                "frame shorter than a Linux cooked v2 header", why);
	if (st != PKT_OK)
		return st;
	out->ethertype = pkt_be16(buf);
	out->direction = buf[10] == SLL_OUTGOING ? PKT_DIR_OUT : PKT_DIR_IN;
	if (pkt_be16(buf + 8) == 1 && buf[11] == 6)
		memcpy(out->mac_src, buf + 12, 6);
	out->header_bytes = SLL2_HEADER_BYTES;
	return skip_vlans(buf, caplen, wirelen, out, why);
}

/* BSD loopback: a 4-byte address family, host-endian for DLT_NULL (of the
 * machine that captured, so we accept both orders), big-endian for LOOP. */
static enum pkt_status decode_null(bool big_endian, const uint8_t *buf, size_t caplen,
                                   size_t wirelen, struct pkt_link *out, const char **why)
{
	enum pkt_status st = pkt_need(4, caplen, wirelen, "frame shorter than a loopback header",
	                                why);
	if (st != PKT_OK)
		return st;
	uint32_t be = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 | buf[3];
	uint32_t le = (uint32_t)buf[3] << 24 | (uint32_t)buf[2] << 16 | (uint32_t)buf[1] << 8 | buf[0];
	uint32_t family = big_endian || be < 256 ? be : le;
	out->header_bytes = 4;
	if (family == 2)
		out->ethertype = ETHERTYPE_IPV4;
	else if (family == 10 || family == 24 || family == 28 || family == 30)
		out->ethertype = ETHERTYPE_IPV6; /* Linux, NetBSD/OpenBSD, FreeBSD, macOS */
	else
		return pkt_fail(PKT_UNSUPPORTED, "loopback frame of an unknown address family", why);
	return PKT_OK;
}

static enum pkt_status decode_raw(const uint8_t *buf, size_t caplen, size_t wirelen,
                                  struct pkt_link *out, const char **why)
{
	enum pkt_status st = pkt_need(1, caplen, wirelen, "empty raw IP frame", why);
	if (st != PKT_OK)
		return st;
	out->header_bytes = 0;
	switch (buf[0] >> 4) {
	case 4: out->ethertype = ETHERTYPE_IPV4; return PKT_OK;
	case 6: out->ethertype = ETHERTYPE_IPV6; return PKT_OK;
	default: return pkt_fail(PKT_MALFORMED, "raw IP frame with an IP version other than 4 or 6", why);
	}
}

enum pkt_status pkt_decode_link(int linktype, const uint8_t *buf, size_t caplen, size_t wirelen,
                                struct pkt_link *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (caplen > wirelen)
		return pkt_fail(PKT_MALFORMED, "captured length above the original length", why);
	switch (linktype) {
	case PKT_LINK_ETHERNET: return decode_ethernet(buf, caplen, wirelen, out, why);
	case PKT_LINK_SLL: return decode_sll(buf, caplen, wirelen, out, why);
	case PKT_LINK_SLL2: return decode_sll2(buf, caplen, wirelen, out, why);
	case PKT_LINK_NULL: return decode_null(false, buf, caplen, wirelen, out, why);
	case PKT_LINK_LOOP: return decode_null(true, buf, caplen, wirelen, out, why);
	case PKT_LINK_RAW:
	case PKT_LINK_RAW_OPENBSD:
	case 101: /* LINKTYPE_RAW, should libpcap hand it to us unmapped */
		return decode_raw(buf, caplen, wirelen, out, why);
	case PKT_LINK_IPV4: out->ethertype = ETHERTYPE_IPV4; return PKT_OK;
	case PKT_LINK_IPV6: out->ethertype = ETHERTYPE_IPV6; return PKT_OK;
	default: return pkt_fail(PKT_UNSUPPORTED, "unsupported link type", why);
	}
}

bool pkt_linktype_supported(int linktype)
{
	return pkt_linktype_name(linktype)[0] != '?';
}

const char *pkt_linktype_name(int linktype)
{
	switch (linktype) {
	case PKT_LINK_NULL: return "BSD loopback";
	case PKT_LINK_ETHERNET: return "Ethernet";
	case PKT_LINK_RAW:
	case PKT_LINK_RAW_OPENBSD:
	case 101: return "raw IP";
	case PKT_LINK_LOOP: return "OpenBSD loopback";
	case PKT_LINK_SLL: return "Linux cooked v1";
	case PKT_LINK_SLL2: return "Linux cooked v2";
	case PKT_LINK_IPV4: return "raw IPv4";
	case PKT_LINK_IPV6: return "raw IPv6";
	default: return "?";
	}
}
