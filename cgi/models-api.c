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
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <semaphore.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "app.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "metrics.h"
#include "pool.h"

#define MAX_THREADS 256
#define MAX_CONNECTIONS 4096
/* The settings' defaults and limits; help() and models-api(8) say them. */
#define DEFAULT_THREADS 4
#define DEFAULT_CONNECTIONS 64
#define DEFAULT_BODY_TIMEOUT_MS 10000
#define DEFAULT_SEND_TIMEOUT_MS 10000
#define DEFAULT_STATEMENT_TIMEOUT_MS 5000
#define MAX_TIMEOUT_MS 3600000		/* an hour */
#define DEFAULT_MAX_BODY (4 << 20)
#define MAX_MAX_BODY (1 << 30)
/*
 * A body at least this large is parsed by at most `threads` requests at
 * once (heavy_slots): what bounds the memory a burst of large bodies takes.
 */
#define HEAVY_BODY 262144
/* After a request with a body this large, free memory goes back to the OS. */
#define TRIM_BODY 1048576
/*
 * The rest of a body that was not read (the answer came first) is drained
 * while it keeps coming, what the front has ready; a pause this long, or
 * this much time in all, and the connection is closed instead.
 */
#define DRAIN_GAP_MS 200
#define DRAIN_MAX_MS 1000
/* A kept FastCGI connection idle this long may be given up (wait_kept). */
#define KEPT_IDLE_MS 1000
/* A thread waiting on a request needs little stack. */
#define THREAD_STACK (1 << 20)
/* How often, at most, a body read renews SO_RCVTIMEO to its deadline. */
#define RCVTIMEO_RENEW_US 100000
/* What drain reads at once. */
#define DRAIN_CHUNK 16384
/*
 * An answer this large fits a Unix socket's default send buffer (208 KiB
 * of accounted memory) many times over, headers and record framing
 * included: writing it cannot block. A smaller buffer (net.core.wmem_default
 * lowered) lowers it to a quarter of that buffer (send_buffered).
 */
#define SEND_BUFFERED 32768
/* Open files beyond two per worker: database, logs, listening socket. */
#define FD_SLACK 64
/* The pause after a failed accept, so a lasting failure does not spin. */
#define ACCEPT_RETRY_US 10000
/* A kept connection's worker looks again this soon when another accepts. */
#define ACCEPT_RECHECK_MS 10
/* The listening socket's backlog (FCGX_OpenSocket's listen(2)). */
#define LISTEN_BACKLOG 128
/* --listen unix:PATH: front server and app share a group, nobody else. */
#define SOCKET_MODE 0660
#define UNIX_PREFIX "unix:"
/* A file descriptor in KEPT_ENV: up to 10 digits and a comma. */
#define FD_TEXT_MAX 12
/* Blocks from this size up are mapped on their own (see main). */
#define MMAP_THRESHOLD (128 * 1024)

struct config {
	const char	*url;
	long long	 max_body;
	int		 threads;	/* database connections */
	int		 connections;	/* FastCGI requests served at once */
	int		 max_lists;
	int		 timeout_ms;
	int		 body_timeout_ms;
	int		 send_timeout_ms;
	char		*prefix;
	const char	*listen;
};

struct worker {
	pthread_t	 tid;
	FCGX_Request	 req;
	int		 ep;	/* epoll instance: the listening socket */
	size_t		 sent;	/* bytes of this answer handed to libfcgi */
	int		 send_limited;	/* SO_SNDTIMEO set on the connection */
};

static struct config cfg;
static struct app_config app_cfg;
static struct pool pool;
static sem_t heavy_slots;
static int listen_fd = -1;
/* The listening socket is TCP (not a Unix socket). */
static int tcp_listener;
/* FCGI_WEB_SERVER_ADDRS, read once at start (TCP only; NULL: any front). */
static const char *web_server_addrs;
/* How much of an answer goes out without a send timeout (fcgi_write). */
static size_t send_buffered = SEND_BUFFERED;
static atomic_int stopping;
/* Set for a re-exec: workers leave their kept connections open. */
static atomic_int handing_over;
/* Kept front connections handed over by a re-exec, for the workers. */
static int kept_fds[MAX_CONNECTIONS];
static int nkept;
#define KEPT_ENV	"MODELS_API_KEPT_FDS"
/* Workers asleep in accept_next, waiting for a new connection. */
static atomic_int idle_accepters;
/* The signal mask workers wait under: everything ours blocked but WAKE_SIG. */
static sigset_t wait_mask;
/* This program's file and arguments, for a re-exec (SIGUSR2). */
static char self_exe[PATH_MAX];
static char **self_argv;

/*
 * Wakes the workers out of their waits when stopping. A real-time signal, so
 * SIGUSR2 is free for the graceful re-exec.
 */
#define WAKE_SIG	SIGRTMIN

#ifndef MODELS_API_VERSION
#define MODELS_API_VERSION "unknown"
#endif

