/*
 * capture/hosts: what is known per address and per address pair.
 *
 * Checksums: every IPv4 header and TCP/UDP/ICMP/ICMPv6 checksum of a whole
 * (not snaplen-cut, not fragmented) packet is verified. A wrong checksum
 * is a TX-offload artefact when the packet was sent by the capturing host,
 * which we decide from the capture itself: (1) the link header says
 * "outgoing" (Linux cooked captures), or (2) the checksum field holds
 * exactly the pseudo-header sum, which is what Linux leaves for the NIC to
 * finish (CHECKSUM_PARTIAL); a source address with either is "local", and
 * all its bad checksums count as artefacts. Any other wrong checksum is
 * corruption. Fixed tables: overflow is counted, never grown.
 *
 * Protocol picture: per address pair, ICMP echo, UDP and TCP handshakes in
 * each direction (seed 004: ICMP and UDP answered, TCP not).
 * ICMP: fragmentation-needed / packet-too-big with the next-hop MTU.
 */
#include "paramedic/capture/ctx.h"

#include <stdio.h>
#include <string.h>

static uint32_t addr_hash(uint8_t version, const uint8_t *a, size_t salt)
{
	uint32_t h = 2166136261u ^ (uint32_t)salt;
	size_t n = version == 4 ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	return h;
}

static struct host *host_get(struct capture_ctx *c, uint8_t version, const uint8_t *addr,
                             bool create)
{
	size_t alen = version == 4 ? 4 : 16;
	uint32_t h = addr_hash(version, addr, 0);
	for (uint32_t k = 0; k < HOSTS_MAX; k++) {
		struct host *x = &c->hosts[(h + k) % HOSTS_MAX];
		if (!x->used) {
			if (!create)
				return NULL;
			x->used = true;
			x->version = version;
			memcpy(x->addr, addr, alen);
			return x;
		}
		if (x->version == version && memcmp(x->addr, addr, alen) == 0)
			return x;
	}
	if (create)
		c->hosts_overflow++;
	return NULL;
}

bool hosts_is_local(const struct capture_ctx *c, uint8_t version, const uint8_t *addr)
{
	struct host *x = host_get((struct capture_ctx *)c, version, addr, false);
	return x != NULL && (x->sent_out > 0 || x->partial > 0);
}

void hosts_checksums(struct capture_ctx *c, const struct pkt *p, const struct pcap_record *rec)
{
	if (!(p->layers & PKT_HAS_IP))
		return;
	struct capture_report *rep = c->rep;
	enum pkt_csum ip = pkt_csum_ipv4_header(p);
	enum pkt_csum l4 = pkt_csum_l4(p);
	bool out = p->link.direction == PKT_DIR_OUT;
	if (ip == PKT_CSUM_UNVERIFIABLE || l4 == PKT_CSUM_UNVERIFIABLE)
		rep->csum_unverifiable++;
	if (ip == PKT_CSUM_OK || l4 == PKT_CSUM_OK)
		rep->csum_verified++;
	bool bad = ip == PKT_CSUM_BAD || l4 == PKT_CSUM_BAD;
	bool partial = l4 == PKT_CSUM_PARTIAL;
	if (!out && !bad && !partial)
		return;
	struct host *x = host_get(c, p->ip.version, p->ip.src, true);
	if (x == NULL)
		return;
	if (out)
		x->sent_out++;
	if (partial) {
		rep->csum_partial++;
		if (x->partial++ == 0)
			x->partial_frame = rec->frame_no;
	}
	if (bad) {
		rep->csum_bad++;
		x->bad++;
		if (x->nbad_frames < FINDING_MAX_FRAMES)
			x->bad_frames[x->nbad_frames++] = rec->frame_no;
		if (ip == PKT_CSUM_BAD)
			x->bad_protos |= 1;
		if (l4 == PKT_CSUM_BAD)
			x->bad_protos |= (p->layers & PKT_HAS_TCP) ? 2 : (p->layers & PKT_HAS_UDP) ? 4 : 8;
	}
}

