/* pcap/reader: nanosecond timestamps, truncated files, not-a-capture,
 * unsupported link types, pcapng written by the system's tcpdump tools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/pktbuild.h"
#include "lib/pcap/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pp-pcap-reader-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/c.pcap", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void write_three(int linktype)
{
	struct pb_writer *w = pb_open(path, linktype, 262144);
	assert_non_null(w);
	uint8_t frame[100];
	memset(frame, 0x45, sizeof(frame));
	pb_write(w, 1700000000123456789LL, frame, 60, 60);
	pb_write(w, 1700000000123456790LL, frame, 64, 1500);
	pb_write(w, 1700000001000000000LL, frame, 100, 100);
	pb_close(w);
}

static void reads_records_with_nanoseconds(void **state)
{
	(void)state;
	write_three(1);
	char err[ERRBUF_LEN];
	struct pcap_reader *r = pcap_reader_open(path, err);
	assert_non_null(r);
	assert_int_equal(pcap_reader_linktype(r), 1);
	struct pcap_record rec;
	assert_int_equal(pcap_reader_next(r, &rec, err), 1);
	assert_int_equal(rec.frame_no, 1);
	assert_true(rec.ts_ns == 1700000000123456789LL);
	assert_int_equal(pcap_reader_next(r, &rec, err), 1);
	assert_int_equal(rec.caplen, 64);
	assert_int_equal(rec.wirelen, 1500);
	assert_int_equal(pcap_reader_next(r, &rec, err), 1);
	assert_int_equal(rec.frame_no, 3);
	assert_int_equal(pcap_reader_next(r, &rec, err), 0);
	assert_false(pcap_reader_truncated(r));
	pcap_reader_close(r);
}

static void truncated_file_reads_whole_records_then_says_so(void **state)
{
	(void)state;
	write_three(1);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(truncate(path, st.st_size - 30), 0);
	char err[ERRBUF_LEN];
	struct pcap_reader *r = pcap_reader_open(path, err);
	assert_non_null(r);
	struct pcap_record rec;
	assert_int_equal(pcap_reader_next(r, &rec, err), 1);
	assert_int_equal(pcap_reader_next(r, &rec, err), 1);
	assert_int_equal(pcap_reader_next(r, &rec, err), -1);
	assert_true(pcap_reader_truncated(r));
	assert_non_null(strstr(err, "after frame 2"));
	pcap_reader_close(r);
}

static void not_a_capture(void **state)
{
	(void)state;
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("hello, this is not a capture file at all\n", f);
	fclose(f);
	char err[ERRBUF_LEN];
	assert_null(pcap_reader_open(path, err));
	assert_non_null(strstr(err, "not a readable pcap/pcapng capture"));
	assert_null(pcap_reader_open("/nonexistent/x.pcap", err));
	assert_non_null(strstr(err, "/nonexistent/x.pcap"));
}

static void unknown_link_type_is_refused_by_name(void **state)
{
	(void)state;
	write_three(105); /* IEEE 802.11 */
	char err[ERRBUF_LEN];
	assert_null(pcap_reader_open(path, err));
	assert_non_null(strstr(err, "link type 105"));
	assert_non_null(strstr(err, "not supported"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reads_records_with_nanoseconds, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_file_reads_whole_records_then_says_so, setup, teardown),
		cmocka_unit_test_setup_teardown(not_a_capture, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_link_type_is_refused_by_name, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
