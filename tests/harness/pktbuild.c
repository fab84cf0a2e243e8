/* pktbuild: see pktbuild.h. */
#include "harness/pktbuild.h"

#include "lib/pcap/checksum.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static size_t build_l4(uint8_t *l4, const struct pb_spec *s)
{
	size_t h = 0;
	if (s->proto == 6) {
		h = 20;
		uint8_t *o = l4 + 20;
		if (s->mss) {
			o[0] = 2; o[1] = 4; put16(o + 2, s->mss); o += 4;
		}
		if (s->wscale > 0) {
			o[0] = 1; o[1] = 3; o[2] = 3; o[3] = (uint8_t)s->wscale; o += 4;
		}
		if (s->sack_permitted) {
			o[0] = 1; o[1] = 1; o[2] = 4; o[3] = 2; o += 4;
		}
		h = (size_t)(o - l4);
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, s->seq);
		put32(l4 + 8, s->ack);
		l4[12] = (uint8_t)((h / 4) << 4);
		l4[13] = s->flags;
		put16(l4 + 14, s->window_zero ? 0 : s->window ? s->window : 64240);
	} else if (s->proto == 17) {
		h = 8;
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint32_t)(8 + s->payload_len));
	} else {
		h = 8;
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		if (s->icmp_mtu && s->proto == 1) {
			put16(l4 + 6, s->icmp_mtu);
		} else if (s->icmp_mtu) {
			put32(l4 + 4, s->icmp_mtu);
		} else {
			put16(l4 + 4, s->icmp_id);
			put16(l4 + 6, s->icmp_seq);
		}
		if (s->inner) {
			memcpy(l4 + 8, s->inner, s->inner_len);
			h += s->inner_len;
		}
	}
	if (s->payload)
		memcpy(l4 + h, s->payload, s->payload_len);
	return h + s->payload_len;
}

static void fill_l4_csum(uint8_t *l4, size_t len, const uint8_t *src, const uint8_t *dst,
                         size_t alen, const struct pb_spec *s)
{
	size_t at = s->proto == 6 ? 16 : s->proto == 17 ? 6 : 2;
	uint32_t pseudo = 0;
	if (s->proto != 1) {
		pseudo = pkt_csum_add(0, src, alen);
		pseudo = pkt_csum_add(pseudo, dst, alen);
		pseudo += s->proto + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	}
	put16(l4 + at, 0);
	uint16_t c = (uint16_t)~pkt_csum_fold(pkt_csum_add(pseudo, l4, len));
	if (s->proto == 17 && c == 0)
		c = 0xffff;
	if (s->l4_csum == PB_CSUM_CORRUPT)
		c ^= 0x5a5a;
	if (s->l4_csum == PB_CSUM_PARTIAL)
		c = pkt_csum_fold(pseudo);
	put16(l4 + at, c);
}

size_t pb_build(uint8_t *buf, size_t cap, const struct pb_spec *s)
{
	size_t need = 14 + 4 + 16 + 60 + 60 + s->payload_len + s->inner_len;
	if (need > cap)
		return 0;
	memset(buf, 0, need);
	size_t off = 0;
	bool v6 = strchr(s->dst, ':') != NULL;
	uint16_t ethertype = v6 ? 0x86dd : 0x0800;
	if (s->linktype == 0 || s->linktype == 1) {
		memcpy(buf, s->mac_dst, 6);
		memcpy(buf + 6, s->mac_src, 6);
		off = 12;
		if (s->vlan) {
			put16(buf + off, 0x8100);
			put16(buf + off + 2, s->vlan);
			off += 4;
		}
		put16(buf + off, ethertype);
		off += 2;
	} else if (s->linktype == 113) {
		put16(buf, (uint32_t)s->sll_pkttype);
		put16(buf + 2, 1);
		put16(buf + 4, 6);
		memcpy(buf + 6, s->mac_src, 6);
		put16(buf + 14, ethertype);
		off = 16;
	}
	uint8_t *ip = buf + off;
	uint8_t src[16], dst[16];
	inet_pton(v6 ? AF_INET6 : AF_INET, s->src, src);
	inet_pton(v6 ? AF_INET6 : AF_INET, s->dst, dst);
	size_t iph = v6 ? 40 : 20;
	size_t l4len = build_l4(ip + iph, s);
	fill_l4_csum(ip + iph, l4len, src, dst, v6 ? 16 : 4, s);
	if (v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint32_t)l4len);
		ip[6] = s->proto;
		ip[7] = s->ttl ? s->ttl : 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint32_t)(20 + l4len));
		put16(ip + 4, s->ip_id);
		put16(ip + 6, s->df ? 0x4000 : 0);
		ip[8] = s->ttl ? s->ttl : 64;
		ip[9] = s->proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		uint16_t c = (uint16_t)~pkt_csum_fold(pkt_csum_add(0, ip, 20));
		put16(ip + 10, s->ip_csum_corrupt ? c ^ 0x0101 : c);
	}
	return off + iph + l4len;
}

struct pb_writer {
	pcap_t *dead;
	pcap_dumper_t *dump;
};

struct pb_writer *pb_open(const char *path, int linktype, int snaplen)
{
	struct pb_writer *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->dead = pcap_open_dead_with_tstamp_precision(linktype, snaplen, PCAP_TSTAMP_PRECISION_NANO);
	w->dump = w->dead ? pcap_dump_open(w->dead, path) : NULL;
	if (w->dump == NULL) {
		if (w->dead)
			pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
}

void pb_write(struct pb_writer *w, int64_t ts_ns, const uint8_t *buf, size_t caplen,
              size_t wirelen)
{
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000); /* ns: the dumper is nano */
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)wirelen;
	pcap_dump((u_char *)w->dump, &h, buf);
}

void pb_close(struct pb_writer *w)
{
	if (w == NULL)
		return;
	pcap_dump_close(w->dump);
	pcap_close(w->dead);
	free(w);
}
