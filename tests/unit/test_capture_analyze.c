/*
 * capture/analyze: every rule on a crafted capture (sequences a kernel
 * will not produce on demand), checked through the report a user reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/pktbuild.h"
#include "paramedic/capture/analyze.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MS 1000000LL
#define T0 1700000000000000000LL

static char path[128];
static struct pb_writer *w;
static int64_t now;
static uint64_t nframes;

static const uint8_t MAC_C[6] = {2, 0, 0, 0, 0, 0xc};
static const uint8_t MAC_S[6] = {2, 0, 0, 0, 0, 0x5};

static int setup(void **state)
{
	(void)state;
	static int n;
	snprintf(path, sizeof(path), "/tmp/pp-capture-analyze-%d-%d.pcap", (int)getpid(), ++n);
	w = pb_open(path, 1, 262144);
	now = T0;
	nframes = 0;
	return w == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	if (w != NULL)
		pb_close(w);
	w = NULL;
	if (getenv("PP_KEEP") == NULL)
		unlink(path);
	return 0;
}

static void put(const struct pb_spec *s, size_t snap)
{
	uint8_t buf[10000];
	size_t n = pb_build(buf, sizeof(buf), s);
	assert_true(n > 0);
	pb_write(w, now, buf, snap && snap < n ? snap : n, n);
	nframes++;
}

/* One TCP segment of the test connection 10.200.1.1:40000 <-> 10.200.2.2:443. */
static struct pb_spec seg(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack,
                          size_t len)
{
	struct pb_spec s;
	memset(&s, 0, sizeof(s));
	memcpy(s.mac_src, from_client ? MAC_C : MAC_S, 6);
	memcpy(s.mac_dst, from_client ? MAC_S : MAC_C, 6);
	s.src = from_client ? "10.200.1.1" : "10.200.2.2";
	s.dst = from_client ? "10.200.2.2" : "10.200.1.1";
	s.proto = 6;
	s.sport = from_client ? 40000 : 443;
	s.dport = from_client ? 443 : 40000;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.payload_len = len;
	s.df = true;
	s.ip_id = (uint16_t)(nframes + 1);
	return s;
}

static void tcp(bool from_client, uint8_t flags, uint32_t seq, uint32_t ack, size_t len)
{
	struct pb_spec s = seg(from_client, flags, seq, ack, len);
	put(&s, 0);
}

enum { SYN = 0x02, ACK = 0x10, RST = 0x04, PSH = 0x08, FIN = 0x01 };
#define CISN 1000u
#define SISN 5000u

static void handshake(void)
{
	struct pb_spec s = seg(true, SYN, CISN, 0, 0);
	s.mss = 1460;
	s.wscale = 7;
	s.sack_permitted = true;
	put(&s, 0);
	now += 10 * MS;
	s = seg(false, SYN | ACK, SISN, CISN + 1, 0);
	s.mss = 1400;
	s.wscale = 9;
	put(&s, 0);
	now += 5 * MS;
	tcp(true, ACK, CISN + 1, SISN + 1, 0);
}

static struct capture_report *analyze(uint32_t max_flows)
{
	pb_close(w);
	w = NULL;
	struct capture_options opt = {.path = path, .max_flows = max_flows};
	char err[ERRBUF_LEN];
	struct capture_report *rep = capture_analyze_file(&opt, err);
	assert_non_null(rep);
	assert_int_equal(rep->frames, nframes);
	return rep;
}

static const struct finding *find(const struct capture_report *rep, const char *code)
{
	for (size_t i = 0; i < rep->findings.n; i++)
		if (strcmp(rep->findings.items[i].code, code) == 0)
			return &rep->findings.items[i];
	return NULL;
}

static const struct flow_row *tcp_row(const struct capture_report *rep)
{
	for (size_t i = 0; i < rep->nrows; i++)
		if (rep->rows[i].proto == 6)
			return &rep->rows[i];
	fail_msg("no TCP row");
	return NULL;
}

