/* steps — labels, keys and the Buildkite step objects of one target
 * (DESIGN §2 "Labels", "Keys", "Target step", "Extra steps").
 *
 * Contract: these functions compute, they do not validate: the manifest has
 * been read by manifest.c and checked by pipeline.c (phases, prompts,
 * command outputs). Commands are returned upload-escaped (every `$` written
 * `$$`, see quote.h): after Buildkite's upload interpolation bash sees
 * exactly the build command of buildcmd.h and the extra-step script below.
 *
 * Extra-step script (one line each, `\n`-terminated; the two needsOutput
 * lines only with needsOutput):
 *   set -ueo pipefail
 *   echo '~~~ Preparing build output of <parentLabel>'
 *   <build command of the parent, out-link result>
 *   echo '--- Building extra step script'
 *   command_script="$(<build command of the command drv>)"
 *   echo '+++ Running extra step script'
 *   exec "$command_script"
 * With parentOverride the parent is built from the override's drv path and,
 * in the fallback, from buildcmd_override_expr().
 *
 * Steps are written as compact JSON text with sorted keys (jsontext.h),
 * appended to a buffer.
 *
 * Ownership: char * results are the caller's to free. Inputs are borrowed. */
#ifndef LAZYKITE_STEPS_H
#define LAZYKITE_STEPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "manifest.h"
#include "strbuf.h"

/* What every step of a target needs to know about it. */
struct target_info {
    const struct target *target;
    char *label;        /* readTree path joined with '/', ":<subtarget>" appended */
    char *key;          /* drv-<first 32 chars of the drv base name> */
    char **attrs;       /* attribute path: attrPath ++ [subtarget]; strings borrowed */
    size_t n_attrs;
    bool unchanged;     /* the parent map has the same drv under this label */
    /* The targets the step of this target's derivation serves: every target
     * naming that drv, in manifest order, the first one (which makes the
     * step) first. n_sharers is 1 with sharers NULL (itself) until
     * target_info_share() adds one; 0 on the others, whose step is the
     * first one's (same key). */
    const struct target_info **sharers;
    size_t n_sharers;
};

/* Fill `ti` for `t`; `pm` may be NULL (no parent map). It serves itself. */
void target_info_init(struct target_info *ti, const struct target *t, const struct parent_map *pm);
void target_info_release(struct target_info *ti);
/* `other` names the derivation of `first` (an earlier target): the step of
 * `first` serves it too, and `other` makes no step of its own. */
void target_info_share(struct target_info *first, struct target_info *other);
/* The step of `ti` (a first one) is skipped: every target it serves is
 * unchanged. */
bool target_step_unchanged(const struct target_info *ti);

char *target_label(const struct target *t);
char *target_key(const char *drv_path);
/* "extra-step-" + lowercase hex SHA-1 of "<label>-<parent_label>". */
char *extra_step_key(const char *label, const char *parent_label);

/* Append the step of the target's derivation to `out` (`ti` a first one):
 * label `:nix: ` + the labels of the targets it serves joined with ", ",
 * READTREE_TARGET the first one's label; depends_on their
 * buildkiteExtraDeps (in order, each once); their meta.timeout and
 * buildkiteExtraStepArgs merged in manifest order. `dep_keys`: keys of its
 * closest known dependencies. `overrides`: defaultStepOverrides (an object)
 * or NULL. */
void target_step(struct strbuf *out, const struct target_info *ti, char *const *dep_keys,
                 size_t n_dep_keys, bool cancel_on_build_failing, const json_t *overrides);

/* Append the extra step (or, for a string prompt, its gate group) to `out`. */
void extra_step(struct strbuf *out, const struct target_info *ti, const struct extra_step *s,
                bool build_enabled, const json_t *overrides);

#endif
