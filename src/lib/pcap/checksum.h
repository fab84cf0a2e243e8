/*
 * pcap/checksum: verifying the Internet checksums of a decoded packet
 * (IPv4 header, TCP, UDP, ICMP, ICMPv6).
 *
 * A packet the capture cut short cannot be verified: that is its own
 * answer (PKT_CSUM_UNVERIFIABLE), never "bad". A wrong checksum whose
 * field holds exactly the pseudo-header sum is PKT_CSUM_PARTIAL: the
 * signature of a packet captured on its sender before the NIC (or veth)
 * filled the checksum in (TX checksum offload), not of corruption.
 */
#ifndef PP_LIB_PCAP_CHECKSUM_H
#define PP_LIB_PCAP_CHECKSUM_H

#include "lib/pcap/decode.h"

enum pkt_csum {
	PKT_CSUM_NA = 0,         /* no such layer, or a fragment (sum spans fragments) */
	PKT_CSUM_OK,
	PKT_CSUM_BAD,
	PKT_CSUM_PARTIAL,        /* bad, and holds the pseudo-header sum: TX offload */
	PKT_CSUM_UNVERIFIABLE,   /* cut by snaplen */
	PKT_CSUM_NONE,           /* UDP over IPv4 with checksum 0: sender chose none */
};

/* One's-complement sum of len bytes (big-endian words) added to sum; an
 * odd len only for the last piece of a sum. */
uint32_t pkt_csum_add(uint32_t sum, const uint8_t *buf, size_t len);
/* Folds to 16 bits (not complemented). */
uint16_t pkt_csum_fold(uint32_t sum);

enum pkt_csum pkt_csum_ipv4_header(const struct pkt *p);
/* TCP, UDP, ICMP or ICMPv6, whichever p carries. */
enum pkt_csum pkt_csum_l4(const struct pkt *p);

const char *pkt_csum_name(enum pkt_csum c);

#endif
