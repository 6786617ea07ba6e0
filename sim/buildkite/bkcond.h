/* bkcond — Buildkite's step conditions, evaluated as Buildkite evaluates
 * them when a pipeline is uploaded: the `if` expression language and the
 * `if_changed` globs.
 *
 * Contract: bk_cond_eval() parses and evaluates one `if` expression against
 * the simulated build `b` and sets *out. The language (Buildkite's
 * "Using conditionals" reference): `==` `!=` `=~` `!~` (the right side of a
 * match a regular expression literal /…/ with the flag `i`, Perl-compatible
 * as PCRE2 reads it), `&&` `||` (short-circuit), prefix `!`, parentheses,
 * `includes` (an array on the left), string literals in '…' or "…"
 * (backslash escapes), integers, true false null, arrays [a, b], `//`
 * comments to the end of the line, and these names: build.branch,
 * build.tag, build.message, build.commit, build.id, build.number,
 * build.source, build.pull_request.id, .base_branch, .repository, .draft,
 * .labels, pipeline.slug, pipeline.default_branch, and the functions
 * build.env("NAME") (null when unset) and env("NAME") ("" when unset).
 * An absent build value is null; null equals only null, matches no regular
 * expression, and counts as false for `!`, `&&`, `||` and as the result.
 * Comparing values of two other types, matching a non-string, a regular
 * expression anywhere but on the right of =~/!~, `includes` without an
 * array, a non-boolean operand of a logical operator or result, a name
 * Buildkite has that the simulation does not (build.creator.email, …), an
 * unknown name or any syntax error: -1 with a bad-input error (no file, no
 * place: the caller places it) whose message says what and at which
 * column. Nothing is ever guessed.
 *
 * bk_changed_match() decides `if_changed`: include/exclude glob lists over
 * the files the build's commit changes. A glob is Buildkite's: `{a,b}`
 * alternatives (nested), `**` any run of characters including "/", `*`
 * and `?` within one path segment, `[…]` a character class. The step stays
 * when some changed file matches an include glob and no exclude glob. An
 * unbalanced `{` or `[` is an error (as above).
 *
 * Pure: nothing is kept between calls; the build info is borrowed. */
#ifndef LAZYKITE_BK_COND_H
#define LAZYKITE_BK_COND_H

#include <stdbool.h>
#include <stddef.h>

#include "buildkite/env.h"
#include "error.h"

/* What a condition can see of the simulated build. NULL strings are null. */
struct bk_build_info {
    const char *id, *branch, *tag, *message, *commit, *source;
    long number;
    const char *pipeline_slug, *default_branch;
    /* the pull request (all NULL / -1 / none when the build is not one) */
    const char *pr_id, *pr_base_branch, *pr_repository;
    int pr_draft;                     /* -1 null, 0 false, 1 true */
    const char *const *pr_labels;
    size_t n_pr_labels;
    const struct bk_env *env;         /* build.env(); may be NULL */
    /* the files the build's commit changes, for if_changed */
    bool has_changed_files;
    const char *const *changed_files;
    size_t n_changed_files;
};

int bk_cond_eval(const char *expr, const struct bk_build_info *b, bool *out, struct lk_error *err);

/* Does the changed-file list pass include/exclude? (b->has_changed_files
 * must be true.) */
int bk_changed_match(const char *const *include, size_t n_include, const char *const *exclude,
                     size_t n_exclude, const struct bk_build_info *b, bool *out, struct lk_error *err);
/* One glob against one path (braces expanded); -1 with `err` on a bad glob. */
int bk_changed_glob(const char *glob, const char *path, bool *out, struct lk_error *err);

#endif
