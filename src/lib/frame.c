#include "lib/frame.h"

enum frame_status frame_parse(const uint8_t *buf, size_t len, size_t max_payload,
                              size_t *payload_len)
{
	*payload_len = 0;
	if (len < FRAME_HEADER_BYTES)
		return FRAME_NEED_MORE;
	uint32_t declared = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	                    (uint32_t)buf[2] << 8 | (uint32_t)buf[3];
	*payload_len = declared;
	if (declared == 0)
		return FRAME_EMPTY;
	if (declared > max_payload)
		return FRAME_TOO_BIG;
	if (len - FRAME_HEADER_BYTES < declared)
		return FRAME_NEED_MORE;
	return FRAME_OK;
}

void frame_put_header(uint8_t header[FRAME_HEADER_BYTES], uint32_t payload_len)
{
	header[0] = (uint8_t)(payload_len >> 24);
	header[1] = (uint8_t)(payload_len >> 16);
	header[2] = (uint8_t)(payload_len >> 8);
	header[3] = (uint8_t)payload_len;
}

const char *frame_status_name(enum frame_status status)
{
	switch (status) {
	case FRAME_NEED_MORE:
		return "incomplete frame";
	case FRAME_OK:
		return "ok";
	case FRAME_EMPTY:
		return "empty frame";
	case FRAME_TOO_BIG:
		return "frame larger than the maximum";
	}
	return "?";
}
