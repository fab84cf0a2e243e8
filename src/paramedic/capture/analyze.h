/*
 * capture/analyze: `paramedic capture analyze FILE`.
 *
 * Streams a pcap/pcapng file once through the decoders (lib/pcap) and the
 * rules (tcp, tls, checksums, ICMP/PMTU, layer 2, protocol picture) and
 * returns a report: findings first, then per-flow and per-peer rows.
 * docs/CAPTURE.md documents the rules, the finding codes and the --json
 * schema.
 */
#ifndef PP_PARAMEDIC_CAPTURE_ANALYZE_H
#define PP_PARAMEDIC_CAPTURE_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/errbuf.h"
#include "paramedic/capture/findings.h"

struct capture_options {
	const char *path;
	uint32_t max_flows;      /* flow-table bound (default 20000) */
	int64_t idle_gap_ns;     /* a gap this long is "idle" (default 60 s) */
	bool json;
};

/* One TCP or UDP flow's summary, d[0] = the side that opened it. */
struct flow_row {
	char from[64], to[64];
	uint8_t proto;
	uint64_t first_frame;
	uint64_t pkts[2], bytes[2];
	const char *handshake;   /* "complete", "syn_unanswered", ... ; NULL for UDP */
	double hs_rtt_ms;        /* < 0: unknown */
	uint64_t retrans, fast_retrans, dup_acks, zero_windows, rsts, syn_retries, oversize;
	uint16_t mss[2];
	int8_t wscale[2];
	bool sack[2], df[2];
	uint32_t max_ip_bytes[2];
	const char *tls;         /* "client_hello", "client_hello+server_hello", NULL */
	char sni[64];
	bool trouble;
};

struct pair_row {
	char a[48], b[48];
	uint64_t echo_req[2], echo_rep[2], udp[2], tcp_syn[2], tcp_synack[2], tcp_data[2];
};

#define REPORT_MAX_FLOW_ROWS 4096

struct capture_report {
	char path[256];
	const char *linktype;
	uint32_t snaplen;
	uint64_t frames, bytes;
	int64_t first_ns, last_ns;
	bool truncated;
	char read_error[ERRBUF_LEN];
	uint64_t decode_ok, decode_snaplen, decode_malformed, decode_unsupported;
	uint64_t csum_verified, csum_bad, csum_partial, csum_unverifiable;
	uint64_t tx_offload, corrupt;
	uint64_t flows_total, flows_evicted;
	uint32_t max_flows;
	struct findings findings;
	struct flow_row *rows;
	size_t nrows;
	uint64_t rows_omitted;
	struct pair_row *pairs;
	size_t npairs;
};

/* Analyses opt->path. NULL + err when nothing could be read (not a
 * capture, unsupported link type, unreadable). A capture that breaks off
 * is analysed up to its last whole record: rep->truncated. */
struct capture_report *capture_analyze_file(const struct capture_options *opt,
                                            char err[ERRBUF_LEN]);
void capture_report_free(struct capture_report *rep);

/* 0 = nothing serious, 1 = a warning or critical finding. */
int capture_report_exit_status(const struct capture_report *rep);

/* render.c / render_json.c: to stdout. */
void capture_render_text(const struct capture_report *rep, FILE *out);
int capture_render_json(const struct capture_report *rep, FILE *out);

/* The `paramedic capture analyze` command: 0/1 as above, 2 on usage
 * errors or an unreadable input. */
int capture_analyze_main(int argc, char **argv);

#endif
