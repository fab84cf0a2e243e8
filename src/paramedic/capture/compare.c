/*
 * capture/compare: the `paramedic capture compare A B` command: options,
 * reading both files side by side in time order, and the exit status.
 *
 * Both files are streamed: the first BOOT_PACKETS packets of each are read
 * ahead to estimate how far B's clock is from A's (cmp_clock_hint), then
 * the two streams are merged on aligned time into the matcher, whose window
 * bounds memory whatever the files' size.
 */
#include "paramedic/capture/compare.h"

#include "lib/errbuf.h"
#include "lib/pcap/decode.h"
#include "lib/pcap/reader.h"
#include "paramedic/capture/compare_clock.h"
#include "paramedic/capture/compare_decode.h"
#include "paramedic/capture/compare_report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOOT_PACKETS 4096

static const char usage_text[] =
	"usage: paramedic capture compare [--json] [--window-ms MS] [--max-pending N]\n"
	"                                 [--max-flows N] [--expect CHANGE,...] A B\n"
	"  A, B       pcap/pcapng captures of the same traffic taken at two points\n"
	"  --json     machine-readable report (schema paramedic.capture.compare/1)\n"
	"  --window-ms MS    how long a packet waits for its twin (default 2000)\n"
	"  --max-pending N   packets held in the window (default 262144)\n"
	"  --max-flows N     flows tracked per capture (default 16384)\n"
	"  --expect LIST     changes that are not findings, besides mac,ttl,nat:\n"
	"                    mss,df,dscp,ecn,ipid,window,tcp-options (or none)\n"
	"exit: 0 the captures agree, 1 losses or unexpected changes, 2 usage or unreadable input\n";

/* One input: a reader plus the packets read ahead for the clock hint. */
struct source {
	struct pcap_reader *rd;
	struct cmp_side_info *info;
	size_t digest_bytes;
	struct cmp_pkt *ahead;
	size_t n_ahead, next_ahead;
	bool eof;
	struct cmp_pkt cur;   /* the next packet to feed, when have_cur */
	bool have_cur;
};

/* Reads the next IP packet of s into *out; false at the end (or error). */
static bool read_ip(struct source *s, struct cmp_pkt *out)
{
	struct pcap_record rec;
	struct pkt d;
	while (!s->eof) {
		int rc = pcap_reader_next(s->rd, &rec, s->info->error);
		if (rc <= 0) {
			s->eof = true;
			s->info->truncated = pcap_reader_truncated(s->rd);
			break;
		}
		s->info->frames++;
		pkt_decode(pcap_reader_linktype(s->rd), rec.data, rec.caplen, rec.wirelen, &d);
		if (!cmp_pkt_from_decoded(&d, rec.frame_no, rec.ts_ns, s->digest_bytes, out)) {
			s->info->not_ip++;
			continue;
		}
		if (s->info->compared++ == 0)
			s->info->first_ns = rec.ts_ns;
		s->info->last_ns = rec.ts_ns;
		return true;
	}
	return false;
}

static void read_ahead(struct source *s)
{
	while (s->n_ahead < BOOT_PACKETS && read_ip(s, &s->ahead[s->n_ahead]))
		s->n_ahead++;
}

/* Loads s->cur with the next packet (read-ahead first). */
static void advance(struct source *s)
{
	if (s->next_ahead < s->n_ahead) {
		s->cur = s->ahead[s->next_ahead++];
		s->have_cur = true;
		return;
	}
	s->have_cur = read_ip(s, &s->cur);
}

static int parse_count(const char *opt, const char *v, long min, long max, long *out)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < min || n > max) {
		fprintf(stderr, "paramedic capture compare: %s wants a number from %ld to %ld, not \"%s\"\n",
		        opt, min, max, v);
		return -1;
	}
	*out = n;
	return 0;
}

static int parse_expect(const char *list, unsigned *bits)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", list);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "none") == 0) {
			*bits = 0;
			continue;
		}
		int c = cmp_change_from_name(tok);
		if (c < 0) {
			fprintf(stderr, "paramedic capture compare: --expect: unknown change \"%s\"\n", tok);
			return -1;
		}
		*bits |= 1u << c;
	}
	return 0;
}