/* --help: what the program does and how it is configured, on stdout. */
static void
help(void)
{
	printf("usage: models-api [--config FILE] [--listen unix:PATH|HOST:PORT]\n"
	    "       models-api --help | --version\n"
	    "\n"
	    "W&B Weave's v2 Models resource as a FastCGI service. FastCGI on fd 0\n"
	    "when it is a listening socket (spawn-fcgi, systemd socket activation),\n"
	    "or on the --listen address; otherwise one plain CGI request from the\n"
	    "environment.\n"
	    "\n"
	    "Environment:\n"
	    "  DATABASE_URL                     libpq conninfo or URI (unset: PG* variables)\n"
	    "  MODELS_API_THREADS               database connections, 1-256 (default 4)\n"
	    "  MODELS_API_CONNECTIONS           requests served at once, threads (default 64)\n"
	    "  MODELS_API_MAX_LISTS             lists streaming at once (default THREADS/2)\n"
	    "  MODELS_API_PREFIX                mount prefix cut off REQUEST_URI\n"
	    "  MODELS_API_STATEMENT_TIMEOUT_MS  database call limit (default 5000)\n"
	    "  MODELS_API_MAX_BODY_BYTES        largest request body (default 4194304)\n"
	    "  MODELS_API_BODY_TIMEOUT_MS       whole body within (default 10000)\n"
	    "  MODELS_API_SEND_TIMEOUT_MS       client takes no byte for (default 10000)\n"
	    "  MODELS_API_PREPARED              0: no prepared statements (default 1)\n"
	    "  MODELS_API_ALLOW_ROOT            1 lets it run as root\n"
	    "  MODELS_API_METRICS               who may GET /metrics: local (default),\n"
	    "                                   off or all\n"
	    "  MODELS_API_CONFIG                a KEY=VALUE file read first, as --config\n"
	    "\n"
	    "SIGTERM, SIGINT, SIGUSR1, SIGHUP: finish requests in flight, exit 0.\n"
	    "SIGUSR2: finish requests in flight, then run the program's file again\n"
	    "(an upgraded binary) in the same process, keeping the socket open.\n"
	    "See models-api(8).\n");
}

/* bad: the argument at fault, named first (NULL: none to name). */
static void
usage(const char *bad)
{
	if (bad != NULL)
		fprintf(stderr, "models-api: bad argument \"%s\"\n", bad);
	fprintf(stderr, "usage: models-api [--config FILE] "
	    "[--listen unix:PATH|HOST:PORT]\n"
	    "  FastCGI on fd 0 when it is a listening socket, else one CGI "
	    "request from the environment\n");
	exit(2);
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
	const char *prefix, *file = getenv("MODELS_API_CONFIG");
	char err[512];
	size_t n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
			cfg.listen = argv[++i];
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[++i];
		else
			usage(argv[i]);
	}
	/* The settings file, if named; the environment wins over it. */
	if (file != NULL && *file != '\0' &&
	    config_load_env(file, 0, err, sizeof(err)) != 0) {
		log_startup("%s", err);
		exit(2);
	}
	prefix = getenv("MODELS_API_PREFIX");
	cfg.url = getenv("DATABASE_URL");
	if (cfg.url != NULL && *cfg.url == '\0')
		cfg.url = NULL;
	cfg.threads = env_int("MODELS_API_THREADS", DEFAULT_THREADS, 1,
	    MAX_THREADS);
	cfg.connections = env_int("MODELS_API_CONNECTIONS",
	    DEFAULT_CONNECTIONS, 1, MAX_CONNECTIONS);
	cfg.max_lists = env_int("MODELS_API_MAX_LISTS",
	    cfg.threads > 1 ? cfg.threads / 2 : 1, 1, MAX_THREADS);
	cfg.body_timeout_ms = env_int("MODELS_API_BODY_TIMEOUT_MS",
	    DEFAULT_BODY_TIMEOUT_MS, 1, MAX_TIMEOUT_MS);
	cfg.send_timeout_ms = env_int("MODELS_API_SEND_TIMEOUT_MS",
	    DEFAULT_SEND_TIMEOUT_MS, 1, MAX_TIMEOUT_MS);
	cfg.timeout_ms = env_int("MODELS_API_STATEMENT_TIMEOUT_MS",
	    DEFAULT_STATEMENT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS);
	cfg.max_body = env_int("MODELS_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY,
	    0, MAX_MAX_BODY);
	db_set_prepared(env_int("MODELS_API_PREPARED", 1, 0, 1));
	/* "/api/" and "/api" mount the same; "/" is no prefix at all. */
	if ((cfg.prefix = strdup(prefix ? prefix : "")) == NULL) {
		log_startup("%s", strerror(errno));
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
	/* metrics: who may read /metrics */
	if ((app_cfg.metrics = metrics_access_parse(
	    getenv("MODELS_API_METRICS"))) < 0) {
		log_startup("MODELS_API_METRICS must be local, off or all, "
		    "not \"%s\"", getenv("MODELS_API_METRICS"));
		exit(2);
	}
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
#define P(n, f) { .name = n "=", .len = sizeof(n), \
	.off = offsetof(struct request, f) }
		P("REQUEST_METHOD", method),
		P("REQUEST_URI", request_uri),
		P("SCRIPT_NAME", script_name),
		P("PATH_INFO", path_info),
		P("QUERY_STRING", query_string),
		P("HTTP_AUTHORIZATION", authorization),
		P("HTTP_X_REQUEST_ID", request_id),
		P("CONTENT_TYPE", content_type),
		P("REMOTE_ADDR", remote_addr),
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

/* Sets a socket's receive or send timeout (SO_RCVTIMEO, SO_SNDTIMEO). */
static void
set_timeout(int fd, int opt, long long ms)
{
	struct timeval tv = {
		.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000
	};

	if (ms < 1)
		tv.tv_usec = 1000;	/* 0 would mean "never" */
	if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)) != 0)
		log_error("setsockopt: %s", strerror(errno));
}

/*
 * One request's body, read on demand (struct request's read_body). Reads
 * come through the request's FastCGI stream, or stdin in CGI mode (get).
 */
