#ifndef METRICS_H
#define METRICS_H
#include <stddef.h>

/*
 * Process-wide counters for GET /metrics, in Prometheus' text exposition
 * format (version 0.0.4). Every update is one relaxed atomic operation, so
 * any thread may call these at any time without a lock; a render reads
 * them one by one, so it may see a request counted whose duration is not
 * yet in the histogram, never the reverse of a single series.
 */

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The route label: the endpoint a request matched, never its path. */
enum metrics_route {
	METRICS_ROUTE_NOT_FOUND,	/* no route (or /metrics refused) */
	METRICS_ROUTE_MODEL_DELETE,
	METRICS_ROUTE_MODEL_CREATE,
	METRICS_ROUTE_MODEL_LIST,
	METRICS_ROUTE_MODEL_READ,
	METRICS_ROUTE_HEALTH,
	METRICS_ROUTE_OPENAPI,
	METRICS_ROUTE_METRICS,
	METRICS_NROUTES
};

/* What lib/db.c reports, one call per event. */
enum metrics_db_event {
	METRICS_DB_CONNECT_FAILED,	/* a connection attempt failed */
	METRICS_DB_STATEMENT_ERROR,	/* a statement answered an error */
	METRICS_DB_LOST,		/* lost with a statement out */
	METRICS_DB_TIMEOUT,		/* cancelled at its deadline */
	METRICS_DB_RECONNECT,		/* opened to replace one */
	METRICS_DB_RETRY,		/* serialization/deadlock retry */
	METRICS_DB_NEVENTS
};

/* Who may read /metrics (MODELS_API_METRICS). */
enum metrics_access {
	METRICS_LOCAL,	/* default: loopback or unix-socket clients */
	METRICS_OFF,	/* nobody: /metrics is a 404 */
	METRICS_ALL	/* anyone the front server passes on */
};

/* "local", "off", "all"; NULL or "" is local. -1 for anything else. */
int metrics_access_parse(const char *s);

/*
 * True when a client at remote_addr (REMOTE_ADDR as the front server
 * passed it) may read /metrics under access: for METRICS_LOCAL, an
 * address in 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104, a unix socket
 * ("unix:..." or a path), or none at all (no front server said).
 */
int metrics_allowed(enum metrics_access access, const char *remote_addr);

/* Build information and the process's start (Unix time, ms). */
void metrics_init(const char *version, int workers, long long start_ms);

/* One answered request: its route label, method, status and duration. */
void metrics_request(enum metrics_route route, const char *method,
    int status, long long micros);

/* Gauges: +1 when a worker takes a request / a list starts, -1 after. */
void metrics_busy_add(int delta);
void metrics_lists_add(int delta);

void metrics_db(enum metrics_db_event e);

/*
 * The exposition text, malloc'd, its length in *len; NULL when out of
 * memory.
 */
char *metrics_render(size_t *len);

/* Sets every counter and gauge back to zero (for the tests). */
void metrics_reset(void);

#endif
