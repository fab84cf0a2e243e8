/*
 * clock: the one place the product asks what time it is.
 *
 * Quotas, pairing TTLs, session expiry and the audit log all read time
 * through here so that unit tests can replace the clock (habit 5).
 */
#ifndef PP_LIB_CLOCK_H
#define PP_LIB_CLOCK_H

#include <stdint.h>

/* Wall-clock time, milliseconds since the Unix epoch. */
int64_t clock_wall_ms(void);

/* Monotonic time in nanoseconds (for deadlines and measurements). */
int64_t clock_mono_ns(void);

/* Tests: make clock_wall_ms() return *fake_ms until reset with NULL. */
void clock_set_fake_wall(const int64_t *fake_ms);

#endif
