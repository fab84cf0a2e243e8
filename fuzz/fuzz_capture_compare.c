/* Fuzz `capture compare` past the decoders: hostile frames from two
 * "captures" through the adapter, the matcher (a tiny window and flow
 * table, so eviction and overflow paths run), the findings and both
 * renderings. Checks that every packet is accounted for exactly once.
 *
 * Input: 3 bytes of settings, then records of
 *   [op] [signed time step, ms] [length] [length bytes of frame]
 * op bit 0: side (A/B); bit 1: Ethernet (else raw IP); bit 2: also feed the
 * frame to the other side one step later (a twin, so matches happen). */
#include "fuzz.h"

#include "lib/pcap/decode.h"
#include "paramedic/capture/compare_decode.h"
#include "paramedic/capture/compare_match.h"
#include "paramedic/capture/compare_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void count(void *ctx, const struct cmp_finding *f)
{
	if (f->text[0] == '\0')
		abort(); /* every finding says something */
	++*(unsigned long *)ctx;
}

static void feed(struct cmp_engine *e, struct cmp_run *run, int side, int lt, const uint8_t *frame,
                 size_t len, int64_t ts_ns, uint64_t frame_no)
{
	uint8_t *buf = malloc(len ? len : 1); /* exact size: ASan sees overreads */
	if (buf == NULL)
		return;
	memcpy(buf, frame, len);
	struct pkt d;
	struct cmp_pkt p;
	pkt_decode(lt, buf, len, len, &d);
	if (cmp_pkt_from_decoded(&d, frame_no, ts_ns, run->digest_bytes, &p)) {
		cmp_engine_add(e, (enum cmp_side)side, &p);
		run->side[side].compared++;
		run->side[side].last_ns = ts_ns;
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	struct cmp_run run;
	memset(&run, 0, sizeof(run));
	cmp_config_default(&run.cfg);
	run.cfg.max_pending = 4 + data[0] % 60;
	run.cfg.max_flows = 1 + data[1] % 8;
	run.cfg.window_ns = (int64_t)(data[1] >> 3) * 10000000;
	run.digest_bytes = data[2] % 65;
	run.expected = cmp_change_default_expected();
	for (int s = 0; s < 2; s++) {
		run.side[s].path = s ? "b" : "a";
		run.side[s].linktype = "fuzz";
	}
	char err[ERRBUF_LEN];
	struct cmp_engine *e = cmp_engine_new(&run.cfg, err);
	if (e == NULL)
		abort();
	run.eng = e;
	const int64_t t0 = 1700000000000000000ll;
	cmp_engine_set_start(e, CMP_A, t0);
	cmp_engine_set_start(e, CMP_B, t0);
	int64_t now = t0;
	uint64_t frames[2] = {0, 0};
	size_t at = 3;
	while (at + 3 <= size) {
		uint8_t op = data[at];
		now += (int64_t)(int8_t)data[at + 1] * 1000000;
		size_t len = data[at + 2];
		at += 3;
		if (len > size - at)
			len = size - at;
		int side = op & 1, lt = op & 2 ? PKT_LINK_ETHERNET : PKT_LINK_RAW;
		feed(e, &run, side, lt, data + at, len, now, ++frames[side]);
		if (op & 4)
			feed(e, &run, !side, lt, data + at, len, now + 1000000, ++frames[!side]);
		at += len;
	}
	for (int s = 0; s < 2; s++) {
		run.side[s].frames = frames[s];
		cmp_engine_side_done(e, (enum cmp_side)s, now + 1000000);
	}
	cmp_engine_finish(e);

	/* Every packet entered is matched, only-in-its-file, outside the
	 * overlap or a duplicate: exactly one of them. */
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < cmp_engine_flow_count(e, (enum cmp_side)s); i++) {
			const struct cmp_flow *f = cmp_engine_flow(e, (enum cmp_side)s, i);
			for (int d = 0; d < 2; d++) {
				const struct cmp_dir *cd = &f->dir[d];
				if (cd->packets != cd->matched + cd->only.count + cd->outside + cd->duplicates)
					abort();
				if (cd->only.n > CMP_MAX_FRAMES || cd->only.n > cd->only.count)
					abort();
			}
			if (f->peer >= 0 && cmp_engine_flow(e, (enum cmp_side)!s, (size_t)f->peer)->peer != (int32_t)i)
				abort(); /* links are mutual */
		}
	unsigned long n = 0;
	cmp_findings(&run, count, &n);
	FILE *null = fopen("/dev/null", "w");
	if (null != NULL) {
		cmp_report_text(null, &run);
		if (cmp_report_json(null, &run, err) < 0)
			abort();
		fclose(null);
	}
	cmp_engine_free(e);
	return 0;
}
