/*
 * pktbuild: crafts frames (Ethernet/SLL/raw + IPv4/IPv6 + TCP/UDP/ICMP)
 * with correct checksums, and writes them to pcap files, for tests of the
 * decoders and of `capture analyze` / `capture compare` on sequences a
 * kernel will not produce on demand.
 */
#ifndef PP_TESTS_PKTBUILD_H
#define PP_TESTS_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_csum { PB_CSUM_GOOD = 0, PB_CSUM_CORRUPT, PB_CSUM_PARTIAL };

struct pb_spec {
	int linktype;            /* 1 Ethernet (default 0 = Ethernet too), 12 raw, 113 SLL */
	uint8_t mac_src[6], mac_dst[6];
	uint16_t vlan;           /* 0: untagged */
	int sll_pkttype;         /* SLL: 0 to us, 4 outgoing */
	const char *src, *dst;   /* "10.0.0.1" or "fd00::1" */
	uint8_t proto;           /* 6, 17, 1, 58 */
	bool df;
	uint16_t ip_id;
	uint8_t ttl;             /* 0: 64 */
	/* TCP */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;         /* 0: 64240 (see window_zero) */
	bool window_zero;
	uint16_t mss;            /* 0: no option */
	int8_t wscale;           /* <0: none... 0 also means none, use 1..14 */
	bool sack_permitted;
	/* ICMP */
	uint8_t icmp_type, icmp_code;
	uint32_t icmp_mtu;
	uint16_t icmp_id, icmp_seq;
	const uint8_t *inner; size_t inner_len; /* quoted packet of an error */
	/* all */
	const uint8_t *payload;
	size_t payload_len;      /* payload bytes (zeros when payload is NULL) */
	enum pb_csum l4_csum;
	bool ip_csum_corrupt;
};

/* Builds the frame into buf (cap bytes); returns its length, 0 if too big. */
size_t pb_build(uint8_t *buf, size_t cap, const struct pb_spec *s);

struct pb_writer;
struct pb_writer *pb_open(const char *path, int linktype, int snaplen);
void pb_write(struct pb_writer *w, int64_t ts_ns, const uint8_t *buf, size_t caplen,
              size_t wirelen);
void pb_close(struct pb_writer *w);

#endif
