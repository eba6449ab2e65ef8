#ifndef KEYSEEN_H
#define KEYSEEN_H

#include <time.h>

#include "store.h"

/*
 * A key's last use, recorded cheaply: the first request of a key in each
 * hour (per process) calls the store's touch_key, which sets the key's
 * last_used_at; the others cost one cache lookup under a mutex.
 */
#define KEYSEEN_INTERVAL	3600	/* seconds between touches of a key */

/*
 * True when key_id was not marked within KEYSEEN_INTERVAL before now;
 * marks it. A cache slot shared by two keys costs an extra touch, never a
 * missed one after the interval.
 */
int keyseen_due(long long key_id, time_t now);

/* key_id < 0 (no key) or not due: nothing; otherwise st's touch_key. */
void keyseen_touch(struct store *st, long long key_id);

#endif
