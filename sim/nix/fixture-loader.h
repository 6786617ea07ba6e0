/* fixture-loader — private to the fixture loader (sim/nix/fixture*.c); no
 * other module includes it, and nothing here is part of fixture.h's API.
 *
 * Contract: one `struct loader` lives for one fixture_load_bytes() call and
 * holds the parsed YAML tree, the fixture being filled, the error to set and
 * the references still pending as keys. Every function here that can fail
 * sets L->err with the fixture path and the node's `line:column` (through
 * fx_fail_pos) and returns -1 (NULL for pointers); on failure what it
 * stored so far in L->f stays there for fixture_free(). Strings and arrays
 * returned through out-parameters are the caller's (malloc'd); node and
 * pair pointers point into L->doc. */
#ifndef LAZYKITE_SIM_FIXTURE_LOADER_H
#define LAZYKITE_SIM_FIXTURE_LOADER_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "nix/fixture.h"
#include "nix/yamltree.h"

/* Nesting of generic values; also the most attrPath elements of a target. */
#define FX_MAX_DEPTH 64

/* ---- loader state (fixture.c) ----------------------------------------- */

enum ref_kind { REF_DRV, REF_SCRIPT, REF_COMMAND, REF_TARGET_LABEL };

struct pending {
    enum ref_kind kind;
    char *key;           /* derivation key or target label */
    char *output;        /* REF_SCRIPT: `^output`, or NULL for the default */
    char **output_dest;  /* REF_SCRIPT: where the output name goes */
    size_t *dest;        /* where the index goes */
    const char *what;    /* "deps", "command", ... for messages */
    struct fixture_pos pos;
};

struct loader {
    const char *path;
    struct yamltree doc;
    struct fixture *f;
    struct lk_error *err;
    size_t budget;
    struct pending *pend;
    size_t n_pend, alloc_pend;
    size_t alloc_drvs;
};

/* Remember that `key` (copied) must be resolved into *dest (which must not
 * move until fx_resolve_and_check()); `what` is a static string. */
void fx_add_pending(struct loader *L, enum ref_kind kind, const char *key, size_t *dest,
                    const char *what, struct fixture_pos pos);
/* A list of keys (null counts as empty) into *dest, a new array of *count
 * indices (FIXTURE_NONE until resolved), each key pending as by
 * fx_add_pending(). */
int fx_get_ref_list(struct loader *L, struct ynode *n, enum ref_kind kind, const char *what,
                    size_t **dest, size_t *count);

/* ---- typed accessors over the YAML tree (fixtureyaml.c) -------------- */

static inline struct fixture_pos fx_pos_of(const struct ynode *n)
{
    struct fixture_pos p = { (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
    return p;
}

static inline struct ynode *fx_node(struct loader *L, size_t id)
{
    return &L->doc.nodes[id];
}

static inline const char *fx_scalar(const struct ynode *n)
{
    return n->scalar.value;
}

/* Set L->err to the message at `p`; always -1. */
int fx_fail_pos(struct loader *L, struct fixture_pos p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define fx_fail(L, node, ...) fx_fail_pos((L), fx_pos_of(node), __VA_ARGS__)

/* Scalars mean what yamltree_resolve() says (YAML 1.2's core schema). */
int fx_is_null(const struct ynode *n);
/* "a mapping", "a list", "nothing (null)", ... for messages. */
const char *fx_node_kind(const struct ynode *n);
/* A string value: any scalar but a plain null, without NUL bytes; replaces *out. */
int fx_get_string(struct loader *L, struct ynode *n, const char *what, char **out);
/* 0 or 1 for a boolean scalar, -1 for anything else (no error set). */
int fx_bool_value(const struct ynode *n);
int fx_get_bool(struct loader *L, struct ynode *n, const char *what, int *out);
int fx_get_int(struct loader *L, struct ynode *n, const char *what, long long min,
               long long max, long long *out);
/* A list (null counts as empty): the element node ids and their count. */
int fx_get_seq(struct loader *L, struct ynode *n, const char *what, size_t **items,
               size_t *count);
int fx_get_string_list(struct loader *L, struct ynode *n, const char *what, char ***out,
                       size_t *count);
/* A mapping (null counts as empty) with scalar keys and no key twice. */
int fx_get_map(struct loader *L, struct ynode *n, const char *what, struct ynode_pair **pairs,
               size_t *count);
/* Look up the fixed keys `names` (NULL-terminated) of a mapping: vals[i] is
 * the value node of names[i] or NULL. Unknown keys are errors listing the
 * expected ones. */
int fx_get_fields(struct loader *L, struct ynode *n, const char *what,
                  const char *const *names, struct ynode **vals);
/* Any value as a new jansson value, within FX_MAX_DEPTH and the loader's
 * node budget; NULL on error. */
json_t *fx_to_json(struct loader *L, struct ynode *n, int depth, const char *what);

/* ---- derivations (fixturedrv.c) --------------------------------------- */

/* The derivation fields, in the order fx_load_drv_fields() takes them. */
enum { DF_BUILD, DF_DEPS, DF_OUTPUTS, DF_FAIL, DF_IFD, DF_NAME, DF_N };

/* A derivation key must not be empty. */
int fx_check_key(struct loader *L, struct ynode *n, const char *key, const char *what);
/* Append a derivation with `key` (copied) at `at`'s position; its index. */
size_t fx_new_drv(struct loader *L, const char *key, struct ynode *at);
/* Fill drv `i` from the field nodes `vals` (DF_* order, NULL when absent). */
int fx_load_drv_fields(struct loader *L, size_t i, struct ynode **vals, const char *what);
/* The top-level `derivations` mapping. */
int fx_load_derivations(struct loader *L, struct ynode *n);

/* ---- targets (fixturetarget.c) ---------------------------------------- */

/* The top-level `targets` list, including inline derivations. */
int fx_load_targets(struct loader *L, struct ynode *n);
/* Sort a target's extra steps by name (once their references are resolved). */
void fx_sort_steps(struct fixture_target *t);

/* ---- the whole document (fixture.c) ------------------------------------ */

/* A fixture from an already parsed document `doc` (borrowed: its nodes'
 * marks place the errors in `path`), named `name` (its path); `text`
 * becomes the fixture's text. */
int fx_load_tree(const char *path, const char *name, struct yamltree *doc, const char *text, size_t len,
                 struct fixture **out, struct lk_error *err);

/* ---- the parent commit (fixtureparent.c) ------------------------------- */

/* The parent depot of the fixture whose root mapping is `root`, from its
 * `parent:` mapping `pnode`: loaded (errors placed in the fixture file),
 * its text written out, and its own parent, if any, loaded too. */
int fx_load_parent(struct loader *L, struct ynode *root, struct ynode *pnode, struct fixture **out);

/* ---- resolution and checks (fixtureresolve.c) ------------------------- */

/* Index keys and labels, resolve the pending references, order the
 * derivations inputs-first (rejecting cycles) and check the attribute tree. */
int fx_resolve_and_check(struct loader *L);

#endif
