/* bkloader — private to the pipeline loader (bkpipeline.c, bkyaml.c,
 * bkinterp.c, bkschema.c, bkstep.c, bkcommand.c, bkmatrix.c): the state of one bk_pipeline_load() call and the
 * pieces the loading files share. Not for use outside the loader.
 *
 * Contract: a struct bk_loader lives for one load. `ydoc` is the YAML
 * document's tree (owned by the loader, NULL for JSON), kept so that
 * bkpipeline.c can turn a JSON pointer into the place an error names
 * (line:column for YAML, the pointer for JSON); bk_loader_release() frees
 * it. Every
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

struct yamltree;

struct bk_loader {
    const char *file;
    struct yamltree *ydoc; /* YAML only */
    size_t budget; /* YAML nodes still allowed (alias bombs) */
    struct lk_error *err;
};

/* bkpipeline.c: places and errors. */
/* "FILE: PLACE", as a step keeps its place for later messages (caller frees). */
char *bk_file_place(const struct bk_loader *L, const char *ptr);
void bk_loader_release(struct bk_loader *L);
int bk_bad(struct bk_loader *L, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* bkyaml.c: one YAML document as a jansson tree; keeps its YAML tree in
 * L->ydoc. bk_yaml_mark(): the line and column a pointer reaches in it. */
json_t *bk_yaml_tree(struct bk_loader *L, const char *text, size_t len);
void bk_yaml_mark(const struct yamltree *doc, const char *ptr, unsigned long *line, unsigned long *column);

/* bkinterp.c: upload interpolation of a whole document (the top-level env
 * block first, over `env`): a new reference to the result, which is `root`
 * itself, changed in place, when the caller holds the only reference to
 * it (then also on failure `root` may be changed in part); else `root` is
 * left as it was. */
json_t *bk_interpolate_document(struct bk_loader *L, json_t *root, const struct bk_env *env);

/* bkschema.c: the whole document against Buildkite's pipeline schema
 * (0, or -1 with the first problem reported). A step of that document is
 * then known to have a valid shape: bk_schema_step_type() says which (for
 * a step no attribute types, the first shape of command, wait, block,
 * input that accepts it). */
int bk_schema_check(struct bk_loader *L, json_t *root);
enum bk_step_type bk_schema_step_type(json_t *step);

/* What a pipeline gives each of its steps. */
struct bk_pipe_ctx {
    const struct bk_env *env; /* the top-level env */
    json_t *agents;           /* the top-level agents, or NULL */
    json_t *priority;         /* the top-level priority, or NULL */
    bool image, secrets;      /* the top-level image / secrets are set */
    char **bad_env;           /* top-level env names no environment can hold */
    size_t n_bad_env;
};

/* bkstep.c: the step model (of a schema-checked step). The readers take
 * values of the shapes the schema allows. */
/* A string, number or boolean as the string an environment holds (caller
 * frees); -1 for anything else (nothing reported). */
int bk_scalar_to_string(json_t *v, char **out);
/* Every variable of the mapping obj[name] into `env`: scalars as their
 * text, null as "", lists and mappings as compact JSON; a name that no
 * environment can hold (empty, or with "=") goes to *bad_names (may be
 * NULL). */
void bk_get_env(json_t *obj, const char *name, struct bk_env *env, char ***bad_names, size_t *n_bad);
bool bk_read_bool(json_t *obj, const char *name, bool dflt);
char *bk_read_string(json_t *obj, const char *name);      /* a copy, or NULL */
char *bk_read_joined(json_t *v, const char *sep);         /* string or list of strings */
void bk_read_skip(json_t *o, struct bk_step *s);
void bk_read_soft_fail(json_t *o, struct bk_step *s);
void bk_record(struct bk_step *s, const char *name, json_t *value); /* into s->recorded (a copy) */
int bk_step_load(struct bk_loader *L, json_t *v, const char *ptr, bool in_group, struct bk_step *s,
                 const struct bk_pipe_ctx *pc);
void bk_step_release(struct bk_step *s);

/* bkcommand.c: a command step's own attributes (o: the step's object,
 * unwrapped), jobs included. */
int bk_command_load(struct bk_loader *L, json_t *o, const char *ptr, struct bk_step *s,
                    const struct bk_pipe_ctx *pc);
/* A deep copy of command step `src` as one of its jobs (no key, no jobs). */
void bk_job_init(struct bk_step *job, const struct bk_step *src);

/* bkmatrix.c: expand s->jobs from `matrix` (o's), or set s->upload_error. */
void bk_matrix_expand(json_t *matrix, struct bk_step *s);

#endif
