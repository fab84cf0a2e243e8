/* capture/flows: see flows.h. */
#include "paramedic/capture/flows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX

int flow_table_init(struct flow_table *t, uint32_t max_flows)
{
	memset(t, 0, sizeof(*t));
	if (max_flows < 4)
		max_flows = 4;
	uint32_t cap = 8;
	while (cap < max_flows + max_flows / 3 && cap < (1u << 30))
		cap <<= 1; /* keep the load factor under 3/4 for short probes */
	t->slots = calloc(cap, sizeof(struct flow));
	if (t->slots == NULL)
		return -1;
	t->cap = cap;
	t->max_flows = max_flows;
	t->lru_head = t->lru_tail = NONE;
	return 0;
}

void flow_table_free(struct flow_table *t)
{
	free(t->slots);
	t->slots = NULL;
}

bool flow_key_of(const struct pkt *p, struct flow_key *key, int *dir)
{
	if (!(p->layers & PKT_HAS_IP))
		return false;
	memset(key, 0, sizeof(*key));
	size_t alen = p->ip.version == 4 ? 4 : 16;
	uint16_t sport = 0, dport = 0;
	if (p->layers & PKT_HAS_TCP) {
		sport = p->tcp.sport;
		dport = p->tcp.dport;
	} else if (p->layers & PKT_HAS_UDP) {
		sport = p->udp.sport;
		dport = p->udp.dport;
	}
	key->version = p->ip.version;
	key->proto = p->ip.proto;
	int c = memcmp(p->ip.src, p->ip.dst, alen);
	*dir = c > 0 || (c == 0 && sport > dport);
	int s = *dir, d = !*dir;
	memcpy(key->addr[s], p->ip.src, alen);
	memcpy(key->addr[d], p->ip.dst, alen);
	key->port[s] = sport;
	key->port[d] = dport;
	return true;
}

static uint32_t hash_key(const struct flow_key *k)
{
	/* FNV-1a over the key: cheap, and the fields are not attacker-shaped
	 * enough for collisions to matter beyond a slower probe. */
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static void lru_unlink(struct flow_table *t, uint32_t i)
{
	struct flow *f = &t->slots[i];
	if (f->lru_prev != NONE)
		t->slots[f->lru_prev].lru_next = f->lru_next;
	else
		t->lru_head = f->lru_next;
	if (f->lru_next != NONE)
		t->slots[f->lru_next].lru_prev = f->lru_prev;
	else
		t->lru_tail = f->lru_prev;
}

static void lru_push_front(struct flow_table *t, uint32_t i)
{
	struct flow *f = &t->slots[i];
	f->lru_prev = NONE;
	f->lru_next = t->lru_head;
	if (t->lru_head != NONE)
		t->slots[t->lru_head].lru_prev = i;
	t->lru_head = i;
	if (t->lru_tail == NONE)
		t->lru_tail = i;
}

void flow_touch(struct flow_table *t, struct flow *f)
{
	uint32_t i = (uint32_t)(f - t->slots);
	if (t->lru_head == i)
		return;
	lru_unlink(t, i);
	lru_push_front(t, i);
}

/* Moves slot `from` to `to`, fixing the LRU links that point at it. */
static void move_slot(struct flow_table *t, uint32_t from, uint32_t to)
{
	t->slots[to] = t->slots[from];
	struct flow *f = &t->slots[to];
	if (f->lru_prev != NONE)
		t->slots[f->lru_prev].lru_next = to;
	else
		t->lru_head = to;
	if (f->lru_next != NONE)
		t->slots[f->lru_next].lru_prev = to;
	else
		t->lru_tail = to;
	t->slots[from].used = false;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void remove_slot(struct flow_table *t, uint32_t i)
{
	uint32_t mask = t->cap - 1;
	lru_unlink(t, i);
	t->slots[i].used = false;
	t->n--;
	uint32_t hole = i;
	for (uint32_t j = (i + 1) & mask; t->slots[j].used; j = (j + 1) & mask) {
		uint32_t home = hash_key(&t->slots[j].key) & mask;
		/* j may move into the hole if its home is not in (hole, j] */
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (!stays) {
			move_slot(t, j, hole);
			hole = j;
		}
	}
}

struct flow *flow_lookup(struct flow_table *t, const struct flow_key *key, bool *created,
                         void (*on_evict)(struct flow *f, void *arg), void *arg)
{
	uint32_t mask = t->cap - 1;
	uint32_t h = hash_key(key) & mask;
	*created = false;
	for (uint32_t i = h;; i = (i + 1) & mask) {
		struct flow *f = &t->slots[i];
		if (!f->used)
			break;
		if (memcmp(&f->key, key, sizeof(*key)) == 0)
			return f;
	}
	if (t->n >= t->max_flows) {
		uint32_t victim = t->lru_tail;
		if (on_evict != NULL)
			on_evict(&t->slots[victim], arg);
		remove_slot(t, victim);
		t->evicted++;
	}
	uint32_t i = h;
	while (t->slots[i].used)
		i = (i + 1) & mask;
	struct flow *f = &t->slots[i];
	memset(f, 0, sizeof(*f));
	f->key = *key;
	f->used = true;
	f->d[0].prefix_slot = f->d[1].prefix_slot = -1;
	f->d[0].wscale = f->d[1].wscale = -1;
	t->n++;
	t->total_flows++;
	lru_push_front(t, i);
	*created = true;
	return f;
}

void flow_endpoint_str(const struct flow *f, int dir, char *buf, size_t len)
{
	int side = dir ^ f->initiator;
	char a[48];
	pkt_addr_str(f->key.version, f->key.addr[side], a, sizeof(a));
	if (f->key.proto != 6 && f->key.proto != 17)
		snprintf(buf, len, "%s", a);
	else if (f->key.version == 6)
		snprintf(buf, len, "[%s]:%u", a, f->key.port[side]);
	else
		snprintf(buf, len, "%s:%u", a, f->key.port[side]);
}

void flow_str(const struct flow *f, char *buf, size_t len)
{
	char a[64], b[64];
	flow_endpoint_str(f, 0, a, sizeof(a));
	flow_endpoint_str(f, 1, b, sizeof(b));
	snprintf(buf, len, "%s > %s", a, b);
}
