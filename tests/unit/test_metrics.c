#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "metrics.h"
#include "t.h"

/* ---- who may read /metrics ---- */

static const struct { const char *s; int want; } parse_cases[] = {
	{ NULL, METRICS_LOCAL }, { "", METRICS_LOCAL },
	{ "local", METRICS_LOCAL }, { "off", METRICS_OFF },
	{ "all", METRICS_ALL }, { "ALL", -1 }, { "on", -1 }, { "local ", -1 },
	{ "0", -1 },
};

static const struct { int access; const char *addr; int ok; } allow_cases[] = {
	{ METRICS_LOCAL, "127.0.0.1", 1 },
	{ METRICS_LOCAL, "127.255.3.4", 1 },
	{ METRICS_LOCAL, "::1", 1 },
	{ METRICS_LOCAL, "0:0:0:0:0:0:0:1", 1 },
	{ METRICS_LOCAL, "::ffff:127.0.0.2", 1 },
	{ METRICS_LOCAL, NULL, 1 },
	{ METRICS_LOCAL, "", 1 },
	{ METRICS_LOCAL, "unix:", 1 },
	{ METRICS_LOCAL, "/run/lighttpd/front.sock", 1 },
	{ METRICS_LOCAL, "128.0.0.1", 0 },
	{ METRICS_LOCAL, "10.0.0.1", 0 },
	{ METRICS_LOCAL, "203.0.113.5", 0 },
	{ METRICS_LOCAL, "0.0.0.0", 0 },
	{ METRICS_LOCAL, "::2", 0 },
	{ METRICS_LOCAL, "::", 0 },
	{ METRICS_LOCAL, "::ffff:10.0.0.1", 0 },
	{ METRICS_LOCAL, "::127.0.0.1", 0 },
	{ METRICS_LOCAL, "2001:db8::1", 0 },
	/* Only what inet_pton reads whole: no shorthand, no spaces. */
	{ METRICS_LOCAL, "127.1", 0 },
	{ METRICS_LOCAL, "127.0.0.1 ", 0 },
	{ METRICS_LOCAL, " 127.0.0.1", 0 },
	{ METRICS_LOCAL, "127.0.0.1x", 0 },
	{ METRICS_LOCAL, "localhost", 0 },
	{ METRICS_OFF, "127.0.0.1", 0 },
	{ METRICS_OFF, NULL, 0 },
	{ METRICS_ALL, "203.0.113.5", 1 },
	{ METRICS_ALL, NULL, 1 },
};

static void
test_access(void)
{
	char label[128];

	for (size_t i = 0; i < T_LEN(parse_cases); i++) {
		snprintf(label, sizeof(label), "metrics_access_parse(%s)",
		    parse_cases[i].s ? parse_cases[i].s : "NULL");
		T_INT(label, parse_cases[i].want,
		    metrics_access_parse(parse_cases[i].s));
	}
	for (size_t i = 0; i < T_LEN(allow_cases); i++) {
		snprintf(label, sizeof(label), "metrics_allowed(%d, %s)",
		    allow_cases[i].access, allow_cases[i].addr ?
		    allow_cases[i].addr : "NULL");
		T_INT(label, allow_cases[i].ok, metrics_allowed(
		    allow_cases[i].access, allow_cases[i].addr));
	}
}

/* ---- the text for a known set of counts ---- */

#define HIST "models_api_request_duration_seconds"

static const char *const les[] = { "0.001", "0.0025", "0.005", "0.01",
	"0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf" };

/* Appends one route's histogram: cumulative counts per bucket. */
static void
hist(char **out, const char *route, const unsigned cum[14], const char *sum)
{
	char *s = *out, *line;

	for (int i = 0; i < 14; i++) {
		if (asprintf(&line, "%s%s_bucket{route=\"%s\",le=\"%s\"} %u\n",
		    s, HIST, route, les[i], cum[i]) < 0)
			abort();
		free(s);
		s = line;
	}
	if (asprintf(&line, "%s%s_sum{route=\"%s\"} %s\n%s_count{route=\"%s\"} "
	    "%u\n", s, HIST, route, sum, HIST, route, cum[13]) < 0)
		abort();
	free(s);
	*out = line;
}

