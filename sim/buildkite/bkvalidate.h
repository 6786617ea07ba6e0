/* bkvalidate — checks that a set of loaded pipelines forms one valid build.
 *
 * Contract: bk_pipelines_validate() validates a set of pipelines that make
 * up one build (e.g. the static pipeline and every uploaded chunk): keys
 * non-empty, at most BK_KEY_MAX characters and unique across the set; every
 * depends_on names a key of the set; no dependency cycle (explicit
 * depends_on, where depending on a group means depending on each of its
 * steps and a group's depends_on applies to each of its steps). The
 * pipelines are only read. Returns 0, or -1 with the first problem (bad
 * input, placed at the offending step). */
#ifndef LAZYKITE_BK_VALIDATE_H
#define LAZYKITE_BK_VALIDATE_H

#include <stddef.h>

#include "buildkite/bkpipeline.h"
#include "error.h"

int bk_pipelines_validate(struct bk_pipeline *const *pipelines, size_t n, struct lk_error *err);

#endif
