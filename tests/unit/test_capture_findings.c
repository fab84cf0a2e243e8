/* capture/findings: aggregation by (code, subject), bounds, order, and the
 * catalogue documented in docs/CAPTURE.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "paramedic/capture/findings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct findings fs;

static void same_code_and_subject_aggregate(void **state)
{
	(void)state;
	memset(&fs, 0, sizeof(fs));
	for (uint64_t i = 1; i <= 12; i++)
		findings_add(&fs, "tcp.syn_unanswered", SEV_WARNING, "10.0.0.1:443", i, "first %llu",
		             (unsigned long long)i);
	findings_add(&fs, "tcp.syn_unanswered", SEV_WARNING, "10.0.0.2:443", 50, "other");
	assert_int_equal(fs.n, 2);
	assert_int_equal(fs.items[0].count, 12);
	assert_int_equal(fs.items[0].nframes, FINDING_MAX_FRAMES);
	assert_int_equal(fs.items[0].frames[7], 8);
	assert_string_equal(fs.items[0].detail, "first 1"); /* the first occurrence's numbers */
}

static void sorted_by_severity_then_count(void **state)
{
	(void)state;
	memset(&fs, 0, sizeof(fs));
	findings_add(&fs, "tcp.reset", SEV_INFO, "a", 1, "x");
	findings_add(&fs, "tcp.retransmissions", SEV_INFO, "b", 2, "x");
	findings_add(&fs, "tcp.retransmissions", SEV_WARNING, "b", 3, "x"); /* raises it */
	findings_add(&fs, "pmtu.black_hole", SEV_CRITICAL, "c", 4, "x");
	findings_sort(&fs);
	assert_string_equal(fs.items[0].code, "pmtu.black_hole");
	assert_string_equal(fs.items[1].code, "tcp.retransmissions");
	assert_int_equal(fs.items[1].severity, SEV_WARNING);
	assert_int_equal(findings_worst(&fs), SEV_CRITICAL);
	assert_string_equal(severity_name(SEV_WARNING), "warning");
}

static void table_is_bounded(void **state)
{
	(void)state;
	memset(&fs, 0, sizeof(fs));
	for (int i = 0; i < FINDINGS_MAX + 10; i++) {
		char subj[32];
		snprintf(subj, sizeof(subj), "flow %d", i);
		findings_add(&fs, "tcp.reset", SEV_INFO, subj, 0, "x");
	}
	assert_int_equal(fs.n, FINDINGS_MAX);
	assert_int_equal(fs.dropped, 10);
	assert_int_equal(fs.items[0].nframes, 0); /* frame 0 = no evidence frame */
}

static void every_code_is_documented(void **state)
{
	(void)state;
	const char *src = getenv("PP_SOURCE_DIR");
	if (src == NULL)
		skip();
	char path[512];
	snprintf(path, sizeof(path), "%s/docs/CAPTURE.md", src);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char doc[1 << 17];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	fclose(f);
	doc[n] = '\0';
	int codes = 0;
	for (const struct finding_info *i = finding_catalogue; i->code != NULL; i++, codes++) {
		char needle[80];
		snprintf(needle, sizeof(needle), "| `%s` |", i->code);
		if (strstr(doc, needle) == NULL)
			fail_msg("%s is not in the catalogue of docs/CAPTURE.md", i->code);
		assert_non_null(i->title);
		assert_non_null(i->cause);
		assert_non_null(i->action);
		assert_ptr_equal(finding_info(i->code), i);
	}
	assert_true(codes >= 20);
	assert_null(finding_info("no.such.code"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_code_and_subject_aggregate),
		cmocka_unit_test(sorted_by_severity_then_count),
		cmocka_unit_test(table_is_bounded),
		cmocka_unit_test(every_code_is_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
