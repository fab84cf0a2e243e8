/* pcap/decode: every layer on good, truncated (snaplen) and malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/pktbuild.h"
#include "lib/pcap/decode.h"

#include <string.h>

static const uint8_t MAC_A[6] = {2, 0, 0, 0, 0, 0xa};
static const uint8_t MAC_B[6] = {2, 0, 0, 0, 0, 0xb};

static struct pb_spec tcp_syn(void)
{
	struct pb_spec s;
	memset(&s, 0, sizeof(s));
	memcpy(s.mac_src, MAC_A, 6);
	memcpy(s.mac_dst, MAC_B, 6);
	s.src = "10.200.1.1";
	s.dst = "10.200.2.2";
	s.proto = 6;
	s.sport = 40000;
	s.dport = 443;
	s.seq = 1000;
	s.flags = PKT_TCP_SYN;
	s.mss = 1460;
	s.wscale = 7;
	s.sack_permitted = true;
	s.df = true;
	s.ip_id = 0x1234;
	return s;
}

static void ethernet_ipv4_tcp_syn_with_options(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct pb_spec s = tcp_syn();
	size_t n = pb_build(buf, sizeof(buf), &s);
	struct pkt p;
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p), PKT_OK);
	assert_true(p.layers & PKT_HAS_TCP);
	assert_memory_equal(p.link.mac_src, MAC_A, 6);
	assert_memory_equal(p.link.mac_dst, MAC_B, 6);
	assert_int_equal(p.ip.version, 4);
	assert_true(p.ip.df);
	assert_int_equal(p.ip.id, 0x1234);
	char a[64];
	pkt_addr_str(4, p.ip.dst, a, sizeof(a));
	assert_string_equal(a, "10.200.2.2");
	assert_int_equal(p.tcp.sport, 40000);
	assert_int_equal(p.tcp.dport, 443);
	assert_int_equal(p.tcp.flags, PKT_TCP_SYN);
	assert_int_equal(p.tcp.opts.mss, 1460);
	assert_int_equal(p.tcp.opts.wscale, 7);
	assert_true(p.tcp.opts.sack_permitted);
	assert_int_equal(p.tcp.payload_bytes, 0);
}

static void vlan_tags_are_skipped_and_kept(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct pb_spec s = tcp_syn();
	s.vlan = 42;
	size_t n = pb_build(buf, sizeof(buf), &s);
	struct pkt p;
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p), PKT_OK);
	assert_int_equal(p.link.vlan_count, 1);
	assert_int_equal(p.link.vlan_id[0], 42);
	assert_int_equal(p.link.header_bytes, 18);
	assert_true(p.layers & PKT_HAS_TCP);
	/* QinQ: insert an 802.1ad outer tag in front. */
	uint8_t q[300];
	memcpy(q, buf, 12);
	q[12] = 0x88;
	q[13] = 0xa8;
	q[14] = 0;
	q[15] = 7;
	memcpy(q + 16, buf + 12, n - 12);
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, q, n + 4, n + 4, &p), PKT_OK);
	assert_int_equal(p.link.vlan_count, 2);
	assert_int_equal(p.link.vlan_id[0], 7);
	assert_int_equal(p.link.vlan_id[1], 42);
	assert_int_equal(p.tcp.dport, 443);
}

static void linux_cooked_says_outgoing(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct pb_spec s = tcp_syn();
	s.linktype = PKT_LINK_SLL;
	s.sll_pkttype = 4;
	size_t n = pb_build(buf, sizeof(buf), &s);
	struct pkt p;
	assert_int_equal(pkt_decode(PKT_LINK_SLL, buf, n, n, &p), PKT_OK);
	assert_int_equal(p.link.direction, PKT_DIR_OUT);
	assert_memory_equal(p.link.mac_src, MAC_A, 6);
	assert_int_equal(p.tcp.dport, 443);
	buf[1] = 0; /* PACKET_HOST */
	assert_int_equal(pkt_decode(PKT_LINK_SLL, buf, n, n, &p), PKT_OK);
	assert_int_equal(p.link.direction, PKT_DIR_IN);
	/* SLL2: protocol first, packet type at offset 10 */
	uint8_t v2[300];
	memset(v2, 0, 20);
	v2[0] = 0x08;
	v2[10] = 4;
	memcpy(v2 + 20, buf + 16, n - 16);
	assert_int_equal(pkt_decode(PKT_LINK_SLL2, v2, n + 4, n + 4, &p), PKT_OK);
	assert_int_equal(p.link.direction, PKT_DIR_OUT);
	assert_int_equal(p.tcp.sport, 40000);
	assert_int_equal(pkt_decode(PKT_LINK_SLL2, v2, 19, 19, &p), PKT_MALFORMED);
}

