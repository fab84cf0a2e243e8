/* capture/compare: the whole command on crafted capture files: a routed,
 * NATed, MSS-clamping hop that drops known packets; exit statuses; bad
 * input (not a capture, truncated, unknown link type, nothing to compare). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/pktbuild.h"
#include "paramedic/capture/compare.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000ll
#define T0 1700000000000000000ll

static char dir[64];
static char path_a[128], path_b[128], path_out[128];

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Runs the command with stdout (and stderr) into files; returns its status. */
static int run(int argc, const char **argv)
{
	char errpath[160];
	path_in(errpath, sizeof(errpath), "stderr.txt");
	fflush(stdout);
	fflush(stderr);
	int saved_out = dup(1), saved_err = dup(2);
	int fo = open(path_out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int fe = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fo >= 0 && fe >= 0);
	dup2(fo, 1);
	dup2(fe, 2);
	int rc = capture_compare_main(argc, (char **)argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(fo);
	close(fe);
	close(saved_out);
	close(saved_err);
	return rc;
}

static json_t *run_json(const char *a, const char *b, const char *extra, int *rc)
{
	const char *argv[6] = {"compare", "--json", a, b, NULL, NULL};
	int argc = 4;
	if (extra != NULL) {
		argv[2] = extra;
		argv[3] = a;
		argv[4] = b;
		argc = 5;
		const char *tmp = argv[1];
		argv[1] = argv[2];
		argv[2] = tmp; /* extra first, then --json */
	}
	*rc = run(argc, argv);
	json_error_t jerr;
	json_t *root = json_load_file(path_out, 0, &jerr);
	return root;
}

/* Client 10.0.0.2:40000 → server 10.0.1.2:80 through a router that
 * decrements TTL, rewrites MACs, masquerades the client as 10.0.1.1:50000,
 * clamps MSS to 1200 and drops fwd packets drop_fwd[] and rev ones
 * drop_rev[] (indexes into each direction). */
static void write_pair(const char *pa, const char *pb, const int *drop_fwd, size_t nfwd,
                       const int *drop_rev, size_t nrev, int snaplen_b)
{
	struct pb_writer *wa = pb_open(pa, 1, 65535), *wb = pb_open(pb, 1, snaplen_b);
	assert_non_null(wa);
	assert_non_null(wb);
	uint8_t buf[2048];
	uint8_t payload[300];
	int ifwd = 0, irev = 0;
	for (int i = 0; i < 24; i++) {
		bool rev = i % 3 == 2;
		int k = rev ? irev++ : ifwd++;
		for (size_t j = 0; j < sizeof(payload); j++)
			payload[j] = (uint8_t)(i * 7 + (int)j);
		struct pb_spec s = {0};
		s.proto = 6;
		s.df = true;
		s.ip_id = (uint16_t)(100 + i);
		s.ttl = 64;
		s.flags = i == 0 ? 0x02 : 0x18 | 0x10;
		s.mss = i == 0 ? 1460 : 0;
		s.seq = rev ? 9000u + (uint32_t)k * 300 : 1000u + (uint32_t)k * 300;
		s.ack = i == 0 ? 0 : (rev ? 1000u : 9000u);
		s.payload = i == 0 ? NULL : payload;
		s.payload_len = i == 0 ? 0 : sizeof(payload);
		/* at A (client side) */
		s.src = rev ? "10.0.1.2" : "10.0.0.2";
		s.dst = rev ? "10.0.0.2" : "10.0.1.2";
		s.sport = rev ? 80 : 40000;
		s.dport = rev ? 40000 : 80;
		memset(s.mac_src, rev ? 0xa1 : 0xc1, 6);
		memset(s.mac_dst, rev ? 0xc1 : 0xa1, 6);
		int64_t t = T0 + i * 10 * MS;
		struct pb_spec sb = s; /* at B (server side) */
		sb.src = rev ? "10.0.1.2" : "10.0.1.1";
		sb.dst = rev ? "10.0.1.1" : "10.0.1.2";
		sb.sport = rev ? 80 : 50000;
		sb.dport = rev ? 50000 : 80;
		memset(sb.mac_src, rev ? 0x5e : 0xb1, 6);
		memset(sb.mac_dst, rev ? 0xb1 : 0x5e, 6);
		sb.mss = i == 0 ? 1200 : 0;
		bool dropped = false;
		const int *drops = rev ? drop_rev : drop_fwd;
		for (size_t d = 0; d < (rev ? nrev : nfwd); d++)
			dropped |= drops[d] == k;
		if (rev) /* the server side sends first: TTL drops towards A */
			s.ttl = 63;
		else
			sb.ttl = 63;
		size_t la = pb_build(buf, sizeof(buf), &s);
		if (!rev || !dropped)
			pb_write(wa, rev ? t + 1 * MS : t, buf, la, la);
		size_t lb = pb_build(buf, sizeof(buf), &sb);
		if (rev || !dropped)
			pb_write(wb, rev ? t : t + 1 * MS, buf, lb < (size_t)snaplen_b ? lb : (size_t)snaplen_b, lb);
	}
	pb_close(wa);
	pb_close(wb);
}

static json_t *flow_dir(json_t *root, size_t flow, size_t d)
{
	return json_array_get(json_object_get(json_array_get(json_object_get(root, "flows"), flow), "directions"), d);
}

static json_int_t geti(json_t *o, const char *a, const char *b)
{
	return json_integer_value(json_object_get(json_object_get(o, a), b));
}

static void lost_changed_and_natted_packets_are_reported(void **state)
{
	(void)state;
	int drop_fwd[] = {3, 7}, drop_rev[] = {2};
	write_pair(path_a, path_b, drop_fwd, 2, drop_rev, 1, 65535);
	int rc;
	json_t *root = run_json(path_a, path_b, NULL, &rc);
	assert_non_null(root);
	assert_int_equal(rc, 1);
	assert_string_equal(json_string_value(json_object_get(root, "schema")), "paramedic.capture.compare/1");
	assert_false(json_is_true(json_object_get(root, "agree")));
	assert_int_equal(json_array_size(json_object_get(root, "flows")), 1);
	json_t *fwd = flow_dir(root, 0, 0), *rev = flow_dir(root, 0, 1);
	assert_string_equal(json_string_value(json_object_get(fwd, "travel")), "a_to_b");
	assert_string_equal(json_string_value(json_object_get(rev, "travel")), "b_to_a");
	assert_int_equal(geti(fwd, "a", "only"), 2);
	assert_int_equal(geti(fwd, "b", "only"), 0);
	assert_int_equal(geti(rev, "b", "only"), 1);
	assert_int_equal(geti(rev, "a", "only"), 0);
	/* fwd packets 3 and 7 are i = 4 and 10: A frames 5 and 10 (rev i = 8 never reached A) */
	json_t *frames = json_object_get(json_object_get(fwd, "a"), "only_frames");
	assert_int_equal(json_integer_value(json_array_get(frames, 0)), 5);
	assert_int_equal(json_integer_value(json_array_get(frames, 1)), 10);
	json_t *changes = json_object_get(json_object_get(fwd, "pairs"), "changes");
	json_t *mss = json_object_get(changes, "mss");
	assert_non_null(mss);
	assert_int_equal(geti(changes, "mss", "a"), 1460);
	assert_int_equal(geti(changes, "mss", "b"), 1200);
	assert_false(json_is_true(json_object_get(mss, "expected")));
	assert_true(json_is_true(json_object_get(json_object_get(changes, "nat"), "expected")));
	assert_int_equal(geti(changes, "ttl", "a"), 64);
	assert_int_equal(geti(changes, "ttl", "b"), 63);
	assert_non_null(json_object_get(changes, "mac"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(json_object_get(root, "flows"), 0), "b"), "sport")), 50000);
	/* findings first name the losses, with A's frame numbers */
	json_t *f0 = json_array_get(json_object_get(root, "findings"), 0);
	assert_string_equal(json_string_value(json_object_get(f0, "kind")), "lost");
	assert_int_equal(json_integer_value(json_object_get(f0, "count")), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(f0, "frames_a"), 0)), 5);
	json_t *clock = json_object_get(root, "clock");
	assert_true(json_is_true(json_object_get(clock, "offset_known")));
	assert_int_equal(json_integer_value(json_object_get(clock, "offset_ns")), 0);
	assert_int_equal(geti(clock, "a_to_b", "min_ns"), 1 * MS);
	json_decref(root);

	/* The human report leads with the findings. */
	const char *argv[] = {"compare", path_a, path_b};
	assert_int_equal(run(3, argv), 1);
	FILE *f = fopen(path_out, "r");
	char text[16384];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	char *findings = strstr(text, "Findings"), *lost = strstr(text, "lost between the two points");
	char *flows = strstr(text, "Flows");
	assert_non_null(findings);
	assert_non_null(lost);
	assert_true(findings < lost && lost < flows);
	assert_non_null(strstr(text, "A frames: 5 10"));
	assert_non_null(strstr(text, "MSS clamping"));
}

