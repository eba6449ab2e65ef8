#include "schema.h"
#include "t.h"

static const struct migration known[] = {
	{ "001_schema.sql", "" }, { "002_functions.sql", "" },
	{ "003_more.sql", "" },
};

struct schema_case {
	const char		*have[4];
	size_t			 n;
	enum schema_match	 want;
	const char		*which;
};

static const struct schema_case cases[] = {
	{ { "001_schema.sql", "002_functions.sql", "003_more.sql" }, 3,
	    SCHEMA_SAME, NULL },
	/* Order does not matter: the table has no order of its own. */
	{ { "003_more.sql", "001_schema.sql", "002_functions.sql" }, 3,
	    SCHEMA_SAME, NULL },
	{ { "001_schema.sql", "002_functions.sql" }, 2,
	    SCHEMA_OLDER, "003_more.sql" },
	{ { NULL }, 0, SCHEMA_OLDER, "001_schema.sql" },
	{ { "001_schema.sql", "002_functions.sql", "003_more.sql",
	    "004_next.sql" }, 4, SCHEMA_NEWER, "004_next.sql" },
	/* Both ways: a migration this binary does not know is the graver. */
	{ { "001_schema.sql", "004_next.sql" }, 2,
	    SCHEMA_NEWER, "004_next.sql" },
	/* A renamed file is not the same migration. */
	{ { "001_schema.sql", "002_functions.sql", "003_More.sql" }, 3,
	    SCHEMA_NEWER, "003_More.sql" },
};

void
test_schema(void)
{
	for (size_t i = 0; i < T_LEN(cases); i++) {
		const char *which = "unset";
		enum schema_match m = schema_compare(cases[i].have, cases[i].n,
		    known, T_LEN(known), &which);

		T_INT("schema_compare", (long long)cases[i].want, (long long)m);
		T_STR("schema_compare which", cases[i].which, which);
	}
	/* The binary's own list is the same as itself. */
	{
		const char *have[64], *which;
		unsigned int n = migration_count < 64 ? migration_count : 64;

		for (unsigned int i = 0; i < n; i++)
			have[i] = migrations[i].name;
		T_INT("own migrations", (long long)SCHEMA_SAME,
		    (long long)schema_compare(have, n, migrations,
		    migration_count, &which));
	}
}
