#ifndef JSONB_H
#define JSONB_H
#include <stddef.h>

#include <json-c/json.h>

/*
 * jsonb: building json-c values, and the one builder of pydantic v2 error
 * entries ({"type","loc","msg","input"[,"ctx"]}) that every 422 is made of.
 *
 * One NULL rule for every value handed in to be taken (it is the
 * container's afterwards, or released on failure): NULL is a constructor
 * that failed, so jb_add(o, k, json_object_new_x(...)) needs no check of
 * its own, and a NULL container releases what it is given. The JSON null,
 * which json-c keeps as a NULL member, is added by name with jb_add_null.
 * A value lent (input below) is a value read from a parsed document: there
 * NULL is the JSON null it was read as.
 */

/*
 * Adds v under k in object o, or appends v to array a; v is taken.
 * Returns 0, or -1 when v or the container is NULL or out of memory (v
 * released, nothing added).
 */
int jb_add(struct json_object *o, const char *k, struct json_object *v);
int jb_append(struct json_object *a, struct json_object *v);

/* Adds the JSON null under k. Returns 0, or -1 as jb_add. */
int jb_add_null(struct json_object *o, const char *k);

/*
 * A pydantic loc: [where], then field and key when not NULL, then index
 * when >= 0 (["body"], ["body","attributes",K], ["query","digests",3]).
 * Returns a new array, or NULL when out of memory.
 */
struct json_object *jb_loc(const char *where, const char *field,
    const char *key, long index);

/* {k: v}, v taken. Returns a new object, or NULL as jb_add fails. */
struct json_object *jb_ctx(const char *k, struct json_object *v);

/* A message literal as the msg and msg_len of jb_error. */
#define JB_MSG(s)	(s), sizeof(s) - 1

/*
 * Appends {"type":type,"loc":loc,"msg":msg[0..msg_len),"input":input} to
 * errors, with "ctx":ctx last for jb_error_ctx. loc and ctx are taken;
 * input is lent (its reference count raised; NULL is the JSON null).
 * Returns 0, or -1 when out of memory (loc and ctx released).
 */
int jb_error(struct json_object *errors, const char *type,
    struct json_object *loc, const char *msg, size_t msg_len,
    struct json_object *input);
int jb_error_ctx(struct json_object *errors, const char *type,
    struct json_object *loc, const char *msg, size_t msg_len,
    struct json_object *input, struct json_object *ctx);

#endif