struct body {
	long long	 want;		/* CONTENT_LENGTH */
	long long	 got;
	long long	 deadline;	/* now_us() by which it must be whole */
	char		*buf;
	int		 timed_out;
	int		 heavy;		/* holds one of heavy_slots */
	long long	 timeout_set_at; /* when SO_RCVTIMEO was last set */
	/* Reads up to len bytes, 0 at the end, -1 on failure or timeout. */
	long long	(*get)(struct body *b, char *buf, size_t len);
	FCGX_Stream	*in;
	int		 fd;
};

/*
 * Reads what libfcgi has buffered of the request's input, or, when it has
 * nothing, one read's worth of the socket: so no call waits on the socket
 * more than once (each wait bounded by SO_RCVTIMEO). Returns what
 * FCGX_GetStr does.
 */
static int
get_some(FCGX_Stream *in, char *buf, size_t len)
{
	long long avail = in->stop - in->rdNext;

	if (avail <= 0)
		avail = 1;
	return FCGX_GetStr(buf, (int)(len < (size_t)avail ? len :
	    (size_t)avail), in);
}

/*
 * FastCGI: each wait for the socket lasts at most until the deadline
 * (SO_RCVTIMEO, renewed after every RCVTIMEO_RENEW_US of reading at most,
 * so the deadline holds to that).
 */
static long long
fcgi_get(struct body *b, char *buf, size_t len)
{
	long long t = now_us(), left = (b->deadline - t) / 1000;
	int n;

	if (left <= 0) {
		b->timed_out = 1;
		return -1;
	}
	if (b->timeout_set_at == 0 || t - b->timeout_set_at >=
	    RCVTIMEO_RENEW_US) {
		set_timeout(b->fd, SO_RCVTIMEO, left);
		b->timeout_set_at = t;
	}
	if ((n = get_some(b->in, buf, len)) > 0)
		return n;
	if (FCGX_GetError(b->in) == EAGAIN || FCGX_GetError(b->in) ==
	    EWOULDBLOCK) {
		b->timed_out = 1;
		return -1;
	}
	return FCGX_GetError(b->in) != 0 ? -1 : 0;
}

/* CGI: stdin is a pipe or file; the front hands it over whole or not. */
static long long
stdin_get(struct body *b, char *buf, size_t len)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	long long left = (b->deadline - now_us()) / 1000;
	ssize_t n;

	if (left <= 0 || poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left)
	    == 0) {
		b->timed_out = 1;
		return -1;
	}
	while ((n = read(0, buf, len)) < 0 && errno == EINTR)
		;
	return n;
}

/* Takes one of the heavy slots within the statement timeout; 0 when none. */
static int
take_heavy(void)
{
	struct timespec until;

	deadline_in(CLOCK_REALTIME, cfg.timeout_ms, &until);
	while (sem_timedwait(&heavy_slots, &until) != 0)
		if (errno != EINTR)
			return 0;
	return 1;
}

/*
 * Reads the whole body within the deadline (408 otherwise). A body cut
 * short (the client went away) is taken as it came, and logged.
 */
static enum app_body
read_body(void *ctx, char **body, size_t *len)
{
	struct body *b = ctx;
	long long n;

	if ((b->buf = malloc((size_t)b->want + 1)) == NULL)
		return APP_BODY_NOMEM;
	while (b->got < b->want && (n = b->get(b, b->buf + b->got,
	    (size_t)(b->want - b->got))) > 0)
		b->got += n;
	if (b->timed_out)
		return APP_BODY_TIMEOUT;
	if (b->got < b->want)
		log_error("request body cut short: %lld of %lld bytes",
		    b->got, b->want);
	/* Large bodies are parsed a few at a time: memory stays bounded. */
	if (b->want >= HEAVY_BODY) {
		if (!take_heavy())
			return APP_BODY_BUSY;
		b->heavy = 1;
	}
	b->buf[b->got] = '\0';
	*body = b->buf;
	*len = (size_t)b->got;
	return APP_BODY_OK;
}

/* Releases what reading the body took. */
static void
body_done(struct body *b)
{
	free(b->buf);
	if (b->heavy)
		sem_post(&heavy_slots);
	/* json-c's many small blocks stay in the arenas unless handed back. */
	if (b->got >= TRIM_BODY)
		malloc_trim(0);
}

/*
 * Prepares r's body: too large ones are refused unread (413), the rest
 * are read only if the handler asks, once the key is known.
 */
static void
body_init(struct body *b, struct request *r, const char *length,
    long long t0)
{
	memset(b, 0, sizeof(*b));
	b->want = content_length(length);
	b->deadline = t0 + (long long)cfg.body_timeout_ms * 1000;
	r->content_length = b->want;
	if (b->want > cfg.max_body)
		r->body_too_large = 1;
	else if (b->want > 0) {
		r->read_body = read_body;
		r->body_ctx = b;
	}
}

/*
 * Reads and drops what is left of the request's input once the answer has
 * gone out, while the front keeps it coming (a buffering front has it all
 * ready; the end-of-input record of a request without a body is there
 * already): a pause of DRAIN_GAP_MS (the connection's SO_RCVTIMEO outside
 * body reads) or DRAIN_MAX_MS in all, and it stops. Returns 1 when the
 * input ended, so the connection is still in step, 0 when it must close.
 */
static int
drain(struct worker *w, const struct body *b)
{
	char buf[DRAIN_CHUNK];
	long long until;
	FCGX_Stream *in = w->req.in;
	int n;

	if (b->timeout_set_at != 0)
		set_timeout(w->req.ipcFd, SO_RCVTIMEO, DRAIN_GAP_MS);
	until = now_us() + DRAIN_MAX_MS * 1000LL;
	while ((n = get_some(in, buf, sizeof(buf))) > 0 && now_us() < until)
		;
	return n == 0 && FCGX_GetError(in) == 0;
}

