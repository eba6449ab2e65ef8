#ifndef LOG_H
#define LOG_H

#include "app.h"
#include "respond.h"

/*
 * Decides once, at start, where log lines go (before any thread runs):
 * - fd 2 closed or /dev/null (spawn-fcgi without -n does that): syslog,
 *   facility daemon, so no line is silently lost;
 * - fd 2 is the journal stream systemd named in JOURNAL_STREAM ("dev:ino"
 *   of that stream, compared with fd 2's): each line starts with its
 *   syslog priority, "<3>" errors, "<6>" access lines, which journald
 *   stores as the priority and strips from the text;
 * - otherwise plain lines on fd 2 (also without log_init).
 * Returns the choice, for the caller to mention.
 */
enum log_sink { LOG_SINK_STDERR, LOG_SINK_JOURNAL, LOG_SINK_SYSLOG,
	LOG_SINK_NONE };
enum log_sink log_init(const char *ident);

/*
 * LOG_SINK_NONE: fd 2 is closed or /dev/null and there is no syslog socket
 * (/dev/log), so no line could be seen anywhere. models-api then refuses
 * to start (exit 2) rather than run blind; lines written meanwhile go to
 * fd 2 as plain lines (log_startup's one complaint included), which
 * reaches whoever made fd 2 /dev/null only if they look at it.
 */

/*
 * Makes s one line of single-spaced words in place: tabs, newlines and
 * runs of blanks become one space, none at either end (libpq's messages
 * carry all three). Returns the new length.
 */
size_t log_oneline(char *s);

/*
 * Writes one access-log line to fd 2 in a single write(2), so lines from
 * concurrent threads never interleave:
 *   TIME REQUEST_ID METHOD PATH STATUS NUM_DELETED MICROSECONDS KEY_ID
 * with "-" for an absent field. The path is the raw path without query,
 * bytes outside printable ASCII as %XX. Never the key.
 */
void log_access(const struct request *req, const struct response *resp,
    long long micros);

/* Names the request this thread is serving, for log_error lines. */
void log_set_request(const char *request_id);

/* Writes "TIME models-api: REQUEST_ID message" to fd 2 as one line. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A start-up complaint ("models-api: message", as command-line programs
 * word theirs), as an error line where log_init sent the log: so a bad
 * setting is not lost when stderr is /dev/null (spawn-fcgi without -n).
 */
void log_startup(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
