#include "t.h"
#include "timefmt.h"

/* Expectations from CPython's datetime (str, isoformat) and pydantic. */
static const struct {
	long long	 us;
	const char	*pydantic, *str, *iso;
} cases[] = {
	{ 0, "1970-01-01T00:00:00Z", "1970-01-01 00:00:00+00:00",
	    "1970-01-01T00:00:00+00:00" },
	{ 1, "1970-01-01T00:00:00.000001Z", "1970-01-01 00:00:00.000001+00:00",
	    "1970-01-01T00:00:00.000001+00:00" },
	{ 999999, "1970-01-01T00:00:00.999999Z",
	    "1970-01-01 00:00:00.999999+00:00",
	    "1970-01-01T00:00:00.999999+00:00" },
	{ 1764505496789012, "2025-11-30T12:24:56.789012Z",
	    "2025-11-30 12:24:56.789012+00:00",
	    "2025-11-30T12:24:56.789012+00:00" },
	/* No fraction at all when the microseconds are zero. */
	{ 1764505496000000, "2025-11-30T12:24:56Z", "2025-11-30 12:24:56+00:00",
	    "2025-11-30T12:24:56+00:00" },
	/* Before 1970 the fraction still counts forward from the second. */
	{ -1, "1969-12-31T23:59:59.999999Z", "1969-12-31 23:59:59.999999+00:00",
	    "1969-12-31T23:59:59.999999+00:00" },
	{ 253402300799999999, "9999-12-31T23:59:59.999999Z",
	    "9999-12-31 23:59:59.999999+00:00",
	    "9999-12-31T23:59:59.999999+00:00" },
};

void
test_timefmt(void)
{
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char out[TIMEFMT_MAX], label[64];
		const char *want[3] = { cases[i].pydantic, cases[i].str,
		    cases[i].iso };
		enum timefmt_style style[3] = { TIMEFMT_PYDANTIC, TIMEFMT_STR,
		    TIMEFMT_ISO };

		for (int k = 0; k < 3; k++) {
			int n = timefmt(cases[i].us, style[k], out);
			snprintf(label, sizeof(label), "timefmt(%lld, %d)",
			    cases[i].us, k);
			T_STR(label, want[k], out);
			T_INT(label, (int)strlen(want[k]), n);
		}
	}
}
