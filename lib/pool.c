#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "pool.h"

int
pool_init(struct pool *p, const struct store_ops *inner, void *const *ctxs,
    int n, int max_lists, int wait_ms)
{
	pthread_condattr_t ca;

	if (n < 1 || (p->idle = calloc((size_t)n, sizeof(*p->idle))) == NULL)
		return -1;
	for (int i = 0; i < n; i++)
		p->idle[i] = ctxs[i];
	p->inner = inner;
	p->nidle = p->n = n;
	p->lists = 0;
	p->max_lists = max_lists < 1 ? 1 : max_lists;
	p->wait_ms = wait_ms;
	/* Waits are measured on the monotonic clock, immune to clock steps. */
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&p->freed, &ca) != 0) {
		free(p->idle);
		return -1;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		pthread_cond_destroy(&p->freed);
		free(p->idle);
		return -1;
	}
	return 0;
}

void
pool_destroy(struct pool *p)
{
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p->idle);
	p->idle = NULL;
}

int
pool_lists(struct pool *p)
{
	int n;

	pthread_mutex_lock(&p->lock);
	n = p->lists;
	pthread_mutex_unlock(&p->lock);
	return n;
}

/* Borrows an inner store, waiting up to wait_ms; NULL when none came. */
static void *
take(struct pool *p)
{
	struct timespec until;
	void *ctx = NULL;
	int rc = 0;

	deadline_in(CLOCK_MONOTONIC, p->wait_ms, &until);
	pthread_mutex_lock(&p->lock);
	while (p->nidle == 0 && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->freed, &p->lock, &until);
	if (p->nidle > 0)
		ctx = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);
	if (ctx == NULL)
		log_error("no database connection free within %d ms",
		    p->wait_ms);
	return ctx;
}

/*
 * Signalled after the unlock: a waiter woken while the lock is still held
 * would only block again on it, one more thread switch per hand-over.
 * take() checks for an idle store under the lock, so none is missed.
 */
static void
give(struct pool *p, void *ctx)
{
	pthread_mutex_lock(&p->lock);
	p->idle[p->nidle++] = ctx;
	pthread_mutex_unlock(&p->lock);
	pthread_cond_signal(&p->freed);
}

/* Claims a list slot; 0 when max_lists are streaming already. */
static int
list_slot(struct pool *p)
{
	int ok;

	pthread_mutex_lock(&p->lock);
	if ((ok = p->lists < p->max_lists))
		p->lists++;
	pthread_mutex_unlock(&p->lock);
	return ok;
}

static void
list_done(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->lists--;
	pthread_mutex_unlock(&p->lock);
}

/*
 * Each operation: borrow, run on the inner store, give back. A failure to
 * borrow is a 503, as an unreachable database is.
 */
static enum store_status
pool_check_key(void *ctx, const unsigned char *hash, long long *key_id)
{
	struct pool *p = ctx;
	void *c = take(p);
	enum store_status s;

	*key_id = -1;
	if (c == NULL)
		return STORE_UNAVAILABLE;
	s = p->inner->check_key(c, hash, key_id);
	give(p, c);
	return s;
}

static enum store_status
pool_authorize(void *ctx, const unsigned char *hash, const char *entity,
    int need_write, long long *key_id)
{
	struct pool *p = ctx;
	void *c = take(p);
	enum store_status s;

	*key_id = -1;
	if (c == NULL)
		return STORE_UNAVAILABLE;
	s = p->inner->authorize(c, hash, entity, need_write, key_id);
	give(p, c);
	return s;
}

static enum store_status
pool_delete_model(void *ctx, const struct store_delete *req,
    struct store_result *res)
{
	struct pool *p = ctx;
	void *c = take(p);
	enum store_status s;

	if (c == NULL)
		return STORE_UNAVAILABLE;
	s = p->inner->delete_model(c, req, res);
	give(p, c);
	return s;
}

static enum store_status
pool_create_model(void *ctx, const struct store_create *req,
    long long *key_id, long long *version_index)
{
	struct pool *p = ctx;
	void *c = take(p);
	enum store_status s;

	if (c == NULL)
		return STORE_UNAVAILABLE;
	s = p->inner->create_model(c, req, key_id, version_index);
	give(p, c);
	return s;
}

static enum store_status
pool_read_model(void *ctx, const struct store_read *req, long long *key_id,
    store_row_fn fn, void *arg)
{
	struct pool *p = ctx;
	void *c = take(p);
	enum store_status s;

	if (c == NULL)
		return STORE_UNAVAILABLE;
	s = p->inner->read_model(c, req, key_id, fn, arg);
	give(p, c);
	return s;
}

/*
 * A list keeps its connection while it streams, as long as its client
 * takes the rows (bounded by the send deadline): hence the cap, decided
 * before anything is sent, so a refusal is a clean 503.
 */
static enum store_status
pool_list_models(void *ctx, const struct store_list *req, long long *key_id,
    int (*begin)(void *arg), store_row_fn fn, void *arg, int *started)
{
	struct pool *p = ctx;
	enum store_status s;
	void *c;

	*started = 0;
	*key_id = -1;
	if (!list_slot(p)) {
		log_error("list refused: %d lists streaming already",
		    p->max_lists);
		return STORE_UNAVAILABLE;
	}
	if ((c = take(p)) == NULL) {
		list_done(p);
		return STORE_UNAVAILABLE;
	}
	s = p->inner->list_models(c, req, key_id, begin, fn, arg, started);
	give(p, c);
	list_done(p);
	return s;
}

static enum store_status
pool_health(void *ctx)
{
	struct pool *p = ctx;
	void *c = take(p);
	enum store_status s;

	if (c == NULL)
		return STORE_UNAVAILABLE;
	s = p->inner->health(c);
	give(p, c);
	return s;
}

static enum store_status
pool_touch_key(void *ctx, long long key_id)
{
	struct pool *p = ctx;
	void *c;
	enum store_status s;

	if (p->inner->touch_key == NULL)
		return STORE_OK;
	if ((c = take(p)) == NULL)
		return STORE_UNAVAILABLE;
	s = p->inner->touch_key(c, key_id);
	give(p, c);
	return s;
}

const struct store_ops pool_store_ops = {
	.check_key = pool_check_key,
	.delete_model = pool_delete_model,
	.create_model = pool_create_model,
	.read_model = pool_read_model,
	.list_models = pool_list_models,
	.health = pool_health,
	.authorize = pool_authorize,
	.touch_key = pool_touch_key,
};
