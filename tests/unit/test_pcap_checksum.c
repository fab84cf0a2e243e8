/* pcap/checksum: good, corrupt, TX-offload partial and snaplen-cut packets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/pktbuild.h"
#include "lib/pcap/checksum.h"

#include <string.h>

static struct pb_spec base(uint8_t proto, const char *src, const char *dst)
{
	struct pb_spec s;
	memset(&s, 0, sizeof(s));
	s.src = src;
	s.dst = dst;
	s.proto = proto;
	s.sport = 5000;
	s.dport = 6000;
	s.flags = 0x18;
	s.icmp_type = proto == 58 ? 128 : 8;
	s.payload_len = 333; /* odd: exercises the trailing byte */
	return s;
}

static enum pkt_csum l4_of(const struct pb_spec *s, size_t cut)
{
	static uint8_t buf[2048];
	size_t n = pb_build(buf, sizeof(buf), s);
	struct pkt p;
	assert_int_equal(pkt_decode(PKT_LINK_ETHERNET, buf, cut ? cut : n, n, &p), PKT_OK);
	return pkt_csum_l4(&p);
}

static void every_protocol_verifies(void **state)
{
	(void)state;
	const uint8_t protos[] = {6, 17, 1};
	for (size_t i = 0; i < 3; i++) {
		struct pb_spec s = base(protos[i], "10.200.1.1", "10.200.1.2");
		assert_int_equal(l4_of(&s, 0), PKT_CSUM_OK);
		s.l4_csum = PB_CSUM_CORRUPT;
		assert_int_equal(l4_of(&s, 0), PKT_CSUM_BAD);
		s.l4_csum = PB_CSUM_GOOD;
		assert_int_equal(l4_of(&s, 100), PKT_CSUM_UNVERIFIABLE);
	}
	const uint8_t protos6[] = {6, 17, 58};
	for (size_t i = 0; i < 3; i++) {
		struct pb_spec s = base(protos6[i], "fd00:200::1", "fd00:200::2");
		assert_int_equal(l4_of(&s, 0), PKT_CSUM_OK);
		s.l4_csum = PB_CSUM_CORRUPT;
		assert_int_equal(l4_of(&s, 0), PKT_CSUM_BAD);
	}
}

static void partial_checksum_is_tx_offload(void **state)
{
	(void)state;
	struct pb_spec s = base(6, "10.200.1.1", "10.200.1.2");
	s.l4_csum = PB_CSUM_PARTIAL;
	assert_int_equal(l4_of(&s, 0), PKT_CSUM_PARTIAL);
	s = base(17, "fd00:200::1", "fd00:200::2");
	s.l4_csum = PB_CSUM_PARTIAL;
	assert_int_equal(l4_of(&s, 0), PKT_CSUM_PARTIAL);
	assert_string_equal(pkt_csum_name(PKT_CSUM_PARTIAL), "partial (TX offload)");
}

static void udp_zero_checksum_means_none(void **state)
{
	(void)state;
	uint8_t buf[2048];
	struct pb_spec s = base(17, "10.200.1.1", "10.200.1.2");
	size_t n = pb_build(buf, sizeof(buf), &s);
	buf[14 + 20 + 6] = 0;
	buf[14 + 20 + 7] = 0;
	struct pkt p;
	pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p);
	assert_int_equal(pkt_csum_l4(&p), PKT_CSUM_NONE);
}

static void ipv4_header_checksum(void **state)
{
	(void)state;
	uint8_t buf[2048];
	struct pb_spec s = base(6, "10.200.1.1", "10.200.1.2");
	size_t n = pb_build(buf, sizeof(buf), &s);
	struct pkt p;
	pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p);
	assert_int_equal(pkt_csum_ipv4_header(&p), PKT_CSUM_OK);
	s.ip_csum_corrupt = true;
	n = pb_build(buf, sizeof(buf), &s);
	pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p);
	assert_int_equal(pkt_csum_ipv4_header(&p), PKT_CSUM_BAD);
	s = base(6, "fd00:200::1", "fd00:200::2");
	n = pb_build(buf, sizeof(buf), &s);
	pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p);
	assert_int_equal(pkt_csum_ipv4_header(&p), PKT_CSUM_NA);
}

static void fragments_are_not_verified(void **state)
{
	(void)state;
	uint8_t buf[2048];
	struct pb_spec s = base(17, "10.200.1.1", "10.200.1.2");
	size_t n = pb_build(buf, sizeof(buf), &s);
	buf[14 + 6] = 0x20; /* MF */
	struct pkt p;
	pkt_decode(PKT_LINK_ETHERNET, buf, n, n, &p);
	assert_int_equal(pkt_csum_l4(&p), PKT_CSUM_NA);
}

static void sum_helpers(void **state)
{
	(void)state;
	/* RFC 1071's example: 0001 f203 f4f5 f6f7 sums to ddf2 */
	const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(pkt_csum_fold(pkt_csum_add(0, b, sizeof(b))), 0xddf2);
	/* the word-at-a-time sum equals the plain big-endian sum at every
	 * length and alignment */
	uint8_t buf[300];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len + off <= sizeof(buf); len += 7) {
			uint32_t ref = 0x1234;
			for (size_t k = 0; k < len; k += 2)
				ref += (uint32_t)(buf[off + k] << 8 | (k + 1 < len ? buf[off + k + 1] : 0));
			assert_int_equal(pkt_csum_fold(pkt_csum_add(0x1234, buf + off, len)),
			                 pkt_csum_fold(ref));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_protocol_verifies),
		cmocka_unit_test(partial_checksum_is_tx_offload),
		cmocka_unit_test(udp_zero_checksum_means_none),
		cmocka_unit_test(ipv4_header_checksum),
		cmocka_unit_test(fragments_are_not_verified),
		cmocka_unit_test(sum_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