static void identical_or_expected_differences_agree(void **state)
{
	(void)state;
	write_pair(path_a, path_b, NULL, 0, NULL, 0, 65535);
	int rc;
	json_t *root = run_json(path_a, path_a, NULL, &rc);
	assert_int_equal(rc, 0);
	assert_true(json_is_true(json_object_get(root, "agree")));
	json_decref(root);
	/* no drops, MSS clamping declared expected: agree */
	root = run_json(path_a, path_b, "--expect=mss", &rc);
	assert_non_null(root);
	assert_int_equal(rc, 0);
	json_decref(root);
	/* without it the clamp is a finding */
	root = run_json(path_a, path_b, NULL, &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(root, "findings"), 0), "kind")), "changed");
	json_decref(root);
	/* B captured with a short snaplen: payload digests still agree */
	write_pair(path_a, path_b, NULL, 0, NULL, 0, 200);
	root = run_json(path_a, path_b, "--expect=mss", &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "settings"), "digest_bytes")), 40);
	json_decref(root);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void bad_input_and_usage_exit_2(void **state)
{
	(void)state;
	write_pair(path_a, path_b, NULL, 0, NULL, 0, 65535);
	char junk[160], arp[160], user0[160];
	path_in(junk, sizeof(junk), "junk.pcap");
	path_in(arp, sizeof(arp), "arp.pcap");
	path_in(user0, sizeof(user0), "user0.pcap");
	write_file(junk, "this is not a capture file at all, just text\n", 45);
	const char *a1[] = {"compare", junk, path_b};
	assert_int_equal(run(3, a1), 2);
	const char *a2[] = {"compare", path_a, "/nonexistent/b.pcap"};
	assert_int_equal(run(3, a2), 2);
	const char *a3[] = {"compare", path_a};
	assert_int_equal(run(2, a3), 2);
	const char *a4[] = {"compare", "--window-ms", "0", path_a, path_b};
	assert_int_equal(run(5, a4), 2);
	const char *a5[] = {"compare", "--expect", "mss,bogus", path_a, path_b};
	assert_int_equal(run(5, a5), 2);
	/* only ARP: a capture, but nothing to compare */
	struct pb_writer *w = pb_open(arp, 1, 65535);
	uint8_t frame[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 0x08, 0x06};
	pb_write(w, T0, frame, sizeof(frame), sizeof(frame));
	pb_close(w);
	const char *a6[] = {"compare", path_a, arp};
	assert_int_equal(run(3, a6), 2);
	/* a link type nobody decodes */
	w = pb_open(user0, 147, 65535);
	pb_write(w, T0, frame, sizeof(frame), sizeof(frame));
	pb_close(w);
	const char *a7[] = {"compare", user0, path_b};
	assert_int_equal(run(3, a7), 2);
	const char *a8[] = {"compare", "--help"};
	assert_int_equal(run(2, a8), 0);
}

