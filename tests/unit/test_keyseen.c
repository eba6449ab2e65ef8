#include "keyseen.h"
#include "t.h"

static int touches;
static long long touched;

static enum store_status
fake_touch(void *ctx, long long key_id)
{
	(void)ctx;
	touches++;
	touched = key_id;
	return STORE_OK;
}

static const struct store_ops touch_ops = { .touch_key = fake_touch };
static const struct store_ops no_touch_ops = { .touch_key = NULL };

void
test_keyseen(void)
{
	struct store st = { &touch_ops, NULL }, none = { &no_touch_ops, NULL };

	/* Once per key per interval; each key on its own. */
	T_INT("first use", 1, keyseen_due(7, 100000));
	T_INT("same second", 0, keyseen_due(7, 100000));
	T_INT("just inside the hour", 0, keyseen_due(7, 100000 +
	    KEYSEEN_INTERVAL - 1));
	T_INT("another key", 1, keyseen_due(8, 100001));
	T_INT("first key still marked", 0, keyseen_due(7, 100002));
	T_INT("an hour later", 1, keyseen_due(7, 100000 + KEYSEEN_INTERVAL));
	T_INT("no key", 0, keyseen_due(-1, 100000));
	/* Thousands of keys: each due at first, whatever the slots share. */
	{
		int due = 0;
		for (long long id = 1000; id < 5000; id++)
			due += keyseen_due(id, 200000);
		T_INT("4000 new keys, each due", 4000, due);
	}
	/* keyseen_touch: the store is called once, with the key. */
	touches = 0;
	keyseen_touch(&st, 424242);
	keyseen_touch(&st, 424242);
	keyseen_touch(&st, -1);
	T_INT("touch: once", 1, touches);
	T_INT("touch: the key", 424242, touched);
	keyseen_touch(&none, 424243);
	T_INT("touch: a store without touch_key", 1, touches);
}
