/*
 * capture/compare_clock: which way each flow direction travels between the
 * two capture points, and the clock offset and one-way delay between them.
 *
 * Travel, per direction of a linked flow: the TTL is lower where the packet
 * arrives later (any routed hop between the points decides it); without a
 * TTL difference, of a flow's two directions the one with the larger
 * tB - tA goes A→B (it holds +delay, the other -delay, whatever the clock
 * offset); a lone direction is compared with the midpoint of the two
 * groups already known, or with 0 (clocks assumed in step) otherwise.
 *
 * Clock, NTP-style over the fastest packets and assuming a symmetric path:
 * with dAB = min(tB - tA) of A→B pairs and dBA = min(tA - tB) of B→A pairs,
 * offset = (dAB - dBA) / 2 and the one-way delay = (dAB + dBA) / 2. With
 * pairs in one direction only the offset is unknown and delays are given
 * assuming clocks in step (offset 0).
 */
#ifndef PP_PARAMEDIC_CAPTURE_COMPARE_CLOCK_H
#define PP_PARAMEDIC_CAPTURE_COMPARE_CLOCK_H

#include "paramedic/capture/compare_match.h"

/* Sets pairs[d].travel of every A flow and fills *out. */
void cmp_clock_classify(struct cmp_flow *a_flows, size_t n, struct cmp_clock *out);

/* Median of tB - tA over twins found in two short packet lists (the first
 * packets of each capture), to line the streams up before matching.
 * *found gets the number of twins; 0 is returned when there are none. */
int64_t cmp_clock_hint(const struct cmp_pkt *a, size_t na, const struct cmp_pkt *b, size_t nb,
                       size_t *found);

#endif
