#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "pool.h"
#include "t.h"

/*
 * lib/pool.c over fake inner stores: which one each call borrows, that a
 * borrowed one is never lent twice, the wait for a free one, the cap on
 * lists streaming at once.
 */
struct inner {
	int		 id;
	int		 busy;		/* lent out now */
	int		 calls;
	int		 twice;		/* lent while lent: a bug */
	pthread_mutex_t	*gate;		/* a list waits on it while it streams */
};

static enum store_status
enter(struct inner *in)
{
	if (in->busy++)
		in->twice = 1;
	in->calls++;
	return STORE_OK;
}

static enum store_status
inner_health(void *ctx)
{
	struct inner *in = ctx;
	enum store_status s = enter(ctx);

	in->busy--;
	return s;
}

static enum store_status
inner_list(void *ctx, const struct store_list *req, long long *key_id,
    int (*begin)(void *arg), store_row_fn fn, void *arg, int *started)
{
	struct inner *in = ctx;

	(void)req;
	(void)begin;
	(void)fn;
	(void)arg;
	enter(in);
	*key_id = in->id;
	*started = 1;
	/* Streams until the test opens the gate. */
	pthread_mutex_lock(in->gate);
	pthread_mutex_unlock(in->gate);
	in->busy--;
	return STORE_OK;
}

static const struct store_ops inner_ops = {
	.health = inner_health,
	.list_models = inner_list,
};

struct lister {
	struct pool		*p;
	enum store_status	 s;
	long long		 key_id;
	int			 started;
};

static void *
list_thread(void *arg)
{
	struct lister *l = arg;
	struct store_list req = { 0 };

	l->s = pool_store_ops.list_models(l->p, &req, &l->key_id, NULL, NULL,
	    NULL, &l->started);
	return NULL;
}

/* Waits (5 s at most) until n lists stream. */
static int
wait_lists(struct pool *p, int n)
{
	for (int i = 0; i < 5000 && pool_lists(p) != n; i++)
		usleep(1000);
	return pool_lists(p);
}

void
test_pool(void)
{
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
	struct inner in[3] = {
		{ .id = 0, .gate = &gate }, { .id = 1, .gate = &gate },
		{ .id = 2, .gate = &gate }
	};
	void *ctxs[3] = { &in[0], &in[1], &in[2] };
	struct lister l[3];
	pthread_t t[3];
	struct pool p;
	long long t0, waited;

	T_INT("pool_init n=0", -1, pool_init(&p, &inner_ops, ctxs, 0, 1, 50));
	if (!T_INT("pool_init", 0, pool_init(&p, &inner_ops, ctxs, 3, 2, 300)))
		return;

	/* The warmest connection serves again: the last one given back. */
	T_INT("health", STORE_OK, pool_store_ops.health(&p));
	T_INT("health", STORE_OK, pool_store_ops.health(&p));
	T_INT("health reuses one connection", 2, in[2].calls);

	/* Two lists stream (the cap); a third is refused at once. */
	pthread_mutex_lock(&gate);
	for (int i = 0; i < 2; i++) {
		l[i].p = &p;
		pthread_create(&t[i], NULL, list_thread, &l[i]);
	}
	T_INT("two lists streaming", 2, wait_lists(&p, 2));
	l[2].p = &p;
	list_thread(&l[2]);
	T_INT("third list: 503", STORE_UNAVAILABLE, l[2].s);
	T_INT("third list: nothing started", 0, l[2].started);
	T_INT("third list: no key", -1, l[2].key_id);

	/* Short calls still find the one connection left (none would free). */
	T_INT("health beside two lists", STORE_OK, pool_store_ops.health(&p));

	pthread_mutex_unlock(&gate);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		T_INT("list done", STORE_OK, l[i].s);
		T_INT("list started", 1, l[i].started);
	}
	T_INT("no lists left", 0, pool_lists(&p));
	for (int i = 0; i < 3; i++)
		T_INT("never lent twice", 0, in[i].twice);
	pool_destroy(&p);

	/* With every connection lent, a call waits wait_ms, then 503. */
	if (!T_INT("pool_init one", 0, pool_init(&p, &inner_ops, ctxs, 1, 1,
	    200)))
		return;
	pthread_mutex_lock(&gate);
	l[0].p = &p;
	pthread_create(&t[0], NULL, list_thread, &l[0]);
	T_INT("one list streaming", 1, wait_lists(&p, 1));
	t0 = now_ms();
	T_INT("health with none free: 503", STORE_UNAVAILABLE,
	    pool_store_ops.health(&p));
	waited = now_ms() - t0;
	T_INT("waited wait_ms", 1, waited >= 190);
	pthread_mutex_unlock(&gate);
	pthread_join(t[0], NULL);
	T_INT("health once freed", STORE_OK, pool_store_ops.health(&p));
	pool_destroy(&p);
}
