#include <stdio.h>

#include "t.h"

int t_passed, t_failed;

int
main(void)
{
	test_pct();
	test_utf8();
	test_route();
	test_endpoint();
	test_query();
	test_base64();
	test_auth();
	test_validate();
	test_objname();
	test_body();
	test_respond();
	test_jsonb();
	test_app();
	test_pool();
	test_jparse();
	test_canon();
	test_timefmt();
	test_version();
	test_openapi();
	test_metrics();
	test_schema();
	test_config();
	test_keyseen();

	/* The last line is what make check reads. */
	printf("%d passed, %d failed\n", t_passed, t_failed);
	return t_failed > 0;
}
