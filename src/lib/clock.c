#include "lib/clock.h"

#include <stddef.h>
#include <time.h>

static const int64_t *fake_wall_ms;

int64_t clock_wall_ms(void)
{
	if (fake_wall_ms != NULL)
		return *fake_wall_ms;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void clock_set_fake_wall(const int64_t *fake_ms)
{
	fake_wall_ms = fake_ms;
}
