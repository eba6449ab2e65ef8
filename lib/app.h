#ifndef APP_H
#define APP_H

#include "respond.h"
#include "store.h"

/* What the handler needs of one request: CGI variables, NULL when unset. */
struct request {
	const char	*method;	/* REQUEST_METHOD */
	const char	*request_uri;	/* REQUEST_URI, raw */
	const char	*script_name;	/* SCRIPT_NAME */
	const char	*path_info;	/* PATH_INFO */
	const char	*query_string;	/* QUERY_STRING */
	const char	*authorization;	/* HTTP_AUTHORIZATION */
	const char	*request_id;	/* HTTP_X_REQUEST_ID */
	const char	*content_type;	/* CONTENT_TYPE */
	const char	*remote_addr;	/* REMOTE_ADDR: who may see /metrics */
	const char	*body;		/* CONTENT_LENGTH bytes, read by cgi/ */
	size_t		 body_len;
	int		 body_too_large; /* over the limit: left unread */
};

struct app_config {
	const char	*prefix;	/* MODELS_API_PREFIX, "" for none */
	int		 metrics;	/* MODELS_API_METRICS: enum metrics_access */
};

/*
 * Where a streamed response goes (the list): write returns 0 when all of
 * buf[0..len) went out, -1 when the client is gone; flush pushes out what
 * is buffered (the headers, before the first row is fetched).
 */
struct app_sink {
	int	(*write)(void *ctx, const char *buf, size_t len);
	int	(*flush)(void *ctx);
	void	*ctx;
};

/*
 * Answers one request: route, body size, authenticate, validate,
 * authorize and act through st, in that order. Does no I/O of its own but
 * through sink, which only a list uses: then resp->streamed is set (the
 * whole answer went out) and resp->aborted when it was cut short. Otherwise
 * the caller writes resp. resp is initialised here and must be released
 * with resp_free.
 */
void app_handle(const struct app_config *cfg, const struct request *req,
    struct store *st, const struct app_sink *sink, struct response *resp);

/* Stores a new random request id (hex) in id. */
void app_new_request_id(char id[RESP_REQUEST_ID_MAX + 1]);

#endif
