#ifndef ENDPOINT_H
#define ENDPOINT_H

#include "app.h"
#include "body.h"
#include "metrics.h"
#include "refs.h"
#include "route.h"

/*
 * What an endpoint asks of the pipeline (lib/app.c), which acts on these
 * flags alone, never on the route kind.
 */
enum endpoint_flag {
	EP_AUTH		= 1 << 0,	/* an API key; the path parameters checked */
	EP_BODY		= 1 << 1,	/* takes a body: 413, key before body */
	EP_WRITE	= 1 << 2,	/* the body is read only for a writer */
	EP_DIGESTS	= 1 << 3,	/* `digests` in the query or the body */
	EP_PAGING	= 1 << 4,	/* limit and offset in the query */
	EP_MODEL	= 1 << 5	/* the body is a model to create */
};

/* One call of an endpoint's handler: the request, checked per the flags. */
struct endpoint_call {
	const struct route	*rt;
	struct store		*st;
	const unsigned char	*hash;		/* the key's; EP_AUTH only */
	const struct app_sink	*sink;
	struct response		*resp;		/* initialised; the answer */
	const struct refs	*refs;		/* EP_DIGESTS */
	const struct body_model	*model;		/* EP_MODEL */
	long long		 limit, offset;	/* EP_PAGING */
};

/* Sets c->resp; returns 0, or -1 for a 500. */
typedef int endpoint_handler(const struct endpoint_call *c);

struct endpoint {
	enum route_kind		 kind;
	const char		*method;
	unsigned int		 flags;		/* enum endpoint_flag */
	enum metrics_route	 label;		/* the request counters' */
	endpoint_handler	*handle;
};

extern const struct endpoint endpoints[];
extern const size_t endpoint_count;

/* The endpoint of kind for method (HEAD is its own row), or NULL. */
const struct endpoint *endpoint_find(enum route_kind kind, const char *method);

/*
 * The Allow header of kind: its rows' methods in table order, ", "-joined;
 * static, NULL for a kind without rows.
 */
const char *endpoint_allow(enum route_kind kind);

/*
 * The route label of a request to kind with method: its endpoint's, or
 * for a method the route does not serve (405, or a 307 first) its first
 * row's; METRICS_ROUTE_NOT_FOUND for no route.
 */
enum metrics_route endpoint_label(enum route_kind kind, const char *method);

#endif
