/*
 * capture/flows: the flow table of `capture analyze`.
 *
 * Open addressing (linear probing, backward-shift deletion) over a fixed
 * number of slots chosen at start, with an LRU list through the slots:
 * when the table is full the least recently seen flow is finalised and
 * evicted (counted and reported). Memory is bounded by --max-flows, never
 * by the capture's size, and the per-packet path does not allocate.
 *
 * A flow is keyed by protocol and both endpoints in a canonical order, so
 * both directions land in the same flow. Analysis uses d[0] for the
 * endpoint that opened the flow (the SYN's sender, else the first packet's
 * sender): flow_dir() maps a canonical side to it.
 */
#ifndef PP_PARAMEDIC_CAPTURE_FLOWS_H
#define PP_PARAMEDIC_CAPTURE_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/pcap/decode.h"

struct flow_key {
	uint8_t version, proto;
	uint16_t port[2];
	uint8_t addr[2][16];
};

#define FLOW_RING 8
#define TLS_PREFIX_BYTES 1536

enum hs_outcome {
	HS_NONE = 0,      /* no SYN seen: the flow began before the capture */
	HS_SYN_UNANSWERED,
	HS_SYNACK_LOST,   /* SYN-ACK seen, no ACK completing it */
	HS_REFUSED,       /* RST answered the SYN */
	HS_COMPLETE,
};

enum tls_state { TLS_UNKNOWN = 0, TLS_NOT_TLS, TLS_CLIENT_HELLO, TLS_SERVER_HELLO };

/* One direction of a TCP connection: what this endpoint sent. */
struct tcp_dir {
	bool seq_known;
	uint32_t isn;
	uint32_t next_seq;       /* highest seq + len sent so far */
	uint32_t max_ack;        /* highest ack this side sent */
	bool ack_known;
	uint32_t last_ack;
	uint16_t last_win;
	uint32_t dup_run;        /* duplicate ACKs in a row */
	uint16_t mss;            /* announced in its SYN (0 = none) */
	int8_t wscale;
	bool sack_ok;
	bool df_seen;
	uint32_t max_ip_bytes;   /* largest IP packet sent */
	uint64_t retrans, fast_retrans, dup_acks, zero_windows, rsts, syns, fins, oversize;
	uint64_t first_retrans_frame, first_zero_win_frame, first_rst_frame, first_oversize_frame;
	/* delivery of sizes, for the PMTU black hole: recent first sends */
	uint32_t ring_end[FLOW_RING];
	uint32_t ring_ip_bytes[FLOW_RING];
	uint8_t ring_n;
	uint32_t delivered_max_ip_bytes; /* largest packet the peer acknowledged */
	uint64_t big_df_retrans;         /* retransmissions above that size, DF set */
	uint64_t big_df_frame;
	uint32_t big_df_ip_bytes;
	uint32_t big_df_end;             /* seq end of the stuck segment */
	/* TLS */
	enum tls_state tls;
	uint64_t tls_frame;
	int64_t tls_ns;
	int32_t prefix_slot;             /* -1: none held */
	uint32_t prefix_len;
};

struct flow {
	struct flow_key key;     /* canonical order */
	uint8_t initiator;       /* canonical side that opened the flow: d[0] */
	bool used;
	uint32_t lru_prev, lru_next;
	uint64_t first_frame, last_frame;
	int64_t first_ns, last_ns;
	uint64_t pkts[2], bytes[2];
	/* TCP */
	struct tcp_dir d[2];
	enum hs_outcome hs;
	uint64_t syn_frame, synack_frame;
	int64_t syn_ns, synack_ns, hs_rtt_ns;
	bool saw_syn;
	/* idle gaps (seed 003) */
	int64_t max_gap_ns;
	int64_t pending_gap_ns;  /* a long gap just ended: watch the next packets */
	uint64_t pending_gap_frame;
	uint8_t after_gap_pkts;
	bool idle_then_loss;
	uint64_t idle_loss_frame;
	int64_t idle_loss_gap_ns;
	/* layer 2 */
	bool macs_known[2];
	uint8_t mac_src[2][6], mac_dst[2][6];
	uint64_t mac_changes;
	uint64_t mac_change_frame;
	char sni[64];
};

struct flow_table {
	struct flow *slots;
	uint32_t cap;            /* power of two */
	uint32_t max_flows;      /* evict above this many (load factor) */
	uint32_t n;
	uint32_t lru_head, lru_tail; /* most / least recently seen; UINT32_MAX = none */
	uint64_t evicted;
	uint64_t total_flows;
};

int flow_table_init(struct flow_table *t, uint32_t max_flows);
void flow_table_free(struct flow_table *t);

/* Builds the canonical key of p. *dir says which side sent it relative to
 * the canonical order (0: addr[0] side). false when p has no flow (no IP). */
bool flow_key_of(const struct pkt *p, struct flow_key *key, int *dir);

/* The flow of key, created if new (*created). When the table is full the
 * least recently seen flow is handed to on_evict first, then reused. */
struct flow *flow_lookup(struct flow_table *t, const struct flow_key *key, bool *created,
                         void (*on_evict)(struct flow *f, void *arg), void *arg);

/* d[] index of the packets sent by canonical side canon_dir. */
static inline int flow_dir(const struct flow *f, int canon_dir)
{
	return canon_dir ^ f->initiator;
}

/* Marks f most recently seen. */
void flow_touch(struct flow_table *t, struct flow *f);

/* "10.0.0.1:443" (or "[fd00::1]:443") of the endpoint that sent d[dir]. */
void flow_endpoint_str(const struct flow *f, int dir, char *buf, size_t len);
/* "10.0.0.1:40000 > 10.0.0.2:443" (initiator first). */
void flow_str(const struct flow *f, char *buf, size_t len);

#endif
