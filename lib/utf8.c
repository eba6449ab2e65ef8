#include "utf8.h"
#include "word_table.h"

size_t
utf8_seq(const char *s, size_t len, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c = p[0], lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (c < 0x80)
		return 1;
	/* The second-byte bounds exclude overlongs, surrogates and > U+10FFFF. */
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else
		need = 0;
	for (i = 1; need > 0 && i <= need && i < len; i++) {
		if (p[i] < lo || p[i] > hi)
			break;
		lo = 0x80;
		hi = 0xBF;
	}
	if (need > 0 && i == need + 1)
		return need + 1;
	if (bad != NULL)
		*bad = i;
	return 0;
}

long
utf8_count(const char *s, size_t len)
{
	long count = 0;

	for (size_t i = 0, n; i < len; i += n, count++)
		if ((n = utf8_seq(s + i, len - i, NULL)) == 0)
			return -1;
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
