/*
 * pcap/decode: pure, bounded decoders for captured packets.
 *
 * Every decoder looks at (bytes, caplen, wirelen): caplen bytes are in
 * memory, wirelen bytes were on the wire (caplen <= wirelen; the difference
 * is what the capture's snaplen cut off). A decoder never reads past
 * caplen. It answers PKT_OK, PKT_SNAPLEN when a header it needs was on the
 * wire but not captured (not the packet's fault: say so, don't flag it),
 * PKT_MALFORMED when the packet itself cannot be right (the wire length or
 * a field contradicts the header), PKT_UNSUPPORTED for things we do not
 * decode (other ethertypes, link types).
 *
 * pkt_decode() runs the whole stack for one frame and fills a struct pkt
 * that points into the caller's buffer (no allocation, no copy of payload).
 * Knows nothing of the product: used by `capture analyze` and `compare`.
 */
#ifndef PP_LIB_PCAP_DECODE_H
#define PP_LIB_PCAP_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pkt_status {
	PKT_OK = 0,
	PKT_SNAPLEN,     /* needed bytes existed on the wire but were not captured */
	PKT_MALFORMED,   /* the packet contradicts itself */
	PKT_UNSUPPORTED, /* a protocol or link type we do not decode */
};

/* Linktype values as found in pcap/pcapng headers (LINKTYPE_*, which
 * libpcap maps to DLT_* for us: these are the DLT values it returns). */
enum pkt_linktype {
	PKT_LINK_NULL = 0,       /* BSD loopback, host-endian AF_ value */
	PKT_LINK_ETHERNET = 1,
	PKT_LINK_RAW = 12,       /* DLT_RAW on Linux/most BSDs */
	PKT_LINK_RAW_OPENBSD = 14,
	PKT_LINK_LOOP = 108,     /* OpenBSD loopback, big-endian AF_ value */
	PKT_LINK_SLL = 113,      /* Linux cooked v1 */
	PKT_LINK_SLL2 = 276,     /* Linux cooked v2 */
	PKT_LINK_IPV4 = 228,
	PKT_LINK_IPV6 = 229,
};

/* Where the frame went relative to the capturing host, when the link
 * header says so (Linux cooked captures). */
enum pkt_direction { PKT_DIR_UNKNOWN = 0, PKT_DIR_IN, PKT_DIR_OUT };

#define PKT_MAX_VLANS 2
#define PKT_MAX_SACK_BLOCKS 4
#define PKT_MAX_IPV6_EXT_HEADERS 8

struct pkt_link {
	bool has_macs;           /* Ethernet: both MACs; SLL: source only */
	uint8_t mac_src[6];
	uint8_t mac_dst[6];
	uint8_t vlan_count;
	uint16_t vlan_id[PKT_MAX_VLANS];
	uint16_t ethertype;      /* of the network layer (after VLAN tags) */
	enum pkt_direction direction;
	size_t header_bytes;     /* where the network layer starts */
};

struct pkt_ip {
	uint8_t version;         /* 4 or 6 */
	uint8_t src[16], dst[16];/* IPv4 in the first 4 bytes */
	uint8_t ttl;             /* hop limit for IPv6 */
	uint8_t proto;           /* upper-layer protocol after extension headers */
	uint8_t tos;
	uint32_t id;             /* IPv4 ID; IPv6 fragment ID (0 without one) */
	bool df, mf;
	bool has_options;        /* IPv4 options or IPv6 extension headers */
	uint16_t frag_offset_bytes;
	uint32_t total_bytes;    /* IP header + payload, from the header */
	size_t header_bytes;     /* incl. options / extension headers */
	const uint8_t *hdr;      /* start of the IP header (caplen-bounded) */
	size_t hdr_caplen;       /* bytes of the IP packet in memory */
};

struct pkt_tcp_opts {
	uint16_t mss;            /* 0 when absent */
	int8_t wscale;           /* -1 when absent */
	bool sack_permitted;
	bool has_timestamps;
	uint32_t ts_val, ts_ecr;
	uint8_t sack_count;
	uint32_t sack_left[PKT_MAX_SACK_BLOCKS], sack_right[PKT_MAX_SACK_BLOCKS];
	bool truncated;          /* options cut by snaplen */
};

