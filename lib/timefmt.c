#include <stdio.h>
#include <time.h>

#include "timefmt.h"

/* Writes v (0..99) as two digits at o; returns the position after them. */
static char *
two(char *o, int v)
{
	o[0] = (char)('0' + v / 10);
	o[1] = (char)('0' + v % 10);
	return o + 2;
}

int
timefmt(long long us, enum timefmt_style style, char out[TIMEFMT_MAX])
{
	/* Floor division, so times before 1970 keep a positive fraction. */
	long long sec = us / 1000000, frac = us % 1000000;
	const char *end = style == TIMEFMT_PYDANTIC ? "Z" : "+00:00";
	struct tm tm;
	time_t t;
	char *o = out;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL)
		return snprintf(out, TIMEFMT_MAX, "invalid");
	if (tm.tm_year < 1 - 1900 || tm.tm_year > 9999 - 1900) {
		/* Outside Python's years: rare, so printf's general way. */
		char fraction[8] = "";

		if (frac != 0)
			snprintf(fraction, sizeof(fraction), ".%06lld", frac);
		return snprintf(out, TIMEFMT_MAX,
		    "%04d-%02d-%02d%c%02d:%02d:%02d%s%s", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, style == TIMEFMT_STR ? ' ' : 'T',
		    tm.tm_hour, tm.tm_min, tm.tm_sec, fraction, end);
	}
	/* By hand: a list renders one per line, and printf costs ~5k instructions. */
	o = two(o, (tm.tm_year + 1900) / 100);
	o = two(o, (tm.tm_year + 1900) % 100);
	*o++ = '-';
	o = two(o, tm.tm_mon + 1);
	*o++ = '-';
	o = two(o, tm.tm_mday);
	*o++ = style == TIMEFMT_STR ? ' ' : 'T';
	o = two(o, tm.tm_hour);
	*o++ = ':';
	o = two(o, tm.tm_min);
	*o++ = ':';
	o = two(o, tm.tm_sec);
	if (frac != 0) {
		*o++ = '.';
		for (int i = 5; i >= 0; i--) {
			o[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		o += 6;
	}
	while (*end)
		*o++ = *end++;
	*o = '\0';
	return (int)(o - out);
}
