/* libFuzzer target: Buildkite pipeline loading (JSON and YAML, with
 * interpolation), validation and scheduling of whatever loads. Checks: no
 * crash or leak; every error is bad input with a message; a loaded build
 * always schedules to completion with every step decided. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkvalidate.h"
#include "buildkite/scheduler.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bk_env env = BK_ENV_INIT;
    bk_env_set(&env, "BUILDKITE_BRANCH", "refs/heads/canon");
    struct bk_load_options o = { true, &env };
    struct lk_error err = LK_ERROR_INIT;
    const char *name = size && (data[0] & 1) ? "fuzz.json" : "fuzz.yml";
    struct bk_pipeline *p = bk_pipeline_load(name, (const char *)data, size, &o, &err);
    if (!p) {
        if (err.status != LK_EXIT_INPUT || !err.msg)
            abort();
    } else {
        bk_pipelines_validate(&p, 1, &err);
        struct bk_sched_options so = { "refs/heads/canon", BK_UNBLOCK_GLOB, "*a*", NULL };
        struct bk_sched *s = bk_sched_new(&so);
        if (bk_sched_upload(s, -1, p, NULL, NULL, &err) == 0) {
            int id, rounds = 0;
            while ((id = bk_sched_next(s)) >= 0) {
                if (++rounds > 100000)
                    abort();
                bk_sched_report_exit(s, id, rounds % 3, false);
            }
            if (id != BK_SCHED_DONE)
                abort();
            for (size_t i = 0; i < bk_sched_count(s); i++) {
                enum bk_outcome oc = bk_sched_outcome(s, (int)i);
                if (oc == BK_PENDING || oc == BK_RUNNING)
                    abort();
            }
        }
        bk_sched_free(s);
    }
    lk_error_clear(&err);
    bk_env_release(&env);
    return 0;
}
