#ifndef APP_H
#define APP_H

#include "reqid.h"
#include "respond.h"
#include "store.h"

/* What reading a request body came to. */
enum app_body {
	APP_BODY_OK,		/* whole, or as much as came before EOF */
	APP_BODY_TIMEOUT,	/* not whole within the body deadline: 408 */
	APP_BODY_BUSY,		/* no room to take it in now: 503 */
	APP_BODY_NOMEM
};

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
	const char	*body;		/* when read_body is NULL: the body */
	size_t		 body_len;
	int		 body_too_large; /* over the limit: left unread */
	long long	 content_length; /* CONTENT_LENGTH; 0 when none */
	/*
	 * Reads the body on demand: only for a route that takes one, and
	 * only once the key is known to be allowed to send it, so nobody
	 * else's body is ever read, parsed or hashed. Stores a malloc'd
	 * buffer (NUL-terminated; the caller of app_handle frees it) in
	 * *body. NULL when body and body_len are given already.
	 */
	enum app_body	(*read_body)(void *ctx, char **body, size_t *len);
	void		*body_ctx;
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
 * authorize and act through st, in that order; for a request with a body,
 * the key and its role are checked before the body is read. Does no I/O of its own but
 * through sink, which only a list uses: then resp->streamed is set (the
 * whole answer went out) and resp->aborted when it was cut short. Otherwise
 * the caller writes resp. resp is initialised here and must be released
 * with resp_free.
 */
void app_handle(const struct app_config *cfg, const struct request *req,
    struct store *st, const struct app_sink *sink, struct response *resp);

#endif
