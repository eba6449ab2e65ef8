#ifndef ANSWER_H
#define ANSWER_H

#include "respond.h"
#include "route.h"
#include "store.h"

/*
 * The answers the pipeline (lib/app.c) and every endpoint handler share.
 * Each sets resp; those returning int return 0, or -1 when out of memory.
 */

/* A JSON {"reason":..., "error_type":...} answer. */
int answer_reason(struct response *resp, int status, const char *reason,
    const char *type);

/* 503 with Retry-After: 1. */
void answer_unavailable(struct response *resp);

/* 401 for a key that is no live key. */
void answer_bad_key(struct response *resp);

/*
 * The answer for the statuses every store call shares (bad key, forbidden,
 * no project, unavailable, error): returns 1 when s was one of them, resp
 * set (*rc -1 for STORE_ERROR or out of memory, else 0); 0 when the caller
 * answers s itself.
 */
int answer_store(enum store_status s, const struct route *rt,
    struct response *resp, int *rc);

#endif
