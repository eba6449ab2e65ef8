#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "respond.h"

void
resp_init(struct response *r)
{
	memset(r, 0, sizeof(*r));
	r->num_deleted = -1;
	r->key_id = -1;
}

void
resp_free(struct response *r)
{
	free(r->location);
	free(r->owned);
	r->location = r->owned = NULL;
	r->body = NULL;
}

void
resp_static(struct response *r, int status, const char *json)
{
	free(r->owned);
	r->owned = NULL;
	r->status = status;
	r->body = json;
	r->body_len = strlen(json);
}

int
resp_json(struct response *r, int status, struct json_object *obj)
{
	size_t len;
	/* FastAPI's rendering: numbers as Python prints them, UTF-8 kept. */
	char *copy = canon_compact(obj, &len);

	json_object_put(obj);
	if (copy == NULL)
		return -1;
	free(r->owned);
	r->status = status;
	r->body = r->owned = copy;
	r->body_len = len;
	return 0;
}

void
resp_internal_error(struct response *r)
{
	r->allow = NULL;
	r->www_authenticate = r->retry_after = 0;
	r->content_type = NULL;
	free(r->location);
	r->location = NULL;
	resp_static(r, 500, "{\"reason\":\"Internal server error\"}");
}

const char *
resp_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 307: return "Temporary Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 422: return "Unprocessable Entity";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

char *
resp_headers(const struct response *r, size_t *len)
{
	size_t cap = 512 + (r->location ? strlen(r->location) : 0);
	char *h = malloc(cap);
	int n;
	char length[48] = "";

	if (h == NULL)
		return NULL;
	/* A stream's length is unknown when its headers go out. */
	if (!r->jsonl)
		snprintf(length, sizeof(length), "Content-Length: %zu\r\n",
		    r->body_len);
	n = snprintf(h, cap, "Status: %d %s\r\n%s%s%s"
	    "%sX-Request-Id: %s\r\n"
	    "%s%s%s%s%s%s%s%s\r\n",
	    r->status, resp_reason(r->status),
	    r->jsonl ? "Content-Type: application/jsonl\r\n" :
	    r->content_type ? "Content-Type: " :
	    r->body_len ? "Content-Type: application/json\r\n" : "",
	    r->content_type && !r->jsonl ? r->content_type : "",
	    r->content_type && !r->jsonl ? "\r\n" : "",
	    length, r->request_id,
	    r->allow ? "Allow: " : "", r->allow ? r->allow : "",
	    r->allow ? "\r\n" : "",
	    r->www_authenticate ? "WWW-Authenticate: Basic\r\n" : "",
	    r->retry_after ? "Retry-After: 1\r\n" : "",
	    r->location ? "Location: " : "",
	    r->location ? r->location : "",
	    r->location ? "\r\n" : "");
	if (n < 0 || (size_t)n >= cap) {
		free(h);
		return NULL;
	}
	*len = (size_t)n;
	return h;
}
