#include <stdlib.h>

#include "lower_table.h"
#include "objname.h"
#include "utf8.h"

#define CAPITAL_SIGMA	0x3A3
#define SMALL_SIGMA	0x3C3
#define FINAL_SIGMA	0x3C2

#define DROP		0xFFFFFFFFu	/* not a code point: '<' and '>' */

#define IN_RANGES(table, cp) \
	utf8_in_ranges((table), sizeof(table) / sizeof((table)[0]), (cp))

/*
 * Context-free str.lower() of one code point: stores one or two code points
 * in to[] and returns how many.
 */
static size_t
lower_one(unsigned int cp, unsigned int to[2])
{
	size_t lo = 0, hi = sizeof(lower_runs) / sizeof(lower_runs[0]);
	size_t nmulti = sizeof(lower_multi) / sizeof(lower_multi[0]);

	for (size_t i = 0; i < nmulti; i++)
		if (lower_multi[i].cp == cp) {
			to[0] = lower_multi[i].to[0];
			to[1] = lower_multi[i].to[1];
			return 2;
		}
	to[0] = cp;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < lower_runs[mid].lo)
			hi = mid;
		else if (cp > lower_runs[mid].hi)
			lo = mid + 1;
		else {
			unsigned int off = cp - lower_runs[mid].lo;
			if (off % lower_runs[mid].stride == 0)
				to[0] = (unsigned int)((int)cp +
				    lower_runs[mid].delta);
			break;
		}
	}
	return 1;
}

/* make_safe_name's replacements: returns the code point to keep, or DROP. */
static unsigned int
safe_cp(unsigned int cp)
{
	if (cp == ' ' || cp == '/')
		return '_';
	if (cp == '<' || cp == '>')
		return DROP;
	return cp;
}

/*
 * Whether the capital sigma ending at s[0..i) is followed by a cased letter
 * (case-ignorable ones skipped) in what remains of s[i..len) after
 * make_safe_name's replacements.
 */
static int
cased_follows(const char *s, size_t len, size_t i)
{
	for (size_t k; i < len; i += k) {
		unsigned int cp = safe_cp(utf8_decode(s + i, &k));
		if (cp == DROP || IN_RANGES(lower_ignorable, cp))
			continue;
		return IN_RANGES(lower_cased, cp);
	}
	return 0;
}

int
objname_to_id(const char *name, size_t len, char **out, size_t *out_len)
{
	/* tools/gen-lower-table.py checks no code point grows past 3/2. */
	char *o = malloc(len + len / 2 + 1);
	size_t n = 0;
	int after_cased = 0;	/* the last not case-ignorable cp was cased */

	*out = o;
	*out_len = 0;
	if (o == NULL)
		return -1;
	for (size_t i = 0, k; i < len; i += k) {
		unsigned int cp = safe_cp(utf8_decode(name + i, &k)), to[2];
		size_t m;

		if (cp == DROP)
			continue;
		/* CPython's handle_capital_sigma, on the replaced text. */
		if (cp == CAPITAL_SIGMA) {
			to[0] = after_cased &&
			    !cased_follows(name, len, i + k) ?
			    FINAL_SIGMA : SMALL_SIGMA;
			m = 1;
		} else
			m = lower_one(cp, to);
		for (size_t j = 0; j < m; j++)
			n += utf8_encode(o + n, to[j]);
		if (!IN_RANGES(lower_ignorable, cp))
			after_cased = IN_RANGES(lower_cased, cp);
	}
	o[n] = '\0';
	*out_len = n;
	return 0;
}
