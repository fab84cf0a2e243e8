/*
 * pcap/decode: the whole stack for one frame (link, IP, transport), plus
 * names for the enums. Each layer's decoder lives in its own file.
 */
#include "lib/pcap/decode.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static enum pkt_status stop(struct pkt *out, enum pkt_status st)
{
	out->status = st;
	if (st == PKT_OK)
		out->why = NULL;
	return st;
}

static enum pkt_status decode_l4(struct pkt *out, size_t caplen, size_t wirelen)
{
	const uint8_t *l4 = out->l4;
	enum pkt_status st;
	switch (out->ip.proto) {
	case 6:
		st = pkt_decode_tcp(l4, caplen, wirelen, &out->tcp, &out->why);
		if (st == PKT_OK)
			out->layers |= PKT_HAS_TCP;
		return stop(out, st);
	case 17:
		st = pkt_decode_udp(l4, caplen, wirelen, &out->udp, &out->why);
		if (st == PKT_OK)
			out->layers |= PKT_HAS_UDP;
		return stop(out, st);
	case 1:
	case 58:
		if ((out->ip.proto == 58) != (out->ip.version == 6))
			return stop(out, PKT_OK); /* ICMP in IPv6 or ICMPv6 in IPv4: leave it */
		st = pkt_decode_icmp(out->ip.proto == 58, l4, caplen, wirelen, &out->icmp, &out->why);
		if (st == PKT_OK)
			out->layers |= PKT_HAS_ICMP;
		return stop(out, st);
	default:
		return stop(out, PKT_OK);
	}
}

enum pkt_status pkt_decode(int linktype, const uint8_t *buf, size_t caplen, size_t wirelen,
                           struct pkt *out)
{
	out->layers = 0;
	out->why = NULL;
	out->l4 = NULL;
	out->l4_caplen = 0;
	out->l4_bytes = 0;
	enum pkt_status st = pkt_decode_link(linktype, buf, caplen, wirelen, &out->link, &out->why);
	if (st != PKT_OK)
		return stop(out, st);
	out->layers |= PKT_HAS_LINK;
	size_t off = out->link.header_bytes;
	const uint8_t *nb = buf + off;
	size_t ncap = caplen - off, nwire = wirelen - off;
	if (out->link.ethertype == 0x0800)
		st = pkt_decode_ipv4(nb, ncap, nwire, &out->ip, &out->why);
	else if (out->link.ethertype == 0x86dd)
		st = pkt_decode_ipv6(nb, ncap, nwire, &out->ip, &out->why);
	else
		return stop(out, PKT_UNSUPPORTED);
	if (out->ip.version != 0)
		out->layers |= PKT_HAS_IP; /* addresses are known even when options are cut */
	if (st != PKT_OK)
		return stop(out, st);
	if (out->ip.frag_offset_bytes != 0)
		return stop(out, PKT_OK); /* a later fragment carries no transport header */
	size_t h = out->ip.header_bytes;
	out->l4 = nb + h;
	out->l4_caplen = out->ip.hdr_caplen - h;
	out->l4_bytes = out->ip.total_bytes - (uint32_t)h;
	return decode_l4(out, out->l4_caplen, out->l4_bytes);
}

const char *pkt_status_name(enum pkt_status status)
{
	switch (status) {
	case PKT_OK: return "ok";
	case PKT_SNAPLEN: return "cut by snaplen";
	case PKT_MALFORMED: return "malformed";
	case PKT_UNSUPPORTED: return "unsupported";
	}
	return "?";
}

void pkt_addr_str(uint8_t version, const uint8_t addr[16], char *buf, size_t len)
{
	if (inet_ntop(version == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}