int capture_compare_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},         {"window-ms", required_argument, NULL, 'w'},
		{"max-pending", required_argument, NULL, 'p'}, {"max-flows", required_argument, NULL, 'f'},
		{"expect", required_argument, NULL, 'e'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct cmp_run run;
	memset(&run, 0, sizeof(run));
	cmp_config_default(&run.cfg);
	run.expected = cmp_change_default_expected();
	bool json = false;
	long n;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'w':
			if (parse_count("--window-ms", optarg, 1, 3600000, &n) < 0)
				return 2;
			run.cfg.window_ns = n * 1000000;
			break;
		case 'p':
			if (parse_count("--max-pending", optarg, 16, 1 << 26, &n) < 0)
				return 2;
			run.cfg.max_pending = (size_t)n;
			break;
		case 'f':
			if (parse_count("--max-flows", optarg, 1, 1 << 24, &n) < 0)
				return 2;
			run.cfg.max_flows = (size_t)n;
			break;
		case 'e':
			if (parse_expect(optarg, &run.expected) < 0)
				return 2;
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		fputs(usage_text, stderr);
		return 2;
	}

	int status = 2;
	char err[ERRBUF_LEN];
	struct source src[2];
	memset(src, 0, sizeof(src));
	struct cmp_engine *eng = NULL;
	for (int s = 0; s < 2; s++) {
		run.side[s].path = argv[optind + s];
		src[s].info = &run.side[s];
		src[s].rd = pcap_reader_open(run.side[s].path, err);
		if (src[s].rd == NULL) {
			fprintf(stderr, "paramedic capture compare: %c: %s\n", s == 0 ? 'A' : 'B', err);
			goto out;
		}
		run.side[s].linktype = pkt_linktype_name(pcap_reader_linktype(src[s].rd));
		src[s].ahead = malloc(BOOT_PACKETS * sizeof(struct cmp_pkt));
		if (src[s].ahead == NULL) {
			fprintf(stderr, "paramedic capture compare: out of memory\n");
			goto out;
		}
	}
	run.digest_bytes = cmp_digest_bytes(pcap_reader_snaplen(src[0].rd), pcap_reader_snaplen(src[1].rd));
	for (int s = 0; s < 2; s++) {
		src[s].digest_bytes = run.digest_bytes;
		read_ahead(&src[s]);
		if (src[s].n_ahead == 0) {
			const struct cmp_side_info *si = &run.side[s];
			fprintf(stderr, "paramedic capture compare: %c: %s: %s\n", s == 0 ? 'A' : 'B', si->path,
			        si->error[0] ? si->error : "no IP packets to compare");
			goto out;
		}
	}
	run.cfg.offset_hint_ns = cmp_clock_hint(src[0].ahead, src[0].n_ahead, src[1].ahead,
	                                        src[1].n_ahead, &run.hint_pairs);
	eng = cmp_engine_new(&run.cfg, err);
	if (eng == NULL) {
		fprintf(stderr, "paramedic capture compare: %s\n", err);
		goto out;
	}
	run.eng = eng;
	for (int s = 0; s < 2; s++) {
		cmp_engine_set_start(eng, (enum cmp_side)s, run.side[s].first_ns);
		advance(&src[s]);
	}
	/* Merge on aligned time: A's clock, B's minus the hint. */
	bool done[2] = {false, false};
	for (;;) {
		for (int s = 0; s < 2; s++)
			if (!src[s].have_cur && !done[s]) {
				cmp_engine_side_done(eng, (enum cmp_side)s, run.side[s].last_ns);
				done[s] = true;
			}
		if (done[0] && done[1])
			break;
		int s = done[0] ? 1 : done[1] ? 0
		      : src[0].cur.ts_ns <= src[1].cur.ts_ns - run.cfg.offset_hint_ns ? 0 : 1;
		cmp_engine_add(eng, (enum cmp_side)s, &src[s].cur);
		advance(&src[s]);
	}
	cmp_engine_finish(eng);
	if (json) {
		if (cmp_report_json(stdout, &run, err) < 0) {
			fprintf(stderr, "paramedic capture compare: %s\n", err);
			goto out;
		}
	} else {
		cmp_report_text(stdout, &run);
	}
	status = cmp_run_agrees(&run) ? 0 : 1;
out:
	cmp_engine_free(eng);
	for (int s = 0; s < 2; s++) {
		if (src[s].rd != NULL)
			pcap_reader_close(src[s].rd);
		free(src[s].ahead);
	}
	return status;
}