static struct pair *pair_get(struct capture_ctx *c, const struct pkt *p, int *dir)
{
	size_t alen = p->ip.version == 4 ? 4 : 16;
	int cmp = memcmp(p->ip.src, p->ip.dst, alen);
	const uint8_t *a = cmp <= 0 ? p->ip.src : p->ip.dst;
	const uint8_t *b = cmp <= 0 ? p->ip.dst : p->ip.src;
	*dir = cmp > 0;
	uint32_t h = addr_hash(p->ip.version, a, 0) ^ addr_hash(p->ip.version, b, 1);
	for (uint32_t k = 0; k < PAIRS_MAX; k++) {
		struct pair *x = &c->pairs[(h + k) % PAIRS_MAX];
		if (!x->used) {
			x->used = true;
			x->version = p->ip.version;
			memcpy(x->a, a, alen);
			memcpy(x->b, b, alen);
			return x;
		}
		if (x->version == p->ip.version && memcmp(x->a, a, alen) == 0 &&
		    memcmp(x->b, b, alen) == 0)
			return x;
	}
	c->pairs_overflow++;
	return NULL;
}

void hosts_picture(struct capture_ctx *c, const struct pkt *p, const struct pcap_record *rec)
{
	int d;
	if (!(p->layers & (PKT_HAS_TCP | PKT_HAS_UDP | PKT_HAS_ICMP)))
		return;
	struct pair *x = pair_get(c, p, &d);
	if (x == NULL)
		return;
	if (p->layers & PKT_HAS_UDP) {
		x->udp[d]++;
	} else if (p->layers & PKT_HAS_ICMP) {
		uint8_t t = p->icmp.type;
		if (t == 8 || t == 128)
			x->echo_req[d]++;
		else if (t == 0 || t == 129)
			x->echo_rep[d]++;
	} else {
		uint8_t fl = p->tcp.flags;
		if ((fl & PKT_TCP_SYN) && !(fl & PKT_TCP_ACK)) {
			if (x->tcp_syn[0] + x->tcp_syn[1] == 0)
				x->first_syn_frame = rec->frame_no;
			x->tcp_syn[d]++;
		} else if ((fl & PKT_TCP_SYN) && (fl & PKT_TCP_ACK)) {
			x->tcp_synack[d]++;
		} else if (fl & PKT_TCP_RST) {
			x->tcp_rst[d]++; /* refused is still an answer */
		} else if (p->tcp.payload_bytes > 0) {
			x->tcp_data[d]++;
		}
	}
}

void hosts_icmp(struct capture_ctx *c, const struct pkt *p, const struct pcap_record *rec)
{
	const struct pkt_icmp *ic = &p->icmp;
	if (ic->mtu == 0 || !ic->has_inner)
		return;
	size_t alen = ic->inner_version == 4 ? 4 : 16;
	for (size_t i = 0; i < c->nfragneed; i++) {
		struct fragneed *x = &c->fragneed[i];
		if (x->version == ic->inner_version && x->mtu == ic->mtu &&
		    memcmp(x->src, ic->inner_src, alen) == 0 && memcmp(x->dst, ic->inner_dst, alen) == 0) {
			x->count++;
			return;
		}
	}
	if (c->nfragneed == FRAGNEED_MAX)
		return;
	struct fragneed *x = &c->fragneed[c->nfragneed++];
	memset(x, 0, sizeof(*x));
	x->version = ic->inner_version;
	memcpy(x->from, p->ip.src, p->ip.version == 4 ? 4 : 16);
	memcpy(x->src, ic->inner_src, alen);
	memcpy(x->dst, ic->inner_dst, alen);
	x->mtu = ic->mtu;
	x->quoted_bytes = ic->inner_total_bytes;
	x->count = 1;
	x->first_frame = rec->frame_no;
}

bool hosts_fragneed_for(const struct capture_ctx *c, uint8_t version, const uint8_t *src)
{
	size_t alen = version == 4 ? 4 : 16;
	for (size_t i = 0; i < c->nfragneed; i++)
		if (c->fragneed[i].version == version && memcmp(c->fragneed[i].src, src, alen) == 0)
			return true;
	return false;
}

