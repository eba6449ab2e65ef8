#include "query.h"
#include "t.h"

#define MAXV 4

/*
 * Expected values are what Python 3.11's
 *   [v for k, v in parse_qsl(qs, keep_blank_values=True) if k == "digests"]
 * gives (Starlette's parser), except that undecodable bytes stay bytes: the
 * validator reports them (the validation rules (README, lib/openapi.json)).
 */
struct query_case {
	const char	*qs;
	size_t		 n;
	const char	*vals[MAXV];
};

static const struct query_case cases[] = {
	{ "", 0, { NULL } },
	{ "digests=a", 1, { "a" } },
	{ "digests=a&digests=b", 2, { "a", "b" } },
	/* ';' is no separator. */
	{ "digests=a;digests=b", 1, { "a;digests=b" } },
	{ "a=1;digests=2", 0, { NULL } },
	/* Blank values are kept, with or without '='. */
	{ "digests", 1, { "" } },
	{ "digests=", 1, { "" } },
	{ "=&digests", 1, { "" } },
	/* Names are decoded before they are compared. */
	{ "%64igests=x", 1, { "x" } },
	{ "dig%65sts", 1, { "" } },
	{ "digests%3Dv1", 0, { NULL } },	/* '=' is found before decoding */
	{ "Digests=a", 0, { NULL } },
	{ "digests+=a", 0, { NULL } },
	{ "digests%00=a", 0, { NULL } },
	{ "digest=a&digestss=b", 0, { NULL } },
	/* Values: '+' is a space, escapes decode once, bad ones stay. */
	{ "digests=a+b", 1, { "a b" } },
	{ "digests=%2B", 1, { "+" } },
	{ "digests=%41%42", 1, { "AB" } },
	{ "digests=%e6%97%a5", 1, { "\xe6\x97\xa5" } },
	{ "digests=%FF", 1, { "\xff" } },
	{ "digests=%G1", 1, { "%G1" } },
	{ "digests=%", 1, { "%" } },
	{ "digests=%4", 1, { "%4" } },
	{ "digests=%%34%31", 1, { "%41" } },
	{ "digests=%2541", 1, { "%41" } },
	{ "digests=%26", 1, { "&" } },
	{ "digests=a=b", 1, { "a=b" } },
	/* Empty pieces are skipped; other keys ignored; duplicates kept. */
	{ "&&digests=a&&", 1, { "a" } },
	{ "&", 0, { NULL } },
	{ "other=1&digests=a&x", 1, { "a" } },
	{ "x=1&y", 0, { NULL } },
	{ "digests=a&digests=a", 2, { "a", "a" } },
	{ "digests=v1&other=&digests=&digests=latest", 3,
	    { "v1", "", "latest" } },
};

static void
run(const struct query_case *c)
{
	struct query q;
	char label[256], what[300];

	snprintf(label, sizeof(label), "query_parse(\"%s\")", c->qs);
	T_INT(label, 0, query_parse(c->qs, strlen(c->qs), &q));
	snprintf(what, sizeof(what), "%s n", label);
	T_INT(what, c->n, q.n);
	snprintf(what, sizeof(what), "%s present", label);
	T_INT(what, c->n > 0, q.present);
	for (size_t i = 0; i < c->n && i < q.n; i++) {
		snprintf(what, sizeof(what), "%s item %zu", label, i);
		T_MEM(what, c->vals[i], strlen(c->vals[i]), q.items[i].val,
		    q.items[i].len);
		/* Callers use val as a C string too. */
		T_INT(what, q.items[i].len, strlen(q.items[i].val));
	}
	query_free(&q);
}

/* raw is the value as sent: the validator echoes it for bad UTF-8. */
struct raw_case {
	const char	*qs;
	size_t		 index;
	const char	*raw;
};

static const struct raw_case raw_cases[] = {
	{ "digests=%FF+a", 0, "%FF+a" },
	{ "x=1&digests=v1&digests=%e6", 1, "%e6" },
	{ "digests", 0, "" },
	{ "%64igests=a%3Db", 0, "a%3Db" },
};

/*
 * query_other_keys: the keys but digests, decoded and distinct, in order of
 * first appearance, each "name=last value" (raw first spelling in
 * brackets), joined by " | " (bytes are plain here: no case has NUL).
 */
struct keys_case {
	const char	*qs;
	const char	*want;
};

