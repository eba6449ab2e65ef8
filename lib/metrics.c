#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static const char *const route_names[METRICS_NROUTES] = {
	"not_found", "model_delete", "model_create", "model_list",
	"model_read", "health", "openapi", "metrics"
};

/* Fixed label sets: a client never makes a new series by what it sends. */
static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]) + 1)	/* + other */

/* Every status the app answers with; anything else counts as "other". */
static const int statuses[] = {
	200, 307, 400, 401, 403, 404, 405, 408, 413, 422, 500, 503
};
#define NSTATUSES (sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Upper bounds of the latency buckets, in microseconds and as labels. */
static const long long bucket_us[] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000
};
static const char *const bucket_le[] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
	"0.5", "1", "2.5", "5", "10"
};
/* The buckets above, and +Inf. */
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]) + 1)

static const char *const db_error_kinds[] = { "connect", "statement", "lost" };

static atomic_ullong requests[METRICS_NROUTES][NMETHODS][NSTATUSES];
/* Per bucket, not cumulative: the render sums, so +Inf always equals count. */
static atomic_ullong buckets[METRICS_NROUTES][NBUCKETS];
static atomic_ullong sum_us[METRICS_NROUTES];
static atomic_ullong db_events[METRICS_DB_NEVENTS];
static atomic_llong busy, lists;

/* Set once before any thread starts; read-only afterwards. */
static const char *build_version = "unknown";
static int nworkers;
static long long started_ms;

int
metrics_access_parse(const char *s)
{
	if (s == NULL || *s == '\0' || strcmp(s, "local") == 0)
		return METRICS_LOCAL;
	if (strcmp(s, "off") == 0)
		return METRICS_OFF;
	if (strcmp(s, "all") == 0)
		return METRICS_ALL;
	return -1;
}

