/* Fuzz the datagram headers as the echo engine meets them: an optional
 * tunnel prefix, then a probe header or anything, stamped in place. */
#include "fuzz.h"

#include "lib/probe.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	/* A copy of exactly size bytes so that ASan sees any overrun. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	uint8_t token[PROBE_TUNNEL_TOKEN_BYTES];
	size_t off = probe_tunnel_parse(buf, size, token) == 0 ? PROBE_TUNNEL_PREFIX_BYTES : 0;
	struct probe_header h;
	int is_probe = probe_decode(buf + off, size - off, &h);
	if (probe_stamp_received(buf + off, size - off, 11, 22) != is_probe)
		abort();
	probe_stamp_sent(buf + off, size - off, 33);
	if (is_probe) {
		struct probe_header back;
		if (probe_decode(buf + off, size - off, &back) != 1 || back.seq != h.seq ||
		    back.server_recv_ns != 11 || back.server_send_ns != 33 ||
		    back.server_rx_count != 22 || back.flags != PROBE_FLAG_REPLY)
			abort();
	} else if (memcmp(buf, data, size) != 0) {
		abort(); /* a non-probe is echoed byte for byte */
	}
	/* The input as UUID text (bounded: a NUL-terminated copy). */
	char text[64];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	uint8_t uuid[16];
	if (probe_uuid_parse(text, uuid) == 0) {
		char again[37];
		probe_uuid_format(uuid, again);
		uint8_t uuid2[16];
		if (probe_uuid_parse(again, uuid2) != 0 || memcmp(uuid, uuid2, 16) != 0)
			abort();
	}
	free(buf);
	return 0;
}