#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20
#define PKT_TCP_ECE 0x40
#define PKT_TCP_CWR 0x80

struct pkt_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;         /* raw, unscaled */
	uint16_t checksum;
	size_t header_bytes;
	uint32_t payload_bytes;  /* on the wire */
	const uint8_t *payload;  /* in memory: payload_caplen bytes */
	size_t payload_caplen;
	struct pkt_tcp_opts opts;
};

struct pkt_udp {
	uint16_t sport, dport, length, checksum;
	uint32_t payload_bytes;
};

/* ICMP and ICMPv6, with the quoted packet of error messages. */
struct pkt_icmp {
	uint8_t type, code;
	uint16_t checksum;
	uint16_t id, seq;        /* echo request/reply */
	uint32_t mtu;            /* frag-needed / packet-too-big: next-hop MTU */
	bool has_inner;          /* an error quoting an IP header we decoded */
	uint8_t inner_version, inner_proto;
	uint8_t inner_src[16], inner_dst[16];
	uint16_t inner_sport, inner_dport; /* when 4 L4 bytes were quoted */
	uint32_t inner_total_bytes;
};

/* Flags of which layers of struct pkt are filled. */
#define PKT_HAS_LINK 0x01
#define PKT_HAS_IP 0x02
#define PKT_HAS_TCP 0x04
#define PKT_HAS_UDP 0x08
#define PKT_HAS_ICMP 0x10

struct pkt {
	unsigned layers;         /* PKT_HAS_* */
	enum pkt_status status;  /* of the deepest layer we tried */
	const char *why;         /* static text when status != PKT_OK */
	struct pkt_link link;
	struct pkt_ip ip;
	struct pkt_tcp tcp;
	struct pkt_udp udp;
	struct pkt_icmp icmp;
	const uint8_t *l4;       /* transport header in memory */
	size_t l4_caplen;        /* bytes of it (and payload) in memory */
	uint32_t l4_bytes;       /* transport header + payload on the wire */
};

/* One decoder per layer. Each reads buf[0..caplen) only and describes a
 * packet of wirelen bytes; *why (may be NULL) gets a static reason. */
enum pkt_status pkt_decode_link(int linktype, const uint8_t *buf, size_t caplen, size_t wirelen,
                                struct pkt_link *out, const char **why);
enum pkt_status pkt_decode_ipv4(const uint8_t *buf, size_t caplen, size_t wirelen,
                                struct pkt_ip *out, const char **why);
enum pkt_status pkt_decode_ipv6(const uint8_t *buf, size_t caplen, size_t wirelen,
                                struct pkt_ip *out, const char **why);
enum pkt_status pkt_decode_tcp(const uint8_t *buf, size_t caplen, size_t wirelen,
                               struct pkt_tcp *out, const char **why);
enum pkt_status pkt_decode_udp(const uint8_t *buf, size_t caplen, size_t wirelen,
                               struct pkt_udp *out, const char **why);
/* icmpv6: false for ICMP (IPv4), true for ICMPv6. */
enum pkt_status pkt_decode_icmp(bool icmpv6, const uint8_t *buf, size_t caplen, size_t wirelen,
                                struct pkt_icmp *out, const char **why);

/* The whole stack. Returns out->status; layers decoded before a failure
 * stay filled (out->layers says which). */
enum pkt_status pkt_decode(int linktype, const uint8_t *buf, size_t caplen, size_t wirelen,
                           struct pkt *out);

/* true for the link types pkt_decode_link understands. */
bool pkt_linktype_supported(int linktype);
const char *pkt_linktype_name(int linktype);
const char *pkt_status_name(enum pkt_status status);

/* "10.0.0.1" / "fd00::1" into buf (INET6_ADDRSTRLEN = 46 is enough). */
void pkt_addr_str(uint8_t version, const uint8_t addr[16], char *buf, size_t len);

#endif
