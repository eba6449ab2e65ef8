#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "append.h"
#include "clock.h"
#include "log.h"
#include "pct.h"

/* syslog(3)'s socket (glibc's _PATH_LOG); a test may point elsewhere. */
#ifndef LOG_SOCKET
#define LOG_SOCKET "/dev/log"
#endif

/* Longest path logged in full; the rest is cut, the line stays one line. */
#define LOG_PATH_MAX 2048
/* Longest method logged; a longer one is cut. */
#define LOG_METHOD_MAX 16
/* That path percent-escaped: every byte may become three ("%XX"). */
#define LOG_PATH_ESCAPED (LOG_PATH_MAX * 3)
/*
 * Room for the longest line there is, an access line: its escaped path and
 * under 512 bytes of time, request id, method and numbers (an error line
 * is at most 1200 bytes, so it fits too).
 */
#define LOG_LINE_MAX (LOG_PATH_ESCAPED + 512)
/* Room for the journal's "<N>" priority prefix, with some to spare. */
#define LOG_PRIO_PREFIX 8

/* Formats the current UTC time with microseconds into buf (>= 32 bytes). */
static void
now_utc(char *buf, size_t cap)
{
	/* The date and time to the second change once a second: cache them. */
	static _Thread_local time_t cached_sec = -1;
	static _Thread_local char cached[24];
	static _Thread_local size_t cached_len;
	long long us = wall_us();
	time_t sec = (time_t)(us / 1000000);

	if (sec != cached_sec) {
		struct tm tm;
		gmtime_r(&sec, &tm);
		cached_len = strftime(cached, sizeof(cached),
		    "%Y-%m-%dT%H:%M:%S", &tm);
		cached_sec = sec;
	}
	if (cap < cached_len + 9) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, cached, cached_len);
	buf += cached_len;
	*buf++ = '.';
	/* Six digits of microseconds, zero-padded, by hand: once a request. */
	us %= 1000000;
	for (int i = 5; i >= 0; i--, us /= 10)
		buf[i] = (char)('0' + us % 10);
	buf[6] = 'Z';
	buf[7] = '\0';
}

/* Appends v in decimal at *o, or "-" when v is negative (none). */
static void
put_count(char **o, long long v)
{
	if (v < 0)
		*(*o)++ = '-';
	else
		append_uint(o, (unsigned long long)v);
}

size_t
log_oneline(char *s)
{
	char *o = s;

	/*
	 * libpq's messages hold "ERROR:  x", "\n\tIs the server running...",
	 * and end in "\n" or " ": blanks of any kind become one space, none
	 * at either end, so a log line is one line of single-spaced words.
	 */
	for (char *p = s; *p; p++) {
		int blank = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' ||
		    *p == '\v' || *p == '\f';
		if (!blank)
			*o++ = *p;
		else if (o > s && o[-1] != ' ')
			*o++ = ' ';
	}
	if (o > s && o[-1] == ' ')
		o--;
	*o = '\0';
	return (size_t)(o - s);
}

/* Set once by log_init before any thread starts; read-only afterwards. */
static enum log_sink sink = LOG_SINK_STDERR;

/* True when fd 2 is /dev/null: what a detaching spawner leaves behind. */
static int
stderr_is_null(const struct stat *sb)
{
	return S_ISCHR(sb->st_mode) && major(sb->st_rdev) == 1 &&
	    minor(sb->st_rdev) == 3;
}

/* True when fd 2 is the stream JOURNAL_STREAM names ("DEV:INO"). */
static int
stderr_is_journal(const struct stat *sb)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	char end;

	if (js == NULL || sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	return (unsigned long long)sb->st_dev == dev &&
	    (unsigned long long)sb->st_ino == ino;
}

