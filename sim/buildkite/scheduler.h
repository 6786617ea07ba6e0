/* scheduler — Buildkite's step scheduling as pure logic (no processes).
 *
 * Contract: a build is a list of steps that grows. bk_sched_upload() adds a
 * loaded pipeline's steps right after the uploading step (after its group
 * when it is inside one), or at the end when `after` is -1; so uploading
 * chunks last-first keeps their order. The scheduler takes ownership of the
 * pipeline. Each step (and each step of a group) gets a stable node id.
 * The caller loops: bk_sched_next() returns a command step to run now
 * (marked running), BK_SCHED_BUSY (nothing runnable until a running step
 * finishes) or BK_SCHED_DONE; bk_sched_report_exit() gives a step's result.
 *
 * At upload (all or nothing): a step's `if` is evaluated against the
 * build (bkcond.h) and its `if_changed` against the build's changed files;
 * a step (or group) either leaves out is not part of the build (outcome
 * filtered, reason naming the condition), and a dependency on its key is
 * ignored, as Buildkite ignores it. Without a list of changed files
 * `if_changed` keeps the step and the node says so
 * (bk_sched_if_changed_unchecked). An upload fails (bad input, placed at
 * the step) on a condition that cannot be evaluated, a step's
 * `upload_error` (bkpipeline.h) or a key used twice.
 * A step with jobs (matrix, parallelism) is a node whose children are its
 * jobs: it never runs itself, depending on it is depending on each job,
 * each job has its dependencies, and it ends (as soon as its jobs have)
 * failed if a job failed, else soft_failed if one did, else skipped if
 * all were, else passed.
 * Retries (retry.automatic): a job that exits non-zero (or times out: exit
 * status -1, signal SIGKILL, signal reason "cancel") is retried when the
 * first rule that matches it has retries left (the attempts it retried so
 * far below its limit): the attempt keeps its outcome, is marked retried, and a new
 * node (bk_sched_attempt() one more) runs at once; a soft_fail status is
 * retried too, only the last attempt's outcome counting. For dependants,
 * waits, groups, jobs and bk_sched_failing() a job is its latest attempt,
 * so a job that failed and then passed counts as passed.
 * Of the runnable command nodes the one with the highest `priority` runs
 * first, then build order.
 *
 * Rules (Buildkite's, see the docs on depends_on, wait, block and branches):
 * - A step without `depends_on` depends on the closest wait/block before it
 *   in its list (the build's top level or its group); a wait/block without
 *   `depends_on` depends on every step since the previous wait/block and on
 *   that one. An explicit `depends_on` (even null/[]) replaces these implicit
 *   dependencies. Input steps have no implicit dependencies and hold nobody
 *   implicitly. Steps uploaded by a step also depend on it (unless explicit).
 * - A group's dependencies apply to each of its steps; depending on a group
 *   is depending on each of its steps; depending on a step that uploaded
 *   steps is depending on those steps too.
 * - A dependency is satisfied when it passed, soft-failed, was skipped, was
 *   excluded by a branch filter, is an unblocked block or a (recorded, not
 *   run) trigger. A failed, timed-out, canceled or waiting_failed dependency
 *   makes the step waiting_failed (reason: that dependency), unless the
 *   dependency has `allow_failure`, the step `allow_dependency_failure`, or
 *   the step is a wait with `continue_on_failure`.
 * - `skip` (true or a reason) marks the step skipped on upload; a skipped
 *   group skips its steps. A branch filter that does not match the build's
 *   branch excludes the step from the build ("excluded by branch filter";
 *   Buildkite drops such steps, and dependencies on them are ignored).
 * - Block and input steps are unblocked when the policy says so (all, none,
 *   or a "*" glob over the label); otherwise they stay blocked and hold their
 *   dependants, which end "not run".
 * - A dependency on a key no step has: the step waits while the build can
 *   still grow (steps running or runnable); then it ends "broken" (Buildkite
 *   fails such a build without running the step) and counts as a failure.
 * - Steps in a dependency cycle end "not run" with reason "dependency cycle".
 * - A concurrency group runs at most `concurrency` of its jobs at once;
 *   with concurrency_method "ordered" (the default) no job of the group
 *   starts before every job of the group created earlier has started
 *   (creation order: node ids), with "eager" any that is ready may.
 * - With `cancel_on_build_failing`, a step that becomes runnable while the
 *   build has a hard failure is canceled instead of run.
 * Errors from bk_sched_upload: a key used twice in the build (as Buildkite
 * rejects such an upload), or a bad `after` id. */
