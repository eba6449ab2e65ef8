#include <stdlib.h>

#include "respond.h"
#include "t.h"

/* Compares resp_headers(r) with the whole header block, byte for byte. */
static void
check_headers(const char *label, const struct response *r, const char *want)
{
	size_t len = 0;
	char *h = resp_headers(r, &len);

	T_MEM(label, want, strlen(want), h, h ? len : 0);
	free(h);
}

static void
test_headers(void)
{
	struct response r;
	char *loc;

	resp_init(&r);
	strcpy(r.request_id, "abc");
	resp_static(&r, 200, "{\"num_deleted\":2}");
	check_headers("resp_headers(200 num_deleted)", &r,
	    "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 17\r\n"
	    "X-Request-Id: abc\r\n"
	    "\r\n");
	resp_free(&r);

	resp_init(&r);
	strcpy(r.request_id, "r-1");
	r.allow = "GET, HEAD";
	resp_static(&r, 405, "{\"detail\":\"Method Not Allowed\"}");
	check_headers("resp_headers(405 health)", &r,
	    "Status: 405 Method Not Allowed\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 31\r\n"
	    "X-Request-Id: r-1\r\n"
	    "Allow: GET, HEAD\r\n"
	    "\r\n");
	resp_free(&r);

	resp_init(&r);
	strcpy(r.request_id, "0123456789abcdef");
	r.www_authenticate = 1;
	resp_static(&r, 401, "{\"detail\":\"Not authenticated\"}");
	check_headers("resp_headers(401)", &r,
	    "Status: 401 Unauthorized\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 30\r\n"
	    "X-Request-Id: 0123456789abcdef\r\n"
	    "WWW-Authenticate: Basic\r\n"
	    "\r\n");
	resp_free(&r);

	resp_init(&r);
	strcpy(r.request_id, "id");
	r.retry_after = 1;
	resp_static(&r, 503, "{\"reason\":\"Service temporarily unavailable\","
	    "\"error_type\":\"ServiceUnavailable\"}");
	check_headers("resp_headers(503)", &r,
	    "Status: 503 Service Unavailable\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 78\r\n"
	    "X-Request-Id: id\r\n"
	    "Retry-After: 1\r\n"
	    "\r\n");
	resp_free(&r);

	/* A stream: its own type, no length. */
	resp_init(&r);
	strcpy(r.request_id, "s");
	r.status = 200;
	r.jsonl = 1;
	check_headers("resp_headers(200 jsonl)", &r,
	    "Status: 200 OK\r\n"
	    "Content-Type: application/jsonl\r\n"
	    "X-Request-Id: s\r\n"
	    "\r\n");
	resp_free(&r);

	/* A type of the answer's own (the metrics' text), a 10-digit length. */
	resp_init(&r);
	strcpy(r.request_id, "m");
	resp_static(&r, 200, "x");
	r.content_type = "text/plain; version=0.0.4; charset=utf-8";
	r.body_len = 1234567890;
	check_headers("resp_headers(200 own type)", &r,
	    "Status: 200 OK\r\n"
	    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
	    "Content-Length: 1234567890\r\n"
	    "X-Request-Id: m\r\n"
	    "\r\n");
	r.body_len = 1;
	resp_free(&r);

	/* An empty body has no Content-Type, but a Content-Length of 0. */
	resp_init(&r);
	strcpy(r.request_id, "x");
	r.location = strdup("/v2/e/p/models/m%2Fx?digests=v1");
	resp_static(&r, 307, "");
	check_headers("resp_headers(307)", &r,
	    "Status: 307 Temporary Redirect\r\n"
	    "Content-Length: 0\r\n"
	    "X-Request-Id: x\r\n"
	    "Location: /v2/e/p/models/m%2Fx?digests=v1\r\n"
	    "\r\n");
	resp_free(&r);

	/* A Location far longer than the fixed part of the block still fits. */
	resp_init(&r);
	strcpy(r.request_id, "x");
	loc = malloc(3002);
	loc[0] = '/';
	memset(loc + 1, 'a', 3000);
	loc[3001] = '\0';
	r.location = loc;
	resp_static(&r, 307, "");
	{
		size_t len = 0;
		char *h = resp_headers(&r, &len);
		const char *want_end = "aaaa\r\n\r\n";

		T_INT("resp_headers(307, 3001-byte Location) length",
		    strlen("Status: 307 Temporary Redirect\r\nContent-Length: "
		    "0\r\nX-Request-Id: x\r\nLocation: \r\n\r\n") + 3001,
		    h ? len : 0);
		if (h != NULL && len > 8)
			T_MEM("resp_headers(307, 3001-byte Location) end",
			    want_end, 8, h + len - 8, 8);
		free(h);
	}
	resp_free(&r);
}

static void
test_bodies(void)
{
	struct response r;
	struct json_object *o;

	/* resp_json: compact, slashes unescaped, the object consumed. */
	resp_init(&r);
	T_INT("resp_init num_deleted", -1, r.num_deleted);
	T_INT("resp_init key_id", -1, r.key_id);
	o = json_object_new_object();
	json_object_object_add(o, "reason", json_object_new_string(
	    "Project e/p not found"));
	json_object_object_add(o, "n", json_object_new_int(2));
	T_INT("resp_json rc", 0, resp_json(&r, 404, o));
	T_INT("resp_json status", 404, r.status);
	T_MEM("resp_json body", "{\"reason\":\"Project e/p not found\",\"n\":2}",
	    40, r.body, r.body_len);
	resp_free(&r);

	/* A 500 forgets the headers set for the answer it replaces. */
	resp_init(&r);
	r.allow = "DELETE";
	r.www_authenticate = r.retry_after = 1;
	r.location = strdup("/x");
	resp_static(&r, 401, "{\"detail\":\"Not authenticated\"}");
	resp_internal_error(&r);
	T_INT("resp_internal_error status", 500, r.status);
	T_STR("resp_internal_error body", "{\"reason\":\"Internal server error\"}",
	    r.body);
	T_INT("resp_internal_error allow", 1, r.allow == NULL);
	T_INT("resp_internal_error www_authenticate", 0, r.www_authenticate);
	T_INT("resp_internal_error retry_after", 0, r.retry_after);
	T_INT("resp_internal_error location", 1, r.location == NULL);
	resp_free(&r);
}

struct reason_case {
	int		 status;
	const char	*want;
};

static const struct reason_case reasons[] = {
	{ 200, "OK" },
	{ 307, "Temporary Redirect" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 422, "Unprocessable Entity" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

void
test_respond(void)
{
	char label[64];

	test_headers();
	test_bodies();
	for (size_t i = 0; i < T_LEN(reasons); i++) {
		snprintf(label, sizeof(label), "resp_reason(%d)",
		    reasons[i].status);
		T_STR(label, reasons[i].want, resp_reason(reasons[i].status));
	}
}
