/*
 * capture/findings: what `capture analyze` concluded, as a bounded table.
 *
 * A finding is keyed by (code, subject): the same problem on many flows to
 * one server is one finding with a count and the first frames as evidence,
 * so a large capture cannot flood the report (or memory).
 */
#ifndef PP_PARAMEDIC_CAPTURE_FINDINGS_H
#define PP_PARAMEDIC_CAPTURE_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

enum severity { SEV_INFO = 0, SEV_WARNING, SEV_CRITICAL };

#define FINDING_MAX_FRAMES 8
#define FINDING_SUBJECT_LEN 112
#define FINDING_DETAIL_LEN 240
#define FINDINGS_MAX 256

struct finding {
	const char *code;        /* stable id, e.g. "pmtu.black_hole" (see docs/CAPTURE.md) */
	enum severity severity;
	char subject[FINDING_SUBJECT_LEN]; /* the flow, peer or host it is about */
	char detail[FINDING_DETAIL_LEN];   /* numbers of the first occurrence */
	uint64_t count;          /* occurrences (flows, packets: see the catalogue) */
	uint64_t frames[FINDING_MAX_FRAMES];
	size_t nframes;
};

struct findings {
	struct finding items[FINDINGS_MAX];
	size_t n;
	uint64_t dropped;        /* findings that did not fit */
};

/* Adds one occurrence of code about subject: creates the finding (with
 * detail) or bumps its count, keeps the frame (0 = none) as evidence and
 * the highest severity. */
void findings_add(struct findings *f, const char *code, enum severity sev, const char *subject,
                  uint64_t frame, const char *detail_fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Sorts by severity (critical first), then count. */
void findings_sort(struct findings *f);
enum severity findings_worst(const struct findings *f);
const char *severity_name(enum severity s);

/* The catalogue: title, likely cause and what to do, per code. */
struct finding_info {
	const char *code;
	const char *title;
	const char *cause;
	const char *action;
};
const struct finding_info *finding_info(const char *code);
extern const struct finding_info finding_catalogue[];

#endif
