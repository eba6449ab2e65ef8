#ifndef LOG_H
#define LOG_H

#include "app.h"
#include "respond.h"

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

#endif
