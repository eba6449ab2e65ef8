/*
 * The fake data layer of tests/unit and tests/fuzz (fake_store.h). Where
 * app_handle breaks a rule the real store relies on (a NULL where a
 * string must be, refs without a count), the call is counted in
 * violations, for the caller to check: the fake itself never aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "fake_store.h"

#define RULE(f, cond) do {						\
	if (!(cond) && (f)->violations++ == 0)				\
		(f)->violation = #cond;					\
} while (0)

/* A copy of len bytes of s (NULL: NULL), NUL-terminated; aborts on ENOMEM. */
static char *
dup_mem(const char *s, size_t len)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = malloc(len + 1)) == NULL) {
		fputs("fake store: out of memory\n", stderr);
		abort();
	}
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

static char *
dup_str(const char *s)
{
	return s == NULL ? NULL : dup_mem(s, strlen(s));
}

/* Keeps s in *slot, freeing what an earlier call left there. */
static void
keep(char **slot, const char *s)
{
	free(*slot);
	*slot = dup_str(s);
}

static void
record_common(struct fake_store *f, const unsigned char *hash,
    const char *entity, const char *project, const char *object_id)
{
	RULE(f, hash != NULL && entity != NULL && project != NULL);
	if (hash != NULL)
		memcpy(f->hash, hash, AUTH_HASH_LEN);
	keep(&f->entity, entity);
	keep(&f->project, project);
	keep(&f->object_id, object_id);
}

/* As lib/db.c: the key is known unless it was rejected. */
static long long
op_key_id(const struct fake_store *f)
{
	return f->op_st == STORE_BAD_KEY ? -1 : FAKE_KEY_ID;
}

static enum store_status
fake_check_key(void *ctx, const unsigned char *hash, long long *key_id)
{
	struct fake_store *f = ctx;

	f->checks++;
	memcpy(f->hash, hash, AUTH_HASH_LEN);
	if (f->key_st == STORE_OK)
		*key_id = FAKE_KEY_ID;
	return f->key_st;
}

/* The key's own answer before a body is read: key_st, as check_key. */
static enum store_status
fake_authorize(void *ctx, const unsigned char *hash, const char *entity,
    int need_write, long long *key_id)
{
	struct fake_store *f = ctx;

	f->auths++;
	memcpy(f->hash, hash, AUTH_HASH_LEN);
	keep(&f->auth_entity, entity);
	f->auth_write = need_write;
	RULE(f, need_write == (entity != NULL));
	if (f->key_st == STORE_OK || f->key_st == STORE_FORBIDDEN)
		*key_id = FAKE_KEY_ID;
	return f->key_st;
}

static void
record_refs(struct fake_store *f, const struct store_delete *d)
{
	for (unsigned int i = 0; f->refs != NULL && f->refs[i] != NULL; i++)
		free(f->refs[i]);
	free(f->refs);
	f->refs = NULL;
	f->refs_null = d->refs == NULL;
	f->nrefs = d->nrefs;
	f->refs_from = d->refs_from;
	RULE(f, d->refs != NULL || d->nrefs == 0);
	if (d->refs == NULL)
		return;
	if ((f->refs = calloc(d->nrefs + 1, sizeof(*f->refs))) == NULL) {
		fputs("fake store: out of memory\n", stderr);
		abort();
	}
	for (unsigned int i = 0; i < d->nrefs; i++)
		f->refs[i] = dup_str(d->refs[i]);
}

static enum store_status
fake_delete(void *ctx, const struct store_delete *d, struct store_result *res)
{
	struct fake_store *f = ctx;
	char *msg = NULL;

	f->deletes++;
	RULE(f, d->object_id != NULL && d->request_id != NULL);
	RULE(f, res->message == NULL);
	record_common(f, d->key_hash, d->entity, d->project, d->object_id);
	keep(&f->request_id, d->request_id);
	record_refs(f, d);

	res->key_id = op_key_id(f);
	res->num_deleted = f->op_st == STORE_OK ? f->num_deleted : 0;
	if (f->op_st != STORE_NOT_FOUND)
		return f->op_st;
	if (f->make_message != NULL)
		msg = f->make_message(f->arg, d);
	else
		msg = dup_str(f->message);
	if (msg != NULL) {
		keep(&f->sent_message, msg);
		res->message = msg;
	}
	return f->op_st;
}

