/*
 * models-api: the FastCGI (or plain CGI) entry point. Only this file knows
 * libfcgi; the request handling lives in lib/.
 *
 * FastCGI when fd 0 is a listening socket (spawn-fcgi, systemd socket
 * activation, mod_fcgid) or with --listen; plain CGI otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "app.h"
#include "db.h"
#include "log.h"

#define MAX_THREADS 256

struct config {
	const char	*url;
	long long	 max_body;
	int		 threads;
	int		 timeout_ms;
	char		*prefix;
	const char	*listen;
};

struct worker {
	pthread_t	 tid;
	FCGX_Request	 req;
	struct db	 db;
};

static struct config cfg;
static struct app_config app_cfg;
static int listen_fd = -1;
static atomic_int stopping;
static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
/* The signal mask workers wait under: everything ours blocked but SIGUSR2. */
static sigset_t wait_mask;

#ifndef MODELS_API_VERSION
#define MODELS_API_VERSION "unknown"
#endif

/* --help: what the program does and how it is configured, on stdout. */
static void
help(void)
{
	printf("usage: models-api [--listen unix:PATH|HOST:PORT]\n"
	    "       models-api --help | --version\n"
	    "\n"
	    "W&B Weave's v2 Models resource as a FastCGI service. FastCGI on fd 0\n"
	    "when it is a listening socket (spawn-fcgi, systemd socket activation),\n"
	    "or on the --listen address; otherwise one plain CGI request from the\n"
	    "environment.\n"
	    "\n"
	    "Environment:\n"
	    "  DATABASE_URL                     libpq conninfo or URI (unset: PG* variables)\n"
	    "  MODELS_API_THREADS               worker threads, 1-256 (default 4)\n"
	    "  MODELS_API_PREFIX                mount prefix cut off REQUEST_URI\n"
	    "  MODELS_API_STATEMENT_TIMEOUT_MS  database call limit (default 5000)\n"
	    "  MODELS_API_MAX_BODY_BYTES        largest request body (default 4194304)\n"
	    "  MODELS_API_PREPARED              0: no prepared statements (default 1)\n"
	    "  MODELS_API_ALLOW_ROOT            1 lets it run as root\n"
	    "\n"
	    "SIGTERM, SIGINT, SIGUSR1, SIGHUP: finish requests in flight, exit 0.\n"
	    "See models-api(8).\n");
}

static void
usage(void)
{
	fprintf(stderr, "usage: models-api [--listen unix:PATH|HOST:PORT]\n"
	    "  FastCGI on fd 0 when it is a listening socket, else one CGI "
	    "request from the environment\n");
	exit(2);
}

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Reads an integer variable in [lo, hi]; exits 2 with a message if bad. */
static int
env_int(const char *name, int def, int lo, int hi)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi) {
		log_startup("%s must be an integer from %d to %d, not \"%s\"",
		    name, lo, hi, s);
		exit(2);
	}
	return (int)v;
}

static void
load_config(int argc, char **argv)
{
	const char *prefix = getenv("MODELS_API_PREFIX");
	size_t n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			cfg.listen = argv[++i];
		else
			usage();
	}
	cfg.url = getenv("DATABASE_URL");
	if (cfg.url != NULL && *cfg.url == '\0')
		cfg.url = NULL;
	cfg.threads = env_int("MODELS_API_THREADS", 4, 1, MAX_THREADS);
	cfg.timeout_ms = env_int("MODELS_API_STATEMENT_TIMEOUT_MS", 5000, 1,
	    3600000);
	cfg.max_body = env_int("MODELS_API_MAX_BODY_BYTES", 4 << 20, 0,
	    1 << 30);
	db_set_prepared(env_int("MODELS_API_PREPARED", 1, 0, 1));
	/* "/api/" and "/api" mount the same; "/" is no prefix at all. */
	if ((cfg.prefix = strdup(prefix ? prefix : "")) == NULL) {
		perror("models-api");
		exit(1);
	}
	n = strlen(cfg.prefix);
	while (n > 0 && cfg.prefix[n - 1] == '/')
		cfg.prefix[--n] = '\0';
	if (n > 0 && cfg.prefix[0] != '/') {
		log_startup("MODELS_API_PREFIX must start with '/'");
		exit(2);
	}
	app_cfg.prefix = cfg.prefix;
}