#ifndef LAZYKITE_BK_SCHEDULER_H
#define LAZYKITE_BK_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>

#include "buildkite/outcome.h"
#include "buildkite/bkpipeline.h"
#include "error.h"

enum bk_unblock { BK_UNBLOCK_NONE, BK_UNBLOCK_ALL, BK_UNBLOCK_GLOB };

struct bk_sched_options {
    const char *branch;       /* BUILDKITE_BRANCH, for branch filters */
    enum bk_unblock unblock;
    const char *unblock_glob; /* BK_UNBLOCK_GLOB: matched against the label */
    /* What conditions see (bkcond.h); borrowed: it and everything it points
     * to must outlive the scheduler. NULL: a build with only its branch. */
    const struct bk_build_info *build;
};

enum { BK_SCHED_BUSY = -1, BK_SCHED_DONE = -2 };

struct bk_sched;

/* The options' strings are copied. */
struct bk_sched *bk_sched_new(const struct bk_sched_options *opts);
void bk_sched_free(struct bk_sched *s);

/* Insert `p`'s steps after node `after` (-1: append). Takes ownership of p
 * (also on failure, when it is freed). On success *first and *count (either
 * may be NULL) give the new top-level nodes' ids range start and the number
 * of nodes added (group steps included). */
int bk_sched_upload(struct bk_sched *s, int after, struct bk_pipeline *p, int *first, size_t *count,
                    struct lk_error *err);

int bk_sched_next(struct bk_sched *s);
/* A running step ended: exit status (0..255) or timed out. The outcome is
 * passed, soft-failed (soft_fail rules), failed or timed-out. */
void bk_sched_report_exit(struct bk_sched *s, int id, int exit_status, bool timed_out);
/* A running step ended some other way (e.g. canceled, or the sandbox could
 * not start: failed); `reason` is copied (may be NULL). */
void bk_sched_report(struct bk_sched *s, int id, enum bk_outcome outcome, const char *reason);

size_t bk_sched_count(const struct bk_sched *s);           /* node ids are 0..count-1 */
int bk_sched_attempt(const struct bk_sched *s, int id);      /* 0, or the retry count */
int bk_sched_retried_by(const struct bk_sched *s, int id);   /* the next attempt, or -1 */
int bk_sched_retry_of(const struct bk_sched *s, int id);     /* the attempt it repeats, or -1 */
int bk_sched_latest(const struct bk_sched *s, int id);       /* the latest attempt of id */
bool bk_sched_if_changed_unchecked(const struct bk_sched *s, int id);
/* The pipelines uploaded, in upload order (owned by the scheduler). */
struct bk_pipeline *const *bk_sched_pipelines(const struct bk_sched *s, size_t *n);
const struct bk_step *bk_sched_step(const struct bk_sched *s, int id);
enum bk_outcome bk_sched_outcome(const struct bk_sched *s, int id);
const char *bk_sched_reason(const struct bk_sched *s, int id); /* or NULL */
int bk_sched_parent(const struct bk_sched *s, int id);         /* group or head node, or -1 */
int bk_sched_exit_status(const struct bk_sched *s, int id);    /* -1 unless it ran */
int bk_sched_find(const struct bk_sched *s, const char *key);  /* node id or -1 */
/* The build's steps in order (groups followed by their steps); *n set.
 * The array is owned by the scheduler, valid until the next upload. */
const int *bk_sched_order(struct bk_sched *s, size_t *n);
/* The nodes node `id` depends on directly, as a picture draws them: its
 * explicit depends_on keys that exist (group or step nodes), else its
 * implicit ones — the closest wait/block before it in its list; for a
 * wait/block, the steps since the previous one and that one (the rest
 * follows transitively) — and the step that uploaded it. Its group's
 * dependencies are the group's, not repeated. Caller frees; *n set (the
 * array may be NULL when *n is 0). */
int *bk_sched_edges(struct bk_sched *s, int id, size_t *n);
/* Has any step failed (bk_outcome_is_failure; a retried attempt does not count)? */
bool bk_sched_failing(const struct bk_sched *s);
size_t bk_sched_running(const struct bk_sched *s);

#endif
