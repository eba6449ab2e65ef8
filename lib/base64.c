#include "base64.h"

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
base64_decode(const char *in, size_t len, unsigned char *out)
{
	size_t o = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;

		for (int j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + j];
			/* '=' only at the end of the last quantum, at most two. */
			if (c == '=' && i + 4 == len && j >= 2 &&
			    (j == 3 || in[i + 3] == '=')) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[j] = b64val(c)) < 0)
				return -1;
		}
		unsigned long q = ((unsigned long)v[0] << 18) |
		    ((unsigned long)v[1] << 12) | ((unsigned long)v[2] << 6) |
		    (unsigned long)v[3];
		/* Like Python's decoder, ignore stray bits under the padding. */
		out[o++] = (unsigned char)(q >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(q >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)q;
	}
	return (long)o;
}

size_t
base64url_encode(const unsigned char *in, size_t len, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i = 0;

	for (; i + 3 <= len; i += 3) {
		unsigned long q = ((unsigned long)in[i] << 16) |
		    ((unsigned long)in[i + 1] << 8) | in[i + 2];
		out[o++] = tab[(q >> 18) & 63];
		out[o++] = tab[(q >> 12) & 63];
		out[o++] = tab[(q >> 6) & 63];
		out[o++] = tab[q & 63];
	}
	if (len - i == 1) {
		unsigned long q = (unsigned long)in[i] << 16;
		out[o++] = tab[(q >> 18) & 63];
		out[o++] = tab[(q >> 12) & 63];
	} else if (len - i == 2) {
		unsigned long q = ((unsigned long)in[i] << 16) |
		    ((unsigned long)in[i + 1] << 8);
		out[o++] = tab[(q >> 18) & 63];
		out[o++] = tab[(q >> 12) & 63];
		out[o++] = tab[(q >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}
