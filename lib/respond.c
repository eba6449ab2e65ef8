#include <stdlib.h>
#include <string.h>

#include "append.h"
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

/*
 * Appended piece by piece, not through snprintf: its format parsing was a
 * sixth of the instructions of a whole 401. cap covers every fixed piece
 * (under 200 bytes together) and the variable ones, measured first.
 */
char *
resp_headers(const struct response *r, size_t *len)
{
	const char *type = r->jsonl ? "application/jsonl" : r->content_type ?
	    r->content_type : r->body_len ? "application/json" : NULL;
	size_t cap = 256 + strlen(r->request_id) +
	    (type ? strlen(type) : 0) + (r->allow ? strlen(r->allow) : 0) +
	    (r->location ? strlen(r->location) : 0);
	char *h = malloc(cap), *o = h;

	if (h == NULL)
		return NULL;
	append_str(&o, "Status: ");
	/* A status is an HTTP one, 100 to 599: never negative. */
	append_uint(&o, r->status > 0 ? (unsigned long long)r->status : 0);
	*o++ = ' ';
	append_str(&o, resp_reason(r->status));
	append_str(&o, "\r\n");
	if (type != NULL) {
		append_str(&o, "Content-Type: ");
		append_str(&o, type);
		append_str(&o, "\r\n");
	}
	/* A stream's length is unknown when its headers go out. */
	if (!r->jsonl) {
		append_str(&o, "Content-Length: ");
		append_uint(&o, r->body_len);
		append_str(&o, "\r\n");
	}
	append_str(&o, "X-Request-Id: ");
	append_str(&o, r->request_id);
	append_str(&o, "\r\n");
	if (r->allow) {
		append_str(&o, "Allow: ");
		append_str(&o, r->allow);
		append_str(&o, "\r\n");
	}
	if (r->www_authenticate)
		append_str(&o, "WWW-Authenticate: Basic\r\n");
	if (r->retry_after)
		append_str(&o, "Retry-After: 1\r\n");
	if (r->location) {
		append_str(&o, "Location: ");
		append_str(&o, r->location);
		append_str(&o, "\r\n");
	}
	append_str(&o, "\r\n");
	*o = '\0';
	*len = (size_t)(o - h);
	return h;
}
