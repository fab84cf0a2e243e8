/* capture/compare_pkt: invariants, signature and tuple of one packet. */
#include "paramedic/capture/compare_pkt.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

uint64_t cmp_digest(uint64_t h, const void *bytes, size_t len)
{
	const uint8_t *b = bytes;
	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The invariants as one flat record, so that hashing and comparing agree. */
struct invariants {
	uint8_t ip_version, proto, tcp_flags, icmp_type, icmp_code, fragment;
	uint16_t frag_offset_bytes;
	uint32_t ip_id, seq, ack, payload_bytes;
	uint64_t digest;
};

static void invariants_of(const struct cmp_pkt *p, struct invariants *iv)
{
	memset(iv, 0, sizeof(*iv));
	iv->ip_version = p->ip_version;
	iv->proto = p->proto;
	iv->payload_bytes = p->payload_bytes;
	iv->digest = p->digest;
	if (p->fragment) {
		/* No L4 header to go by: the reassembly key is the invariant. */
		iv->fragment = 1;
		iv->ip_id = p->ip_id;
		iv->frag_offset_bytes = p->frag_offset_bytes;
		return;
	}
	iv->seq = p->seq;
	iv->ack = p->ack;
	iv->tcp_flags = p->tcp_flags;
	iv->icmp_type = p->icmp_type;
	iv->icmp_code = p->icmp_code;
}

uint64_t cmp_pkt_signature(const struct cmp_pkt *p)
{
	struct invariants iv;
	invariants_of(p, &iv);
	uint64_t h = cmp_digest(CMP_DIGEST_INIT, &iv, sizeof(iv));
	/* FNV's low bits are weak for bucket selection: finish with a mix. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

bool cmp_pkt_same_invariants(const struct cmp_pkt *a, const struct cmp_pkt *b)
{
	struct invariants ia, ib;
	invariants_of(a, &ia);
	invariants_of(b, &ib);
	return memcmp(&ia, &ib, sizeof(ia)) == 0;
}

bool cmp_pkt_same_tuple(const struct cmp_pkt *a, const struct cmp_pkt *b)
{
	return a->ip_version == b->ip_version && a->sport == b->sport && a->dport == b->dport &&
	       memcmp(a->src, b->src, 16) == 0 && memcmp(a->dst, b->dst, 16) == 0;
}

const char *cmp_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	default:
		snprintf(buf, len, "ip-%u", proto);
		return buf;
	}
}