/* Writes the whole of buf to a FastCGI stream; returns -1 on failure. */
static int
put_all(const char *buf, size_t len, FCGX_Stream *out)
{
	while (len > 0) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;
		if (FCGX_PutStr(buf, chunk, out) != chunk)
			return -1;
		buf += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

/*
 * Picks the CGI variables the handler reads out of the FastCGI
 * environment in one pass (FCGX_GetParam would scan it once per name).
 */
static void
read_params(char **env, struct request *r)
{
	static const struct { const char *name; size_t len; size_t off; } want[] = {
#define P(n, f) { n "=", sizeof(n), offsetof(struct request, f) }
		P("REQUEST_METHOD", method),
		P("REQUEST_URI", request_uri),
		P("SCRIPT_NAME", script_name),
		P("PATH_INFO", path_info),
		P("QUERY_STRING", query_string),
		P("HTTP_AUTHORIZATION", authorization),
		P("HTTP_X_REQUEST_ID", request_id),
		P("CONTENT_TYPE", content_type),
#undef P
	};

	memset(r, 0, sizeof(*r));
	for (; env != NULL && *env != NULL; env++)
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (strncmp(*env, want[i].name, want[i].len) == 0) {
				*(const char **)((char *)r + want[i].off) =
				    *env + want[i].len;
				break;
			}
}

/*
 * The body's declared length: CONTENT_LENGTH, 0 when absent or not a
 * plain decimal number (then nothing is read).
 */
static long long
content_length(const char *s)
{
	long long n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (LLONG_MAX - 9) / 10)
			return 0;
		n = n * 10 + (*s - '0');
	}
	return n;
}

/*
 * Reads the request body of length n (never more) with get into
 * r->body, or marks it too large without reading it. Returns 0, or -1
 * when out of memory. A body cut short stays as short as it came.
 */
static int
read_body(struct request *r, long long n,
    size_t (*get)(void *ctx, char *buf, size_t len), void *ctx, char **owned)
{
	char *buf;
	size_t got = 0, k;

	*owned = NULL;
	if (n > cfg.max_body) {
		r->body_too_large = 1;
		return 0;
	}
	if (n == 0)
		return 0;
	if ((buf = malloc((size_t)n + 1)) == NULL)
		return -1;
	while (got < (size_t)n && (k = get(ctx, buf + got, (size_t)n - got)) > 0)
		got += k;
	if (got < (size_t)n)
		log_error("request body cut short: %zu of %lld bytes", got, n);
	buf[got] = '\0';
	r->body = *owned = buf;
	r->body_len = got;
	return 0;
}

static size_t
fcgi_get(void *ctx, char *buf, size_t len)
{
	int n = FCGX_GetStr(buf, len > INT_MAX ? INT_MAX : (int)len, ctx);

	return n > 0 ? (size_t)n : 0;
}

static int
fcgi_write(void *ctx, const char *buf, size_t len)
{
	return put_all(buf, len, ctx);
}

static int
fcgi_flush(void *ctx)
{
	return FCGX_FFlush(ctx) == 0 ? 0 : -1;
}

