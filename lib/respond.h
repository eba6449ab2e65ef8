#ifndef RESPOND_H
#define RESPOND_H
#include <stddef.h>

#include <json-c/json.h>

#define RESP_REQUEST_ID_MAX 64

struct response {
	int		 status;
	const char	*allow;			/* Allow header, or NULL */
	int		 www_authenticate;	/* WWW-Authenticate: Basic */
	int		 retry_after;		/* Retry-After: 1 */
	char		*location;		/* malloc'd Location, or NULL */
	const char	*body;			/* static or == owned */
	size_t		 body_len;
	char		*owned;
	int		 omit_body;		/* HEAD: headers only */
	int		 jsonl;			/* a JSON Lines stream: no length */
	const char	*content_type;		/* instead of JSON's, or NULL */
	int		 streamed;		/* already written through the sink */
	int		 aborted;		/* the stream was cut short */
	long long	 num_deleted;		/* -1: not a delete answer */
	long long	 key_id;		/* -1: no key identified */
	int		 route;			/* enum metrics_route */
	char		 request_id[RESP_REQUEST_ID_MAX + 1];
};

void resp_init(struct response *r);
void resp_free(struct response *r);

/* Sets the status and a static JSON body. */
void resp_static(struct response *r, int status, const char *json);

/*
 * Sets the status and the compact serialisation of obj (which is released).
 * Returns 0, or -1 when out of memory (obj released, nothing set).
 */
int resp_json(struct response *r, int status, struct json_object *obj);

/* Sets a 500 for a failure inside the service. */
void resp_internal_error(struct response *r);

/*
 * Returns a malloc'd CGI/FastCGI header block ("Status: ..." through the
 * blank line) for r, and its length in *len; NULL when out of memory.
 */
char *resp_headers(const struct response *r, size_t *len);

/* The reason phrase for an HTTP status this service sends. */
const char *resp_reason(int status);

#endif
