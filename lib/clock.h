#ifndef CLOCK_H
#define CLOCK_H

#include <time.h>

/*
 * The two clocks the program reads. The monotonic one (CLOCK_MONOTONIC)
 * measures durations and deadlines: a step of the wall clock (NTP, an
 * operator's date) never stretches or cuts a wait. The wall clock
 * (CLOCK_REALTIME) is only for what a person or another host reads: log
 * timestamps, the start time /metrics reports, and sem_timedwait, which
 * takes nothing else.
 */

/* Monotonic time in microseconds and in milliseconds. */
long long now_us(void);
long long now_ms(void);

/* Wall-clock time since the epoch, in microseconds and in milliseconds. */
long long wall_us(void);
long long wall_ms(void);

/*
 * The absolute time ms milliseconds from now on clock id (CLOCK_MONOTONIC
 * or CLOCK_REALTIME), as the timed waits of pthread and semaphores take it.
 */
void deadline_in(clockid_t id, long long ms, struct timespec *ts);

#endif
