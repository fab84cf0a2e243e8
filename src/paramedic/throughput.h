/*
 * throughput: what `paramedic throughput` needs besides the control link.
 *
 *  - the iperf3 client: `iperf3 -c HOST -p PORT -t D -P N [-R] [-u] -J`,
 *    run with posix_spawn, its JSON read through a pipe (bounded);
 *  - the parser of that JSON into a result (pure: untrusted output);
 *  - the tunnel (tunneled mode): a listener on 127.0.0.1:0 that iperf3
 *    connects to; each accepted connection becomes a new mTLS link to the
 *    reflector, attached to the session by tunnel_attach (PROTOCOL.md 9.5),
 *    then both ways relayed by a thread of its own (one poll loop per
 *    stream, large buffers).
 */
#ifndef PP_PARAMEDIC_THROUGHPUT_H
#define PP_PARAMEDIC_THROUGHPUT_H

#include "paramedic/connect.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define TP_MAX_STREAMS 128
#define TP_MAX_OUTPUT_BYTES (8u * 1024 * 1024)

struct tp_stream_result {
	double sent_bps, received_bps;
	uint64_t sent_bytes, received_bytes;
	int64_t retransmits; /* -1: not reported */
};

struct tp_result {
	bool udp, reverse;
	int streams;
	double duration_sec;
	uint64_t sent_bytes, received_bytes;
	double sent_bps, received_bps; /* sender's and receiver's view */
	int64_t retransmits;           /* TCP sender, -1: not reported */
	/* UDP only */
	double jitter_ms, lost_percent;
	int64_t lost_packets, packets;
	size_t n_stream;
	struct tp_stream_result stream[TP_MAX_STREAMS];
	char error[256]; /* iperf3's own "error", if any */
};

/* Parses iperf3 -c -J output (len bytes). 0, or -1 and err (not JSON, no
 * end section: then r->error holds iperf3's error when it gave one). */
int tp_result_parse(const char *text, size_t len, struct tp_result *r, char *err);

/* The result as JSON for --json and the history (new reference). */
json_t *tp_result_json(const struct tp_result *r);

/* iperf3 client options. */
struct tp_client_opts {
	const char *iperf3; /* binary: name or path */
	const char *host;
	uint16_t port;
	int duration_sec;
	int streams;
	bool reverse, udp;
	const char *bitrate; /* -b, NULL = iperf3's default */
	/* iperf3's RSA authentication (direct mode, PROTOCOL.md 5.2): all three
	 * or none. The password goes in the child's environment only. */
	const char *username, *password, *rsa_public_key_path;
};

/* Writes a PEM public key from a grant to a new 0600 file in dir; its path
 * in path_out (the caller unlinks it). 0, or -1 and err. */
int tp_write_public_key(const char *dir, const char *pem, char *path_out, size_t path_len, char *err);

/* Runs the client to its end; *out (malloc'd, NUL-terminated, *out_len
 * bytes) is its stdout. Returns its exit status (0..255), or -1 and err
 * when it could not be run. */
int tp_iperf3_run(const struct tp_client_opts *o, char **out, size_t *out_len, char *err);

struct tp_tunnel;

/* Starts the local listener and its thread; *local_port is where iperf3
 * should connect. Every stream links to t (with pin and expect_id checks)
 * and attaches with token. NULL and err on failure. */
struct tp_tunnel *tp_tunnel_start(const struct pm_state *st, const struct pm_target *t,
                                  const char *expect_id, const char *token, uint16_t *local_port,
                                  char *err);

/* Stops accepting, ends the streams (after at most a short drain), joins
 * the threads and frees. Returns the bytes relayed (both directions) and,
 * in err, the first stream error if there was one ("" otherwise). */
uint64_t tp_tunnel_stop(struct tp_tunnel *tun, char *err);

#endif