int
metrics_allowed(enum metrics_access access, const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (access == METRICS_ALL)
		return 1;
	if (access != METRICS_LOCAL)
		return 0;
	/* No address, or a unix socket: the client is on this host. */
	if (addr == NULL || *addr == '\0' || addr[0] == '/' ||
	    strncmp(addr, "unix:", 5) == 0)
		return 1;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

void
metrics_init(const char *version, int workers, long long start_ms)
{
	build_version = version;
	nworkers = workers;
	started_ms = start_ms;
}

static size_t
method_index(const char *m)
{
	size_t i;

	for (i = 0; m != NULL && i < NMETHODS - 1; i++)
		if (strcmp(m, methods[i]) == 0)
			break;
	return m == NULL ? NMETHODS - 1 : i;
}

static size_t
status_index(int status)
{
	size_t i;

	for (i = 0; i < NSTATUSES - 1; i++)
		if (statuses[i] == status)
			break;
	return i;
}

void
metrics_request(enum metrics_route route, const char *method, int status,
    long long micros)
{
	size_t b;

	if ((unsigned)route >= METRICS_NROUTES)
		route = METRICS_ROUTE_NOT_FOUND;
	if (micros < 0)
		micros = 0;
	for (b = 0; b < NBUCKETS - 1 && micros > bucket_us[b]; b++)
		;
	atomic_fetch_add_explicit(&requests[route][method_index(method)]
	    [status_index(status)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&buckets[route][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sum_us[route], (unsigned long long)micros,
	    memory_order_relaxed);
}

void
metrics_busy_add(int delta)
{
	atomic_fetch_add_explicit(&busy, delta, memory_order_relaxed);
}

void
metrics_lists_add(int delta)
{
	atomic_fetch_add_explicit(&lists, delta, memory_order_relaxed);
}

void
metrics_db(enum metrics_db_event e)
{
	if ((unsigned)e < METRICS_DB_NEVENTS)
		atomic_fetch_add_explicit(&db_events[e], 1,
		    memory_order_relaxed);
}

static unsigned long long
get(atomic_ullong *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* "# HELP" and "# TYPE" of one metric. */
static void
head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newline escaped, as the format wants. */
static void
label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
render_requests(FILE *f)
{
	head(f, "models_api_requests_total", "counter",
	    "Requests answered, by route, method and status.");
	for (size_t r = 0; r < METRICS_NROUTES; r++)
		for (size_t m = 0; m < NMETHODS; m++)
			for (size_t s = 0; s < NSTATUSES; s++) {
				unsigned long long n = get(&requests[r][m][s]);
				char st[16] = "other";

				/* Series appear once they count something. */
				if (n == 0)
					continue;
				if (s < NSTATUSES - 1)
					snprintf(st, sizeof(st), "%d",
					    statuses[s]);
				fprintf(f, "models_api_requests_total{"
				    "route=\"%s\",method=\"%s\","
				    "status=\"%s\"} %llu\n",
				    route_names[r], m < NMETHODS - 1 ?
				    methods[m] : "other", st, n);
			}
}

static void
render_durations(FILE *f)
{
	static const char name[] = "models_api_request_duration_seconds";

	head(f, name, "histogram", "Time from a request's start to its "
	    "last byte handed to the front server, by route.");
	for (size_t r = 0; r < METRICS_NROUTES; r++) {
		unsigned long long total = 0, us = get(&sum_us[r]);

		for (size_t b = 0; b < NBUCKETS; b++) {
			total += get(&buckets[r][b]);
			fprintf(f, "%s_bucket{route=\"%s\",le=\"%s\"} %llu\n",
			    name, route_names[r],
			    b < NBUCKETS - 1 ? bucket_le[b] : "+Inf", total);
		}
		fprintf(f, "%s_sum{route=\"%s\"} %llu.%06llu\n", name,
		    route_names[r], us / 1000000, us % 1000000);
		fprintf(f, "%s_count{route=\"%s\"} %llu\n", name,
		    route_names[r], total);
	}
}

static void
render_db(FILE *f)
{
	static const enum metrics_db_event kinds[] = {
		METRICS_DB_CONNECT_FAILED, METRICS_DB_STATEMENT_ERROR,
		METRICS_DB_LOST
	};

	head(f, "models_api_db_errors_total", "counter", "Database failures: "
	    "connection attempts refused (connect), statements answered with "
	    "an error (statement), connections lost with a statement in "
	    "flight (lost).");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		fprintf(f, "models_api_db_errors_total{kind=\"%s\"} %llu\n",
		    db_error_kinds[i], get(&db_events[kinds[i]]));
	head(f, "models_api_db_statement_timeouts_total", "counter",
	    "Statements cancelled at the statement timeout (outcome unknown).");
	fprintf(f, "models_api_db_statement_timeouts_total %llu\n",
	    get(&db_events[METRICS_DB_TIMEOUT]));
	head(f, "models_api_db_reconnects_total", "counter",
	    "Database connections opened to replace a lost or dropped one.");
	fprintf(f, "models_api_db_reconnects_total %llu\n",
	    get(&db_events[METRICS_DB_RECONNECT]));
	head(f, "models_api_db_retries_total", "counter",
	    "Statements run again after a serialization failure or deadlock.");
	fprintf(f, "models_api_db_retries_total %llu\n",
	    get(&db_events[METRICS_DB_RETRY]));
}

char *
metrics_render(size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (f == NULL)
		return NULL;
	head(f, "models_api_build_info", "gauge",
	    "Always 1; the version of the running binary is its label.");
	fputs("models_api_build_info{version=\"", f);
	label_value(f, build_version);
	fputs("\"} 1\n", f);
	head(f, "process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch in seconds.");
	fprintf(f, "process_start_time_seconds %lld.%03lld\n",
	    started_ms / 1000, started_ms % 1000);
	head(f, "models_api_workers", "gauge",
	    "Worker threads, each serving one request at a time.");
	fprintf(f, "models_api_workers %d\n", nworkers);
	head(f, "models_api_busy_workers", "gauge",
	    "Workers serving a request now.");
	fprintf(f, "models_api_busy_workers %lld\n",
	    atomic_load_explicit(&busy, memory_order_relaxed));
	head(f, "models_api_lists_in_flight", "gauge",
	    "List requests streaming now.");
	fprintf(f, "models_api_lists_in_flight %lld\n",
	    atomic_load_explicit(&lists, memory_order_relaxed));
	render_requests(f);
	render_durations(f);
	render_db(f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

void
metrics_reset(void)
{
	for (size_t r = 0; r < METRICS_NROUTES; r++) {
		for (size_t m = 0; m < NMETHODS; m++)
			for (size_t s = 0; s < NSTATUSES; s++)
				atomic_store(&requests[r][m][s], 0);
		for (size_t b = 0; b < NBUCKETS; b++)
			atomic_store(&buckets[r][b], 0);
		atomic_store(&sum_us[r], 0);
	}
	for (size_t e = 0; e < METRICS_DB_NEVENTS; e++)
		atomic_store(&db_events[e], 0);
	atomic_store(&busy, 0);
	atomic_store(&lists, 0);
}