static void clean_connection_has_no_findings(void **state)
{
	(void)state;
	handshake();
	tcp(true, ACK | PSH, CISN + 1, SISN + 1, 100);
	now += 10 * MS;
	tcp(false, ACK | PSH, SISN + 1, CISN + 101, 200);
	tcp(true, ACK | FIN, CISN + 101, SISN + 201, 0);
	tcp(false, ACK | FIN, SISN + 201, CISN + 102, 0);
	tcp(true, ACK, CISN + 102, SISN + 202, 0);
	struct capture_report *rep = analyze(0);
	assert_int_equal(rep->findings.n, 0);
	assert_int_equal(capture_report_exit_status(rep), 0);
	const struct flow_row *r = tcp_row(rep);
	assert_string_equal(r->from, "10.200.1.1:40000");
	assert_string_equal(r->to, "10.200.2.2:443");
	assert_string_equal(r->handshake, "complete");
	assert_true(r->hs_rtt_ms > 14.9 && r->hs_rtt_ms < 15.1); /* SYN to ACK, crafted */
	assert_int_equal(r->mss[0], 1460);
	assert_int_equal(r->mss[1], 1400);
	assert_int_equal(r->wscale[1], 9);
	assert_true(r->sack[0]);
	assert_false(r->sack[1]);
	assert_true(r->df[0]);
	assert_int_equal(r->retrans + r->dup_acks + r->rsts, 0);
	assert_int_equal(rep->csum_verified, nframes);
	capture_report_free(rep);
}

static void syn_unanswered_with_retries(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++) {
		tcp(true, SYN, CISN, 0, 0);
		now += 1000 * MS;
	}
	struct capture_report *rep = analyze(0);
	const struct finding *f = find(rep, "tcp.syn_unanswered");
	assert_non_null(f);
	assert_string_equal(f->subject, "10.200.2.2:443");
	assert_int_equal(f->frames[0], 1);
	assert_int_equal(tcp_row(rep)->syn_retries, 2);
	assert_int_equal(capture_report_exit_status(rep), 1);
	capture_report_free(rep);
}

static void refused_and_synack_lost(void **state)
{
	(void)state;
	tcp(true, SYN, CISN, 0, 0);
	tcp(false, RST | ACK, 0, CISN + 1, 0);
	/* a second connection: SYN-ACK sent twice, the client keeps sending SYNs */
	struct pb_spec s = seg(true, SYN, 7000, 0, 0);
	s.sport = 40001;
	put(&s, 0);
	for (int i = 0; i < 2; i++) {
		s = seg(false, SYN | ACK, 9000, 7001, 0);
		s.dport = 40001;
		put(&s, 0);
	}
	s = seg(true, SYN, 7000, 0, 0);
	s.sport = 40001;
	put(&s, 0);
	struct capture_report *rep = analyze(0);
	assert_non_null(find(rep, "tcp.refused"));
	const struct finding *f = find(rep, "tcp.synack_lost");
	assert_non_null(f);
	assert_int_equal(f->frames[0], 4);
	capture_report_free(rep);
}

static void retransmissions_dup_acks_and_fast_retransmit(void **state)
{
	(void)state;
	handshake();
	uint32_t c = CISN + 1;
	tcp(true, ACK, c, SISN + 1, 1000);        /* 4 */
	tcp(true, ACK, c + 1000, SISN + 1, 1000); /* 5: lost */
	tcp(true, ACK, c + 2000, SISN + 1, 1000); /* 6 */
	tcp(false, ACK, SISN + 1, c + 1000, 0);   /* 7 */
	tcp(false, ACK, SISN + 1, c + 1000, 0);   /* 8: dup */
	tcp(false, ACK, SISN + 1, c + 1000, 0);   /* 9: dup */
	tcp(true, ACK, c + 1000, SISN + 1, 1000); /* 10: fast retransmission */
	tcp(false, ACK, SISN + 1, c + 3000, 0);
	struct capture_report *rep = analyze(0);
	const struct flow_row *r = tcp_row(rep);
	assert_int_equal(r->retrans, 1);
	assert_int_equal(r->fast_retrans, 1);
	assert_int_equal(r->dup_acks, 2);
	const struct finding *f = find(rep, "tcp.retransmissions");
	assert_non_null(f);
	assert_int_equal(f->frames[0], 10);
	assert_int_equal(f->severity, SEV_INFO); /* one retransmission is not a warning */
	capture_report_free(rep);
}

