/* libFuzzer target: Buildkite pipeline loading (JSON and YAML, with
 * interpolation, the schema check, matrix and parallel jobs), validation,
 * and uploading and scheduling whatever loads in a build that conditions
 * (`if`, `if_changed`) are evaluated against, jobs failing now and then so
 * that retries happen. Checks: no crash or leak; every error is bad input
 * with a message; a loaded build always schedules to completion with every
 * step decided. (A build of more than 20000 nodes is not run: the
 * scheduler's passes are quadratic, the fuzzer's time is not.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkcond.h"
#include "buildkite/bkvalidate.h"
#include "buildkite/scheduler.h"

static const char *const CHANGED[] = { "src/main.c", "docs/a.md", "go.mod" };
static const char *const LABELS[] = { "ci", "docs" };

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
        struct bk_build_info b = { 0 };
        b.branch = "refs/heads/canon";
        b.default_branch = "refs/heads/canon";
        b.message = "a message [skip docs]";
        b.tag = size % 2 ? "v1.0" : NULL;
        b.pr_id = size % 3 ? NULL : "7";
        b.pr_draft = size % 3 ? -1 : 1;
        b.pr_labels = LABELS;
        b.n_pr_labels = size % 3 ? 0 : 2;
        b.env = &env;
        b.has_changed_files = size % 5 != 0;
        b.changed_files = CHANGED;
        b.n_changed_files = 3;
        struct bk_sched_options so = { "refs/heads/canon", BK_UNBLOCK_GLOB, "*a*", &b };
        struct bk_sched *s = bk_sched_new(&so);
        if (bk_sched_upload(s, -1, p, NULL, NULL, &err) == 0 && bk_sched_count(s) <= 20000) {
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
