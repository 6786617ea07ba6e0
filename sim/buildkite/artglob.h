/* artglob — which files of a directory an artifact glob names, as
 * `buildkite-agent artifact upload "GLOB;GLOB"` and a step's
 * `artifact_paths` find them.
 *
 * Contract: bk_artifact_glob() lists the regular files under `dir`
 * (symbolic links to regular files included, directories not followed
 * through links) whose path relative to `dir` matches one of the
 * ";"-separated globs of `patterns`: segment by segment with fnmatch(3)
 * (FNM_PERIOD: "*" does not match a leading "."), "**" standing for any
 * number of whole segments. The paths come in the order of the globs,
 * then by name, each once; *paths is
 * the caller's (strv_free() of strbuf.h). An absolute glob is refused:
 * -1 with `err` (status 2, "not simulated"). No file matching is no error. */
#ifndef LAZYKITE_BK_ARTGLOB_H
#define LAZYKITE_BK_ARTGLOB_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

int bk_artifact_glob(const char *dir, const char *patterns, char ***paths, size_t *n, struct lk_error *err);

#endif
