#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* The largest settings file read: a few lines are expected, not megabytes. */
#define CONFIG_MAX	(1 << 20)

static int
fail(char *err, size_t cap, const char *name, unsigned long line,
    const char *why)
{
	snprintf(err, cap, "%s:%lu: %s", name, line, why);
	return -1;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
key_char(char c, int first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (!first && c >= '0' && c <= '9');
}

/*
 * Decodes the value in [p, end) into out (room for end - p + 1 bytes).
 * Returns NULL on success, or why the value is bad.
 */
static const char *
value(const char *p, const char *end, char *out)
{
	char q = p < end ? *p : '\0', *o = out;

	if (p == end || (q != '\'' && q != '"')) {
		/* Unquoted: literal, trailing blanks cut. */
		while (end > p && is_blank(end[-1]))
			end--;
		if (p < end && *p == '~')
			return "a shell would expand a leading ~: quote the "
			    "value ('...')";
		for (; p < end; p++) {
			/* What a shell would split, run or expand. */
			if (is_blank(*p) || strchr("&;|<>()$`\\\"'", *p) != NULL)
				return "quote the value ('...'): a shell reads "
				    "blanks, quotes and & ; | < > ( ) $ ` \\ "
				    "differently";
			*o++ = *p;
		}
		*o = '\0';
		return NULL;
	}
	for (p++; p < end && *p != q; p++) {
		/* In double quotes, as in sh: \ escapes only " \ $ ` . */
		if (q == '"' && *p == '\\' && p + 1 < end &&
		    strchr("\"\\$`", p[1]) != NULL)
			p++;
		else if (q == '"' && (*p == '$' || *p == '`'))
			return "a shell would expand $ or ` inside \"...\": "
			    "use '...' or write \\$";
		*o++ = *p;
	}
	if (p == end)
		return "no closing quote";
	for (p++; p < end; p++)
		if (!is_blank(*p))
			return "text after the closing quote";
	*o = '\0';
	return NULL;
}

int
config_parse(const char *name, const char *text, size_t len, config_fn fn,
    void *arg, char *err, size_t errcap)
{
	const char *p = text, *end = text + len;
	unsigned long line = 0;
	char *buf;
	int rc = 0;

	if (memchr(text, '\0', len) != NULL)
		return fail(err, errcap, name, 1, "a NUL byte: not a text file");
	if ((buf = malloc(len + 1)) == NULL) {
		snprintf(err, errcap, "%s: out of memory", name);
		return -1;
	}
	while (p < end && rc == 0) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *k, *why;
		size_t klen;

		line++;
		if (eol > p && eol[-1] == '\r')
			eol--;		/* a file written on Windows */
		while (p < eol && is_blank(*p))
			p++;
		if (p == eol || *p == '#')
			goto next;
		for (k = p; p < eol && key_char(*p, p == k); p++)
			;
		klen = (size_t)(p - k);
		if (klen == 0 || p == eol || *p != '=') {
			while (klen > 0 && p < eol && is_blank(*p))
				p++;
			rc = fail(err, errcap, name, line, klen > 0 &&
			    p < eol && *p == '=' ? "no blanks around '=' "
			    "(KEY=VALUE)" : "expected KEY=VALUE, KEY a "
			    "name of [A-Za-z0-9_] not starting with a digit");
			break;
		}
		memcpy(buf, k, klen);
		buf[klen] = '\0';
		if ((why = value(p + 1, eol, buf + klen + 1)) != NULL) {
			rc = fail(err, errcap, name, line, why);
			break;
		}
		rc = fn(arg, buf, buf + klen + 1);
next:
		p = nl ? nl + 1 : end;
	}
	free(buf);
	return rc;
}

static int
set_env(void *arg, const char *key, const char *val)
{
	(void)arg;
	/* overwrite = 0: what the environment already says wins. */
	return setenv(key, val, 0) == 0 ? 0 : -1;
}

int
config_load_env(const char *path, int optional, char *err, size_t errcap)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	int rc;

	if (f == NULL) {
		if (optional && errno == ENOENT)
			return 1;
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((text = malloc(CONFIG_MAX + 1)) == NULL) {
		fclose(f);
		snprintf(err, errcap, "%s: out of memory", path);
		return -1;
	}
	n = fread(text, 1, CONFIG_MAX + 1, f);
	if (ferror(f) || n > CONFIG_MAX) {
		snprintf(err, errcap, "%s: %s", path, ferror(f) ?
		    strerror(errno) : "larger than 1 MiB");
		free(text);
		fclose(f);
		return -1;
	}
	fclose(f);
	err[0] = '\0';
	rc = config_parse(path, text, n, set_env, NULL, err, errcap);
	if (rc != 0 && err[0] == '\0')
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
	free(text);
	return rc;
}
