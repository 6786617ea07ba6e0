/* bkloader — private to the pipeline loader (bkpipeline.c, bkyaml.c,
 * bkinterp.c, bkstep.c): the state of one bk_pipeline_load() call and the
 * pieces the loading files share. Not for use outside the loader.
 *
 * Contract: a struct bk_loader lives for one load. `marks` is the YAML side
 * table (JSON pointer -> "line:column", owned by the loader, NULL for JSON);
 * bk_place_of() turns a JSON pointer into the place an error names. Every
 * function here that fails has reported exactly one bad-input error into
 * L->err (through bk_bad(), which always returns -1) and returns -1 or NULL;
 * a function returning a tree returns a new reference the caller owns. A
 * step filled by bk_step_load() is released with bk_step_release(), even
 * when loading it failed part way. */
#ifndef LAZYKITE_BK_LOADER_H
#define LAZYKITE_BK_LOADER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buildkite/bkpipeline.h"
#include "buildkite/env.h"
#include "error.h"

struct bk_loader {
    const char *file;
    json_t *marks; /* YAML only: pointer -> "line:column" */
    size_t budget; /* YAML nodes still allowed (alias bombs) */
    struct lk_error *err;
};

/* bkpipeline.c: places and errors. bk_place_of()'s result is the caller's. */
char *bk_place_of(const struct bk_loader *L, const char *ptr);
int bk_bad(struct bk_loader *L, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* bkyaml.c: one YAML document as a jansson tree; fills L->marks. */
json_t *bk_yaml_tree(struct bk_loader *L, const char *text, size_t len);

/* bkinterp.c: upload interpolation of a whole document (the top-level env
 * block first, over `env`); `root` is left as it was. */
json_t *bk_interpolate_document(struct bk_loader *L, json_t *root, const struct bk_env *env);

/* bkstep.c: the step model. */
bool bk_name_in_list(const char *const *list, const char *s);
/* A string, number or boolean as the string an environment holds (caller
 * frees); -1 for anything else (nothing reported). */
int bk_scalar_to_string(json_t *v, char **out);
int bk_get_env(struct bk_loader *L, json_t *obj, const char *name, const char *ptr,
               struct bk_env *env);
int bk_step_load(struct bk_loader *L, json_t *v, const char *ptr, bool in_group, struct bk_step *s,
                 const struct bk_env *pipeline_env);
void bk_step_release(struct bk_step *s);

#endif
