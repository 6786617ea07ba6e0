/* outcome — the one vocabulary of what happened to a step.
 *
 * Contract: every outcome the scheduler gives a step, and `absent` (no step
 * with the label was uploaded: only a fixture's expectation or a report of
 * one uses it), has one name, Buildkite's spelling where Buildkite has one
 * (its job states: `waiting_failed`, `timed_out`, …). The run's table, the
 * JSON report and a fixture's `expect.steps` all use these names, and
 * fixtures/README.md lists them. bk_outcome_parse() is the inverse of
 * bk_outcome_name() (-1 for an unknown word); bk_outcome_names() lists the
 * words a fixture may expect (the final outcomes and `absent`), for a
 * message. */
#ifndef LAZYKITE_BK_OUTCOME_H
#define LAZYKITE_BK_OUTCOME_H

#include <stdbool.h>

enum bk_outcome {
    BK_PENDING,        /* not yet runnable (never in a finished build) */
    BK_RUNNING,        /* running (never in a finished build) */
    BK_PASSED,         /* ran, exit status 0 */
    BK_SOFT_FAILED,    /* ran and failed; soft_fail allowed it */
    BK_FAILED,         /* ran and failed */
    BK_TIMED_OUT,      /* stopped at its timeout_in_minutes */
    BK_CANCELED,       /* canceled: the build was failing (cancel_on_build_failing) */
    BK_SKIPPED,        /* its skip was set */
    BK_FILTERED,       /* its branch filter excluded the build's branch, or its if / if_changed */
    BK_UNBLOCKED,      /* block/input step let through */
    BK_BLOCKED,        /* block/input step left blocked */
    BK_RECORDED,       /* trigger step: recorded, not run */
    BK_WAITING_FAILED, /* not run: a dependency failed */
    BK_BROKEN,         /* not run: depends on a key that never appeared */
    BK_NOT_RUN,        /* not run: held behind a blocked step, or in a cycle */
    BK_ABSENT,         /* no step with this label was uploaded */
};
const char *bk_outcome_name(enum bk_outcome o);
int bk_outcome_parse(const char *word);
/* "passed, soft_failed, …, absent" (static storage). */
const char *bk_outcome_names(void);
/* Does the outcome count as a failure of the build? (failed, timed_out,
 * canceled, broken; not soft_failed, not waiting_failed.) */
bool bk_outcome_is_failure(enum bk_outcome o);

#endif