static enum store_status
fake_create(void *ctx, const struct store_create *c, long long *key_id,
    long long *version_index)
{
	struct fake_store *f = ctx;

	f->creates++;
	RULE(f, c->object_id != NULL && c->digest != NULL && c->val != NULL &&
	    c->source_digest != NULL && (c->source != NULL || !c->source_len));
	record_common(f, c->key_hash, c->entity, c->project, c->object_id);
	keep(&f->digest, c->digest);
	keep(&f->val, c->val);
	keep(&f->source_digest, c->source_digest);
	free(f->source);
	f->source = dup_mem(c->source ? c->source : "",
	    c->source ? c->source_len : 0);
	f->source_len = c->source_len;
	*key_id = op_key_id(f);
	if (f->op_st == STORE_OK)
		*version_index = f->version_index;
	return f->op_st;
}

static enum store_status
fake_read(void *ctx, const struct store_read *r, long long *key_id,
    store_row_fn fn, void *arg)
{
	struct fake_store *f = ctx;
	struct store_version v;
	char digest[CANON_DIGEST_SIZE];

	f->reads++;
	RULE(f, r->object_id != NULL && r->ref != NULL);
	record_common(f, r->key_hash, r->entity, r->project, r->object_id);
	keep(&f->ref, r->ref);
	*key_id = op_key_id(f);
	if (f->op_st != STORE_OK)
		return f->op_st;
	if (f->make_row == NULL)
		return STORE_NOT_FOUND;
	f->make_row(f->arg, -1, r->object_id, digest, &v);
	return fn(arg, &v) == 0 ? STORE_OK : STORE_ERROR;
}

static enum store_status
fake_list(void *ctx, const struct store_list *l, long long *key_id,
    int (*begin)(void *arg), store_row_fn fn, void *arg, int *started)
{
	struct fake_store *f = ctx;
	int fails = f->fail_st != STORE_OK;

	f->lists++;
	record_common(f, l->key_hash, l->entity, l->project, NULL);
	f->limit = l->limit;
	f->offset = l->offset;
	*key_id = op_key_id(f);
	*started = 0;
	if (f->op_st != STORE_OK)
		return f->op_st;
	/* As lib/db.c: begin runs once the first row said yes. */
	*started = 1;
	if (begin(arg) != 0)
		return STORE_ERROR;
	for (int i = 0; i < f->nrows; i++) {
		struct store_version v;
		char digest[CANON_DIGEST_SIZE];

		if (fails && i == f->fail_after)
			return f->fail_st;
		RULE(f, f->make_row != NULL);
		if (f->make_row == NULL)
			return STORE_ERROR;
		f->make_row(f->arg, i, NULL, digest, &v);
		if (fn(arg, &v) != 0)
			return STORE_ERROR;
	}
	return fails && f->fail_after == f->nrows ? f->fail_st : STORE_OK;
}

static enum store_status
fake_health(void *ctx)
{
	struct fake_store *f = ctx;

	f->healths++;
	return f->health_st;
}

const struct store_ops fake_store_ops = {
	.check_key = fake_check_key,
	.authorize = fake_authorize,
	.delete_model = fake_delete,
	.create_model = fake_create,
	.read_model = fake_read,
	.list_models = fake_list,
	.health = fake_health,
};

void
fake_store_free(struct fake_store *f)
{
	char **strs[] = { &f->auth_entity, &f->entity, &f->project,
	    &f->object_id, &f->request_id, &f->sent_message, &f->digest,
	    &f->val, &f->source_digest, &f->source, &f->ref };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	for (unsigned int i = 0; f->refs != NULL && f->refs[i] != NULL; i++)
		free(f->refs[i]);
	free(f->refs);
	f->refs = NULL;
}
