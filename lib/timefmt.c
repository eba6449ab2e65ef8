#include <stdio.h>
#include <time.h>

#include "timefmt.h"

int
timefmt(long long us, enum timefmt_style style, char out[TIMEFMT_MAX])
{
	/* Floor division, so times before 1970 keep a positive fraction. */
	long long sec = us / 1000000, frac = us % 1000000;
	char fraction[8] = "";
	struct tm tm;
	time_t t;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL)
		return snprintf(out, TIMEFMT_MAX, "invalid");
	if (frac != 0)
		snprintf(fraction, sizeof(fraction), ".%06lld", frac);
	return snprintf(out, TIMEFMT_MAX, "%04d-%02d-%02d%c%02d:%02d:%02d%s%s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    style == TIMEFMT_STR ? ' ' : 'T', tm.tm_hour, tm.tm_min, tm.tm_sec,
	    fraction, style == TIMEFMT_PYDANTIC ? "Z" : "+00:00");
}
