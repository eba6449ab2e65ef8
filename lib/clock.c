#include <time.h>

#include "clock.h"

/* Reads clock id in microseconds; clock_gettime cannot fail for these. */
static long long
read_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long
now_us(void)
{
	return read_us(CLOCK_MONOTONIC);
}

long long
now_ms(void)
{
	return read_us(CLOCK_MONOTONIC) / 1000;
}

long long
wall_us(void)
{
	return read_us(CLOCK_REALTIME);
}

long long
wall_ms(void)
{
	return read_us(CLOCK_REALTIME) / 1000;
}

void
deadline_in(clockid_t id, long long ms, struct timespec *ts)
{
	clock_gettime(id, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
