#ifndef FAKE_STORE_H
#define FAKE_STORE_H

/*
 * The data layer the unit tests (tests/unit/test_app.c) and the fuzzer
 * (tests/fuzz/fuzz_app.c) put behind app_handle: canned answers in, every
 * call and its arguments recorded. Zeroed, it answers STORE_OK to the key
 * and to health, deletes nothing found, reads nothing (STORE_NOT_FOUND)
 * and lists no rows. The recorded strings are copies (the handler's
 * buffers are gone after it returns), freed by fake_store_free.
 */
#include <stddef.h>

#include "auth.h"
#include "store.h"

/* The key id every key the fake knows has. */
#define FAKE_KEY_ID 7

struct fake_store {
	/* The answers. */
	enum store_status	 key_st;	/* check_key and authorize */
	enum store_status	 op_st;		/* delete, create, read, list */
	enum store_status	 health_st;
	long long		 num_deleted;	/* a delete's, when STORE_OK */
	long long		 version_index;	/* a create's, when STORE_OK */
	/* A delete's STORE_NOT_FOUND message: message(arg, d), else a copy. */
	const char		*message;
	char			*(*make_message)(void *arg,
				    const struct store_delete *d);
	/*
	 * Fills v (digest is storage for its digest) with the version a read
	 * finds (i = -1, object_id the request's) or row i of a list
	 * (object_id NULL). Without it a read finds nothing.
	 */
	void			(*make_row)(void *arg, int i,
				    const char *object_id, char digest[44],
				    struct store_version *v);
	void			*arg;		/* for make_message, make_row */
	int			 nrows;		/* a list's rows */
	/* Unless STORE_OK, a list fails so after fail_after rows. */
	enum store_status	 fail_st;
	int			 fail_after;

	/* The calls. */
	int			 checks, auths, deletes, creates, reads, lists;
	int			 healths;
	/* What app_handle must never do: a count, and the first one said. */
	int			 violations;
	const char		*violation;

	/* Their arguments (the last call's). */
	unsigned char		 hash[AUTH_HASH_LEN];
	char			*auth_entity;	/* NULL: any entity */
	int			 auth_write;
	char			*entity, *project, *object_id, *request_id;
	int			 refs_null;
	unsigned int		 nrefs;
	char			**refs;
	enum store_refs_from	 refs_from;
	char			*sent_message;	/* what delete handed back */
	char			*digest, *val, *source_digest, *source, *ref;
	size_t			 source_len;
	long long		 limit, offset;
};

/* The operations; the store's ctx is a struct fake_store. */
extern const struct store_ops fake_store_ops;

/* Frees what the calls recorded; the answers stay. */
void fake_store_free(struct fake_store *f);

#endif