static const struct keys_case keys_cases[] = {
	{ "", "" },
	{ "digests=v0&digests&%64igests=x", "" },
	{ "digest=v0", "digest[digest]=v0" },
	{ "Digests=", "Digests[Digests]=" },
	{ "digests[]=v0", "digests[][digests[]]=v0" },
	{ "%64igest=v0&digest=v1", "digest[%64igest]=v1" },
	{ "x", "x[x]=" },
	{ "=x&&=", "[]=" },
	{ "b=1&a=2&digests=v0&b=3&a&%62=4+5", "b[b]=4 5 | a[a]=" },
	{ "a+b=c%26d&a%20b=%", "a b[a+b]=%" },
	{ "%FF=%FE", "\xff[%FF]=\xfe" },
	{ "digests=a;x=1", "" },
	{ "x=1;digests=a", "x[x]=1;digests=a" },
	{ "z=1&y=2&x=3&y=4&z", "z[z]= | y[y]=4 | x[x]=3" },
};

static void
run_keys(const struct keys_case *c)
{
	struct query_keys k;
	char label[256], got[512];
	size_t o = 0;

	snprintf(label, sizeof(label), "query_other_keys(\"%s\")", c->qs);
	T_INT(label, 0, query_other_keys(c->qs, strlen(c->qs), "digests", &k));
	got[0] = '\0';
	for (size_t i = 0; i < k.n && o < sizeof(got); i++) {
		const struct query_key *key = &k.keys[i];
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%.*s[%.*s]=%s",
		    i ? " | " : "", (int)key->name_len, key->name,
		    (int)key->raw_name_len, key->raw_name, key->last.val);
	}
	T_STR(label, c->want, got);
	query_keys_free(&k);
}

void
test_query(void)
{
	for (size_t i = 0; i < T_LEN(cases); i++)
		run(&cases[i]);

	for (size_t i = 0; i < T_LEN(raw_cases); i++) {
		const struct raw_case *c = &raw_cases[i];
		struct query q;
		char label[256];

		snprintf(label, sizeof(label), "query_parse(\"%s\") raw %zu",
		    c->qs, c->index);
		query_parse(c->qs, strlen(c->qs), &q);
		if (T_INT(label, 1, q.n > c->index))
			T_MEM(label, c->raw, strlen(c->raw),
			    q.items[c->index].raw, q.items[c->index].raw_len);
		query_free(&q);
	}

	/* More items than the first allocation holds, all kept in order. */
	{
		char qs[2000], want[32];
		size_t o = 0, bad;
		struct query q;

		for (int i = 0; i < 150; i++)
			o += (size_t)snprintf(qs + o, sizeof(qs) - o,
			    "%sdigests=v%d", i ? "&" : "", i);
		query_parse(qs, o, &q);
		T_INT("query_parse(150 x digests=vN) n", 150, q.n);
		/* One check for the lot: the index of the first wrong item. */
		for (bad = 0; bad < q.n; bad++) {
			snprintf(want, sizeof(want), "v%zu", bad);
			if (strcmp(want, q.items[bad].val) != 0)
				break;
		}
		T_INT("query_parse(150 x digests=vN) first wrong item", q.n,
		    bad);
		query_free(&q);
	}

	for (size_t i = 0; i < T_LEN(keys_cases); i++)
		run_keys(&keys_cases[i]);

	/*
	 * 3000 keys, every other one new: first-appearance order and last
	 * values survive the sort (keys k0..k1499, k_i last sent as 2i+1).
	 */
	{
		static char qs[40000];
		char want[32];
		size_t o = 0, bad;
		struct query_keys k;

		for (int i = 0; i < 3000; i++)
			o += (size_t)snprintf(qs + o, sizeof(qs) - o, "%sk%d=%d",
			    i ? "&" : "", i < 1500 ? 1499 - i : i - 1500, i);
		query_other_keys(qs, o, "digests", &k);
		T_INT("query_other_keys(3000 pieces) n", 1500, k.n);
		for (bad = 0; bad < k.n; bad++) {
			snprintf(want, sizeof(want), "k%zu=%zu", 1499 - bad,
			    1500 + 1499 - bad);
			char got[32];
			snprintf(got, sizeof(got), "%s=%s", k.keys[bad].name,
			    k.keys[bad].last.val);
			if (strcmp(want, got) != 0)
				break;
		}
		T_INT("query_other_keys(3000 pieces) first wrong key", k.n,
		    bad);
		query_keys_free(&k);
	}

	/* The length bounds the query: what follows it is not read. */
	{
		struct query q;

		query_parse("digests=ab", 9, &q);
		T_INT("query_parse(\"digests=ab\", 9) n", 1, q.n);
		if (q.n == 1)
			T_STR("query_parse(\"digests=ab\", 9)", "a",
			    q.items[0].val);
		query_free(&q);
	}
}
