/* nixexpr — the small subset of the Nix language that `nix-build -E` must
 * accept from generated build commands.
 *
 * Grammar (whitespace and `#` comments between tokens are ignored):
 *   expr  := term term*                      application, left-associative
 *   term  := "import" "./." "{" "}"          the depot (`import ./. {}`)
 *          | "builtins.getAttr" STRING term  attribute selection
 *          | "(" expr ")"
 *   STRING := a Nix double-quoted string literal: `\x` escapes (\n \r \t, any
 *          other x stands for itself), `$\x`, `$$`; an interpolation `${` is
 *          not supported and rejected.
 * This covers `builtins.getAttr "a" (import ./. {})` nests and the
 * parentOverride form `(<function>) (<target>)` that core/buildcmd writes.
 * Anything else is rejected with one error: file "(string)", place
 * "line:column" (1-based), status LK_EXIT_INPUT.
 *
 * Ownership: nixexpr_parse() returns a tree the caller frees with
 * nixexpr_free(); every node owns its children and strings. */
#ifndef LAZYKITE_NIXEXPR_H
#define LAZYKITE_NIXEXPR_H

#include <stddef.h>

#include "error.h"

enum nixexpr_kind {
    NIXEXPR_DEPOT,   /* import ./. {} */
    NIXEXPR_GETATTR, /* builtins.getAttr name (arg) */
    NIXEXPR_APPLY,   /* (fn) (arg) */
};

struct nixexpr {
    enum nixexpr_kind kind;
    char *name;            /* GETATTR: the attribute name (unescaped) */
    struct nixexpr *fn;    /* APPLY: the function */
    struct nixexpr *arg;   /* GETATTR: the attribute set; APPLY: the argument */
    int line, column;      /* where the expression starts */
};

int nixexpr_parse(const char *text, size_t len, struct nixexpr **out, struct lk_error *err);
void nixexpr_free(struct nixexpr *e);
/* The directory an `--arg depot` expression names: a path literal
 * (`/abs/path`) or `/. + "<string>"` (what lazykite passes for a path with
 * a space, `@` or other bytes a literal cannot hold). The caller frees. */
int nixexpr_path(const char *text, char **path, struct lk_error *err);

/* If `e` is a pure selection chain `getAttr aN (… (getAttr a1 (import ./. {})))`,
 * return 1 and the names a1…aN (borrowed from `e`; the array is the caller's,
 * NULL when N = 0); else 0. */
int nixexpr_attr_path(const struct nixexpr *e, const char ***attrs, size_t *n);

#endif