/*
 * Where a response goes, in either mode: the sink app_handle streams a
 * list through (and deliver writes any other response through), and end,
 * which finishes a whole response. ctx is the sink's.
 */
struct output {
	struct app_sink	 sink;
	int		(*end)(void *ctx);
};

/* FastCGI: ctx is the FCGX_Request. */
/*
 * Hands an answer's bytes to libfcgi. The connection's send timeout is set
 * only once the answer outgrows send_buffered: until then every byte fits
 * the Unix socket's send buffer, empty when a request starts (the front
 * read the last answer whole), so no write can block, and most answers
 * skip the system call. A TCP connection gets it at accept: its buffer
 * starts smaller.
 */
static int
fcgi_write(void *ctx, const char *buf, size_t len)
{
	struct worker *w = ctx;

	if (!w->send_limited && (w->sent += len) > send_buffered) {
		set_timeout(w->req.ipcFd, SO_SNDTIMEO, cfg.send_timeout_ms);
		w->send_limited = 1;
	}
	return put_all(buf, len, w->req.out);
}

static int
fcgi_flush(void *ctx)
{
	return FCGX_FFlush(((struct worker *)ctx)->req.out) == 0 ? 0 : -1;
}

/*
 * The answer and the end-of-request record leave in one write: lighttpd
 * closes the connection as soon as it has the whole body, so a separate
 * flush first would leave the end record to a dead socket.
 */
static int
fcgi_end(void *ctx)
{
	FCGX_Request *req = &((struct worker *)ctx)->req;

	if (FCGX_FClose(req->err) != 0 || FCGX_FClose(req->out) != 0) {
		log_error("response not delivered: front server went away");
		return -1;
	}
	return 0;
}

/* CGI: ctx is stdout. */
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

/*
 * Writes a response that was not streamed: header block, then the body
 * unless it is a HEAD. Returns 0, or -1 when it could not be delivered.
 */
static int
write_response(struct response *resp, const struct app_sink *sink)
{
	size_t hlen = 0;
	char *hdr;
	int failed;

	if ((hdr = resp_headers(resp, &hlen)) == NULL) {
		resp_internal_error(resp);
		hdr = resp_headers(resp, &hlen);
	}
	failed = hdr == NULL || sink->write(sink->ctx, hdr, hlen) != 0 ||
	    (!resp->omit_body && sink->write(sink->ctx, resp->body,
	    resp->body_len) != 0);
	if (failed)
		log_error("response not delivered: %s",
		    hdr ? "client or front server went away" : "out of memory");
	free(hdr);
	return failed ? -1 : 0;
}

/*
 * Delivers what app_handle answered: writes it unless it was streamed,
 * then ends it. A stream cut short must not end like a whole one: in
 * FastCGI, closing the connection without the end record makes the front
 * drop its client connection mid-stream; a CGI program can only end its
 * output, so there the log alone tells (README: CGI mode). Returns 0 when
 * the whole response went out, -1 otherwise.
 */
static int
deliver(struct response *resp, const struct output *out)
{
	if (!resp->streamed && write_response(resp, &out->sink) != 0)
		return -1;
	if (resp->aborted)
		return -1;
	return out->end(out->sink.ctx);
}

/*
 * Closes the request's connection at once: libfcgi's own close would first
 * read on until the front closes its side, which a front still passing on
 * a slow upload never does.
 */
static void
close_now(struct worker *w)
{
	w->req.detached = 1;
	FCGX_Free(&w->req, 1);
	w->req.detached = 0;
}

/* Serves one accepted FastCGI request. */
static void
serve(struct worker *w)
{
	struct request r;
	struct body b;
	struct store st = { .ops = &pool_store_ops, .ctx = &pool };
	const struct output out = {
		.sink = { .write = fcgi_write, .flush = fcgi_flush,
		    .ctx = w },
		.end = fcgi_end,
	};
	struct response resp;
	long long t0 = now_us();
	int in_step, delivered;

	metrics_busy_add(1);
	w->sent = 0;
	read_params(w->req.envp, &r);
	body_init(&b, &r, FCGX_GetParam("CONTENT_LENGTH", w->req.envp), t0);
	b.get = fcgi_get;
	b.in = w->req.in;
	b.fd = w->req.ipcFd;
	app_handle(&app_cfg, &r, &st, &out.sink, &resp);
	delivered = deliver(&resp, &out) == 0;
	/* Before the connection goes: r points into its parameters. */
	log_access(&r, &resp, now_us() - t0);
	metrics_request(resp.route, r.method, resp.status, now_us() - t0);
	metrics_busy_add(-1);
	in_step = delivered && !b.timed_out && drain(w, &b);
	body_done(&b);
	log_set_request(NULL);
	resp_free(&resp);
	/*
	 * The input was read to its end, so closing needs none of libfcgi's
	 * lingering (shut down, then read until the front closes): close_now
	 * either way, unless the front keeps the connection.
	 */
	if (!in_step || !w->req.keepConnection)
		close_now(w);
	else
		FCGX_Finish_r(&w->req);
}

/*
 * Waits until one of fds[0..n) is readable and returns its index, or -1
 * when stopping. Signals reach a worker only inside ppoll (here) or
 * epoll_pwait (accept_next), so the WAKE_SIG that announces a stop either
 * interrupts this wait or is pending until the next one: it can never cut
 * into request I/O, and is never lost.
 * timeout_ms < 0 waits indefinitely; a timeout returns n.
 */