static void checksum_findings(struct capture_ctx *c)
{
	struct capture_report *rep = c->rep;
	for (size_t i = 0; i < HOSTS_MAX; i++) {
		struct host *x = &c->hosts[i];
		if (!x->used || (x->bad == 0 && x->partial == 0))
			continue;
		char a[48];
		pkt_addr_str(x->version, x->addr, a, sizeof(a));
		bool local = x->sent_out > 0 || x->partial > 0;
		if (local) {
			uint64_t n = x->bad + x->partial;
			rep->tx_offload += n;
			findings_add(&rep->findings, "checksum.tx_offload", SEV_INFO, a,
			             x->partial ? x->partial_frame : x->bad_frames[0],
			             "%llu packet(s) from %s with the checksum left for offload "
			             "(%llu holding only the pseudo-header sum%s)",
			             (unsigned long long)n, a, (unsigned long long)x->partial,
			             x->sent_out ? "; marked outgoing by the capture" : "");
		} else {
			rep->corrupt += x->bad;
			char protos[48] = "";
			const char *names[] = {"IPv4 header ", "TCP ", "UDP ", "ICMP "};
			for (int b = 0; b < 4; b++)
				if (x->bad_protos & (1 << b))
					strncat(protos, names[b], sizeof(protos) - strlen(protos) - 1);
			findings_add(&rep->findings, "checksum.corruption", SEV_CRITICAL, a,
			             x->bad_frames[0], "%llu packet(s) from %s received with a wrong %s"
			             "checksum", (unsigned long long)x->bad, a, protos);
			struct finding *fnd = NULL;
			for (size_t k = 0; k < rep->findings.n; k++)
				if (strcmp(rep->findings.items[k].code, "checksum.corruption") == 0 &&
				    strcmp(rep->findings.items[k].subject, a) == 0)
					fnd = &rep->findings.items[k];
			for (size_t k = 1; fnd != NULL && k < x->nbad_frames &&
			                   fnd->nframes < FINDING_MAX_FRAMES; k++)
				fnd->frames[fnd->nframes++] = x->bad_frames[k];
		}
	}
}

static void picture_findings(struct capture_ctx *c)
{
	for (size_t i = 0; i < PAIRS_MAX; i++) {
		struct pair *x = &c->pairs[i];
		if (!x->used)
			continue;
		for (int d = 0; d < 2; d++) {
			/* d sent SYNs the other side never answered... */
			if (x->tcp_syn[d] == 0 || x->tcp_synack[!d] > 0 || x->tcp_data[!d] > 0 ||
			    x->tcp_rst[!d] > 0)
				continue;
			/* ...while it does answer ICMP echo or UDP */
			bool icmp = x->echo_req[d] > 0 && x->echo_rep[!d] > 0;
			bool udp = x->udp[d] > 0 && x->udp[!d] > 0;
			if (!icmp && !udp)
				continue;
			char a[48], b[48], subj[112];
			pkt_addr_str(x->version, d == 0 ? x->a : x->b, a, sizeof(a));
			pkt_addr_str(x->version, d == 0 ? x->b : x->a, b, sizeof(b));
			snprintf(subj, sizeof(subj), "%s > %s", a, b);
			findings_add(&c->rep->findings, "proto.tcp_blocked", SEV_CRITICAL, subj,
			             x->first_syn_frame, "%s answered %s%s%s but none of %llu TCP SYN(s)",
			             b, icmp ? "ICMP echo" : "", icmp && udp ? " and " : "",
			             udp ? "UDP" : "", (unsigned long long)x->tcp_syn[d]);
		}
	}
}

static void fragneed_findings(struct capture_ctx *c)
{
	for (size_t i = 0; i < c->nfragneed; i++) {
		struct fragneed *x = &c->fragneed[i];
		char s[48], d[48], r[48], subj[112];
		pkt_addr_str(x->version, x->src, s, sizeof(s));
		pkt_addr_str(x->version, x->dst, d, sizeof(d));
		pkt_addr_str(x->version, x->from, r, sizeof(r));
		snprintf(subj, sizeof(subj), "%s > %s", s, d);
		findings_add(&c->rep->findings, "icmp.frag_needed", SEV_INFO, subj, x->first_frame,
		             "%s reported a next-hop MTU of %u for a %u-byte packet (%llu time(s))",
		             r, x->mtu, x->quoted_bytes, (unsigned long long)x->count);
		struct findings *fs = &c->rep->findings;
		if (fs->n > 0 && strcmp(fs->items[fs->n - 1].subject, subj) == 0 &&
		    strcmp(fs->items[fs->n - 1].code, "icmp.frag_needed") == 0)
			fs->items[fs->n - 1].count = x->count; /* count packets, not routers */
	}
}

void hosts_finalize(struct capture_ctx *c)
{
	checksum_findings(c);
	picture_findings(c);
	fragneed_findings(c);
}