enum log_sink
log_init(const char *ident)
{
	struct stat sb;

	if (fstat(2, &sb) != 0 || stderr_is_null(&sb)) {
		struct stat lb;

		/*
		 * No syslog socket (a container, a host without rsyslog or
		 * journald): syslog(3) would drop every line without a word.
		 */
		if (stat(LOG_SOCKET, &lb) != 0 || !S_ISSOCK(lb.st_mode))
			return sink = LOG_SINK_NONE;
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		sink = LOG_SINK_SYSLOG;
	} else if (stderr_is_journal(&sb))
		sink = LOG_SINK_JOURNAL;
	else
		sink = LOG_SINK_STDERR;
	return sink;
}

/*
 * Writes one line (ending in '\n') of the given syslog priority where
 * log_init chose, in one write(2) (or one syslog(3) call).
 */
static void
write_line(int prio, const char *line, size_t len)
{
	char buf[LOG_PRIO_PREFIX + LOG_LINE_MAX];

	if (sink == LOG_SINK_SYSLOG) {
		syslog(prio, "%.*s", (int)(len > 0 ? len - 1 : 0), line);
		return;
	}
	if (sink == LOG_SINK_JOURNAL && len + 3 < sizeof(buf)) {
		buf[0] = '<';
		buf[1] = (char)('0' + prio);
		buf[2] = '>';
		memcpy(buf + 3, line, len);
		line = buf;
		len += 3;
	}
	while (len > 0) {
		ssize_t n = write(2, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		line += n;
		len -= (size_t)n;
	}
}

void
log_access(const struct request *req, const struct response *resp,
    long long micros)
{
	const char *uri = req->request_uri;
	char path[LOG_PATH_ESCAPED + 1], method[LOG_METHOD_MAX * 3 + 1];
	char joined[LOG_PATH_MAX + 1];
	size_t plen;

	/*
	 * Without REQUEST_URI the app routed SCRIPT_NAME + PATH_INFO, already
	 * decoded and without query: a '?' there is part of the path.
	 */
	if (uri == NULL) {
		snprintf(joined, sizeof(joined), "%s%s",
		    req->script_name ? req->script_name : "",
		    req->path_info ? req->path_info : "");
		uri = joined;
		plen = strlen(joined);
	} else
		plen = strcspn(uri, "?");
	/* when, id, method and the numbers: well under 256 bytes together. */
	char line[sizeof(path) + sizeof(method) + RESP_REQUEST_ID_MAX + 256];
	const char *m = req->method && *req->method ? req->method : "-";
	char *o = line;

	/* Appended piece by piece: snprintf was an eighth of a 401. */
	now_utc(o, 64);
	o += strlen(o);
	*o++ = ' ';
	append_str(&o, resp->request_id);
	*o++ = ' ';
	pct_escape(m, strnlen(m, LOG_METHOD_MAX), method);
	append_str(&o, method);
	*o++ = ' ';
	pct_escape(uri, plen > LOG_PATH_MAX ? LOG_PATH_MAX : plen, path);
	append_str(&o, path[0] ? path : "-");
	*o++ = ' ';
	put_count(&o, resp->status);
	*o++ = ' ';
	put_count(&o, resp->num_deleted);
	*o++ = ' ';
	put_count(&o, micros);
	*o++ = ' ';
	put_count(&o, resp->key_id);
	*o++ = '\n';
	write_line(LOG_INFO, line, (size_t)(o - line));
}

static _Thread_local const char *current_request;

void
log_set_request(const char *request_id)
{
	current_request = request_id;
}

void
log_error(const char *fmt, ...)
{
	char when[64], msg[1024], line[1200];
	va_list ap;
	int n;

	now_utc(when, sizeof(when));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_oneline(msg);
	n = snprintf(line, sizeof(line), "%s models-api: %s %s\n", when,
	    current_request ? current_request : "-", msg);
	if (n > 0)
		write_line(LOG_ERR, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
}

void
log_startup(const char *fmt, ...)
{
	char msg[1024], line[1100];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(line, sizeof(line), "models-api: %s\n", msg);
	if (n > 0)
		write_line(LOG_ERR, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
}
