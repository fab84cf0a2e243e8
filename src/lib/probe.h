/*
 * probe: the bytes of the two data-plane datagram headers (PROTOCOL.md §9).
 *
 * - The probe header (48 bytes, magic "PPRB", all fields big-endian) that a
 *   latency client puts at the start of each UDP probe and that the echo
 *   side stamps with its receive/send times and received count.
 * - The tunnel prefix (20 bytes: magic "PPT1" + a 16-byte token) that puts a
 *   datagram of a tunneled session on the shared control port.
 *
 * Pure functions with explicit bounds: they never read or write past the
 * length they are given, allocate nothing and know nothing of sessions or
 * sockets, so both the reflector and paramedic use them.
 */
#ifndef PP_LIB_PROBE_H
#define PP_LIB_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define PROBE_HEADER_BYTES 48
#define PROBE_VERSION 1
#define PROBE_FLAG_REPLY 0x01 /* set by the echo side */

#define PROBE_TUNNEL_TOKEN_BYTES 16
#define PROBE_TUNNEL_PREFIX_BYTES 20

struct probe_header {
	uint8_t flags;            /* PROBE_FLAG_REPLY or 0 */
	uint64_t seq;             /* from 0, +1 per probe */
	uint64_t client_send_ns;  /* client clock, echoed untouched */
	uint64_t server_recv_ns;  /* ns since the epoch; 0 in a request */
	uint64_t server_send_ns;  /* ns since the epoch; 0 in a request */
	uint64_t server_rx_count; /* probes the server received, this one included */
};

/* Writes a 48-byte version-1 probe header at buf (version and header length
 * are implied). Returns -1 when len < PROBE_HEADER_BYTES, else 0. The bytes
 * after the header (padding) are the caller's. */
int probe_encode(uint8_t *buf, size_t len, const struct probe_header *h);

/* 1 when buf[0..len) is a probe (magic "PPRB", version 1, len >= 48) and
 * fills *h (which may be NULL); 0 otherwise: such a datagram is not a probe
 * and is echoed unchanged. The header-length field is not trusted for
 * anything. */
int probe_decode(const uint8_t *buf, size_t len, struct probe_header *h);

/* The echo side's in-place stamp of a probe: sets the reply flag, the
 * receive time and the received count; leaves everything else. Returns 1 if
 * buf was a probe and was stamped, 0 (buf untouched) otherwise. */
int probe_stamp_received(uint8_t *buf, size_t len, uint64_t recv_ns, uint64_t rx_count);

/* Sets the send time of a probe stamped by probe_stamp_received(), just
 * before it is sent. No-op (0) on anything that is not a probe. */
int probe_stamp_sent(uint8_t *buf, size_t len, uint64_t send_ns);

/* Tunnel prefix. parse: 0 and the token copied out when buf starts with
 * "PPT1" and holds at least the 20-byte prefix (the inner datagram may be
 * empty); -1 otherwise. put: writes the prefix; -1 when len < 20. */
int probe_tunnel_parse(const uint8_t *buf, size_t len,
                       uint8_t token[PROBE_TUNNEL_TOKEN_BYTES]);
int probe_tunnel_put(uint8_t *buf, size_t len, const uint8_t token[PROBE_TUNNEL_TOKEN_BYTES]);

/* The grant token travels as text ("8-4-4-4-12" hex UUID, either case) and
 * as its 16 bytes in the prefix. parse: 0 on exactly 36 characters of that
 * shape, -1 otherwise. format: writes 36 lowercase characters and a NUL. */
int probe_uuid_parse(const char *text, uint8_t out[PROBE_TUNNEL_TOKEN_BYTES]);
void probe_uuid_format(const uint8_t in[PROBE_TUNNEL_TOKEN_BYTES], char out[37]);

#endif
