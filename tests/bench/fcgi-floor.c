/*
 * fcgi-floor: the FastCGI floor of make bench. The least a libfcgi
 * application can do per request: 4 threads, each accepting on the socket
 * spawn-fcgi passed as fd 0 (FCGX_Accept_r, one thread at a time) and answering every request
 * with the canned 401 that models-api sends to a request without
 * credentials, same headers and body (a fixed request id). No parsing, no
 * logging, no database: behind the same lighttpd, its rate is the ceiling
 * of every path that never reaches the database.
 *
 * Built by tests/bench/run.sh: cc -O2 fcgi-floor.c -lfcgi -lpthread.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

#define THREADS 4

/* One thread accepts at a time, as in libfcgi's threaded example (and the app). */
static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;

static const char answer[] =
    "Status: 401 Unauthorized\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 30\r\n"
    "X-Request-Id: 0123456789abcdef\r\n"
    "WWW-Authenticate: Basic\r\n"
    "\r\n"
    "{\"detail\":\"Not authenticated\"}";

/* One worker: accept, answer, finish, until accepting fails. */
static void *
worker(void *arg)
{
	FCGX_Request req;

	(void)arg;
	if (FCGX_InitRequest(&req, 0, 0) != 0) {
		fputs("fcgi-floor: FCGX_InitRequest failed\n", stderr);
		return NULL;
	}
	for (;;) {
		int rc;

		pthread_mutex_lock(&accept_lock);
		rc = FCGX_Accept_r(&req);
		pthread_mutex_unlock(&accept_lock);
		if (rc != 0)
			break;
		if (FCGX_PutStr(answer, (int)sizeof(answer) - 1, req.out) < 0)
			fputs("fcgi-floor: write failed\n", stderr);
		FCGX_Finish_r(&req);
	}
	return NULL;
}

int
main(void)
{
	pthread_t t[THREADS];
	int n = 0;

	if (FCGX_Init() != 0) {
		fputs("fcgi-floor: FCGX_Init failed\n", stderr);
		return 1;
	}
	for (int i = 0; i < THREADS; i++) {
		if (pthread_create(&t[i], NULL, worker, NULL) != 0) {
			fputs("fcgi-floor: pthread_create failed\n", stderr);
			break;
		}
		n++;
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return n == THREADS ? 0 : 1;
}
