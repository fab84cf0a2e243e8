/*
 * capture/compare_match: flows of each capture, the waiting window, twin
 * selection and the field-by-field comparison of twins.
 */
#include "paramedic/capture/compare_match.h"

#include "lib/errbuf.h"
#include "paramedic/capture/compare_clock.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define TCP_SYN 0x02
#define TCP_ACK 0x10

static const struct {
	const char *name;
	bool expected; /* by default: what any routed hop or NAT does */
} change_table[CMP_CHG_COUNT] = {
	[CMP_CHG_MAC] = {"mac", true},
	[CMP_CHG_TTL] = {"ttl", true},
	[CMP_CHG_NAT] = {"nat", true},
	[CMP_CHG_MSS] = {"mss", false},
	[CMP_CHG_DF] = {"df", false},
	[CMP_CHG_DSCP] = {"dscp", false},
	[CMP_CHG_ECN] = {"ecn", false},
	[CMP_CHG_IPID] = {"ipid", false},
	[CMP_CHG_WINDOW] = {"window", false},
	[CMP_CHG_TCP_OPTIONS] = {"tcp-options", false},
};

const char *cmp_change_name(enum cmp_change c)
{
	return (unsigned)c < CMP_CHG_COUNT ? change_table[c].name : "?";
}

int cmp_change_from_name(const char *name)
{
	for (int c = 0; c < CMP_CHG_COUNT; c++)
		if (strcmp(change_table[c].name, name) == 0)
			return c;
	return -1;
}

unsigned cmp_change_default_expected(void)
{
	unsigned bits = 0;
	for (int c = 0; c < CMP_CHG_COUNT; c++)
		if (change_table[c].expected)
			bits |= 1u << c;
	return bits;
}

const char *cmp_travel_name(enum cmp_travel t)
{
	switch (t) {
	case CMP_TRAVEL_A_TO_B: return "a_to_b";
	case CMP_TRAVEL_B_TO_A: return "b_to_a";
	default: return "unknown";
	}
}

void cmp_config_default(struct cmp_config *cfg)
{
	cfg->window_ns = 2000000000;
	cfg->max_pending = 262144;
	cfg->max_flows = 16384;
	cfg->offset_hint_ns = 0;
}

/* A packet in the window. Entries stay after they are matched (marked) so
 * that a later copy in the same capture is recognised as a duplicate. */
struct entry {
	struct cmp_pkt pkt;
	int64_t t_aligned_ns;
	uint64_t sig;
	uint32_t chain_next;
	uint32_t flow;
	uint8_t side, dir, matched;
};

struct flow_table {
	struct cmp_flow *flows;
	size_t n, cap;
	uint32_t *index;     /* open addressing over flow numbers, NONE = empty */
	size_t index_mask;
};

struct cmp_engine {
	struct cmp_config cfg;
	struct flow_table ft[2];
	struct entry *ring;  /* in insertion (= time) order */
	size_t head, count;
	uint32_t *buckets;
	size_t bucket_mask;
	int64_t start_ns[2]; /* aligned */
	int64_t last_ns[2];
	bool started[2], done[2];
	uint64_t overflow[2], untracked[2];
	struct cmp_clock clock;
};

static size_t pow2_at_least(size_t n)
{
	size_t p = 16;
	while (p < n)
		p <<= 1;
	return p;
}

struct cmp_engine *cmp_engine_new(const struct cmp_config *cfg, char *err)
{
	if (cfg->max_pending < 1 || cfg->max_pending > (1u << 26) || cfg->max_flows < 1 ||
	    cfg->max_flows > (1u << 24) || cfg->window_ns < 0) {
		errbuf_set(err, "compare: window limits out of range");
		return NULL;
	}
	struct cmp_engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto oom;
	e->cfg = *cfg;
	e->ring = malloc(cfg->max_pending * sizeof(*e->ring));
	size_t nb = pow2_at_least(cfg->max_pending * 2);
	e->buckets = malloc(nb * sizeof(*e->buckets));
	if (e->ring == NULL || e->buckets == NULL)
		goto oom;
	memset(e->buckets, 0xff, nb * sizeof(*e->buckets));
	e->bucket_mask = nb - 1;
	for (int s = 0; s < 2; s++) {
		size_t ni = pow2_at_least(cfg->max_flows * 2);
		e->ft[s].index = malloc(ni * sizeof(uint32_t));
		if (e->ft[s].index == NULL)
			goto oom;
		memset(e->ft[s].index, 0xff, ni * sizeof(uint32_t));
		e->ft[s].index_mask = ni - 1;
	}
	return e;
oom:
	cmp_engine_free(e);
	errbuf_set(err, "compare: out of memory for a window of %zu packets", cfg->max_pending);
	return NULL;
}

