/* builds — the simulated pipeline's builds: what the simulated REST API
 * (restapi.h) answers from.
 *
 * Contract: bk_builds_new() makes an empty list for pipeline `pipeline` of
 * organization `org` (both slugs copied). bk_builds_add() appends a build
 * (strings copied), numbered from 1 in the order added (so a higher number
 * is a newer build); the pointer it returns stays valid until
 * bk_builds_free(). A build's jobs are read from its scheduler while it
 * runs (bk_build_live(); the scheduler is borrowed and must outlive the
 * call to bk_build_finish()); bk_build_finish() keeps a copy of them and
 * sets the build's state from the steps' outcomes: `failed` when one
 * counts as a failure (outcome.h), else `blocked` when a block step stayed
 * blocked, else `passed`. A job is a step of the build as Buildkite lists
 * it: a command step is a `script` job, a wait a `waiter`, a block or input
 * step `manual`, a trigger `trigger` (groups and steps a branch filter
 * excluded are no jobs); its id is the scheduler's node id (what the
 * artifact store records as the job), its state the step's outcome
 * (`scheduled` before it ran). Jobs may also be added by hand
 * (bk_build_add_job(), for builds made up in tests). */
#ifndef LAZYKITE_BK_BUILDS_H
#define LAZYKITE_BK_BUILDS_H

#include <stddef.h>

#include "buildkite/scheduler.h"

struct bk_build_job {
    char *id, *type, *step_key, *label, *state; /* step_key, label may be NULL */
};

struct bk_build {
    long number;
    char *id, *branch, *commit, *state, *created_at;
    struct bk_build_job *jobs; /* once finished, or added by hand */
    size_t n_jobs, alloc_jobs;
    struct bk_sched *live;     /* while running: the jobs are its steps */
};

struct bk_builds;

struct bk_builds *bk_builds_new(const char *org, const char *pipeline);
void bk_builds_free(struct bk_builds *b);
const char *bk_builds_org(const struct bk_builds *b);
const char *bk_builds_pipeline(const struct bk_builds *b);

struct bk_build *bk_builds_add(struct bk_builds *b, const char *id, const char *branch, const char *commit,
                               const char *state);
size_t bk_builds_count(const struct bk_builds *b);
/* The i-th build added (number i + 1). */
struct bk_build *bk_builds_at(const struct bk_builds *b, size_t i);
struct bk_build *bk_builds_by_number(const struct bk_builds *b, long number);

void bk_build_add_job(struct bk_build *bd, const char *id, const char *type, const char *step_key,
                      const char *label, const char *state);
void bk_build_live(struct bk_build *bd, struct bk_sched *sched);
void bk_build_finish(struct bk_build *bd);

/* The build's jobs now: the live scheduler's steps, or the kept ones.
 * The array is the caller's to free with bk_build_jobs_free(). */
struct bk_build_job *bk_build_jobs(const struct bk_build *bd, size_t *n);
void bk_build_jobs_free(struct bk_build_job *jobs, size_t n);

#endif
