/*
 * capture/compare_decode: from a decoded frame (lib/pcap/decode.h) to the
 * struct cmp_pkt the matcher keeps. The only file of `capture compare`
 * that knows the decoder's structures.
 */
#ifndef PP_PARAMEDIC_CAPTURE_COMPARE_DECODE_H
#define PP_PARAMEDIC_CAPTURE_COMPARE_DECODE_H

#include "lib/pcap/decode.h"
#include "paramedic/capture/compare_pkt.h"

/* How many payload bytes are hashed into the digest, given the snaplen of
 * both files: enough to tell payloads apart, never more than both kept. */
size_t cmp_digest_bytes(uint32_t snaplen_a, uint32_t snaplen_b);

/* Fills *out; false when the frame has no IP layer (ARP, undecodable) and
 * so cannot be compared. */
bool cmp_pkt_from_decoded(const struct pkt *d, uint64_t frame, int64_t ts_ns,
                          size_t digest_bytes, struct cmp_pkt *out);

#endif