static void zero_window_and_reset(void **state)
{
	(void)state;
	handshake();
	struct pb_spec s = seg(false, ACK, SISN + 1, CISN + 1, 0);
	s.window_zero = true;
	s.ip_id = 77;
	put(&s, 0);
	tcp(true, RST, CISN + 1, 0, 0);
	struct capture_report *rep = analyze(0);
	const struct finding *z = find(rep, "tcp.zero_window");
	assert_non_null(z);
	assert_int_equal(z->frames[0], 4);
	assert_non_null(strstr(z->detail, "10.200.2.2:443"));
	const struct finding *r = find(rep, "tcp.reset");
	assert_non_null(r);
	assert_int_equal(r->frames[0], 5);
	capture_report_free(rep);
}

/* A ClientHello with SNI "app.example.test", split after 50 bytes. */
static size_t client_hello(uint8_t *b)
{
	const char *name = "app.example.test";
	size_t nlen = strlen(name);
	uint8_t ext[64];
	size_t e = 0;
	ext[e++] = 0; ext[e++] = 0;                                   /* server_name */
	ext[e++] = 0; ext[e++] = (uint8_t)(nlen + 5);
	ext[e++] = 0; ext[e++] = (uint8_t)(nlen + 3);
	ext[e++] = 0;
	ext[e++] = 0; ext[e++] = (uint8_t)nlen;
	memcpy(ext + e, name, nlen);
	e += nlen;
	size_t body = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + e;
	size_t n = 0;
	b[n++] = 22; b[n++] = 3; b[n++] = 1;
	b[n++] = (uint8_t)((body + 4) >> 8); b[n++] = (uint8_t)(body + 4);
	b[n++] = 1; b[n++] = 0; b[n++] = (uint8_t)(body >> 8); b[n++] = (uint8_t)body;
	b[n++] = 3; b[n++] = 3;
	memset(b + n, 0xab, 32); n += 32;
	b[n++] = 0;                          /* session id */
	b[n++] = 0; b[n++] = 2; b[n++] = 0x13; b[n++] = 0x01;
	b[n++] = 1; b[n++] = 0;              /* compression */
	b[n++] = (uint8_t)(e >> 8); b[n++] = (uint8_t)e;
	memcpy(b + n, ext, e);
	return n + e;
}

static void tls_client_hello_split_without_server_hello(void **state)
{
	(void)state;
	uint8_t hello[200];
	size_t n = client_hello(hello);
	handshake();
	struct pb_spec s = seg(true, ACK | PSH, CISN + 1, SISN + 1, 50);
	s.payload = hello;
	put(&s, 0);
	s = seg(true, ACK | PSH, CISN + 51, SISN + 1, n - 50);
	s.payload = hello + 50;
	put(&s, 0);
	now += 3000 * MS;
	tcp(true, ACK, CISN + 1 + (uint32_t)n, SISN + 1, 0);
	struct capture_report *rep = analyze(0);
	const struct finding *f = find(rep, "tls.no_server_hello");
	assert_non_null(f);
	assert_int_equal(f->severity, SEV_CRITICAL);
	assert_int_equal(f->frames[0], 4);
	assert_non_null(strstr(f->detail, "app.example.test"));
	const struct flow_row *r = tcp_row(rep);
	assert_string_equal(r->tls, "client_hello");
	assert_string_equal(r->sni, "app.example.test");
	capture_report_free(rep);
}

