/*
 * A tiny unit-test harness. Every check counts as passed or failed; a failure
 * prints "file:line: <case>: expected X, got Y", where <case> is the input
 * that failed (table rows name themselves, so the line is the helper's).
 * Bytes outside printable ASCII are printed as \xNN so raw inputs stay legible.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

extern int t_passed, t_failed;

void test_pct(void);
void test_utf8(void);
void test_route(void);
void test_endpoint(void);
void test_query(void);
void test_base64(void);
void test_auth(void);
void test_validate(void);
void test_objname(void);
void test_body(void);
void test_respond(void);
void test_jsonb(void);
void test_app(void);
void test_pool(void);
void test_timefmt(void);
void test_version(void);
void test_openapi(void);
void test_jparse(void);
void test_canon(void);
void test_metrics(void);
void test_schema(void);
void test_config(void);
void test_keyseen(void);
void test_timefmt(void);

/* Prints s[0..len) with non-printable bytes as \xNN. */
static inline void
t_put(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7F)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
}

/* Same, quoted, with NULL shown as such. */
static inline void
t_putq(const char *s, size_t len)
{
	if (s == NULL) {
		fputs("NULL", stdout);
		return;
	}
	putchar('"');
	t_put(s, len);
	putchar('"');
}

static inline void
t_where(const char *file, int line, const char *what)
{
	printf("%s:%d: ", file, line);
	t_put(what, strlen(what));
	fputs(": expected ", stdout);
}

/*
 * Writes s[0..len) as a case label into buf (non-printable bytes as \xNN,
 * cut to fit): for inputs that hold NUL bytes or need their length shown.
 */
static inline const char *
t_label(char *buf, size_t size, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7F)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

static inline int
t_pass(void)
{
	t_passed++;
	return 1;
}

static inline int
t_int_(const char *file, int line, const char *what, long long want,
    long long got)
{
	if (want == got)
		return t_pass();
	t_failed++;
	t_where(file, line, what);
	printf("%lld, got %lld\n", want, got);
	return 0;
}

static inline int
t_mem_(const char *file, int line, const char *what, const char *want,
    size_t wlen, const char *got, size_t glen)
{
	if ((want == NULL && got == NULL) || (want != NULL && got != NULL &&
	    wlen == glen && memcmp(want, got, wlen) == 0))
		return t_pass();
	t_failed++;
	t_where(file, line, what);
	t_putq(want, wlen);
	fputs(", got ", stdout);
	t_putq(got, glen);
	putchar('\n');
	return 0;
}

static inline int
t_str_(const char *file, int line, const char *what, const char *want,
    const char *got)
{
	return t_mem_(file, line, what, want, want ? strlen(want) : 0, got,
	    got ? strlen(got) : 0);
}

#define T_INT(what, want, got) \
	t_int_(__FILE__, __LINE__, (what), (long long)(want), (long long)(got))
#define T_STR(what, want, got) \
	t_str_(__FILE__, __LINE__, (what), (want), (got))
#define T_MEM(what, want, wlen, got, glen) \
	t_mem_(__FILE__, __LINE__, (what), (want), (wlen), (got), (glen))

#define T_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
