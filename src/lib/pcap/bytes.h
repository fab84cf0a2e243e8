/*
 * pcap/bytes: big-endian loads and the "which length ran out" rule shared
 * by the decoders (internal to src/lib/pcap).
 */
#ifndef PP_LIB_PCAP_BYTES_H
#define PP_LIB_PCAP_BYTES_H

#include "lib/pcap/decode.h"

static inline uint16_t pkt_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t pkt_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline enum pkt_status pkt_fail(enum pkt_status st, const char *text, const char **why)
{
	if (why != NULL)
		*why = text;
	return st;
}

/* `need` bytes are required: malformed when the wire did not have them,
 * snaplen when the capture did not keep them. */
static inline enum pkt_status pkt_need(size_t need, size_t caplen, size_t wirelen,
                                       const char *what, const char **why)
{
	if (wirelen < need)
		return pkt_fail(PKT_MALFORMED, what, why);
	if (caplen < need)
		return pkt_fail(PKT_SNAPLEN, what, why);
	return PKT_OK;
}

#endif
