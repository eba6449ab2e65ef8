#ifndef TIMEFMT_H
#define TIMEFMT_H

/* Room for the longest form, "YYYY-MM-DD HH:MM:SS.ffffff+00:00" + NUL. */
#define TIMEFMT_MAX 40

/* The three ways Weave prints a UTC time (the read rules (README, lib/openapi.json)). */
enum timefmt_style {
	TIMEFMT_PYDANTIC,	/* 2026-11-30T12:34:56.789012Z */
	TIMEFMT_STR,		/* str(datetime): 2026-11-30 12:34:56.789012+00:00 */
	TIMEFMT_ISO		/* isoformat(): 2026-11-30T12:34:56.789012+00:00 */
};

/*
 * Writes us (microseconds since 1970-01-01 UTC) in style into out: six
 * fraction digits, or none when the microseconds are zero, as Python
 * does. Returns the length written.
 */
int timefmt(long long us, enum timefmt_style style, char out[TIMEFMT_MAX]);

#endif
