#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "t.h"

/* Collects "KEY=VALUE\n" for every setting. */
static int
collect(void *arg, const char *key, const char *value)
{
	char *out = arg;
	size_t n = strlen(out);

	snprintf(out + n, 512 - n, "%s=%s\n", key, value);
	return 0;
}

struct config_case {
	const char	*in;
	const char	*want;		/* the settings, or NULL: an error */
	const char	*err;		/* the error's start */
};

static const struct config_case cases[] = {
	{ "", "", NULL },
	{ "\n\n  \n\t\n", "", NULL },
	{ "# a comment\n  # indented\nA=1\n", "A=1\n", NULL },
	{ "A=1", "A=1\n", NULL },			/* no final newline */
	{ "A=1\r\nB=2\r\n", "A=1\nB=2\n", NULL },	/* CRLF */
	{ "A=\n", "A=\n", NULL },
	{ "A=  \n", "A=\n", NULL },
	{ "A=x  \t\n", "A=x\n", NULL },
	{ "  _a9=v\n", "_a9=v\n", NULL },
	{ "A=a=b#c\n", "A=a=b#c\n", NULL },
	{ "A=postgresql:///models?host=/run/postgresql\n",
	  "A=postgresql:///models?host=/run/postgresql\n", NULL },
	/* The reason for quotes: & ends a shell command. */
	{ "DATABASE_URL='postgresql:///m?host=/run/postgresql&sslmode=disable'\n",
	  "DATABASE_URL=postgresql:///m?host=/run/postgresql&sslmode=disable\n", NULL },
	{ "A='$HOME \\ \"x\"'  \n", "A=$HOME \\ \"x\"\n", NULL },
	{ "A=\"a b\"\n", "A=a b\n", NULL },
	{ "A=\"\\$x \\\" \\\\ \\` \\n\"\n", "A=$x \" \\ ` \\n\n", NULL },
	{ "A=''\nB=\"\"\n", "A=\nB=\n", NULL },
	{ "A='#'\n", "A=#\n", NULL },
	{ "A=1\nA=2\n", "A=1\nA=2\n", NULL },		/* each in order */
	/* Errors name the file and the line. */
	{ "A=1\nB\n", NULL, "f:2: expected KEY=VALUE" },
	{ "=1\n", NULL, "f:1: expected KEY=VALUE" },
	{ "1A=1\n", NULL, "f:1: expected KEY=VALUE" },
	{ "A-B=1\n", NULL, "f:1: expected KEY=VALUE" },
	{ "export A=1\n", NULL, "f:1: expected KEY=VALUE" },
	{ "A =1\n", NULL, "f:1: no blanks around '='" },
	{ "A= 1\n", NULL, "f:1: quote the value" },
	{ "A=a b\n", NULL, "f:1: quote the value" },
	{ "\n\nA=x&y=1\n", NULL, "f:3: quote the value" },
	{ "A=a;b\n", NULL, "f:1: quote the value" },
	{ "A=$HOME\n", NULL, "f:1: quote the value" },
	{ "A=`id`\n", NULL, "f:1: quote the value" },
	{ "A=a\\b\n", NULL, "f:1: quote the value" },
	{ "A=a'b'\n", NULL, "f:1: quote the value" },
	{ "A=~/x\n", NULL, "f:1: a shell would expand a leading ~" },
	{ "A='x\n", NULL, "f:1: no closing quote" },
	{ "A='x\ny'\n", NULL, "f:1: no closing quote" },
	{ "A=\"x\\\"\n", NULL, "f:1: no closing quote" },
	{ "A='x' y\n", NULL, "f:1: text after the closing quote" },
	{ "A='x'y\n", NULL, "f:1: text after the closing quote" },
	{ "A=\"$HOME\"\n", NULL, "f:1: a shell would expand" },
	{ "A=\"`id`\"\n", NULL, "f:1: a shell would expand" },
};

static void
check_case(const struct config_case *c)
{
	char got[512] = "", err[256] = "", label[256];
	int rc = config_parse("f", c->in, strlen(c->in), collect, got, err,
	    sizeof(err));

	t_label(label, sizeof(label), c->in, strlen(c->in));
	if (c->want != NULL) {
		T_INT(label, 0, rc);
		T_STR(label, c->want, got);
		T_STR(label, "", err);
	} else {
		T_INT(label, -1, rc);
		T_STR(label, c->err, strncmp(err, c->err, strlen(c->err)) == 0 ?
		    c->err : err);
	}
}

static int
stop_at_b(void *arg, const char *key, const char *value)
{
	(void)value;
	(*(int *)arg)++;
	return strcmp(key, "B") == 0 ? -1 : 0;
}

/* The environment wins over the file; a missing file may be optional. */
static void
check_load(void)
{
	char path[] = "/tmp/models-config-test.XXXXXX", err[256];
	const char text[] = "CFG_T_A=file\nCFG_T_B='from file'\nCFG_T_C=x\n";
	int fd = mkstemp(path);

	if (!T_INT("mkstemp", 1, fd >= 0))
		return;
	T_INT("write", (long long)sizeof(text) - 1,
	    write(fd, text, sizeof(text) - 1));
	close(fd);
	setenv("CFG_T_A", "env", 1);
	setenv("CFG_T_C", "", 1);
	unsetenv("CFG_T_B");
	T_INT("load", 0, config_load_env(path, 0, err, sizeof(err)));
	T_STR("the environment wins", "env", getenv("CFG_T_A"));
	T_STR("the file fills in", "from file", getenv("CFG_T_B"));
	T_STR("set to empty still wins", "", getenv("CFG_T_C"));
	unlink(path);
	T_INT("missing, optional", 1, config_load_env(path, 1, err,
	    sizeof(err)));
	T_INT("missing, required", -1, config_load_env(path, 0, err,
	    sizeof(err)));
	T_INT("missing: names the file", 0, strncmp(err, path, strlen(path)));
	T_INT("a directory", -1, config_load_env("/", 1, err, sizeof(err)));
	unsetenv("CFG_T_A");
	unsetenv("CFG_T_B");
	unsetenv("CFG_T_C");
}

void
test_config(void)
{
	char err[64] = "";
	int calls = 0;

	for (size_t i = 0; i < T_LEN(cases); i++)
		check_case(&cases[i]);
	T_INT("NUL byte", -1, config_parse("f", "A=1\0", 4, collect,
	    (char[512]){ "" }, err, sizeof(err)));
	T_STR("NUL byte: says so", "f:1: a NUL byte: not a text file", err);
	/* A callback's -1 stops the parse there. */
	T_INT("callback stops", -1, config_parse("f", "A=1\nB=2\nC=3\n", 12,
	    stop_at_b, &calls, err, sizeof(err)));
	T_INT("callback stops: calls", 2, calls);
	check_load();
}
