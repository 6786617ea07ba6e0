/* parents — the builds before a fixture's own, and what its generation
 * step made of them: the parent map's way, as on Buildkite, from a parent
 * build's artifact through the REST API to `lazykite parent-map`.
 *
 * Contract: parents_play() runs before the fixture's build, in the run's
 * world (world.h). For a fixture with `parent:` it plays each parent
 * commit's build, oldest first (the fixture's parent last), on the
 * pipeline's default branch: a whole build through ci/pipeline.yml
 * (sim_play() with the same generator options, in <work>/parent-<k>, k = 1
 * for the fixture's parent), whatever its outcome; the build stays in the
 * world's records and artifacts for the REST API. For a fixture with
 * `unchanged:` it adds instead a passed build of the default branch whose
 * `pipeline-gen` job has, as pipeline/drvmap.json, the current drvmap for
 * those labels (the parent commit in which they were the same). *record
 * (a new JSON array, oldest first) says what each build was: `number`,
 * `id`, `branch`, `commit`, `state`, `synthetic`, `fixture`, `seconds`,
 * `violated` (the invariants its own build violated: informational) and
 * `steps` ({label, key, outcome}). Returns -1 with err when a build could
 * not be played (a sandbox or system failure).
 *
 * parents_observe() fills o->parent for build `number` (on `branch`): the
 * map its jobs downloaded last (the REST API's log: a storage answer while
 * it ran) and whether it is a drvmap (core/manifest.h's reader), and the
 * build whose map `lazykite parent-map` should have found — the newest
 * passed or running build of the default branch, other than itself, whose
 * `pipeline-gen` job has pipeline/drvmap.json. `token_ok` says the build's
 * jobs were given the API's token. */
#ifndef LAZYKITE_SIM_PARENTS_H
#define LAZYKITE_SIM_PARENTS_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "harness/observed.h"
#include "harness/play.h"
#include "harness/world.h"
#include "nix/depot.h"
#include "nix/fixture.h"

int parents_play(struct sim_world *w, const struct sim_play_options *opt, const struct fixture *f,
                 const struct depot *d, const char *work, json_t **record, struct lk_error *err);
void parents_observe(struct sim_world *w, long number, const char *branch, bool token_ok,
                     struct sim_observed *o);

#endif