/* Serves one accepted FastCGI request. */
static void
serve(struct worker *w)
{
	char *hdr, *body, drain[4096];
	struct request r;
	struct store st = { &db_store_ops, &w->db };
	struct app_sink sink = { fcgi_write, fcgi_flush, w->req.out };
	struct response resp;
	long long t0 = now_us();
	size_t hlen = 0;
	int failed = 0, oom;

	read_params(w->req.envp, &r);
	oom = read_body(&r, content_length(FCGX_GetParam("CONTENT_LENGTH",
	    w->req.envp)), fcgi_get, w->req.in, &body);
	/* Drain what was not read, so a kept connection stays in step. */
	while (FCGX_GetStr(drain, sizeof(drain), w->req.in) > 0)
		;
	if (oom == 0)
		app_handle(&app_cfg, &r, &st, &sink, &resp);
	else {
		resp_init(&resp);
		app_new_request_id(resp.request_id);
		resp_internal_error(&resp);
	}
	if (!resp.streamed) {
		if ((hdr = resp_headers(&resp, &hlen)) == NULL) {
			resp_internal_error(&resp);
			hdr = resp_headers(&resp, &hlen);
		}
		failed = hdr == NULL || put_all(hdr, hlen, w->req.out) != 0 ||
		    (!resp.omit_body && put_all(resp.body, resp.body_len,
		    w->req.out) != 0);
		if (failed)
			log_error("response not delivered: %s",
			    hdr ? "front server went away" : "out of memory");
		free(hdr);
	}
	free(body);
	/* Before finishing: r points into the request's environment. */
	log_access(&r, &resp, now_us() - t0);
	log_set_request(NULL);
	if (resp.aborted) {
		/*
		 * A stream cut short must not end like a whole one: closing the
		 * connection without the end-of-request record makes the front
		 * server drop its client connection mid-stream.
		 */
		resp_free(&resp);
		FCGX_Free(&w->req, 1);
		return;
	}
	resp_free(&resp);
	/*
	 * Finishing sends the buffered response and the end-of-request record
	 * in one write: lighttpd closes the connection as soon as it has the
	 * whole body, so a separate flush first would leave the end record to
	 * a dead socket (EPIPE on most requests).
	 */
	FCGX_Finish_r(&w->req);
}

/*
 * Waits until one of fds[0..n) is readable and returns its index, or -1
 * when stopping. Signals reach a worker only inside ppoll, so the SIGUSR2
 * that announces a stop either interrupts this wait or is pending until
 * the next one: it can never cut into request I/O, and is never lost.
 * timeout_ms < 0 waits indefinitely; a timeout returns n.
 */
static int
wait_readable(struct pollfd *fds, int n, int timeout_ms)
{
	struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
	int rc;

	for (;;) {
		if (atomic_load(&stopping))
			return -1;
		rc = ppoll(fds, (nfds_t)n, timeout_ms < 0 ? NULL : &ts, &wait_mask);
		if (rc == 0)
			return n;
		if (rc > 0) {
			for (int i = 0; i < n; i++)
				if (fds[i].revents)
					return i;
		}
		if (rc < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return -1;
		}
	}
}

/*
 * A worker whose front connection is kept alive (nginx fastcgi_keep_conn)
 * waits for the next request on it, but must not sit there while new
 * connections queue: the front may hold more connections than there are
 * workers. So it watches the listening socket too, and when a connection
 * waits there and no other worker is accepting, it gives up its idle kept
 * connection and accepts. Returns 0 to read the kept connection, 1 when it
 * now holds accept_lock with the kept connection closed, -1 when stopping.
 */
static int
wait_kept(struct worker *w)
{
	struct pollfd fds[2] = {
		{ w->req.ipcFd, POLLIN, 0 }, { listen_fd, POLLIN, 0 }
	};

	for (;;) {
		switch (wait_readable(fds, 2, -1)) {
		case 0:
			return 0;
		case 1:
			break;
		default:
			return -1;
		}
		if (pthread_mutex_trylock(&accept_lock) == 0) {
			FCGX_Free(&w->req, 1);
			return 1;
		}
		/* Someone is accepting it; look again shortly. */
		if (wait_readable(fds, 1, 10) == 0)
			return 0;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		struct pollfd lfd = { listen_fd, POLLIN, 0 };
		int rc = -1;

		FCGX_Finish_r(&w->req);
		if (w->req.ipcFd >= 0) {
			rc = wait_kept(w);
			if (rc < 0)
				break;
			if (rc == 0) {
				/* Reads the next request on the kept connection. */
				rc = FCGX_Accept_r(&w->req);
				if (rc == 0)
					serve(w);
				continue;
			}
		} else {
			pthread_mutex_lock(&accept_lock);
		}
		rc = wait_readable(&lfd, 1, -1) == 0 ? FCGX_Accept_r(&w->req) : -1;
		pthread_mutex_unlock(&accept_lock);
		if (atomic_load(&stopping))
			break;
		if (rc == 0) {
			serve(w);
			continue;
		}
		/* Another process won the connection (EAGAIN), or it failed. */
		if (rc != -EAGAIN && rc != -EWOULDBLOCK && rc != -EINTR) {
			log_error("accept failed: %s", rc < 0 && rc > -4096 ?
			    strerror(-rc) : "protocol error");
			usleep(10000);
		}
	}
	FCGX_Finish_r(&w->req);
	FCGX_Free(&w->req, 1);
	db_close(&w->db);
	return NULL;
}