void cmp_engine_free(struct cmp_engine *e)
{
	if (e == NULL)
		return;
	for (int s = 0; s < 2; s++) {
		free(e->ft[s].flows);
		free(e->ft[s].index);
	}
	free(e->ring);
	free(e->buckets);
	free(e);
}

void cmp_engine_set_start(struct cmp_engine *e, enum cmp_side side, int64_t first_ts_ns)
{
	e->start_ns[side] = side == CMP_B ? first_ts_ns - e->cfg.offset_hint_ns : first_ts_ns;
	e->started[side] = true;
}

/* --- flows ------------------------------------------------------------ */

/* Canonical (direction-free) hash of a packet's flow. */
static uint64_t flow_hash(const struct cmp_pkt *p)
{
	const uint8_t *lo = p->src, *hi = p->dst;
	uint16_t lop = p->sport, hip = p->dport;
	int c = memcmp(p->src, p->dst, 16);
	if (c > 0 || (c == 0 && p->sport > p->dport)) {
		lo = p->dst, hi = p->src;
		lop = p->dport, hip = p->sport;
	}
	uint64_t h = cmp_digest(CMP_DIGEST_INIT, &p->ip_version, 1);
	h = cmp_digest(h, &p->proto, 1);
	h = cmp_digest(h, lo, 16);
	h = cmp_digest(h, &lop, 2);
	h = cmp_digest(h, hi, 16);
	h = cmp_digest(h, &hip, 2);
	return h ^ (h >> 29);
}

/* 0 when p goes the flow's fwd way, 1 when back, -1 when not this flow. */
static int flow_dir(const struct cmp_flow *f, const struct cmp_pkt *p)
{
	if (f->ip_version != p->ip_version || f->proto != p->proto)
		return -1;
	if (f->sport == p->sport && f->dport == p->dport && memcmp(f->src, p->src, 16) == 0 &&
	    memcmp(f->dst, p->dst, 16) == 0)
		return 0;
	if (f->sport == p->dport && f->dport == p->sport && memcmp(f->src, p->dst, 16) == 0 &&
	    memcmp(f->dst, p->src, 16) == 0)
		return 1;
	return -1;
}

/* The flow of p in table t (created when new); NONE when the table is full. */
static uint32_t flow_lookup(struct flow_table *t, size_t max_flows, const struct cmp_pkt *p,
                            uint8_t *dir)
{
	size_t i = flow_hash(p) & t->index_mask;
	for (;; i = (i + 1) & t->index_mask) {
		uint32_t fi = t->index[i];
		if (fi == NONE)
			break;
		int d = flow_dir(&t->flows[fi], p);
		if (d >= 0) {
			*dir = (uint8_t)d;
			return fi;
		}
	}
	if (t->n >= max_flows)
		return NONE;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		if (cap > max_flows)
			cap = max_flows;
		struct cmp_flow *nf = realloc(t->flows, cap * sizeof(*nf));
		if (nf == NULL)
			return NONE;
		t->flows = nf;
		t->cap = cap;
	}
	struct cmp_flow *f = &t->flows[t->n];
	memset(f, 0, sizeof(*f));
	f->ip_version = p->ip_version;
	f->proto = p->proto;
	f->peer = -1;
	/* A SYN-ACK seen first: the flow's forward way is the SYN's. */
	bool back = p->proto == IPPROTO_TCP && !p->fragment &&
	            (p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
	memcpy(f->src, back ? p->dst : p->src, 16);
	memcpy(f->dst, back ? p->src : p->dst, 16);
	f->sport = back ? p->dport : p->sport;
	f->dport = back ? p->sport : p->dport;
	t->index[i] = (uint32_t)t->n;
	*dir = back ? 1 : 0;
	return (uint32_t)t->n++;
}

