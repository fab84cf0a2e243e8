/*
 * capture/compare_pkt: what `capture compare` keeps of one packet.
 *
 * A decoded packet is reduced to a fixed-size struct cmp_pkt: the
 * invariant parts used to find its twin in the other capture (protocol,
 * TCP sequence/acknowledgement/flags, ICMP type/code/sequence, payload
 * length and a digest of the payload's first bytes) and the parts a hop may
 * change, which are compared once the twin is found (MACs, TTL, TOS, DF,
 * IP ID, addresses and ports, MSS, window, TCP header length).
 *
 * Addresses, ports and the ICMP echo identifier are deliberately not
 * invariants: a NAT rewrites them, and the mapping is learned per flow by
 * the matcher instead (compare_match.h). Nor is the IPv4 ID, except for
 * fragments: some middleboxes rewrite it; it is a tie-breaker instead.
 */
#ifndef PP_PARAMEDIC_CAPTURE_COMPARE_PKT_H
#define PP_PARAMEDIC_CAPTURE_COMPARE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cmp_side { CMP_A = 0, CMP_B = 1 };

struct cmp_pkt {
	uint64_t frame;            /* 1-based frame number in its file */
	int64_t ts_ns;             /* capture timestamp, ns since the epoch */
	bool has_macs;
	uint8_t mac_src[6], mac_dst[6];
	uint8_t ip_version;        /* 4 or 6 */
	uint8_t proto;             /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, other */
	uint8_t ttl;               /* hop limit for IPv6 */
	uint8_t tos;               /* DSCP << 2 | ECN (traffic class for IPv6) */
	bool df;
	bool fragment;             /* IPv4/IPv6 fragment: L4 fields are unset */
	uint32_t ip_id;            /* IPv4 ID; IPv6 fragment ID */
	uint16_t frag_offset_bytes;
	uint8_t src[16], dst[16];  /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;     /* ICMP echo: both hold the identifier */
	uint32_t seq, ack;         /* TCP; ICMP echo sequence in seq */
	uint8_t tcp_flags;         /* PKT_TCP_* bits */
	uint8_t icmp_type, icmp_code;
	uint16_t tcp_window;
	uint16_t tcp_header_bytes;
	uint16_t mss;              /* 0 when the SYN carries no MSS option */
	uint32_t payload_bytes;    /* L4 payload (or IP payload of a fragment) on the wire */
	uint64_t digest;           /* of the payload's first bytes, see cmp_digest */
};

/* FNV-1a over bytes, continued from h (start with CMP_DIGEST_INIT). */
#define CMP_DIGEST_INIT 0xcbf29ce484222325ull
uint64_t cmp_digest(uint64_t h, const void *bytes, size_t len);

/* Hash of the invariant parts: twins have the same signature. */
uint64_t cmp_pkt_signature(const struct cmp_pkt *p);

/* true when a and b agree on every invariant part (twins, or duplicates). */
bool cmp_pkt_same_invariants(const struct cmp_pkt *a, const struct cmp_pkt *b);

/* true when a and b carry the same addresses and ports (no NAT between). */
bool cmp_pkt_same_tuple(const struct cmp_pkt *a, const struct cmp_pkt *b);

/* "tcp", "udp", "icmp", "icmpv6" or "ip-N". buf holds at least 8 bytes. */
const char *cmp_proto_name(uint8_t proto, char *buf, size_t len);

#endif
