/*
 * fcgi-echo: a FastCGI responder for tests/e2e/bodies.sh, standing in for
 * models-api behind a front server. For each request it reads the request
 * body to its end and answers, as text/plain,
 *   CONTENT_LENGTH=<the parameter, or "unset"> read=<bytes read>
 * so the test sees what a front server tells the app about a body and what
 * it actually delivers. Serves fd 0 (spawn-fcgi), one request at a time.
 */
#include <stdio.h>

#include <fcgiapp.h>

int
main(void)
{
	FCGX_Request req;
	char buf[65536];

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) == 0) {
		const char *cl = FCGX_GetParam("CONTENT_LENGTH", req.envp);
		unsigned long long total = 0;
		int n;

		while ((n = FCGX_GetStr(buf, sizeof(buf), req.in)) > 0)
			total += (unsigned long long)n;
		FCGX_FPrintF(req.out, "Status: 200 OK\r\n"
		    "Content-Type: text/plain\r\n\r\n"
		    "CONTENT_LENGTH=%s read=%llu\n",
		    cl && *cl ? cl : "unset", total);
		FCGX_Finish_r(&req);
	}
	return 0;
}
