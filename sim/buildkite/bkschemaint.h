/* bkschemaint — private to the schema check (bkschema.c: the step shapes
 * and the document; bkschemaval.c: the shapes of attribute values). Not for
 * use outside those two files.
 *
 * A check takes a value and its JSON pointer and returns true, or false
 * after recording the first problem in `struct sc` (bksc_bad(): later ones
 * are ignored). A `struct shape` is an object of known attributes, each
 * with its check; bksc_shape() checks one, bksc_each() every element of a
 * list. */
#ifndef LAZYKITE_BK_SCHEMAINT_H
#define LAZYKITE_BK_SCHEMAINT_H

#include <jansson.h>
#include <stdbool.h>

struct sc {
    char *eptr, *emsg; /* the first problem */
};

typedef bool (*chk_fn)(struct sc *, json_t *, const char *);

bool bksc_bad(struct sc *C, const char *ptr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void bksc_clear(struct sc *C);

struct prop {
    const char *name;
    chk_fn chk;
};

struct shape {
    const char *what;
    const struct prop *props;    /* NULL-name terminated */
    const char *const *required; /* NULL-terminated, or NULL */
    bool open;                   /* other attributes allowed */
};

bool bksc_shape(struct sc *C, const struct shape *S, json_t *v, const char *ptr);
bool bksc_each(struct sc *C, json_t *v, const char *ptr, chk_fn chk, const char *what);
/* A string among `names` (NULL-terminated). */
bool bksc_enum(struct sc *C, json_t *v, const char *ptr, const char *const *names);

/* The checks of attribute values (bkschemaval.c). */
bool bksc_agents(struct sc *C, json_t *v, const char *ptr);
bool bksc_any(struct sc *C, json_t *v, const char *ptr);
bool bksc_blocked_state(struct sc *C, json_t *v, const char *ptr);
bool bksc_bool(struct sc *C, json_t *v, const char *ptr);
bool bksc_cache(struct sc *C, json_t *v, const char *ptr);
bool bksc_concurrency_method(struct sc *C, json_t *v, const char *ptr);
bool bksc_depends_on(struct sc *C, json_t *v, const char *ptr);
bool bksc_fields(struct sc *C, json_t *v, const char *ptr);
bool bksc_if_changed(struct sc *C, json_t *v, const char *ptr);
bool bksc_integer(struct sc *C, json_t *v, const char *ptr);
bool bksc_key(struct sc *C, json_t *v, const char *ptr);
bool bksc_matrix(struct sc *C, json_t *v, const char *ptr);
bool bksc_notify_build(struct sc *C, json_t *v, const char *ptr);
bool bksc_notify_step(struct sc *C, json_t *v, const char *ptr);
bool bksc_object(struct sc *C, json_t *v, const char *ptr);
bool bksc_plugins(struct sc *C, json_t *v, const char *ptr);
bool bksc_retry(struct sc *C, json_t *v, const char *ptr);
bool bksc_secrets(struct sc *C, json_t *v, const char *ptr);
bool bksc_signature(struct sc *C, json_t *v, const char *ptr);
bool bksc_skip(struct sc *C, json_t *v, const char *ptr);
bool bksc_soft_fail(struct sc *C, json_t *v, const char *ptr);
bool bksc_str_or_list(struct sc *C, json_t *v, const char *ptr);
bool bksc_string(struct sc *C, json_t *v, const char *ptr);
bool bksc_string_or_null(struct sc *C, json_t *v, const char *ptr);
bool bksc_timeout(struct sc *C, json_t *v, const char *ptr);
bool bksc_trigger_build(struct sc *C, json_t *v, const char *ptr);
bool bksc_type_block(struct sc *C, json_t *v, const char *ptr);
bool bksc_type_command(struct sc *C, json_t *v, const char *ptr);
bool bksc_type_input(struct sc *C, json_t *v, const char *ptr);
bool bksc_type_trigger(struct sc *C, json_t *v, const char *ptr);
bool bksc_type_wait(struct sc *C, json_t *v, const char *ptr);

#endif
