/*
 * capture/compare: `paramedic capture compare A B`, two captures of the
 * same traffic taken at two points (both ends, or both sides of a hop).
 *
 * The command matches each packet of A with its twin in B by the parts no
 * hop changes, and reports per flow and direction what was lost between
 * the two points, what appeared between them, what was changed in flight
 * (MAC, TTL, NAT, MSS clamp, DF, DSCP...) and the clock offset and one-way
 * delay between the points. See docs/CAPTURE_COMPARE.md.
 *
 * Exit status: 0 the captures agree, 1 losses or unexpected changes,
 * 2 usage error or an input that could not be read at all.
 */
#ifndef PP_PARAMEDIC_CAPTURE_COMPARE_H
#define PP_PARAMEDIC_CAPTURE_COMPARE_H

/* argv[0] is "compare"; argv[1..] are its options and the two files. */
int capture_compare_main(int argc, char **argv);

#endif
