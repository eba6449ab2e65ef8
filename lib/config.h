#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

/*
 * The settings file both programs read (/etc/models-api/env): the same
 * lines systemd's EnvironmentFile= takes and a POSIX shell can source,
 * parsed here without any shell.
 *
 *   # a comment (a line whose first non-blank is '#'), blank lines
 *   KEY=value                 the rest of the line, trailing blanks cut
 *   KEY='value'               taken literally, up to the closing quote
 *   KEY="value"               \" \\ \$ \` stand for the character
 *
 * KEY is [A-Za-z_][A-Za-z0-9_]*, right before '='. Nothing is expanded:
 * "$HOME" stays "$HOME" (a shell would expand it, so quote such values
 * with '...'). After a closing quote only blanks may follow. Any other
 * line is an error naming FILE:LINE.
 */

/* Called for each setting in order; returns 0 to go on, -1 to stop. */
typedef int (*config_fn)(void *arg, const char *key, const char *value);

/*
 * Parses text (len bytes; NUL bytes are an error). On a bad line returns
 * -1 with "NAME:LINE: why" in err; -1 also when fn stops (err untouched)
 * or memory runs out ("NAME: out of memory").
 */
int config_parse(const char *name, const char *text, size_t len,
    config_fn fn, void *arg, char *err, size_t errcap);

/*
 * Reads the file at path into the environment: a variable already set
 * (even to "") keeps its value, so the environment overrides the file.
 * A missing file is not an error when optional is set (returns 1).
 * Returns 0 loaded, 1 absent and optional, -1 with a message in err.
 */
int config_load_env(const char *path, int optional, char *err,
    size_t errcap);

#endif