/* --- judging packets that leave the window ----------------------------- */

static void frames_add(struct cmp_frames *fr, uint64_t frame)
{
	if (fr->n < CMP_MAX_FRAMES)
		fr->frame[fr->n++] = frame;
	fr->count++;
}

static void judge_unmatched(struct cmp_engine *e, const struct entry *en)
{
	int other = !en->side;
	struct cmp_dir *d = &e->ft[en->side].flows[en->flow].dir[en->dir];
	bool before = !e->started[other] || en->t_aligned_ns < e->start_ns[other];
	bool after = e->done[other] && en->t_aligned_ns > e->last_ns[other];
	if (before || after)
		d->outside++;
	else
		frames_add(&d->only, en->pkt.frame);
}

static void unchain(struct cmp_engine *e, size_t idx)
{
	uint32_t *link = &e->buckets[e->ring[idx].sig & e->bucket_mask];
	while (*link != NONE) {
		if (*link == idx) {
			*link = e->ring[idx].chain_next;
			return;
		}
		link = &e->ring[*link].chain_next;
	}
}

static void expire_head(struct cmp_engine *e)
{
	struct entry *en = &e->ring[e->head];
	unchain(e, e->head);
	if (!en->matched)
		judge_unmatched(e, en);
	e->head = (e->head + 1) % e->cfg.max_pending;
	e->count--;
}

static void expire_before(struct cmp_engine *e, int64_t t_ns)
{
	while (e->count > 0 && e->ring[e->head].t_aligned_ns < t_ns)
		expire_head(e);
}

void cmp_engine_side_done(struct cmp_engine *e, enum cmp_side side, int64_t last_ts_ns)
{
	e->last_ns[side] = side == CMP_B ? last_ts_ns - e->cfg.offset_hint_ns : last_ts_ns;
	e->done[side] = true;
}

/* --- twins ------------------------------------------------------------- */

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}


static bool linkable(const struct cmp_engine *e, const struct entry *mine, const struct entry *cand)
{
	const struct cmp_flow *fm = &e->ft[mine->side].flows[mine->flow];
	const struct cmp_flow *fc = &e->ft[cand->side].flows[cand->flow];
	if (fm->peer < 0 && fc->peer < 0)
		return true;
	if (fm->peer != (int32_t)cand->flow || fc->peer != (int32_t)mine->flow)
		return false;
	return (bool)(mine->dir ^ cand->dir) == fm->peer_flip;
}

static void note_change(struct cmp_pairs *pp, enum cmp_change c, const struct cmp_pkt *a,
                        const struct cmp_pkt *b, uint64_t va, uint64_t vb)
{
	struct cmp_change_stat *s = &pp->chg[c];
	if (s->count++ == 0) {
		s->frame_a = a->frame;
		s->frame_b = b->frame;
		s->val_a = va;
		s->val_b = vb;
	}
}

static uint64_t mac48(const uint8_t m[6])
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | m[i];
	return v;
}

