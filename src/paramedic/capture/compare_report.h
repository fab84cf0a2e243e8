/*
 * capture/compare_report: turning the matcher's counts into findings and
 * printing them, for people (findings first, then per-flow tables) and as
 * JSON (schema "paramedic.capture.compare/1", docs/CAPTURE_COMPARE.md).
 */
#ifndef PP_PARAMEDIC_CAPTURE_COMPARE_REPORT_H
#define PP_PARAMEDIC_CAPTURE_COMPARE_REPORT_H

#include "lib/errbuf.h"
#include "paramedic/capture/compare_match.h"

#include <stdio.h>

/* What the command learned about one input file. */
struct cmp_side_info {
	const char *path;
	const char *linktype;
	uint64_t frames;            /* records read */
	uint64_t compared;          /* IP packets handed to the matcher */
	uint64_t not_ip;            /* ARP, undecodable frames: not compared */
	int64_t first_ns, last_ns;  /* of compared packets */
	bool truncated;             /* the file ends inside a record */
	char error[ERRBUF_LEN];     /* a read error that ended the file early, or "" */
};

struct cmp_run {
	struct cmp_side_info side[2];
	const struct cmp_engine *eng;
	struct cmp_config cfg;
	unsigned expected;          /* bit per enum cmp_change deemed expected */
	size_t digest_bytes;
	size_t hint_pairs;          /* twins found among the first packets */
};

enum cmp_severity { CMP_INFO = 0, CMP_WARNING };

enum cmp_finding_kind {
	CMP_F_LOST,         /* seen upstream, never downstream */
	CMP_F_ADDED,        /* seen downstream, never upstream */
	CMP_F_ONLY_A,       /* a flow (direction) only A saw, travel unknown */
	CMP_F_ONLY_B,
	CMP_F_CHANGED,      /* an unexpected change in flight */
	CMP_F_EXPECTED,     /* an expected change (routed hop, NAT) */
	CMP_F_DUPLICATES,
	CMP_F_LIMITS,       /* window overflow, flow table full, truncated input */
};

const char *cmp_finding_kind_name(enum cmp_finding_kind k);

struct cmp_finding {
	enum cmp_severity severity;
	enum cmp_finding_kind kind;
	enum cmp_side flow_side;    /* which capture's flow table `flow` indexes */
	long flow;                  /* -1: not about one flow */
	int dir;                    /* of that flow, -1 for both */
	enum cmp_change change;     /* CMP_F_CHANGED / CMP_F_EXPECTED */
	uint64_t count;
	const struct cmp_frames *frames_a, *frames_b; /* may be NULL */
	char text[384];
};

/* Calls emit for every finding, warnings first. */
void cmp_findings(const struct cmp_run *r,
                  void (*emit)(void *ctx, const struct cmp_finding *f), void *ctx);

/* true when nothing was lost, added or changed unexpectedly. */
bool cmp_run_agrees(const struct cmp_run *r);

/* "10.0.0.1:80 > 10.0.0.2:1000" for a flow direction. */
void cmp_flow_dir_str(const struct cmp_flow *f, int dir, char *buf, size_t len);

/* Travel of flow i of A, direction d, completed from the other direction. */
enum cmp_travel cmp_run_travel(const struct cmp_run *r, size_t i, int d);

void cmp_report_text(FILE *out, const struct cmp_run *r);
int cmp_report_json(FILE *out, const struct cmp_run *r, char err[ERRBUF_LEN]);

#endif
