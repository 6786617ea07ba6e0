/* buildcmd — the command that builds one derivation, and its Nix expressions.
 *
 * The build command for attribute path A, drv path D and out-link L is one
 * line (words joined by single spaces), as bash must see it:
 *   set -o pipefail; (nix-store --realise 'D' --add-root 'L' --indirect |
 *   xargs -r realpath) || (test ! -f 'D' && nix-build -E 'E' --show-trace
 *   --out-link 'L')
 * It tries the `.drv` first and falls back to evaluating E when the `.drv`
 * is gone (garbage-collected). E is `import ./. {}` wrapped once per
 * attribute a of A, in order, as `builtins.getAttr "a" (<inner>)`, each
 * name a Nix string literal (quote_nix_string). Every shell word is
 * single-quoted (quote_shell_word). The text is what bash must see: the
 * caller applies quote_upload() before it goes into a pipeline.
 *
 * An overridden parent (an extra step's `parentOverride`) is built from
 *   (<A ++ [meta ci extraSteps <name> parentOverride] on T>) (T)
 * where T is the target's own expression: the override function the target
 * declares for that extra step, applied to the target itself.
 *
 * All functions append to `out` and cannot fail. */
#ifndef LAZYKITE_BUILDCMD_H
#define LAZYKITE_BUILDCMD_H

#include <stddef.h>

#include "strbuf.h"

/* Append `builtins.getAttr "a_n" (… (builtins.getAttr "a_1" (<base>)))`
 * with base = `import ./. {}` when `base` is NULL. */
void buildcmd_attr_expr(struct strbuf *out, const char *base, char *const *attrs, size_t n);

/* Append the expression of an extra step's overridden parent: the function
 * `meta.ci.extraSteps.<step_name>.parentOverride` of the target at
 * `attrs` applied to that target. */
void buildcmd_override_expr(struct strbuf *out, char *const *attrs, size_t n,
                            const char *step_name);

/* Append the build command for `drv_path` with the Nix expression `expr`
 * (already Nix text) and out-link `out_link` (NULL: "result"). */
void buildcmd_command(struct strbuf *out, const char *drv_path, const char *expr,
                      const char *out_link);

#endif