static void
on_wake(int sig)
{
	(void)sig;
}

static int
open_listener(void)
{
	const char *addr = cfg.listen;

	if (addr == NULL)
		return 0;	/* fd 0, handed to us by the spawner */
	if (strncmp(addr, "unix:", 5) == 0) {
		struct stat sb;
		int fd;

		addr += 5;
		if (strchr(addr, ':') != NULL) {
			log_startup("socket path must not contain ':'");
			exit(2);
		}
		/* Replace a stale socket, never another kind of file. */
		if (stat(addr, &sb) == 0 && S_ISSOCK(sb.st_mode))
			unlink(addr);
		if ((fd = FCGX_OpenSocket(addr, 128)) < 0)
			return -1;
		/* Front server and app share a group; nobody else connects. */
		if (chmod(addr, 0660) != 0)
			return -1;
		return fd;
	}
	if (strchr(addr, ':') == NULL)
		usage();
	return FCGX_OpenSocket(addr, 128);
}

static int
run_fastcgi(void)
{
	struct worker *workers;
	struct sigaction sa;
	sigset_t stop_set;
	int sig, flags;

	if ((listen_fd = open_listener()) < 0) {
		log_startup("cannot listen on %s: %s", cfg.listen,
		    strerror(errno));
		return 1;
	}
	/*
	 * Non-blocking, so a worker woken for a connection that another
	 * process accepted first gets EAGAIN instead of sleeping in accept.
	 */
	if ((flags = fcntl(listen_fd, F_GETFL)) < 0 ||
	    fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		perror("models-api: fcntl");
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake;	/* no SA_RESTART: ppoll must return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Every thread blocks these; main takes the stop signals by sigwait. */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGUSR1);
	/*
	 * SIGHUP stops gracefully too: there is no log file to reopen (stderr
	 * is a pipe, the journal or syslog) and no config file to reload (the
	 * environment is fixed at exec), so the only useful meaning is "start
	 * again with new settings", which the supervisor does after a clean
	 * exit. Dying on it, the default, would cut requests in flight.
	 */
	sigaddset(&stop_set, SIGHUP);
	sigaddset(&stop_set, SIGUSR2);
	/*
	 * wait_mask is the mask with all of them blocked but SIGUSR2: a worker
	 * in ppoll must never take a stop signal meant for main's sigwait
	 * (libfcgi's own handler would run, and stopping never be set).
	 */
	pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &wait_mask);
	sigdelset(&wait_mask, SIGUSR2);
	sigdelset(&stop_set, SIGUSR2);

	if ((workers = calloc((size_t)cfg.threads, sizeof(*workers))) == NULL) {
		perror("models-api");
		return 1;
	}
	for (int i = 0; i < cfg.threads; i++) {
		db_init(&workers[i].db, cfg.url, cfg.timeout_ms);
		if (FCGX_InitRequest(&workers[i].req, listen_fd, 0) != 0 ||
		    pthread_create(&workers[i].tid, NULL, worker_main,
		    &workers[i]) != 0) {
			log_startup("cannot start worker %d", i);
			return 1;
		}
	}

	do {
		if (sigwait(&stop_set, &sig) != 0)
			sig = 0;
	} while (sig != SIGTERM && sig != SIGINT && sig != SIGUSR1 &&
	    sig != SIGHUP);

	/* Stop accepting; requests in flight finish, then each thread ends. */
	atomic_store(&stopping, 1);
	FCGX_ShutdownPending();
	for (int i = 0; i < cfg.threads; i++)
		pthread_kill(workers[i].tid, SIGUSR2);
	for (int i = 0; i < cfg.threads; i++)
		pthread_join(workers[i].tid, NULL);
	free(workers);
	return 0;
}