static void
append(char **out, const char *text)
{
	char *s;

	if (asprintf(&s, "%s%s", *out, text) < 0)
		abort();
	free(*out);
	*out = s;
}

static void
test_render(void)
{
	static const unsigned zero[14];
	static const unsigned health[14] = { 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	    2, 2, 2 };
	static const unsigned create[14] = { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 3 };
	char *want, *got;
	size_t len;

	metrics_reset();
	metrics_init("1.2.3-\"q\"\\", 2, 1700000000123LL);
	/* Bucket edges are "less or equal": 1000 us is in le="0.001". */
	metrics_request(METRICS_ROUTE_HEALTH, "GET", 200, 1000);
	metrics_request(METRICS_ROUTE_HEALTH, "HEAD", 200, 1001);
	metrics_request(METRICS_ROUTE_MODEL_CREATE, "POST", 422, 2500);
	metrics_request(METRICS_ROUTE_MODEL_CREATE, "POST", 200, 10000001);
	metrics_request(METRICS_ROUTE_MODEL_CREATE, "POST", 200, 20000000);
	/* Outside the fixed label sets: "other", never a new series. */
	metrics_request(METRICS_ROUTE_NOT_FOUND, "BREW", 418, 9999999);
	metrics_request(METRICS_ROUTE_NOT_FOUND, NULL, 404, -5);
	metrics_request((enum metrics_route)99, "get", 404, 10000000);
	metrics_busy_add(1);
	metrics_busy_add(1);
	metrics_busy_add(-1);
	metrics_lists_add(1);
	metrics_db(METRICS_DB_CONNECT_FAILED);
	metrics_db(METRICS_DB_STATEMENT_ERROR);
	metrics_db(METRICS_DB_STATEMENT_ERROR);
	metrics_db(METRICS_DB_LOST);
	metrics_db(METRICS_DB_TIMEOUT);
	metrics_db(METRICS_DB_RECONNECT);
	metrics_db(METRICS_DB_RECONNECT);
	metrics_db(METRICS_DB_RETRY);
	metrics_db(METRICS_DB_RETRY);
	metrics_db(METRICS_DB_RETRY);
	metrics_db((enum metrics_db_event)42);

	want = strdup(
	    "# HELP models_api_build_info Always 1; the version of the running "
	    "binary is its label.\n"
	    "# TYPE models_api_build_info gauge\n"
	    "models_api_build_info{version=\"1.2.3-\\\"q\\\"\\\\\"} 1\n"
	    "# HELP process_start_time_seconds Start time of the process since "
	    "the Unix epoch in seconds.\n"
	    "# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds 1700000000.123\n"
	    "# HELP models_api_workers Worker threads, each serving one request "
	    "at a time.\n"
	    "# TYPE models_api_workers gauge\n"
	    "models_api_workers 2\n"
	    "# HELP models_api_busy_workers Workers serving a request now.\n"
	    "# TYPE models_api_busy_workers gauge\n"
	    "models_api_busy_workers 1\n"
	    "# HELP models_api_lists_in_flight List requests streaming now.\n"
	    "# TYPE models_api_lists_in_flight gauge\n"
	    "models_api_lists_in_flight 1\n"
	    "# HELP models_api_requests_total Requests answered, by route, "
	    "method and status.\n"
	    "# TYPE models_api_requests_total counter\n"
	    "models_api_requests_total{route=\"not_found\",method=\"other\","
	    "status=\"404\"} 2\n"
	    "models_api_requests_total{route=\"not_found\",method=\"other\","
	    "status=\"other\"} 1\n"
	    "models_api_requests_total{route=\"model_create\",method=\"POST\","
	    "status=\"200\"} 2\n"
	    "models_api_requests_total{route=\"model_create\",method=\"POST\","
	    "status=\"422\"} 1\n"
	    "models_api_requests_total{route=\"health\",method=\"GET\","
	    "status=\"200\"} 1\n"
	    "models_api_requests_total{route=\"health\",method=\"HEAD\","
	    "status=\"200\"} 1\n"
	    "# HELP " HIST " Time from a request's start to its last byte "
	    "handed to the front server, by route.\n"
	    "# TYPE " HIST " histogram\n");
	if (want == NULL)
		abort();
	{
		/* not_found: 9.999999 s, 0 s (clamped) and 10 s exactly. */
		static const unsigned nf3[14] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		    1, 1, 3, 3 };
		hist(&want, "not_found", nf3, "19.999999");
	}
	hist(&want, "model_delete", zero, "0.000000");
	hist(&want, "model_create", create, "30.002501");
	hist(&want, "model_list", zero, "0.000000");
	hist(&want, "model_read", zero, "0.000000");
	hist(&want, "health", health, "0.002001");
	hist(&want, "openapi", zero, "0.000000");
	hist(&want, "metrics", zero, "0.000000");
	append(&want,
	    "# HELP models_api_db_errors_total Database failures: connection "
	    "attempts refused (connect), statements answered with an error "
	    "(statement), connections lost with a statement in flight (lost).\n"
	    "# TYPE models_api_db_errors_total counter\n"
	    "models_api_db_errors_total{kind=\"connect\"} 1\n"
	    "models_api_db_errors_total{kind=\"statement\"} 2\n"
	    "models_api_db_errors_total{kind=\"lost\"} 1\n"
	    "# HELP models_api_db_statement_timeouts_total Statements cancelled "
	    "at the statement timeout (outcome unknown).\n"
	    "# TYPE models_api_db_statement_timeouts_total counter\n"
	    "models_api_db_statement_timeouts_total 1\n"
	    "# HELP models_api_db_reconnects_total Database connections opened "
	    "to replace a lost or dropped one.\n"
	    "# TYPE models_api_db_reconnects_total counter\n"
	    "models_api_db_reconnects_total 2\n"
	    "# HELP models_api_db_retries_total Statements run again after a "
	    "serialization failure or deadlock.\n"
	    "# TYPE models_api_db_retries_total counter\n"
	    "models_api_db_retries_total 3\n");

	got = metrics_render(&len);
	if (T_INT("metrics_render returns text", 1, got != NULL)) {
		T_INT("metrics_render length", strlen(got), len);
		T_STR("metrics_render text", want, got);
	}
	free(got);
	free(want);

	/* Reset: every count back to zero, the series set the same. */
	metrics_reset();
	got = metrics_render(&len);
	if (T_INT("metrics_render after reset", 1, got != NULL)) {
		T_INT("no request series after reset", 1,
		    strstr(got, "models_api_requests_total{") == NULL);
		T_INT("histograms stay after reset", 1,
		    strstr(got, HIST "_count{route=\"metrics\"} 0\n") != NULL);
		T_INT("gauges back to zero", 1,
		    strstr(got, "models_api_busy_workers 0\n") != NULL);
	}
	free(got);
}

