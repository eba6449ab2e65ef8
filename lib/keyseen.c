#include <pthread.h>
#include <time.h>

#include "clock.h"
#include "keyseen.h"

/* Direct-mapped: a process serves a handful of keys; 1024 slots is 16 KiB. */
#define KEYSEEN_SLOTS	1024

static struct {
	long long	id;
	time_t		at;
} slots[KEYSEEN_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

int
keyseen_due(long long key_id, time_t now)
{
	unsigned long long h = (unsigned long long)key_id * 0x9E3779B97F4A7C15ULL;
	size_t i = (size_t)(h >> 54) % KEYSEEN_SLOTS;
	int due;

	if (key_id < 0)
		return 0;
	if (pthread_mutex_lock(&lock) != 0)
		return 0;
	/* id 0 never names a key (identities start at 1): an empty slot. */
	due = slots[i].id != key_id || now - slots[i].at >= KEYSEEN_INTERVAL ||
	    now < slots[i].at;
	if (due) {
		slots[i].id = key_id;
		slots[i].at = now;
	}
	pthread_mutex_unlock(&lock);
	return due;
}

void
keyseen_touch(struct store *st, long long key_id)
{
	if (key_id < 0 || st->ops->touch_key == NULL)
		return;
	/* A failed touch is logged by the store; the answer stands. */
	if (keyseen_due(key_id, (time_t)(now_ms() / 1000)))
		(void)st->ops->touch_key(st->ctx, key_id);
}