static void tls_server_hello_answers(void **state)
{
	(void)state;
	uint8_t hello[200];
	size_t n = client_hello(hello);
	handshake();
	struct pb_spec s = seg(true, ACK | PSH, CISN + 1, SISN + 1, n);
	s.payload = hello;
	put(&s, 0);
	uint8_t sh[9] = {22, 3, 3, 0, 4, 2, 0, 0, 0};
	s = seg(false, ACK | PSH, SISN + 1, CISN + 1 + (uint32_t)n, 3);
	s.payload = sh; /* split: 3 bytes, then the rest */
	put(&s, 0);
	s = seg(false, ACK | PSH, SISN + 4, CISN + 1 + (uint32_t)n, 6);
	s.payload = sh + 3;
	put(&s, 0);
	now += 3000 * MS;
	struct capture_report *rep = analyze(0);
	assert_null(find(rep, "tls.no_server_hello"));
	assert_string_equal(tcp_row(rep)->tls, "client_hello+server_hello");
	capture_report_free(rep);
}

static void pmtu_black_hole(bool with_icmp)
{
	handshake();
	uint32_t s0 = SISN + 1;
	tcp(true, ACK | PSH, CISN + 1, s0, 200);
	tcp(false, ACK | PSH, s0, CISN + 201, 500);       /* 540 bytes: gets through */
	tcp(true, ACK, CISN + 201, s0 + 500, 0);
	for (int i = 0; i < 4; i++) {                     /* 1500 bytes, never acked */
		tcp(false, ACK | PSH, s0 + 500, CISN + 201, 1460);
		now += 200 * MS << i;
	}
	if (with_icmp) {
		uint8_t inner[200];
		struct pb_spec big = seg(false, ACK, s0 + 500, CISN + 201, 0);
		big.linktype = 12;
		pb_build(inner, sizeof(inner), &big);
		inner[2] = 1500 >> 8;
		inner[3] = 1500 & 0xff;
		struct pb_spec ic;
		memset(&ic, 0, sizeof(ic));
		memcpy(ic.mac_src, MAC_C, 6);
		memcpy(ic.mac_dst, MAC_S, 6);
		ic.src = "10.200.9.1";
		ic.dst = "10.200.2.2";
		ic.proto = 1;
		ic.icmp_type = 3;
		ic.icmp_code = 4;
		ic.icmp_mtu = 1280;
		ic.inner = inner;
		ic.inner_len = 28;
		ic.ip_id = 999;
		put(&ic, 0);
	}
}

static void pmtu_black_hole_names_the_largest_size_through(void **state)
{
	(void)state;
	pmtu_black_hole(false);
	struct capture_report *rep = analyze(0);
	const struct finding *f = find(rep, "pmtu.black_hole");
	assert_non_null(f);
	assert_int_equal(f->severity, SEV_CRITICAL);
	assert_non_null(strstr(f->detail, "1500-byte DF packet"));
	assert_non_null(strstr(f->detail, "was 540 bytes"));
	assert_non_null(strstr(f->subject, "10.200.1.1:40000 > 10.200.2.2:443"));
	assert_null(find(rep, "icmp.frag_needed"));
	capture_report_free(rep);
}

static void frag_needed_is_not_a_black_hole(void **state)
{
	(void)state;
	pmtu_black_hole(true);
	struct capture_report *rep = analyze(0);
	assert_null(find(rep, "pmtu.black_hole"));
	const struct finding *f = find(rep, "icmp.frag_needed");
	assert_non_null(f);
	assert_non_null(strstr(f->detail, "MTU of 1280"));
	assert_string_equal(f->subject, "10.200.2.2 > 10.200.1.1");
	capture_report_free(rep);
}

