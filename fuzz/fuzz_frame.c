/* Fuzz the frame decoder: any byte string, any maximum. */
#include "fuzz.h"

#include "lib/frame.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t offset = 0, payload_len = 0;
	/* Walk the input as a stream of frames, as a connection would. */
	while (offset < size) {
		enum frame_status st = frame_parse(data + offset, size - offset, 4096, &payload_len);
		if (st != FRAME_OK)
			break;
		if (payload_len > 4096 || offset + FRAME_HEADER_BYTES + payload_len > size)
			abort(); /* the decoder promised a whole frame within bounds */
		offset += FRAME_HEADER_BYTES + payload_len;
	}
	return 0;
}