static void raw_and_loopback_links(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct pb_spec s = tcp_syn();
	s.linktype = PKT_LINK_RAW;
	s.src = "fd00:200::1";
	s.dst = "fd00:200::2";
	size_t n = pb_build(buf, sizeof(buf), &s);
	struct pkt p;
	assert_int_equal(pkt_decode(PKT_LINK_RAW, buf, n, n, &p), PKT_OK);
	assert_int_equal(p.ip.version, 6);
	assert_int_equal(p.tcp.opts.mss, 1460);
	assert_int_equal(pkt_decode(PKT_LINK_IPV6, buf, n, n, &p), PKT_OK);
	/* DLT_NULL: little-endian AF_INET6 = 30 (macOS); LOOP: big-endian */
	uint8_t lo[300] = {30, 0, 0, 0};
	memcpy(lo + 4, buf, n);
	assert_int_equal(pkt_decode(PKT_LINK_NULL, lo, n + 4, n + 4, &p), PKT_OK);
	assert_int_equal(p.ip.version, 6);
	lo[0] = 0;
	lo[3] = 10;
	assert_int_equal(pkt_decode(PKT_LINK_LOOP, lo, n + 4, n + 4, &p), PKT_OK);
	lo[3] = 99;
	assert_int_equal(pkt_decode(PKT_LINK_LOOP, lo, n + 4, n + 4, &p), PKT_UNSUPPORTED);
	buf[0] = 0x50;
	assert_int_equal(pkt_decode(PKT_LINK_RAW, buf, n, n, &p), PKT_MALFORMED);
	assert_int_equal(pkt_decode(PKT_LINK_RAW, buf, 0, 0, &p), PKT_MALFORMED);
	assert_int_equal(pkt_decode(147, buf, n, n, &p), PKT_UNSUPPORTED);
	assert_false(pkt_linktype_supported(147));
	assert_true(pkt_linktype_supported(PKT_LINK_SLL2));
}

static void snaplen_cut_is_not_malformed(void **state)
{
	(void)state;
	uint8_t buf[2000];
	struct pb_spec s = tcp_syn();
	s.flags = PKT_TCP_ACK;
	s.mss = 0;
	s.payload_len = 1400;
	size_t n = pb_build(buf, sizeof(buf), &s);
	struct pkt p;
	/* cut in the payload: headers fine, payload on the wire counted */
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, 96, n, &p), PKT_OK);
	assert_int_equal(p.tcp.payload_bytes, 1400);
	assert_int_equal(p.l4_caplen, 96 - 34);
	/* every cut inside the headers says snaplen, never malformed */
	for (size_t cut = 0; cut < 34 + 20; cut++) {
		enum pkt_status st = pkt_decode(PKT_LINK_ETHERNET, buf, cut, n, &p);
		assert_int_equal(st, PKT_SNAPLEN);
		assert_non_null(p.why);
	}
	/* the same lengths on the wire are malformed */
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, 10, 10, &p), PKT_MALFORMED);
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, 40, 40, &p), PKT_MALFORMED);
	/* options cut: header decoded, options flagged */
	struct pb_spec syn = tcp_syn();
	n = pb_build(buf, sizeof(buf), &syn);
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, 34 + 22, n, &p), PKT_OK);
	assert_true(p.tcp.opts.truncated);
}

static void ipv4_fields_are_checked(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct pb_spec s = tcp_syn();
	size_t n = pb_build(buf, sizeof(buf), &s);
	uint8_t *ip = buf + 14;
	struct pkt_ip out;
	const char *why = NULL;
	assert_int_equal(pkt_decode_ipv4(ip, n - 14, n - 14, &out, &why), PKT_OK);
	ip[2] = 0x10; /* total length 4096+ > frame */
	assert_int_equal(pkt_decode_ipv4(ip, n - 14, n - 14, &out, &why), PKT_MALFORMED);
	assert_string_equal(why, "IPv4 total length beyond the frame");
	ip[2] = 0;
	ip[0] = 0x44; /* IHL 16 bytes */
	assert_int_equal(pkt_decode_ipv4(ip, n - 14, n - 14, &out, &why), PKT_MALFORMED);
	ip[0] = 0x46; /* 4 bytes of options */
	assert_int_equal(pkt_decode_ipv4(ip, 22, n - 14, &out, &why), PKT_SNAPLEN);
	assert_int_equal(out.version, 4);
	ip[0] = 0x65;
	assert_int_equal(pkt_decode_ipv4(ip, n - 14, n - 14, &out, &why), PKT_MALFORMED);
	/* Ethernet padding after the IP packet is ignored */
	ip[0] = 0x45;
	uint8_t padded[300];
	memcpy(padded, buf, n);
	memset(padded + n, 0xee, 20);
	struct pkt p;
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, padded, n + 20, n + 20, &p), PKT_OK);
	assert_int_equal(p.tcp.payload_bytes, 0);
}

