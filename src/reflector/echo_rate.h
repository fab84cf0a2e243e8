/*
 * echo_rate: the per-session packet-rate limit of the UDP echo engine, a
 * token bucket (PROTOCOL.md §9.1): refilled at rate_per_sec, holding at
 * most one second's worth, starting full. Pure: time is passed in, so the
 * tests drive it with made-up clocks.
 */
#ifndef PP_REFLECTOR_ECHO_RATE_H
#define PP_REFLECTOR_ECHO_RATE_H

#include <stdbool.h>
#include <stdint.h>

struct echo_rate {
	uint32_t rate_per_sec;  /* 0 = unlimited */
	uint64_t credit_nano;   /* tokens x 1e9, so that refills need no floats */
	int64_t last_ns;        /* monotonic time of the last refill */
};

void echo_rate_init(struct echo_rate *r, uint32_t rate_per_sec, int64_t now_ns);

/* true (and one token spent) when a datagram may be echoed at now_ns. A
 * clock that goes backwards refills nothing. */
bool echo_rate_take(struct echo_rate *r, int64_t now_ns);

#endif
