/* artifacts — the artifact store of the simulated Buildkite: what the
 * jobs of every simulated build uploaded with `buildkite-agent artifact
 * upload`, kept outside every checkout.
 *
 * Contract: bk_artifacts_new() uses `dir` (it must exist; the store writes
 * one file per artifact there, named by its number). bk_artifacts_add()
 * copies `len` bytes as artifact `path` (relative, no "." or ".." part, no
 * empty part: else bad input) of job `job_id` (the step's key and label
 * kept for `--step`) of build `build_id`; an upload of the same path by the
 * same job replaces the earlier one. bk_artifacts_find() lists the
 * artifacts of a build whose path matches the glob `query` (fnmatch(3)
 * without flags: `*` also matches "/", as Buildkite's search does), and,
 * when `step` is not NULL, whose job has that step key, label or job id;
 * in upload order, a path uploaded by several jobs once (the latest).
 * The returned array is the caller's to free (not its elements, which the
 * store owns until bk_artifacts_free()). Each artifact has a number
 * unique in the store (an upload that replaces one gets a new number: the
 * simulated REST API's artifact id) and the SHA-1 of its bytes.
 * bk_artifacts_by_number() finds one (NULL: none). */
#ifndef LAZYKITE_BK_ARTIFACTS_H
#define LAZYKITE_BK_ARTIFACTS_H

#include <stddef.h>

#include "error.h"

struct bk_artifact {
    char *build_id, *job_id, *step_key, *label; /* step_key, label may be NULL */
    char *path;
    char *file; /* where the bytes are */
    size_t size;
    size_t number;
    char sha1[41];
};

struct bk_artifacts;

struct bk_artifacts *bk_artifacts_new(const char *dir);
void bk_artifacts_free(struct bk_artifacts *a);
int bk_artifacts_add(struct bk_artifacts *a, const char *build_id, const char *job_id,
                     const char *step_key, const char *label, const char *path, const char *data,
                     size_t len, struct lk_error *err);
const struct bk_artifact **bk_artifacts_find(const struct bk_artifacts *a, const char *build_id,
                                             const char *step, const char *query, size_t *n);
const struct bk_artifact *bk_artifacts_by_number(const struct bk_artifacts *a, size_t number);
/* All artifacts, in upload order (for the report). */
const struct bk_artifact *bk_artifacts_all(const struct bk_artifacts *a, size_t *n);

#endif