static int
wait_readable(struct pollfd *fds, int n, int timeout_ms)
{
	struct timespec ts = { .tv_sec = timeout_ms / 1000,
	    .tv_nsec = (timeout_ms % 1000) * 1000000L };
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
 * waits there and no other worker is accepting, it gives up its kept
 * connection and accepts. Only a connection idle for KEPT_IDLE_MS is given
 * up: nginx reuses its most recent connections first, so a long-idle one
 * is the least likely to be in use at the moment it closes (a request
 * nginx had just sent on it would be a 502, never retried for a POST).
 * Returns 0 to read the kept connection, 1 when it has closed the kept
 * connection to accept a new one, -1 when stopping.
 */
static int
wait_kept(struct worker *w)
{
	struct pollfd fds[2] = {
		{ .fd = w->req.ipcFd, .events = POLLIN },
		{ .fd = listen_fd, .events = POLLIN },
	};
	long long idle_since = now_us();

	/*
	 * wait_readable's 1 means "go on" in both waits: the one-fd wait
	 * timed out, or the listening socket is readable; 0 (the kept
	 * connection has a request) and -1 (stopping) are this function's.
	 */
	for (;;) {
		long long idle_ms = (now_us() - idle_since) / 1000;
		int rc;

		/* Too fresh to give up: only the kept one, a while. */
		if (idle_ms < KEPT_IDLE_MS && (rc = wait_readable(fds, 1,
		    (int)(KEPT_IDLE_MS - idle_ms))) != 1)
			return rc;
		if ((rc = wait_readable(fds, 2, -1)) != 1)
			return rc;
		if (atomic_load(&idle_accepters) == 0) {
			close_now(w);
			return 1;
		}
		/* Someone is accepting it; look again shortly. */
		if (wait_readable(fds, 1, ACCEPT_RECHECK_MS) == 0)
			return 0;
	}
}

/*
 * A new connection's limits, set before its first byte is read: a read
 * waits DRAIN_GAP_MS at most, outside a body's reading (a front that
 * connects and sends nothing, or half a record, holds a worker no longer
 * than that); a send that takes no byte for the send timeout fails (a
 * stalled client's list is abandoned), set here for TCP and by fcgi_write
 * once an answer grows large for a Unix socket.
 */
static void
connection_limits(struct worker *w, int fd)
{
	set_timeout(fd, SO_RCVTIMEO, DRAIN_GAP_MS);
	w->send_limited = tcp_listener;
	if (tcp_listener)
		set_timeout(fd, SO_SNDTIMEO, cfg.send_timeout_ms);
}

/*
 * Takes the next connection from the listening socket: at once when one
 * waits (under load one nearly always does), else after sleeping until
 * the kernel wakes this worker for one. Each worker sleeps on its own
 * epoll instance, registered with EPOLLEXCLUSIVE, so a new connection
 * wakes one sleeping worker rather than all, and no lock passes from
 * worker to worker (the accept lock this replaced cost every request a
 * futex wake-up and a thread switch). Several workers may wake for one
 * connection: the listening socket is non-blocking, and those that find
 * it taken sleep again. WAKE_SIG gets through only inside epoll_pwait,
 * so a stop interrupts the sleep or is pending until the next one.
 * Returns the connection, or -1 when stopping.
 */
static int
accept_next(struct worker *w)
{
	struct epoll_event ev;
	int fd, rc;

	for (;;) {
		if (atomic_load(&stopping))
			return -1;
		if ((fd = accept(listen_fd, NULL, NULL)) >= 0)
			return fd;
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_error("accept failed: %s", strerror(errno));
			usleep(ACCEPT_RETRY_US);
			continue;
		}
		atomic_fetch_add(&idle_accepters, 1);
		rc = epoll_pwait(w->ep, &ev, 1, -1, &wait_mask);
		atomic_fetch_sub(&idle_accepters, 1);
		if (rc < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			usleep(ACCEPT_RETRY_US);
		}
	}
}

/*
 * What libfcgi's own accept did for a TCP connection, kept: no Nagle delay
 * on answers, and only the front addresses FCGI_WEB_SERVER_ADDRS lists
 * (IPv4, comma-separated; unset: any). Returns 0 to serve it, -1 to close.
 */