/* ---- GET /metrics through app_handle ---- */

static enum store_status
fake_health(void *ctx)
{
	(void)ctx;
	return STORE_OK;
}

static const struct store_ops ops = { .health = fake_health };

struct page_case {
	int		 access;
	const char	*method, *uri, *addr;
	int		 status;
	const char	*allow;
	int		 route;
};

#define NF_BODY "{\"detail\":\"Not Found\"}"

static const struct page_case page_cases[] = {
	{ METRICS_LOCAL, "GET", "/metrics", "127.0.0.1", 200, NULL,
	    METRICS_ROUTE_METRICS },
	{ METRICS_LOCAL, "HEAD", "/metrics", "::1", 200, NULL,
	    METRICS_ROUTE_METRICS },
	{ METRICS_LOCAL, "GET", "/metrics", NULL, 200, NULL,
	    METRICS_ROUTE_METRICS },
	{ METRICS_LOCAL, "POST", "/metrics", "127.0.0.1", 405, "GET, HEAD",
	    METRICS_ROUTE_METRICS },
	{ METRICS_LOCAL, "GET", "/metrics/", "127.0.0.1", 307, NULL,
	    METRICS_ROUTE_METRICS },
	/* Refused: no such route at all, whatever the method or slash. */
	{ METRICS_LOCAL, "GET", "/metrics", "203.0.113.5", 404, NULL,
	    METRICS_ROUTE_NOT_FOUND },
	{ METRICS_LOCAL, "POST", "/metrics", "203.0.113.5", 404, NULL,
	    METRICS_ROUTE_NOT_FOUND },
	{ METRICS_LOCAL, "GET", "/metrics/", "203.0.113.5", 404, NULL,
	    METRICS_ROUTE_NOT_FOUND },
	{ METRICS_OFF, "GET", "/metrics", "127.0.0.1", 404, NULL,
	    METRICS_ROUTE_NOT_FOUND },
	{ METRICS_ALL, "GET", "/metrics", "203.0.113.5", 200, NULL,
	    METRICS_ROUTE_METRICS },
	{ METRICS_LOCAL, "GET", "/api/metrics", "127.0.0.1", 200, NULL,
	    METRICS_ROUTE_METRICS },
	/* The route label of the other endpoints. */
	{ METRICS_LOCAL, "GET", "/health", "203.0.113.5", 200, NULL,
	    METRICS_ROUTE_HEALTH },
	{ METRICS_LOCAL, "DELETE", "/v2/e/p/models/m", NULL, 401, NULL,
	    METRICS_ROUTE_MODEL_DELETE },
	{ METRICS_LOCAL, "POST", "/v2/e/p/models", NULL, 401, NULL,
	    METRICS_ROUTE_MODEL_CREATE },
	{ METRICS_LOCAL, "GET", "/v2/e/p/models", NULL, 401, NULL,
	    METRICS_ROUTE_MODEL_LIST },
	{ METRICS_LOCAL, "PUT", "/v2/e/p/models", NULL, 405, "GET, POST",
	    METRICS_ROUTE_MODEL_LIST },
	{ METRICS_LOCAL, "GET", "/v2/e/p/models/m/versions/v1", NULL, 401,
	    NULL, METRICS_ROUTE_MODEL_READ },
	{ METRICS_LOCAL, "GET", "/v2/e/p/nothing", NULL, 404, NULL,
	    METRICS_ROUTE_NOT_FOUND },
};