static size_t
stdin_get(void *ctx, char *buf, size_t len)
{
	return fread(buf, 1, len, ctx);
}

static int
stdout_write(void *ctx, const char *buf, size_t len)
{
	return fwrite(buf, 1, len, ctx) == len ? 0 : -1;
}

static int
stdout_flush(void *ctx)
{
	return fflush(ctx) == 0 ? 0 : -1;
}

static int
run_cgi(void)
{
	struct request r = {
		getenv("REQUEST_METHOD"), getenv("REQUEST_URI"),
		getenv("SCRIPT_NAME"), getenv("PATH_INFO"),
		getenv("QUERY_STRING"), getenv("HTTP_AUTHORIZATION"),
		getenv("HTTP_X_REQUEST_ID"), getenv("CONTENT_TYPE"),
		NULL, 0, 0
	};
	struct db d;
	struct store st = { &db_store_ops, &d };
	struct app_sink sink = { stdout_write, stdout_flush, stdout };
	struct response resp;
	long long t0 = now_us();
	size_t hlen;
	char *hdr, *body;
	int rc = 0;

	if (r.method == NULL)
		usage();
	if (read_body(&r, content_length(getenv("CONTENT_LENGTH")), stdin_get,
	    stdin, &body) != 0) {
		perror("models-api");
		return 1;
	}
	db_init(&d, cfg.url, cfg.timeout_ms);
	app_handle(&app_cfg, &r, &st, &sink, &resp);
	if (resp.streamed) {
		/*
		 * A CGI program can only end its output; the front server ends
		 * the response cleanly whatever the exit status, so a stream cut
		 * short is told by the log alone (README: CGI mode).
		 */
		if (fflush(stdout) != 0 || resp.aborted)
			rc = 1;
	} else {
		if ((hdr = resp_headers(&resp, &hlen)) == NULL) {
			resp_internal_error(&resp);
			hdr = resp_headers(&resp, &hlen);
		}
		if (hdr == NULL || fwrite(hdr, 1, hlen, stdout) != hlen ||
		    (!resp.omit_body && fwrite(resp.body, 1, resp.body_len,
		    stdout) != resp.body_len) || fflush(stdout) != 0) {
			log_error("response not delivered");
			rc = 1;
		}
		free(hdr);
	}
	free(body);
	log_access(&r, &resp, now_us() - t0);
	resp_free(&resp);
	db_close(&d);
	return rc;
}

int
main(int argc, char **argv)
{
	int rc;

	/* Answered before any setting is read or checked. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help();
			return fflush(stdout) == 0 ? 0 : 1;
		}
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			printf("models-api %s\n", MODELS_API_VERSION);
			return fflush(stdout) == 0 ? 0 : 1;
		}
		if (strcmp(argv[i], "--listen") == 0)
			i++;	/* its value is an address, never an option */
	}
	/* stderr may be /dev/null (spawn-fcgi without -n) or the journal. */
	log_init("models-api");
	load_config(argc, argv);
	/* A bug in a network-facing parser should not come with root. */
	if (geteuid() == 0 && (getenv("MODELS_API_ALLOW_ROOT") == NULL ||
	    strcmp(getenv("MODELS_API_ALLOW_ROOT"), "1") != 0)) {
		log_startup("refusing to run as root: run it as an "
		    "unprivileged user (spawn-fcgi -u, systemd User=), or set "
		    "MODELS_API_ALLOW_ROOT=1");
		return 2;
	}
	if (FCGX_Init() != 0) {
		log_startup("FCGX_Init failed");
		return 1;
	}
	rc = (cfg.listen != NULL || !FCGX_IsCGI()) ? run_fastcgi() : run_cgi();
	free(cfg.prefix);
	return rc;
}
