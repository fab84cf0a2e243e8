/*
 * frame: length-prefixed framing of a byte stream.
 *
 * A frame is a 4-byte big-endian payload length followed by that many
 * bytes. Lengths of 0 or above the caller's maximum are malformed: the
 * reader must not wait for (or allocate) a body it will refuse anyway.
 */
#ifndef PP_LIB_FRAME_H
#define PP_LIB_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER_BYTES 4
#define FRAME_MAX_PAYLOAD_BYTES (1024 * 1024)

enum frame_status {
	FRAME_NEED_MORE, /* not a whole frame yet */
	FRAME_OK,        /* a whole frame: header + *payload_len bytes */
	FRAME_EMPTY,     /* declared length 0 */
	FRAME_TOO_BIG,   /* declared length above max_payload */
};

/* Looks at the start of buf. On FRAME_OK and FRAME_TOO_BIG, *payload_len is
 * the declared length; on FRAME_NEED_MORE it is the declared length when the
 * header is complete, else 0. Never reads past len. */
enum frame_status frame_parse(const uint8_t *buf, size_t len, size_t max_payload,
                              size_t *payload_len);

/* Writes the 4-byte header for a payload of payload_len bytes. */
void frame_put_header(uint8_t header[FRAME_HEADER_BYTES], uint32_t payload_len);

/* Short human name of a status, for error messages. */
const char *frame_status_name(enum frame_status status);

#endif