static int
inet_connection_ok(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	const char *allowed = web_server_addrs;
	char peer[INET_ADDRSTRLEN], *list, *item, *save = NULL;
	int on = 1, ok;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0)
		log_error("setsockopt TCP_NODELAY: %s", strerror(errno));
	if (allowed == NULL)
		return 0;
	if (getpeername(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	if (sa.ss_family != AF_INET)
		return 0;
	if (inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, peer,
	    sizeof(peer)) == NULL || (list = strdup(allowed)) == NULL)
		return -1;
	ok = 0;
	for (item = strtok_r(list, ",", &save); item != NULL && !ok;
	    item = strtok_r(NULL, ",", &save))
		ok = strcmp(item + strspn(item, " "), peer) == 0;
	free(list);
	return ok ? 0 : -1;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		int fd, rc;

		FCGX_Finish_r(&w->req);
		if (w->req.ipcFd >= 0) {
			rc = wait_kept(w);
			if (rc < 0)
				break;
			if (rc == 0) {
				/* Reads the next request on the kept connection. */
				if (FCGX_Accept_r(&w->req) == 0)
					serve(w);
				continue;
			}
		}
		if ((fd = accept_next(w)) < 0)
			break;
		if (tcp_listener && inet_connection_ok(fd) != 0) {
			close(fd);
			continue;
		}
		connection_limits(w, fd);
		/*
		 * libfcgi reads the request on the connection given; kept
		 * until the request says otherwise. Its own accept is never
		 * reached: workers' requests have no listening socket, so a
		 * connection that ends before its request is an error return.
		 */
		w->req.ipcFd = fd;
		w->req.keepConnection = 1;
		if (FCGX_Accept_r(&w->req) == 0)
			serve(w);
	}
	FCGX_Finish_r(&w->req);
	/* A re-exec hands an idle kept connection on (see keep_for_exec). */
	if (atomic_load(&handing_over))
		FCGX_Free(&w->req, 0);
	else
		close_now(w);
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
	if (strncmp(addr, UNIX_PREFIX, strlen(UNIX_PREFIX)) == 0) {
		struct stat sb;
		int fd;

		addr += strlen(UNIX_PREFIX);
		if (strchr(addr, ':') != NULL) {
			log_startup("socket path must not contain ':'");
			exit(2);
		}
		/* Replace a stale socket, never another kind of file. */
		if (stat(addr, &sb) == 0 && S_ISSOCK(sb.st_mode))
			unlink(addr);
		if ((fd = FCGX_OpenSocket(addr, LISTEN_BACKLOG)) < 0)
			return -1;
		/* Front server and app share a group; nobody else connects. */
		if (chmod(addr, SOCKET_MODE) != 0)
			return -1;
		return fd;
	}
	if (strchr(addr, ':') == NULL)
		usage(addr);
	return FCGX_OpenSocket(addr, LISTEN_BACKLOG);
}

/*
 * The database connections all request threads share (opened lazily),
 * and the slots for parsing large bodies: as many as connections.
 */
static int
start_pool(struct db **dbs)
{
	void **ctxs;

	if ((*dbs = calloc((size_t)cfg.threads, sizeof(**dbs))) == NULL ||
	    (ctxs = calloc((size_t)cfg.threads, sizeof(*ctxs))) == NULL) {
		free(*dbs);
		log_startup("out of memory");
		return -1;
	}
	for (int i = 0; i < cfg.threads; i++) {
		db_init(&(*dbs)[i], cfg.url, cfg.timeout_ms);
		ctxs[i] = &(*dbs)[i];
	}
	if (pool_init(&pool, &db_store_ops, ctxs, cfg.threads,
	    cfg.max_lists, cfg.timeout_ms) != 0 ||
	    sem_init(&heavy_slots, 0, (unsigned)cfg.threads) != 0) {
		free(ctxs);
		free(*dbs);
		log_startup("out of memory");
		return -1;
	}
	free(ctxs);
	return 0;
}

/*
 * Remembers this program's file for a re-exec: /proc/self/exe names the
 * file running now; after an upgrade has replaced it (the old one is then
 * "PATH (deleted)"), the same path is the new binary.
 */
static void
remember_self(char **argv)
{
	static const char deleted[] = " (deleted)";
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	size_t len;

	self_argv = argv;
	if (n <= 0) {
		self_exe[0] = '\0';
		return;
	}
	self_exe[n] = '\0';
	len = (size_t)n;
	if (len > sizeof(deleted) - 1 &&
	    strcmp(self_exe + len - (sizeof(deleted) - 1), deleted) == 0)
		self_exe[len - (sizeof(deleted) - 1)] = '\0';
}

/*
 * Takes the kept front connections a re-exec handed over (their
 * descriptors in KEPT_ENV): nginx keeps FastCGI connections open and may
 * be writing the next request on one at this very moment, so closing them
 * at a re-exec would fail that request; the new program's workers wait on
 * them instead, as on any kept connection. Anything that is not a socket
 * is ignored; connections beyond the worker count are closed.
 */
static void
adopt_kept(void)
{
	const char *s = getenv(KEPT_ENV);
	char *end;
	struct stat sb;

	nkept = 0;
	while (s != NULL && *s != '\0') {
		long fd = strtol(s, &end, 10);

		if (end == s)
			break;
		s = *end == ',' ? end + 1 : end;
		if (fd <= 2 || fd > INT_MAX || fd == listen_fd ||
		    fstat((int)fd, &sb) != 0 || !S_ISSOCK(sb.st_mode))
			continue;
		if (nkept < cfg.connections && nkept < MAX_CONNECTIONS)
			kept_fds[nkept++] = (int)fd;
		else
			close((int)fd);
	}
	unsetenv(KEPT_ENV);
}

/*
 * Collects the workers' idle kept connections (left open because
 * handing_over was set) into kept_fds and KEPT_ENV, inherited by the exec.
 */
