/* outcome — see outcome.h. */
#include "buildkite/outcome.h"

#include <string.h>

static const char *const names[] = {
    [BK_PENDING] = "pending",
    [BK_RUNNING] = "running",
    [BK_PASSED] = "passed",
    [BK_SOFT_FAILED] = "soft_failed",
    [BK_FAILED] = "failed",
    [BK_TIMED_OUT] = "timed_out",
    [BK_CANCELED] = "canceled",
    [BK_SKIPPED] = "skipped",
    [BK_FILTERED] = "filtered",
    [BK_UNBLOCKED] = "unblocked",
    [BK_BLOCKED] = "blocked",
    [BK_RECORDED] = "recorded",
    [BK_WAITING_FAILED] = "waiting_failed",
    [BK_BROKEN] = "broken",
    [BK_NOT_RUN] = "not_run",
    [BK_ABSENT] = "absent",
};
enum { N_NAMES = sizeof names / sizeof names[0] };

const char *bk_outcome_name(enum bk_outcome o)
{
    return (unsigned)o < N_NAMES ? names[o] : "?";
}

int bk_outcome_parse(const char *word)
{
    for (int i = BK_PASSED; i < N_NAMES; i++)
        if (!strcmp(word, names[i]))
            return i;
    return -1;
}

const char *bk_outcome_names(void)
{
    return "passed, soft_failed, failed, timed_out, canceled, skipped, filtered, unblocked, "
           "blocked, recorded, waiting_failed, broken, not_run, absent";
}

bool bk_outcome_is_failure(enum bk_outcome o)
{
    return o == BK_FAILED || o == BK_TIMED_OUT || o == BK_CANCELED || o == BK_BROKEN;
}
