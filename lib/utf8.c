#include <string.h>

#include "utf8.h"
#include "word_table.h"

long
utf8_count(const char *s, size_t len)
{
	long count = 0;

	for (size_t i = 0, n; i < len; i += n, count++)
		if ((n = utf8_seq(s + i, len - i, NULL)) == 0)
			return -1;
	return count;
}

size_t
utf8_replace(const char *in, size_t len, char *out)
{
	size_t o = 0, i = 0, n, bad;

	while (i < len) {
		if ((n = utf8_seq(in + i, len - i, &bad)) > 0) {
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += bad;
		}
	}
	return o;
}

int
utf8_in_ranges(const struct utf8_range *r, size_t n, unsigned int cp)
{
	size_t lo = 0, hi = n;

	/* Binary search over sorted, disjoint ranges. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

int
utf8_is_word(unsigned int cp)
{
	return utf8_in_ranges(word_ranges,
	    sizeof(word_ranges) / sizeof(word_ranges[0]), cp);
}