static void
keep_for_exec(const struct worker *workers)
{
	static char buf[MAX_CONNECTIONS * FD_TEXT_MAX + 1];
	size_t len = 0;
	int fl;

	nkept = 0;
	buf[0] = '\0';
	for (int i = 0; i < cfg.connections; i++) {
		int fd = workers[i].req.ipcFd;

		if (fd < 0)
			continue;
		if ((fl = fcntl(fd, F_GETFD)) >= 0 && (fl & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
		kept_fds[nkept++] = fd;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%d",
		    len > 0 ? "," : "", fd);
	}
	if (nkept > 0)
		setenv(KEPT_ENV, buf, 1);
}

/*
 * The graceful re-exec of SIGUSR2, called once every worker has finished
 * its request and ended: the program starts again from its file (the new
 * binary after an upgrade) in this same process, so the pid that systemd
 * or spawn-fcgi supervises stays, with the listening socket as fd 0. The
 * socket is never closed, so connections that arrive meanwhile wait in its
 * backlog. Signals stay blocked across exec: a SIGTERM sent meanwhile is
 * pending for the new program's sigwait, not lost. Returns only when the
 * exec failed; the caller then serves on with the running binary.
 */
static void
reexec(void)
{
	char *args[2] = { self_argv[0], NULL };
	int fl;

	if (self_exe[0] == '\0') {
		log_error("re-exec: cannot tell this program's path; "
		    "serving on with the running binary");
		return;
	}
	/* --listen's socket becomes fd 0: the new program finds it there. */
	if (listen_fd != 0) {
		if (dup2(listen_fd, 0) != 0) {
			log_error("re-exec: dup2: %s", strerror(errno));
			return;
		}
		/* Its old number is not inherited: fd 0 is the one. */
		fcntl(listen_fd, F_SETFD, FD_CLOEXEC);
	}
	if ((fl = fcntl(0, F_GETFD)) < 0 ||
	    ((fl & FD_CLOEXEC) && fcntl(0, F_SETFD, fl & ~FD_CLOEXEC) < 0)) {
		log_error("re-exec: fcntl: %s", strerror(errno));
		return;
	}
	log_error("re-exec: requests in flight done, starting %s in place "
	    "(pid %ld, the socket stays open)", self_exe, (long)getpid());
	execv(self_exe, args);
	log_error("re-exec of %s failed: %s; serving on with the running "
	    "binary", self_exe, strerror(errno));
	unsetenv(KEPT_ENV);
}

/*
 * Waits for a signal of stop_set; returns it. SIGTERM, SIGINT, SIGUSR1 and
 * SIGHUP stop, SIGUSR2 re-execs.
 */
static int
wait_signal(const sigset_t *stop_set)
{
	int sig;

	do {
		if (sigwait(stop_set, &sig) != 0)
			sig = 0;
	} while (sig != SIGTERM && sig != SIGINT && sig != SIGUSR1 &&
	    sig != SIGHUP && sig != SIGUSR2);
	return sig;
}

/* The listening socket, non-blocking; -1 (said) when it cannot be had. */
static int
start_listener(void)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int fd, flags, sndbuf;

	if ((fd = open_listener()) < 0) {
		log_startup("cannot listen on %s: %s", cfg.listen,
		    strerror(errno));
		return -1;
	}
	/*
	 * Non-blocking, so a worker woken for a connection that another
	 * worker or process accepted first gets EAGAIN instead of sleeping
	 * in accept.
	 */
	if ((flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		log_startup("fcntl: %s", strerror(errno));
		return -1;
	}
	tcp_listener = getsockname(fd, (struct sockaddr *)&sa, &len) == 0 &&
	    (sa.ss_family == AF_INET || sa.ss_family == AF_INET6);
	web_server_addrs = getenv("FCGI_WEB_SERVER_ADDRS");
	/* A connection starts with the listening socket's default buffer. */
	len = sizeof(sndbuf);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) == 0 &&
	    sndbuf > 0 && (size_t)sndbuf / 4 < send_buffered)
		send_buffered = (size_t)sndbuf / 4;
	return fd;
}

/*
 * Sets the signals up before any worker starts: every thread blocks the
 * stop signals (stop_set), which main takes by sigwait; workers wait
 * under wait_mask, where only WAKE_SIG gets through.
 */
static void
setup_signals(sigset_t *stop_set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake;	/* no SA_RESTART: the waits must return */
	sigemptyset(&sa.sa_mask);
	sigaction(WAKE_SIG, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sigemptyset(stop_set);
	sigaddset(stop_set, SIGTERM);
	sigaddset(stop_set, SIGINT);
	sigaddset(stop_set, SIGUSR1);
	/*
	 * SIGHUP stops gracefully too: there is no log file to reopen (stderr
	 * is a pipe, the journal or syslog) and no config file to reload (the
	 * environment is fixed at exec), so the only useful meaning is "start
	 * again with new settings", which the supervisor does after a clean
	 * exit. Dying on it, the default, would cut requests in flight.
	 */
	sigaddset(stop_set, SIGHUP);
	/* SIGUSR2: the graceful re-exec, as nginx's binary upgrade. */
	sigaddset(stop_set, SIGUSR2);
	sigaddset(stop_set, WAKE_SIG);
	/*
	 * wait_mask is the mask with all of them blocked but WAKE_SIG: a
	 * worker in its waits must never take a stop signal meant for main's
	 * sigwait (libfcgi's own handler would run, and stopping never be set).
	 */
	pthread_sigmask(SIG_BLOCK, stop_set, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &wait_mask);
	sigdelset(&wait_mask, WAKE_SIG);
	sigdelset(stop_set, WAKE_SIG);
}

/*
 * Starts one worker per connection served at once; the first nkept take
 * the kept connections a re-exec handed over. Returns 0, -1 (said) when
 * one cannot start.
 */
static int
start_workers(struct worker *workers, const pthread_attr_t *attr)
{
	atomic_store(&stopping, 0);
	atomic_store(&handing_over, 0);
	for (int i = 0; i < cfg.connections; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };

		/* No listening socket for libfcgi: accept_next accepts. */
		if (FCGX_InitRequest(&workers[i].req, -1, 0) != 0 ||
		    (workers[i].ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
		    epoll_ctl(workers[i].ep, EPOLL_CTL_ADD, listen_fd, &ev) != 0) {
			log_startup("cannot start thread %d: %s", i,
			    strerror(errno));
			return -1;
		}
		/* A handed-over connection: its next request comes here. */
		if (i < nkept) {
			workers[i].req.ipcFd = kept_fds[i];
			workers[i].req.keepConnection = 1;
		}
		if (pthread_create(&workers[i].tid, attr, worker_main,
		    &workers[i]) != 0) {
			log_startup("cannot start thread %d", i);
			return -1;
		}
	}
	nkept = 0;
	return 0;
}

/*
 * Stops accepting on sig; requests in flight finish and every worker
 * ends. For a re-exec (SIGUSR2) the workers leave their kept connections
 * open, to be handed over.
 */
static void
stop_workers(struct worker *workers, int sig)
{
	atomic_store(&handing_over, sig == SIGUSR2);
	atomic_store(&stopping, 1);
	/*
	 * Not for a re-exec: libfcgi cannot take it back, and a failed
	 * exec goes on serving with these workers' successors.
	 */
	if (sig != SIGUSR2)
		FCGX_ShutdownPending();
	for (int i = 0; i < cfg.connections; i++)
		pthread_kill(workers[i].tid, WAKE_SIG);
	for (int i = 0; i < cfg.connections; i++) {
		pthread_join(workers[i].tid, NULL);
		close(workers[i].ep);
	}
}

/*
 * Every worker holds an epoll instance and a connection at most: raises
 * the soft limit on open files (1024 by default in many shells) toward
 * the hard one when short of that, with FD_SLACK to spare for the
 * database connections, logs and the listening socket.
 */
static void
raise_fd_limit(void)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)cfg.connections * 2 + (rlim_t)cfg.threads +
	    FD_SLACK;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
	    rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need)
		log_error("open files limited to %llu; %d connections need "
		    "%llu (MODELS_API_CONNECTIONS)",
		    (unsigned long long)rl.rlim_cur, cfg.connections,
		    (unsigned long long)need);
}

