#include <string.h>

#include "t.h"
#include "timefmt.h"

/*
 * Expected results are Python 3.11's, for
 * datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=us):
 * isoformat() with "+00:00" as "Z" (pydantic), str(), isoformat().
 */
struct time_case {
	long long	 us;
	const char	*pydantic, *str, *iso;
};

static const struct time_case time_cases[] = {
	{ 0, "1970-01-01T00:00:00Z", "1970-01-01 00:00:00+00:00",
	    "1970-01-01T00:00:00+00:00" },
	{ 1, "1970-01-01T00:00:00.000001Z", "1970-01-01 00:00:00.000001+00:00",
	    "1970-01-01T00:00:00.000001+00:00" },
	{ 999999, "1970-01-01T00:00:00.999999Z",
	    "1970-01-01 00:00:00.999999+00:00",
	    "1970-01-01T00:00:00.999999+00:00" },
	{ -1, "1969-12-31T23:59:59.999999Z", "1969-12-31 23:59:59.999999+00:00",
	    "1969-12-31T23:59:59.999999+00:00" },
	{ 1796042096789012LL, "2026-11-30T12:34:56.789012Z",
	    "2026-11-30 12:34:56.789012+00:00",
	    "2026-11-30T12:34:56.789012+00:00" },
	{ 1796042096000000LL, "2026-11-30T12:34:56Z",
	    "2026-11-30 12:34:56+00:00", "2026-11-30T12:34:56+00:00" },
	{ 1796042096000010LL, "2026-11-30T12:34:56.000010Z",
	    "2026-11-30 12:34:56.000010+00:00",
	    "2026-11-30T12:34:56.000010+00:00" },
	{ 951782400123456LL, "2000-02-29T00:00:00.123456Z",
	    "2000-02-29 00:00:00.123456+00:00",
	    "2000-02-29T00:00:00.123456+00:00" },
	{ 253402300799999999LL, "9999-12-31T23:59:59.999999Z",
	    "9999-12-31 23:59:59.999999+00:00",
	    "9999-12-31T23:59:59.999999+00:00" },
	{ -62135596800000000LL, "0001-01-01T00:00:00Z",
	    "0001-01-01 00:00:00+00:00", "0001-01-01T00:00:00+00:00" },
	/* Past Python's years (PostgreSQL allows them): printf's form. */
	{ 253402300800000000LL, "10000-01-01T00:00:00Z",
	    "10000-01-01 00:00:00+00:00", "10000-01-01T00:00:00+00:00" },
};

void
test_timefmt(void)
{
	char out[TIMEFMT_MAX];

	for (size_t i = 0; i < T_LEN(time_cases); i++) {
		const struct time_case *c = &time_cases[i];
		int n;

		n = timefmt(c->us, TIMEFMT_PYDANTIC, out);
		T_STR(c->pydantic, c->pydantic, out);
		T_INT(c->pydantic, (int)strlen(c->pydantic), n);
		n = timefmt(c->us, TIMEFMT_STR, out);
		T_STR(c->str, c->str, out);
		T_INT(c->str, (int)strlen(c->str), n);
		n = timefmt(c->us, TIMEFMT_ISO, out);
		T_STR(c->iso, c->iso, out);
		T_INT(c->iso, (int)strlen(c->iso), n);
	}
}