static void
test_page(void)
{
	struct store st = { &ops, NULL };

	for (size_t i = 0; i < T_LEN(page_cases); i++) {
		const struct page_case *c = &page_cases[i];
		int api = strncmp(c->uri, "/api/", 5) == 0;
		struct app_config cfg = { .prefix = api ? "/api" : "",
		    .metrics = c->access };
		struct request req = { .method = c->method,
		    .request_uri = c->uri, .remote_addr = c->addr };
		struct response r;
		char label[160], *h;
		size_t hlen;

		snprintf(label, sizeof(label), "%s %s from %s (access %d)",
		    c->method, c->uri, c->addr ? c->addr : "NULL", c->access);
		app_handle(&cfg, &req, &st, NULL, &r);
		T_INT(label, c->status, r.status);
		T_INT(label, c->route, r.route);
		T_STR(label, c->allow, r.allow);
		h = resp_headers(&r, &hlen);
		if (c->status == 404)
			T_MEM(label, NF_BODY, strlen(NF_BODY), r.body,
			    r.body_len);
		if (c->status == 200 && c->route == METRICS_ROUTE_METRICS) {
			T_INT(label, 1, r.body_len > 0 && strncmp(r.body,
			    "# HELP models_api_build_info ", 29) == 0);
			T_INT(label, 1, h != NULL && strstr(h, "\r\nContent-Type: "
			    "text/plain; version=0.0.4; charset=utf-8\r\n") !=
			    NULL);
			T_INT(label, strcmp(c->method, "HEAD") == 0,
			    r.omit_body);
		} else
			T_INT(label, 1, h != NULL &&
			    strstr(h, "text/plain") == NULL);
		free(h);
		resp_free(&r);
	}
}

void
test_metrics(void)
{
	test_access();
	test_render();
	test_page();
}