static int
run_fastcgi(void)
{
	struct worker *workers;
	struct db *dbs;
	pthread_attr_t attr;
	sigset_t stop_set;
	int sig;

	if ((listen_fd = start_listener()) < 0)
		return 1;
	setup_signals(&stop_set);
	if (start_pool(&dbs) != 0)
		return 1;
	if ((workers = calloc((size_t)cfg.connections, sizeof(*workers))) ==
	    NULL || pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setstacksize(&attr, THREAD_STACK) != 0) {
		log_startup("out of memory");
		return 1;
	}
	adopt_kept();
	raise_fd_limit();
	for (;;) {
		if (start_workers(workers, &attr) != 0)
			return 1;
		sig = wait_signal(&stop_set);
		stop_workers(workers, sig);
		if (sig != SIGUSR2)
			break;
		keep_for_exec(workers);
		/* The new program opens its own; these would only linger. */
		for (int i = 0; i < cfg.threads; i++)
			db_close(&dbs[i]);
		reexec();
	}
	pthread_attr_destroy(&attr);
	free(workers);
	for (int i = 0; i < cfg.threads; i++)
		db_close(&dbs[i]);
	pool_destroy(&pool);
	free(dbs);
	return 0;
}

static int
run_cgi(void)
{
	struct request r = {
		.method = getenv("REQUEST_METHOD"),
		.request_uri = getenv("REQUEST_URI"),
		.script_name = getenv("SCRIPT_NAME"),
		.path_info = getenv("PATH_INFO"),
		.query_string = getenv("QUERY_STRING"),
		.authorization = getenv("HTTP_AUTHORIZATION"),
		.request_id = getenv("HTTP_X_REQUEST_ID"),
		.content_type = getenv("CONTENT_TYPE"),
		.remote_addr = getenv("REMOTE_ADDR"),
	};
	struct body b;
	struct db d;
	struct store st = { .ops = &db_store_ops, .ctx = &d };
	const struct output out = {
		.sink = { .write = stdout_write, .flush = stdout_flush,
		    .ctx = stdout },
		.end = stdout_flush,
	};
	struct response resp;
	long long t0 = now_us();
	int rc;

	if (r.method == NULL)
		usage(NULL);
	if (sem_init(&heavy_slots, 0, 1) != 0) {
		log_startup("sem_init: %s", strerror(errno));
		return 1;
	}
	body_init(&b, &r, getenv("CONTENT_LENGTH"), t0);
	b.get = stdin_get;
	db_init(&d, cfg.url, cfg.timeout_ms);
	app_handle(&app_cfg, &r, &st, &out.sink, &resp);
	rc = deliver(&resp, &out) == 0 ? 0 : 1;
	log_access(&r, &resp, now_us() - t0);
	body_done(&b);
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
		if (strcmp(argv[i], "--listen") == 0 ||
		    strcmp(argv[i], "--config") == 0)
			i++;	/* its value is never an option */
	}
	/* stderr may be /dev/null (spawn-fcgi without -n) or the journal. */
	if (log_init("models-api") == LOG_SINK_NONE) {
		log_startup("stderr is /dev/null or closed and there is no "
		    "syslog socket (/dev/log): refusing to run with nowhere "
		    "to log; keep stderr (spawn-fcgi -n) or run a syslog");
		return 2;
	}
	/*
	 * Large blocks (bodies, parse buffers) are mapped and unmapped on
	 * their own: glibc would otherwise raise the threshold after the
	 * first free of one and carve later ones out of the arenas, which
	 * keep them.
	 */
	mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	remember_self(argv);
	load_config(argc, argv);
	/* metrics: build info and start time */
	metrics_init(MODELS_API_VERSION, cfg.connections, wall_ms());
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
	if (cfg.listen != NULL || !FCGX_IsCGI())
		rc = run_fastcgi();
	else {
		/* A re-exec is for a server; one CGI request just ends. */
		signal(SIGUSR2, SIG_IGN);
		rc = run_cgi();
	}
	free(cfg.prefix);
	return rc;
}