static void compare_twins(struct cmp_pairs *pp, const struct cmp_pkt *a, const struct cmp_pkt *b)
{
	int64_t delta = b->ts_ns - a->ts_ns;
	if (pp->n == 0 || delta < pp->delta_min_ns)
		pp->delta_min_ns = delta;
	if (pp->n == 0 || delta > pp->delta_max_ns)
		pp->delta_max_ns = delta;
	pp->delta_sum_ns += (double)delta;
	int drop = (int)a->ttl - (int)b->ttl;
	if (pp->n == 0 || drop < pp->ttl_drop_min)
		pp->ttl_drop_min = drop;
	if (pp->n == 0 || drop > pp->ttl_drop_max)
		pp->ttl_drop_max = drop;
	pp->n++;
	if (drop > 0)
		pp->ttl_a_higher++;
	else if (drop < 0)
		pp->ttl_b_higher++;

	if (a->has_macs && b->has_macs &&
	    (memcmp(a->mac_src, b->mac_src, 6) != 0 || memcmp(a->mac_dst, b->mac_dst, 6) != 0)) {
		bool first = pp->chg[CMP_CHG_MAC].count == 0;
		note_change(pp, CMP_CHG_MAC, a, b, mac48(a->mac_src), mac48(b->mac_src));
		if (first) {
			pp->chg[CMP_CHG_MAC].val2_a = mac48(a->mac_dst);
			pp->chg[CMP_CHG_MAC].val2_b = mac48(b->mac_dst);
		}
	}
	if (drop != 0)
		note_change(pp, CMP_CHG_TTL, a, b, a->ttl, b->ttl);
	if (!cmp_pkt_same_tuple(a, b))
		note_change(pp, CMP_CHG_NAT, a, b, 0, 0);
	if ((a->tos >> 2) != (b->tos >> 2))
		note_change(pp, CMP_CHG_DSCP, a, b, a->tos >> 2, b->tos >> 2);
	if ((a->tos & 3) != (b->tos & 3))
		note_change(pp, CMP_CHG_ECN, a, b, a->tos & 3, b->tos & 3);
	if (a->ip_version == 4) {
		if (a->df != b->df)
			note_change(pp, CMP_CHG_DF, a, b, a->df, b->df);
		if (a->ip_id != b->ip_id)
			note_change(pp, CMP_CHG_IPID, a, b, a->ip_id, b->ip_id);
	}
	if (a->proto == IPPROTO_TCP && !a->fragment) {
		if (a->mss != b->mss)
			note_change(pp, CMP_CHG_MSS, a, b, a->mss, b->mss);
		if (a->tcp_window != b->tcp_window)
			note_change(pp, CMP_CHG_WINDOW, a, b, a->tcp_window, b->tcp_window);
		if (a->tcp_header_bytes != b->tcp_header_bytes)
			note_change(pp, CMP_CHG_TCP_OPTIONS, a, b, a->tcp_header_bytes,
			            b->tcp_header_bytes);
	}
}

static void link_and_record(struct cmp_engine *e, struct entry *mine, struct entry *cand)
{
	struct entry *ea = mine->side == CMP_A ? mine : cand;
	struct entry *eb = mine->side == CMP_A ? cand : mine;
	struct cmp_flow *fa = &e->ft[CMP_A].flows[ea->flow];
	struct cmp_flow *fb = &e->ft[CMP_B].flows[eb->flow];
	if (fa->peer < 0) {
		fa->peer = (int32_t)eb->flow;
		fb->peer = (int32_t)ea->flow;
		fa->peer_flip = fb->peer_flip = ea->dir != eb->dir;
	}
	fa->dir[ea->dir].matched++;
	fb->dir[eb->dir].matched++;
	compare_twins(&fa->pairs[ea->dir], &ea->pkt, &eb->pkt);
	mine->matched = cand->matched = 1;
}

/* A second copy in the same capture, with the same invariants: the same
 * packet seen again only when it carries the same nonzero IPv4 ID. Linux
 * sends SYN-ACKs, TIME-WAIT ACKs and RSTs with ID 0 and re-sends them
 * byte for byte (two SYN-ACKs 113 us apart, one of them dropped, was seen
 * in practice); such copies, and IPv6's, are packets of their own, paired
 * one by one, so a lost copy counts as lost. */
static bool is_duplicate_of(const struct cmp_pkt *p, const struct cmp_pkt *first)
{
	return p->ip_version == 4 && p->ip_id != 0 && first->ip_id == p->ip_id;
}

