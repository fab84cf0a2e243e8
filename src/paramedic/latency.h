/*
 * latency: paramedic's UDP echo test (docs/LATENCY.md).
 *
 *   latency_opts.c    command-line values: times ("10ms", "0.5ms", "100us"),
 *                     size, DSCP (pure functions)
 *   latency_probe.c   the UDP socket and the isochronous probe run: an
 *                     absolute-deadline timerfd on CLOCK_MONOTONIC for
 *                     sending, recvmmsg with kernel receive timestamps
 *                     (SO_TIMESTAMPNS) for receiving
 *   latency_report.c  the run's statistics as JSON, a table and a
 *                     plain-language line
 *   cmd_latency.c     `paramedic latency HOST`: session, run, close, history
 */
#ifndef PP_PARAMEDIC_LATENCY_H
#define PP_PARAMEDIC_LATENCY_H

#include "lib/probe.h"
#include "lib/stats.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LATENCY_DEFAULT_INTERVAL_NS (10 * 1000000LL)
#define LATENCY_DEFAULT_DURATION_NS (10 * 1000000000LL)
#define LATENCY_DEFAULT_TIMEOUT_NS (1000 * 1000000LL)
#define LATENCY_DEFAULT_SIZE_BYTES 64
#define LATENCY_MIN_INTERVAL_NS (10 * 1000LL)
#define LATENCY_MAX_INTERVAL_NS (60 * 1000000000LL)
#define LATENCY_MAX_DURATION_NS (3600 * 1000000000LL)
/* The session outlives its duration by 5 s (PROTOCOL.md §5): the wait for
 * the last replies must end before the reflector stops echoing. */
#define LATENCY_MAX_TIMEOUT_NS (4 * 1000000000LL)
#define LATENCY_MAX_PROBES 1000000
/* The probe (inner datagram when tunneled): 65535 - IPv4 20 - UDP 8 - the
 * 20-byte tunnel prefix. */
#define LATENCY_MAX_SIZE_BYTES 65487

/* "1.5s", "10ms", "0.5ms", "100us", "250000ns"; a bare number is
 * default_unit_ns (0: a unit is required). The value must be > 0 and is
 * exact (no floating point). 0 or -1 with err naming opt. */
int latency_parse_time_ns(const char *opt, const char *text, int64_t default_unit_ns, int64_t *out,
                          char *err);
/* Decimal integer in [min, max]. */
int latency_parse_int(const char *opt, const char *text, long min, long max, long *out, char *err);

struct latency_params {
	int64_t interval_ns;
	int64_t duration_ns;
	int64_t timeout_ns;  /* wait for replies after the last send; later = late */
	size_t size_bytes;   /* the probe, without the tunnel prefix */
	bool tunneled;       /* prefix every datagram with PPT1 + token */
	uint8_t token[PROBE_TUNNEL_TOKEN_BYTES];
};

struct latency_run {
	uint64_t n_sent;
	int64_t *send_ns;           /* [n_sent], CLOCK_REALTIME */
	struct stats_arrival *arr;  /* in arrival order */
	size_t n_arr, cap_arr;
	uint64_t send_misses;       /* probes sent more than one interval late */
	uint64_t send_errors;       /* send() refused (e.g. ICMP unreachable) */
	uint64_t foreign;           /* datagrams that were not a reply to us */
	bool kernel_timestamps;     /* every receive time came from the kernel */
	int64_t elapsed_ns;         /* first send to the end of the wait */
};

/* A UDP socket bound to local's IP (port 0) and connected to peer's IP at
 * port, with SO_TIMESTAMPNS and the DSCP (0..63) set. -1 on error. */
int latency_socket(const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
                   uint16_t port, int dscp, char *err);

/* Runs the probes on fd (latency_socket). The run is filled even when it
 * fails halfway; free it with latency_run_free. */
int latency_run(int fd, const struct latency_params *p, struct latency_run *r, char *err);
void latency_run_free(struct latency_run *r);

/* Checks one received datagram against the probes sent so far; 1 and
 * *out filled when it is a reply to one of ours, else 0. Pure. */
int latency_accept_reply(const uint8_t *buf, size_t len, const struct latency_params *p,
                         const struct latency_run *r, int64_t recv_ns, struct stats_arrival *out);

/* The result object of docs/LATENCY.md (without target/session fields,
 * which cmd_latency adds). */
json_t *latency_result_json(const struct latency_params *p, const struct latency_run *r,
                            const struct stats_result *s);

/* One plain-language line about the run ("loss 0.2% (all downstream: the
 * return path drops packets)"). */
void latency_verdict(const struct stats_result *s, uint64_t send_misses, char *out, size_t outlen);

/* The short table and the verdict, from the result JSON. */
void latency_print_human(const json_t *result);

#endif
