#include "utf8.h"
#include "word_table.h"

long
utf8_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	long count = 0;

	while (p < end) {
		unsigned char c = *p;
		size_t need;
		unsigned char lo = 0x80, hi = 0xBF;

		/* The second-byte bounds exclude overlongs, surrogates and > U+10FFFF. */
		if (c < 0x80)
			need = 0;
		else if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else
			return -1;
		if ((size_t)(end - p) < need + 1)
			return -1;
		for (size_t i = 1; i <= need; i++) {
			unsigned char b = p[i];
			if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
				return -1;
		}
		p += need + 1;
		count++;
	}
	return count;
}

unsigned int
utf8_decode(const char *s, size_t *n)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p[0] < 0x80) {
		*n = 1;
		return p[0];
	}
	if (p[0] < 0xE0) {
		*n = 2;
		return ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu);
	}
	if (p[0] < 0xF0) {
		*n = 3;
		return ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) |
		    (p[2] & 0x3Fu);
	}
	*n = 4;
	return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) |
	    ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
}

int
utf8_is_word(unsigned int cp)
{
	size_t lo = 0, hi = sizeof(word_ranges) / sizeof(word_ranges[0]);

	/* Binary search over sorted, disjoint ranges. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < word_ranges[mid].lo)
			hi = mid;
		else if (cp > word_ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}