static void ipv4_fragments(void **state)
{
	(void)state;
	uint8_t buf[256];
	struct pb_spec s = tcp_syn();
	size_t n = pb_build(buf, sizeof(buf), &s);
	buf[14 + 6] = 0x20; /* MF, offset 0x20*8... */
	buf[14 + 7] = 0x10;
	struct pkt p;
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p), PKT_OK);
	assert_true(p.ip.mf);
	assert_int_equal(p.ip.frag_offset_bytes, 0x10 * 8);
	assert_false(p.layers & PKT_HAS_TCP);
}

static void ipv6_extension_headers_are_bounded(void **state)
{
	(void)state;
	uint8_t buf[600];
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x60;
	buf[6] = 0; /* hop-by-hop */
	size_t off = 40;
	for (int i = 0; i < 9; i++) {
		buf[off] = 60; /* next: destination options */
		buf[off + 1] = 0;
		off += 8;
	}
	buf[4] = (uint8_t)((off - 40 + 8) >> 8);
	buf[5] = (uint8_t)(off - 40 + 8);
	struct pkt_ip ip;
	const char *why;
	assert_int_equal(pkt_decode_ipv6(buf, off + 8, off + 8, &ip, &why), PKT_UNSUPPORTED);
	/* two headers then UDP */
	buf[40] = 60;
	buf[48] = 17;
	assert_int_equal(pkt_decode_ipv6(buf, off + 8, off + 8, &ip, &why), PKT_OK);
	assert_int_equal(ip.proto, 17);
	assert_int_equal(ip.header_bytes, 56);
	assert_true(ip.has_options);
	/* a fragment header with an offset stops the walk */
	buf[48] = 44;
	buf[56] = 6;
	buf[58] = 0x01;
	buf[59] = 0x01; /* offset 256+..., M */
	buf[60] = 0xde;
	assert_int_equal(pkt_decode_ipv6(buf, off + 8, off + 8, &ip, &why), PKT_OK);
	assert_true(ip.mf);
	assert_int_equal(ip.frag_offset_bytes, 0x100);
	assert_int_equal(ip.id >> 24, 0xde);
	/* an extension header longer than the packet */
	buf[41] = 200;
	assert_int_equal(pkt_decode_ipv6(buf, off + 8, off + 8, &ip, &why), PKT_MALFORMED);
	assert_int_equal(pkt_decode_ipv6(buf, 44, off + 8, &ip, &why), PKT_SNAPLEN);
	buf[4] = 0x40; /* payload length beyond the frame */
	assert_int_equal(pkt_decode_ipv6(buf, off + 8, off + 8, &ip, &why), PKT_MALFORMED);
}

static void tcp_options_sack_and_timestamps(void **state)
{
	(void)state;
	uint8_t t[60];
	memset(t, 0, sizeof(t));
	t[12] = 0xf0; /* 60-byte header */
	uint8_t *o = t + 20;
	*o++ = 1;
	*o++ = 1;
	*o++ = 8; *o++ = 10;
	o[0] = 0; o[1] = 0; o[2] = 1; o[3] = 0; o[7] = 5; o += 8;
	*o++ = 5; *o++ = 18;
	o[3] = 10; o[7] = 20; o[11] = 30; o[15] = 40; o += 16;
	*o++ = 3; *o++ = 3; *o++ = 99; /* window scale above 14 */
	struct pkt_tcp tcp;
	const char *why;
	assert_int_equal(pkt_decode_tcp(t, 60, 100, &tcp, &why), PKT_OK);
	assert_true(tcp.opts.has_timestamps);
	assert_int_equal(tcp.opts.ts_val, 256);
	assert_int_equal(tcp.opts.ts_ecr, 5);
	assert_int_equal(tcp.opts.sack_count, 2);
	assert_int_equal(tcp.opts.sack_left[1], 30);
	assert_int_equal(tcp.opts.sack_right[1], 40);
	assert_int_equal(tcp.opts.wscale, 14);
	assert_int_equal(tcp.payload_bytes, 40);
	/* an option whose length runs past the header ends the list quietly */
	t[22] = 8;
	t[23] = 200;
	assert_int_equal(pkt_decode_tcp(t, 60, 60, &tcp, &why), PKT_OK);
	assert_false(tcp.opts.has_timestamps);
	t[23] = 0; /* a zero length must not loop forever */
	assert_int_equal(pkt_decode_tcp(t, 60, 60, &tcp, &why), PKT_OK);
	t[12] = 0x40;
	assert_int_equal(pkt_decode_tcp(t, 60, 60, &tcp, &why), PKT_MALFORMED);
	t[12] = 0xf0;
	assert_int_equal(pkt_decode_tcp(t, 60, 40, &tcp, &why), PKT_MALFORMED);
	assert_int_equal(pkt_decode_tcp(t, 19, 100, &tcp, &why), PKT_SNAPLEN);
}

