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
};

struct app_config {
	const char	*prefix;	/* MODELS_API_PREFIX, "" for none */
};

/*
 * Answers one request: route, authenticate, validate, authorize and delete
 * through st, in that order. Does no I/O of its own; resp is initialised
 * here and must be released with resp_free.
 */
void app_handle(const struct app_config *cfg, const struct request *req,
    struct store *st, struct response *resp);

/* Stores a new random request id (hex) in id. */
void app_new_request_id(char id[RESP_REQUEST_ID_MAX + 1]);

#endif