static void checksums_offload_corruption_and_snaplen(void **state)
{
	(void)state;
	handshake();
	struct pb_spec s = seg(true, ACK | PSH, CISN + 1, SISN + 1, 100);
	s.l4_csum = PB_CSUM_PARTIAL; /* the client's stack left it for the NIC */
	put(&s, 0);
	s = seg(false, ACK | PSH, SISN + 1, CISN + 101, 100);
	s.l4_csum = PB_CSUM_CORRUPT; /* damaged on the way to us */
	put(&s, 0);
	s = seg(false, ACK | PSH, SISN + 101, CISN + 101, 1000);
	put(&s, 80); /* cut by snaplen: not verifiable, not flagged */
	struct capture_report *rep = analyze(0);
	const struct finding *tx = find(rep, "checksum.tx_offload");
	assert_non_null(tx);
	assert_string_equal(tx->subject, "10.200.1.1");
	assert_int_equal(tx->frames[0], 4);
	const struct finding *bad = find(rep, "checksum.corruption");
	assert_non_null(bad);
	assert_string_equal(bad->subject, "10.200.2.2");
	assert_int_equal(bad->frames[0], 5);
	assert_non_null(strstr(bad->detail, "TCP"));
	assert_non_null(find(rep, "checksum.unverifiable"));
	assert_int_equal(rep->tx_offload, 1);
	assert_int_equal(rep->corrupt, 1);
	assert_int_equal(rep->csum_unverifiable, 1);
	capture_report_free(rep);
}

static void l2_same_packet_with_same_macs(void **state)
{
	(void)state;
	handshake();
	struct pb_spec s = seg(true, ACK | PSH, CISN + 1, SISN + 1, 100);
	s.ip_id = 4242;
	put(&s, 0);
	put(&s, 0); /* re-sent at layer 2, MACs untouched */
	/* routed properly: new MACs, TTL - 1: fine */
	s = seg(true, ACK | PSH, CISN + 101, SISN + 1, 100);
	s.ip_id = 4243;
	put(&s, 0);
	s.mac_src[5] = 0x77;
	s.mac_dst[5] = 0x88;
	s.ttl = 63;
	put(&s, 0);
	struct capture_report *rep = analyze(0);
	const struct finding *f = find(rep, "l2.forwarded_same_macs");
	assert_non_null(f);
	assert_int_equal(f->count, 1);
	assert_int_equal(f->frames[0], 4);
	assert_non_null(strstr(f->detail, "frames 4 and 5"));
	assert_string_equal(f->subject, "02:00:00:00:00:0c > 02:00:00:00:00:05");
	/* the routed copy is not "inconsistent MACs" either (it is a twin) */
	assert_null(find(rep, "l2.inconsistent_macs"));
	capture_report_free(rep);
}

static void l2_dst_is_src_and_inconsistent_macs(void **state)
{
	(void)state;
	handshake();
	struct pb_spec s = seg(true, ACK | PSH, CISN + 1, SISN + 1, 10);
	memcpy(s.mac_dst, MAC_C, 6);
	put(&s, 0);
	struct capture_report *rep = analyze(0);
	const struct finding *f = find(rep, "l2.dst_is_src");
	assert_non_null(f);
	assert_int_equal(f->frames[0], 4);
	assert_non_null(find(rep, "l2.inconsistent_macs"));
	capture_report_free(rep);
}

