/* echo_rate: token bucket in integer nano-tokens (see echo_rate.h). */
#include "reflector/echo_rate.h"

#define NANO_PER_TOKEN 1000000000ULL

void echo_rate_init(struct echo_rate *r, uint32_t rate_per_sec, int64_t now_ns)
{
	r->rate_per_sec = rate_per_sec;
	r->credit_nano = (uint64_t)rate_per_sec * NANO_PER_TOKEN; /* burst: one second */
	r->last_ns = now_ns;
}

bool echo_rate_take(struct echo_rate *r, int64_t now_ns)
{
	if (r->rate_per_sec == 0)
		return true;
	uint64_t cap = (uint64_t)r->rate_per_sec * NANO_PER_TOKEN; /* < 2^32 x 2^30: fits */
	if (now_ns > r->last_ns) {
		/* More than a second refills to the cap anyway; bounding the
		 * elapsed time first keeps elapsed x rate inside 64 bits. */
		uint64_t elapsed = (uint64_t)(now_ns - r->last_ns);
		if (elapsed > NANO_PER_TOKEN)
			elapsed = NANO_PER_TOKEN;
		uint64_t credit = r->credit_nano + elapsed * r->rate_per_sec;
		r->credit_nano = credit > cap ? cap : credit;
		r->last_ns = now_ns;
	}
	if (r->credit_nano < NANO_PER_TOKEN)
		return false;
	r->credit_nano -= NANO_PER_TOKEN;
	return true;
}
