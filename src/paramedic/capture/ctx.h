/*
 * capture/ctx: the state of one `capture analyze` run, shared by its
 * rule modules (tcp, l2, hosts, icmp). Everything is sized at start; the
 * per-packet path only updates it.
 */
#ifndef PP_PARAMEDIC_CAPTURE_CTX_H
#define PP_PARAMEDIC_CAPTURE_CTX_H

#include "lib/pcap/checksum.h"
#include "lib/pcap/decode.h"
#include "lib/pcap/reader.h"
#include "paramedic/capture/analyze.h"
#include "paramedic/capture/findings.h"
#include "paramedic/capture/flows.h"

#define TLS_PREFIX_SLOTS 1024
#define L2_RECENT 4096
#define HOSTS_MAX 1024
#define PAIRS_MAX 1024
#define FRAGNEED_MAX 64

/* Per source address: checksum evidence and whether it is this host. */
struct host {
	bool used;
	uint8_t version;
	uint8_t addr[16];
	uint64_t sent_out;       /* frames the link header marks as outgoing */
	uint64_t partial;        /* checksums left for offload */
	uint64_t bad;            /* wrong checksums (not partial) */
	uint64_t bad_frames[FINDING_MAX_FRAMES];
	size_t nbad_frames;
	uint64_t partial_frame;
	uint8_t bad_protos;      /* bit 0 IPv4 header, 1 TCP, 2 UDP, 3 ICMP */
};

/* Per unordered address pair: the protocol picture. dir 0 = a -> b. */
struct pair {
	bool used;
	uint8_t version;
	uint8_t a[16], b[16];
	uint64_t echo_req[2], echo_rep[2];
	uint64_t udp[2];
	uint64_t tcp_syn[2], tcp_synack[2], tcp_data[2], tcp_rst[2];
	uint64_t first_syn_frame;
};

struct fragneed {
	uint8_t version;
	uint8_t from[16];        /* the router that sent it */
	uint8_t src[16], dst[16];/* the quoted (too big) packet */
	uint32_t mtu;
	uint32_t quoted_bytes;
	uint64_t count, first_frame;
};

struct l2_recent {
	uint64_t hash;
	uint64_t frame;
	int64_t ts_ns;
	uint8_t mac_src[6], mac_dst[6];
	uint8_t ttl;
	uint8_t has_dst;
	uint8_t direction;
};

struct capture_ctx {
	const struct capture_options *opt;
	int linktype;
	struct capture_report *rep;
	struct flow_table flows;
	uint8_t (*prefix)[TLS_PREFIX_BYTES];
	int32_t prefix_free[TLS_PREFIX_SLOTS];
	int32_t nprefix_free;
	struct host hosts[HOSTS_MAX];
	uint64_t hosts_overflow;
	struct pair pairs[PAIRS_MAX];
	uint64_t pairs_overflow;
	struct fragneed fragneed[FRAGNEED_MAX];
	size_t nfragneed;
	struct l2_recent *recent;
	int64_t now_ns;          /* timestamp of the packet being analysed */
	int64_t end_ns;          /* last timestamp of the capture */
};

/* tcp.c */
void tcp_packet(struct capture_ctx *c, struct flow *f, int dir, const struct pkt *p,
                const struct pcap_record *rec);
void tcp_finalize(struct capture_ctx *c, struct flow *f);
/* Returns a direction's TLS reassembly buffer to the pool. */
void tcp_prefix_release(struct capture_ctx *c, struct tcp_dir *d);
/* l2.c: true when p repeats a packet seen just before (so the flow's MAC
 * consistency check must not count it). */
bool l2_packet(struct capture_ctx *c, const struct pkt *p, const struct pcap_record *rec);
void l2_flow_macs(struct capture_ctx *c, struct flow *f, int dir, const struct pkt *p,
                  uint64_t frame);
/* hosts.c: checksums per sender, protocol picture per pair, ICMP. */
void hosts_checksums(struct capture_ctx *c, const struct pkt *p, const struct pcap_record *rec);
void hosts_picture(struct capture_ctx *c, const struct pkt *p, const struct pcap_record *rec);
void hosts_icmp(struct capture_ctx *c, const struct pkt *p, const struct pcap_record *rec);
bool hosts_is_local(const struct capture_ctx *c, uint8_t version, const uint8_t *addr);
bool hosts_fragneed_for(const struct capture_ctx *c, uint8_t version, const uint8_t *src);
void hosts_finalize(struct capture_ctx *c);

#endif