static void icmp_and_udp_answered_tcp_not(void **state)
{
	(void)state;
	struct pb_spec s;
	memset(&s, 0, sizeof(s));
	memcpy(s.mac_src, MAC_C, 6);
	memcpy(s.mac_dst, MAC_S, 6);
	s.src = "10.200.1.1";
	s.dst = "10.200.2.2";
	s.proto = 1;
	s.icmp_type = 8;
	s.icmp_id = 1;
	s.icmp_seq = 1;
	s.ip_id = 1;
	put(&s, 0);
	s.src = "10.200.2.2";
	s.dst = "10.200.1.1";
	s.icmp_type = 0;
	s.ip_id = 2;
	put(&s, 0);
	s.proto = 17;
	s.sport = 5353;
	s.dport = 5353;
	s.payload_len = 20;
	put(&s, 0);
	for (int i = 0; i < 3; i++)
		tcp(true, SYN, CISN, 0, 0);
	struct capture_report *rep = analyze(0);
	const struct finding *f = find(rep, "proto.tcp_blocked");
	assert_non_null(f);
	assert_string_equal(f->subject, "10.200.1.1 > 10.200.2.2");
	assert_int_equal(f->frames[0], 4);
	assert_non_null(strstr(f->detail, "ICMP echo"));
	assert_int_equal(rep->npairs, 1);
	assert_int_equal(rep->pairs[0].echo_rep[1], 1);
	capture_report_free(rep);
}

static void refused_tcp_is_an_answer(void **state)
{
	(void)state;
	struct pb_spec s = seg(true, 0, 0, 0, 0);
	s.proto = 1;
	s.icmp_type = 8;
	put(&s, 0);
	s = seg(false, 0, 0, 0, 0);
	s.proto = 1;
	s.icmp_type = 0;
	put(&s, 0);
	tcp(true, SYN, CISN, 0, 0);
	tcp(false, RST | ACK, 0, CISN + 1, 0);
	struct capture_report *rep = analyze(0);
	assert_null(find(rep, "proto.tcp_blocked"));
	assert_non_null(find(rep, "tcp.refused"));
	capture_report_free(rep);
}

static void idle_gap_then_loss(void **state)
{
	(void)state;
	handshake();
	tcp(true, ACK | PSH, CISN + 1, SISN + 1, 100);
	tcp(false, ACK, SISN + 1, CISN + 101, 0);
	now += 900LL * 1000 * MS; /* 15 minutes of silence */
	tcp(true, ACK | PSH, CISN + 101, SISN + 1, 100);
	now += 300 * MS;
	tcp(true, ACK | PSH, CISN + 101, SISN + 1, 100); /* 8: never answered */
	struct capture_report *rep = analyze(0);
	const struct finding *f = find(rep, "tcp.idle_then_loss");
	assert_non_null(f);
	assert_int_equal(f->frames[0], 7);
	assert_non_null(strstr(f->detail, "900 s"));
	capture_report_free(rep);
}

static void oversize_segment(void **state)
{
	(void)state;
	handshake();
	tcp(true, ACK | PSH, CISN + 1, SISN + 1, 1460); /* server MSS is 1400 */
	struct capture_report *rep = analyze(0);
	const struct finding *f = find(rep, "tcp.oversize_segment");
	assert_non_null(f);
	assert_int_equal(f->severity, SEV_WARNING);
	assert_non_null(strstr(f->detail, "MSS of 1400"));
	assert_int_equal(tcp_row(rep)->oversize, 1);
	capture_report_free(rep);
}

static void flow_table_evicts_oldest_and_says_so(void **state)
{
	(void)state;
	for (int i = 0; i < 100; i++) {
		struct pb_spec s = seg(true, SYN, CISN, 0, 0);
		s.sport = (uint16_t)(20000 + i);
		put(&s, 0);
		s = seg(false, SYN | ACK, SISN, CISN + 1, 0);
		s.dport = (uint16_t)(20000 + i);
		put(&s, 0);
		s = seg(true, ACK, CISN + 1, SISN + 1, 0);
		s.sport = (uint16_t)(20000 + i);
		put(&s, 0);
	}
	struct capture_report *rep = analyze(16);
	assert_int_equal(rep->flows_total, 100);
	assert_int_equal(rep->flows_evicted, 84);
	assert_int_equal(rep->nrows, 100); /* evicted flows still reported */
	for (size_t i = 0; i < rep->nrows; i++)
		assert_string_equal(rep->rows[i].handshake, "complete");
	assert_non_null(find(rep, "capture.flows_evicted"));
	assert_int_equal(capture_report_exit_status(rep), 0);
	capture_report_free(rep);
}