static void truncated_capture_is_compared_up_to_the_cut(void **state)
{
	(void)state;
	write_pair(path_a, path_b, NULL, 0, NULL, 0, 65535);
	FILE *f = fopen(path_b, "rb");
	uint8_t buf[65536];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	write_file(path_b, buf, n - 100); /* cut inside the last record */
	int rc;
	json_t *root = run_json(path_a, path_b, "--expect=mss", &rc);
	assert_non_null(root);
	assert_int_equal(rc, 0); /* what A has after B's cut is outside the overlap */
	json_t *b = json_object_get(json_object_get(root, "inputs"), "b");
	assert_true(json_is_true(json_object_get(b, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(b, "frames")), 23);
	json_t *fwd = flow_dir(root, 0, 1);
	assert_int_equal(geti(fwd, "a", "outside"), 1);
	json_decref(root);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pp_cmp_XXXXXX");
	assert_non_null(mkdtemp(dir));
	path_in(path_a, sizeof(path_a), "a.pcap");
	path_in(path_b, sizeof(path_b), "b.pcap");
	path_in(path_out, sizeof(path_out), "out.txt");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lost_changed_and_natted_packets_are_reported),
		cmocka_unit_test(identical_or_expected_differences_agree),
		cmocka_unit_test(bad_input_and_usage_exit_2),
		cmocka_unit_test(truncated_capture_is_compared_up_to_the_cut),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
