/*
 * link: the blocking client connection to a reflector (paramedic and the
 * integration tests; the reflector itself uses libevent instead).
 *
 * TCP (IPv4 or IPv6) + TLS 1.3 with this endpoint's identity + frames
 * (lib/frame.h: 4-byte big-endian length, JSON payload, 1 MiB cap) + the
 * {"request_id", "payload": {"type", ...}} envelope. Every wait is bounded
 * by a timeout; nothing here prints.
 */
#ifndef PP_CORE_LINK_H
#define PP_CORE_LINK_H

#include "core/identity.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct link;

/* Why the last call on a link failed (LINK_OK after a success). */
enum link_status {
	LINK_OK,
	LINK_TIMEOUT,    /* nothing (or not enough) arrived in time */
	LINK_CLOSED,     /* the peer closed the connection (clean EOF) */
	LINK_TLS_ERROR,  /* TLS alert/failure, e.g. the peer refused us */
	LINK_IO_ERROR,   /* socket error, out of memory */
	LINK_BAD_FRAME,  /* empty or oversize frame from the peer */
	LINK_BAD_JSON,   /* a frame that is not a JSON object */
	LINK_TOO_BIG,    /* a message of ours above the frame maximum */
};

/* Resolves host:port, connects (each address in turn, within timeout_ms in
 * total), does the TLS handshake offering alpn (NULL = PP_ALPN_DEFAULT)
 * and checks the server selected it. NULL on failure, err says why
 * (naming host and port). */
struct link *link_connect(const char *host, const char *port, const struct identity *id,
                          const char *alpn, int timeout_ms, char *err);

/* The server's endpoint ID, computed from its certificate's key. Compare
 * it with the ID you expected (endpoint_id_equal) before trusting it. */
const char *link_peer_id(const struct link *l);

/* Sends msg (not stolen) as one compact JSON frame. */
int link_send_json(struct link *l, json_t *msg, char *err);

/* Sends bytes as they are (tests: garbage, bad or oversize frames). */
int link_send_raw(struct link *l, const void *bytes, size_t len, char *err);

/* Receives one frame within timeout_ms (<0: wait forever) and parses it as
 * a JSON object. NULL on failure; link_last_status tells which failure. A
 * frame cut by a timeout is kept and completed by the next call. */
json_t *link_recv_json(struct link *l, int timeout_ms, char *err);

/* Sends {"request_id": "<generated>", "payload": {"type": type, ...fields}}
 * (fields is stolen; may be NULL) and returns the first message whose
 * request_id is the same, or that has no request_id (unsolicited error
 * before a close). Replies to earlier requests are skipped. */
json_t *link_request(struct link *l, const char *type, json_t *fields, int timeout_ms,
                     char *err);

/* Bytes already received after the last frame returned (a raw stream that
 * follows a tunnel_attach's ok, PROTOCOL.md 9.5): *len_out bytes at the
 * returned pointer, valid until the next call on l. */
const uint8_t *link_pending(const struct link *l, size_t *len_out);

/* Status of the last send/recv/request call. */
enum link_status link_last_status(const struct link *l);

/* The underlying socket (non-blocking) and the TLS object, for tests. */
int link_fd(const struct link *l);
SSL *link_ssl(const struct link *l);

/* Sends close_notify (best effort), closes and frees. NULL is fine. */
void link_close(struct link *l);

#endif
