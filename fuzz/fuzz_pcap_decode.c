/* Fuzz the packet decoders: the first byte picks a link type, the second
 * how much of the rest counts as captured (the rest was "on the wire"). */
#include "fuzz.h"

#include "lib/pcap/checksum.h"
#include "lib/pcap/decode.h"

#include <stdlib.h>

static const int linktypes[] = {
	PKT_LINK_ETHERNET, PKT_LINK_SLL, PKT_LINK_SLL2, PKT_LINK_RAW, PKT_LINK_NULL,
	PKT_LINK_LOOP, PKT_LINK_IPV4, PKT_LINK_IPV6,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	int lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	size_t wire = size - 2;
	size_t cut = data[1] == 0 ? wire : (size_t)data[1] * 4;
	size_t cap = cut < wire ? cut : wire;
	/* Copy to an exact-size heap buffer so ASan sees any read past caplen. */
	uint8_t *buf = malloc(cap ? cap : 1);
	if (buf == NULL)
		return 0;
	for (size_t i = 0; i < cap; i++)
		buf[i] = data[2 + i];
	struct pkt p;
	enum pkt_status st = pkt_decode(lt, buf, cap, wire, &p);
	if (st != PKT_OK && p.why == NULL && st != PKT_UNSUPPORTED)
		abort(); /* every failure names its reason */
	if (p.layers & PKT_HAS_TCP && p.tcp.payload_caplen > cap)
		abort();
	(void)pkt_csum_ipv4_header(&p);
	(void)pkt_csum_l4(&p);
	free(buf);
	return 0;
}
