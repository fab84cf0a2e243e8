/*
 * capture/compare_match: the two-capture matcher of `capture compare`.
 *
 * Packets of both captures are fed in (roughly) increasing time, B's
 * timestamps shifted by a clock-offset hint so the two streams line up.
 * Each packet waits in a bounded window for its twin (same invariants,
 * compare_pkt.h); twins are matched, compared field by field, and their
 * flows linked (which learns a NAT's address/port mapping: once linked, a
 * flow only matches its peer). A packet whose twin does not come within the
 * window is "only in its capture": lost or added between the two points
 * when the other capture was running at that time, "outside the overlap"
 * when it was not. A packet equal to one already seen in the same capture
 * (same flow, invariants and IPv4 ID) is a duplicate, counted apart.
 *
 * Memory is bounded: max_pending packets in the window (the oldest is
 * judged early when full, and counted as overflow) and max_flows flows per
 * capture (packets of further flows are counted as untracked).
 * cmp_engine_finish() then decides for each flow direction which way it
 * travels between the points (by TTL, else by timing) and estimates the
 * clock offset and one-way delays.
 */
#ifndef PP_PARAMEDIC_CAPTURE_COMPARE_MATCH_H
#define PP_PARAMEDIC_CAPTURE_COMPARE_MATCH_H

#include "paramedic/capture/compare_pkt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Changes in flight. The table in compare_match.c gives names and which
 * are expected by default (a routed hop and a NAT). */
enum cmp_change {
	CMP_CHG_MAC,         /* Ethernet source/destination rewritten */
	CMP_CHG_TTL,         /* TTL / hop limit differs */
	CMP_CHG_NAT,         /* addresses or ports (ICMP echo id) differ */
	CMP_CHG_MSS,         /* TCP MSS option changed or removed (clamping) */
	CMP_CHG_DF,          /* IPv4 Don't Fragment bit cleared or set */
	CMP_CHG_DSCP,
	CMP_CHG_ECN,
	CMP_CHG_IPID,        /* IPv4 identification rewritten */
	CMP_CHG_WINDOW,      /* TCP window rewritten */
	CMP_CHG_TCP_OPTIONS, /* TCP header length differs: options added/stripped */
	CMP_CHG_COUNT
};

const char *cmp_change_name(enum cmp_change c);
/* -1 when unknown. */
int cmp_change_from_name(const char *name);
/* The default "expected" bit set: MAC, TTL and NAT. */
unsigned cmp_change_default_expected(void);

/* The first example of a change and how often it happened. */
struct cmp_change_stat {
	uint64_t count;
	uint64_t frame_a, frame_b;
	uint64_t val_a, val_b;       /* TTL, MSS, DF, DSCP, ECN, ID, window, header bytes, source MAC */
	uint64_t val2_a, val2_b;     /* destination MAC */
};

#define CMP_MAX_FRAMES 16

/* A count with the first frame numbers it covers. */
struct cmp_frames {
	uint64_t count;
	uint8_t n;
	uint64_t frame[CMP_MAX_FRAMES];
};

enum cmp_travel { CMP_TRAVEL_UNKNOWN = 0, CMP_TRAVEL_A_TO_B, CMP_TRAVEL_B_TO_A };
const char *cmp_travel_name(enum cmp_travel t); /* "unknown", "a_to_b", "b_to_a" */

/* One direction of one flow as one capture saw it. */
struct cmp_dir {
	uint64_t packets;
	uint64_t matched;
	uint64_t duplicates;
	uint64_t outside;            /* unmatched, the other capture was not running */
	struct cmp_frames only;      /* unmatched while the other capture ran */
};

/* Matched pairs of one direction, kept on the A flow (indexed by A's dir). */
struct cmp_pairs {
	uint64_t n;
	int64_t delta_min_ns, delta_max_ns;  /* tB - tA, raw timestamps */
	double delta_sum_ns;
	uint64_t ttl_a_higher, ttl_b_higher;
	int ttl_drop_min, ttl_drop_max;      /* ttlA - ttlB */
	struct cmp_change_stat chg[CMP_CHG_COUNT];
	enum cmp_travel travel;              /* set by cmp_engine_finish */
};

/* A flow (bidirectional 5-tuple; ICMP echo by identifier) in one capture.
 * "fwd" (dir 0) is the way its first packet went (the SYN's, when the first
 * packet is a SYN-ACK). */
struct cmp_flow {
	uint8_t ip_version, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int32_t peer;                /* linked flow in the other capture, -1 */
	bool peer_flip;              /* our fwd is the peer's dir 1 */
	struct cmp_dir dir[2];
	struct cmp_pairs pairs[2];   /* used on A's flows only */
};

struct cmp_config {
	int64_t window_ns;           /* how long a packet waits for its twin */
	size_t max_pending;          /* packets in the window, both captures */
	size_t max_flows;            /* per capture */
	int64_t offset_hint_ns;      /* B's clock minus A's, to line the streams up */
};

/* The defaults: 2 s window, 262144 pending, 16384 flows, hint 0. */
void cmp_config_default(struct cmp_config *cfg);

struct cmp_clock {
	bool have_a_to_b, have_b_to_a;
	bool offset_known;           /* needs matched pairs both ways */
	int64_t offset_ns;           /* B's clock minus A's (0 when unknown) */
	int64_t owd_min_ns[2];       /* [0] A→B, [1] B→A: min one-way delay */
	double owd_mean_ns[2];
};

struct cmp_engine;

struct cmp_engine *cmp_engine_new(const struct cmp_config *cfg, char *err);
void cmp_engine_free(struct cmp_engine *e);

/* Where each capture starts; unmatched packets from before the other's
 * start are "outside the overlap". Call before the first add. */
void cmp_engine_set_start(struct cmp_engine *e, enum cmp_side side, int64_t first_ts_ns);
/* The capture has no more packets; its last timestamp bounds the overlap. */
void cmp_engine_side_done(struct cmp_engine *e, enum cmp_side side, int64_t last_ts_ns);

/* Feeds one packet (copied). Packets should come in increasing aligned
 * time: A's ts_ns, B's ts_ns - offset_hint_ns. */
void cmp_engine_add(struct cmp_engine *e, enum cmp_side side, const struct cmp_pkt *p);

/* Judges every packet still waiting, then classifies directions and
 * estimates the clock. Call once, after both sides are done. */
void cmp_engine_finish(struct cmp_engine *e);

/* Results (valid until cmp_engine_free). */
size_t cmp_engine_flow_count(const struct cmp_engine *e, enum cmp_side side);
const struct cmp_flow *cmp_engine_flow(const struct cmp_engine *e, enum cmp_side side, size_t i);
const struct cmp_clock *cmp_engine_clock(const struct cmp_engine *e);
/* Packets judged early because the window was full, per side. */
uint64_t cmp_engine_overflow(const struct cmp_engine *e, enum cmp_side side);
/* Packets of flows beyond max_flows, per side (not compared). */
uint64_t cmp_engine_untracked(const struct cmp_engine *e, enum cmp_side side);

#endif