/* Lower is better; see cmp_engine_add. */
static int twin_rank(const struct cmp_engine *e, const struct entry *c, const struct cmp_pkt *p)
{
	bool linked = e->ft[c->side].flows[c->flow].peer >= 0 || cmp_pkt_same_tuple(&c->pkt, p);
	bool other_id = p->ip_version == 4 && c->pkt.ip_id != p->ip_id;
	bool other_tcp = p->proto == IPPROTO_TCP &&
	                 (c->pkt.tcp_header_bytes != p->tcp_header_bytes || c->pkt.tcp_window != p->tcp_window);
	return (linked ? 0 : 4) + (other_id ? 2 : 0) + (other_tcp ? 1 : 0);
}

void cmp_engine_add(struct cmp_engine *e, enum cmp_side side, const struct cmp_pkt *p)
{
	int64_t t = side == CMP_B ? p->ts_ns - e->cfg.offset_hint_ns : p->ts_ns;
	expire_before(e, t - e->cfg.window_ns);
	uint8_t dir = 0;
	uint32_t fi = flow_lookup(&e->ft[side], e->cfg.max_flows, p, &dir);
	if (fi == NONE) {
		e->untracked[side]++;
		return;
	}
	struct cmp_flow *f = &e->ft[side].flows[fi];
	f->dir[dir].packets++;

	if (e->count == e->cfg.max_pending) {
		if (!e->ring[e->head].matched)
			e->overflow[e->ring[e->head].side]++;
		expire_head(e);
	}
	size_t idx = (e->head + e->count) % e->cfg.max_pending;
	struct entry *en = &e->ring[idx];
	en->pkt = *p;
	en->t_aligned_ns = t;
	en->sig = cmp_pkt_signature(p);
	en->flow = fi;
	en->side = (uint8_t)side;
	en->dir = dir;
	en->matched = 0;

	/* Best twin: a linked (or same-tuple) flow first, then the same IPv4
	 * ID (a retransmission has a new one), then the same TCP header length
	 * and window (identical duplicate ACKs differ only in their SACK
	 * blocks), then the closest in time, then the earliest (copies keep
	 * their order on the way). */
	struct entry *best = NULL;
	int best_rank = 0;
	int64_t best_gap = 0;
	uint32_t *bucket = &e->buckets[en->sig & e->bucket_mask];
	for (uint32_t ci = *bucket; ci != NONE; ci = e->ring[ci].chain_next) {
		struct entry *c = &e->ring[ci];
		if (c->sig != en->sig || !cmp_pkt_same_invariants(&c->pkt, p))
			continue;
		if (c->side == side) {
			if (c->flow == fi && c->dir == dir && is_duplicate_of(p, &c->pkt)) {
				f->dir[dir].duplicates++;
				return; /* not entered: the first copy stands for both */
			}
			continue;
		}
		if (c->matched || !linkable(e, en, c))
			continue;
		int rank = twin_rank(e, c, p);
		int64_t gap = abs64(c->t_aligned_ns - t);
		if (best == NULL || rank < best_rank || (rank == best_rank && gap < best_gap) ||
		    (rank == best_rank && gap == best_gap && c->pkt.frame < best->pkt.frame)) {
			best = c;
			best_rank = rank;
			best_gap = gap;
		}
	}
	en->chain_next = *bucket;
	*bucket = (uint32_t)idx;
	e->count++;
	if (best != NULL)
		link_and_record(e, en, best);
}

void cmp_engine_finish(struct cmp_engine *e)
{
	while (e->count > 0)
		expire_head(e);
	cmp_clock_classify(e->ft[CMP_A].flows, e->ft[CMP_A].n, &e->clock);
}

size_t cmp_engine_flow_count(const struct cmp_engine *e, enum cmp_side side)
{
	return e->ft[side].n;
}

const struct cmp_flow *cmp_engine_flow(const struct cmp_engine *e, enum cmp_side side, size_t i)
{
	return i < e->ft[side].n ? &e->ft[side].flows[i] : NULL;
}

const struct cmp_clock *cmp_engine_clock(const struct cmp_engine *e)
{
	return &e->clock;
}

uint64_t cmp_engine_overflow(const struct cmp_engine *e, enum cmp_side side)
{
	return e->overflow[side];
}

uint64_t cmp_engine_untracked(const struct cmp_engine *e, enum cmp_side side)
{
	return e->untracked[side];
}