static void udp_lengths(void **state)
{
	(void)state;
	uint8_t u[16] = {0, 53, 0x9c, 0x40, 0, 12, 0, 0};
	struct pkt_udp udp;
	const char *why;
	assert_int_equal(pkt_decode_udp(u, 16, 16, &udp, &why), PKT_OK);
	assert_int_equal(udp.payload_bytes, 4);
	assert_int_equal(udp.sport, 53);
	u[5] = 7;
	assert_int_equal(pkt_decode_udp(u, 16, 16, &udp, &why), PKT_MALFORMED);
	u[5] = 17;
	assert_int_equal(pkt_decode_udp(u, 16, 16, &udp, &why), PKT_MALFORMED);
	assert_int_equal(pkt_decode_udp(u, 7, 16, &udp, &why), PKT_SNAPLEN);
}

static void icmp_frag_needed_quotes_the_big_packet(void **state)
{
	(void)state;
	uint8_t inner[256];
	struct pb_spec big = tcp_syn();
	big.flags = PKT_TCP_ACK;
	big.mss = 0;
	big.linktype = PKT_LINK_RAW;
	big.payload_len = 100;
	pb_build(inner, sizeof(inner), &big);
	uint8_t buf[512];
	struct pb_spec s;
	memset(&s, 0, sizeof(s));
	s.src = "10.200.9.1";
	s.dst = "10.200.1.1";
	s.proto = 1;
	s.icmp_type = 3;
	s.icmp_code = 4;
	s.icmp_mtu = 1280;
	s.inner = inner;
	s.inner_len = 28;
	size_t n = pb_build(buf, sizeof(buf), &s);
	struct pkt p;
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p), PKT_OK);
	assert_true(p.layers & PKT_HAS_ICMP);
	assert_int_equal(p.icmp.mtu, 1280);
	assert_true(p.icmp.has_inner);
	assert_int_equal(p.icmp.inner_proto, 6);
	assert_int_equal(p.icmp.inner_dport, 443);
	assert_int_equal(p.icmp.inner_total_bytes, 20 + 28 + 100); /* 8 bytes of options */
	/* ICMPv6 packet too big */
	s.src = "fd00:200::9";
	s.dst = "fd00:200::1";
	s.proto = 58;
	s.icmp_type = 2;
	s.icmp_code = 0;
	s.icmp_mtu = 1400;
	s.inner = NULL;
	s.inner_len = 0;
	n = pb_build(buf, sizeof(buf), &s);
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p), PKT_OK);
	assert_int_equal(p.icmp.mtu, 1400);
	assert_false(p.icmp.has_inner);
	const char *why;
	struct pkt_icmp ic;
	assert_int_equal(pkt_decode_icmp(false, buf, 3, 8, &ic, &why), PKT_SNAPLEN);
	assert_int_equal(pkt_decode_icmp(false, buf, 3, 3, &ic, &why), PKT_MALFORMED);
	assert_int_equal(pkt_decode_icmp(false, buf, 6, 8, &ic, &why), PKT_SNAPLEN);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(pkt_status_name(PKT_SNAPLEN), "cut by snaplen");
	assert_string_equal(pkt_linktype_name(PKT_LINK_SLL), "Linux cooked v1");
	char a[64];
	uint8_t v6[16] = {0xfd, 0, 0x02, 0};
	v6[15] = 1;
	pkt_addr_str(6, v6, a, sizeof(a));
	assert_string_equal(a, "fd00:200::1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ethernet_ipv4_tcp_syn_with_options),
		cmocka_unit_test(vlan_tags_are_skipped_and_kept),
		cmocka_unit_test(linux_cooked_says_outgoing),
		cmocka_unit_test(raw_and_loopback_links),
		cmocka_unit_test(snaplen_cut_is_not_malformed),
		cmocka_unit_test(ipv4_fields_are_checked),
		cmocka_unit_test(ipv4_fragments),
		cmocka_unit_test(ipv6_extension_headers_are_bounded),
		cmocka_unit_test(tcp_options_sack_and_timestamps),
		cmocka_unit_test(udp_lengths),
		cmocka_unit_test(icmp_frag_needed_quotes_the_big_packet),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
