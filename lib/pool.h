#ifndef POOL_H
#define POOL_H

#include <pthread.h>

#include "store.h"

/*
 * A store shared by many request threads: each call borrows one of a few
 * inner stores (database connections) for its duration only, so a thread
 * that waits for a slow client holds no connection, and at most max_lists
 * lists (which hold theirs while they stream) run at once: the others are
 * refused at once with STORE_UNAVAILABLE, so short requests always find a
 * connection within wait_ms.
 */
struct pool {
	const struct store_ops	*inner;
	void			**idle;		/* a stack: the warmest on top */
	int			  nidle;
	int			  n;
	int			  lists;	/* lists streaming now */
	int			  max_lists;
	int			  wait_ms;	/* for a free connection */
	pthread_mutex_t		  lock;
	pthread_cond_t		  freed;
};

extern const struct store_ops pool_store_ops;	/* ctx: struct pool * */

/*
 * Shares the n inner stores ctxs[0..n) (copied). Returns 0, or -1 when out
 * of memory or n < 1.
 */
int pool_init(struct pool *p, const struct store_ops *inner, void *const *ctxs,
    int n, int max_lists, int wait_ms);

/* Releases the pool itself; the inner stores stay the caller's. */
void pool_destroy(struct pool *p);

/* How many lists are streaming now (for monitoring). */
int pool_lists(struct pool *p);

#endif
