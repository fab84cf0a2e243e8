/*
 * capture/analyze_cmd: the command line of `paramedic capture analyze`.
 * Exit status: 0 nothing serious, 1 a warning or critical finding,
 * 2 usage error or an input that could not be read at all.
 */
#include "paramedic/capture/analyze.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: paramedic capture analyze [--json] [--max-flows N] [--idle-sec S] FILE\n"
	"  FILE          a pcap or pcapng capture (\"-\" reads stdin)\n"
	"  --json        the report as JSON (schema paramedic.capture.analyze/1)\n"
	"  --max-flows N flows tracked at once; the oldest is evicted beyond (default 20000)\n"
	"  --idle-sec S  silence that counts as an idle period (default 60)\n"
	"exit status: 0 nothing serious, 1 a warning/critical finding, 2 unreadable input/usage\n";

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max || s[0] == '-')
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int capture_analyze_main(int argc, char **argv)
{
	struct capture_options opt;
	memset(&opt, 0, sizeof(opt));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint32_t v;
		if (strcmp(a, "--json") == 0) {
			opt.json = true;
		} else if (strcmp(a, "--max-flows") == 0 && i + 1 < argc) {
			if (parse_u32(argv[++i], 16, 10000000, &v) != 0) {
				fprintf(stderr, "capture analyze: --max-flows wants 16..10000000, got %s\n",
				        argv[i]);
				return 2;
			}
			opt.max_flows = v;
		} else if (strcmp(a, "--idle-sec") == 0 && i + 1 < argc) {
			if (parse_u32(argv[++i], 1, 86400, &v) != 0) {
				fprintf(stderr, "capture analyze: --idle-sec wants 1..86400, got %s\n",
				        argv[i]);
				return 2;
			}
			opt.idle_gap_ns = (int64_t)v * 1000000000LL;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "capture analyze: unknown option %s\n%s", a, usage);
			return 2;
		} else if (opt.path == NULL) {
			opt.path = a;
		} else {
			fprintf(stderr, "capture analyze: one FILE only\n%s", usage);
			return 2;
		}
	}
	if (opt.path == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	char err[ERRBUF_LEN];
	struct capture_report *rep = capture_analyze_file(&opt, err);
	if (rep == NULL) {
		fprintf(stderr, "capture analyze: %s\n", err);
		return 2;
	}
	if (rep->truncated)
		fprintf(stderr, "capture analyze: %s: %s (analysed the %llu whole frames before it)\n",
		        rep->path, rep->read_error, (unsigned long long)rep->frames);
	if (opt.json)
		capture_render_json(rep, stdout);
	else
		capture_render_text(rep, stdout);
	int rc = capture_report_exit_status(rep);
	capture_report_free(rep);
	return rc;
}