static void truncated_file_is_analysed_then_reported(void **state)
{
	(void)state;
	handshake();
	tcp(true, ACK | PSH, CISN + 1, SISN + 1, 300);
	pb_close(w);
	w = NULL;
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 100), 0);
	struct capture_options opt = {.path = path};
	char err[ERRBUF_LEN];
	struct capture_report *rep = capture_analyze_file(&opt, err);
	assert_non_null(rep);
	assert_true(rep->truncated);
	assert_int_equal(rep->frames, 3);
	const struct finding *f = find(rep, "capture.truncated");
	assert_non_null(f);
	assert_non_null(strstr(f->detail, "analysed 3 whole frame"));
	assert_string_equal(tcp_row(rep)->handshake, "complete");
	capture_report_free(rep);
	/* cut inside the first record: nothing could be read */
	assert_int_equal(truncate(path, 24 + 16 + 10), 0);
	assert_null(capture_analyze_file(&opt, err));
	/* not a capture */
	FILE *fp = fopen(path, "w");
	fputs("GET / HTTP/1.1\r\n\r\n", fp);
	fclose(fp);
	assert_null(capture_analyze_file(&opt, err));
	assert_non_null(strstr(err, "not a readable pcap/pcapng capture"));
}

static void json_report_follows_the_schema(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++)
		tcp(true, SYN, CISN, 0, 0);
	struct capture_report *rep = analyze(0);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	assert_int_equal(capture_render_json(rep, mem), 0);
	fclose(mem);
	json_error_t jerr;
	json_t *root = json_loads(buf, 0, &jerr);
	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "schema")),
	                    "paramedic.capture.analyze/1");
	assert_int_equal(json_integer_value(json_object_get(root, "frames")), 2);
	assert_int_equal(json_integer_value(json_object_get(root, "exit_status")), 1);
	json_t *f0 = json_array_get(json_object_get(root, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(f0, "code")), "tcp.syn_unanswered");
	assert_string_equal(json_string_value(json_object_get(f0, "severity")), "warning");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(f0, "frames"), 0)), 1);
	assert_non_null(json_string_value(json_object_get(f0, "action")));
	json_t *fl = json_array_get(json_object_get(root, "flows"), 0);
	assert_string_equal(json_string_value(json_object_get(fl, "handshake")), "syn_unanswered");
	assert_int_equal(json_integer_value(json_object_get(fl, "syn_retries")), 1);
	assert_true(json_is_null(json_object_get(fl, "handshake_rtt_ms")));
	json_decref(root);
	free(buf);
	/* and the text report leads with the findings */
	mem = open_memstream(&buf, &len);
	capture_render_text(rep, mem);
	fclose(mem);
	char *findings = strstr(buf, "[WARNING] TCP SYN never answered: 10.200.2.2:443");
	assert_non_null(findings);
	assert_true(findings < strstr(buf, "TCP FLOWS"));
	free(buf);
	capture_report_free(rep);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(clean_connection_has_no_findings),
		T(syn_unanswered_with_retries),
		T(refused_and_synack_lost),
		T(retransmissions_dup_acks_and_fast_retransmit),
		T(zero_window_and_reset),
		T(tls_client_hello_split_without_server_hello),
		T(tls_server_hello_answers),
		T(pmtu_black_hole_names_the_largest_size_through),
		T(frag_needed_is_not_a_black_hole),
		T(checksums_offload_corruption_and_snaplen),
		T(l2_same_packet_with_same_macs),
		T(l2_dst_is_src_and_inconsistent_macs),
		T(icmp_and_udp_answered_tcp_not),
		T(refused_tcp_is_an_answer),
		T(idle_gap_then_loss),
		T(oversize_segment),
		T(flow_table_evicts_oldest_and_says_so),
		T(truncated_file_is_analysed_then_reported),
		T(json_report_follows_the_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
