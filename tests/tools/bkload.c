/* bkload — time the simulated Buildkite taking a pipeline: loading it
 * (bk_pipeline_load(): parse, interpolation, the schema check, matrix and
 * parallel jobs) and uploading it into a build (bk_sched_upload(): every
 * `if` evaluated, the steps and jobs added), as an upload into a running
 * build does.
 *
 * usage: bkload [--runs N] FILE
 *
 * Each run reads FILE, loads and uploads it into a fresh build of branch
 * refs/heads/canon (default branch refs/heads/canon, message "bench") and
 * prints one line: `<milliseconds> ms <steps> steps <nodes> nodes <left>
 * left out <milliseconds> ms-cpu` (wall time, then the process's CPU time). Exit status: 0, 1 when a run fails (its error on stderr), 2 on
 * bad arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buildkite/bkcond.h"
#include "buildkite/scheduler.h"
#include "fileio.h"

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    int runs = 1;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!file && argv[i][0] != '-')
            file = argv[i];
        else
            file = NULL, i = argc;
    }
    if (!file || runs < 1) {
        fprintf(stderr, "usage: bkload [--runs N] FILE\n");
        return 2;
    }
    struct bk_env env = BK_ENV_INIT;
    bk_env_set(&env, "BUILDKITE_BRANCH", "refs/heads/canon");
    struct bk_build_info b;
    memset(&b, 0, sizeof b);
    b.branch = "refs/heads/canon";
    b.default_branch = "refs/heads/canon";
    b.message = "bench";
    b.pr_draft = -1;
    b.env = &env;
    int status = 0;
    for (int r = 0; r < runs && status == 0; r++) {
        struct lk_error err = LK_ERROR_INIT;
        double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
        char *text;
        size_t len;
        struct bk_pipeline *p = NULL;
        if (file_read(file, &text, &len, &err) == 0) {
            struct bk_load_options o = { true, &env };
            p = bk_pipeline_load(file, text, len, &o, &err);
            free(text);
        }
        size_t steps = p ? p->nsteps : 0;
        struct bk_sched_options so = { b.branch, BK_UNBLOCK_NONE, NULL, &b };
        struct bk_sched *s = bk_sched_new(&so);
        if (!p || bk_sched_upload(s, -1, p, NULL, NULL, &err) < 0) {
            char *m = lk_error_format(&err);
            fprintf(stderr, "bkload: %s\n", m);
            free(m);
            status = 1;
        } else {
            double ms = now(CLOCK_MONOTONIC) - t0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
            size_t left = 0, n = bk_sched_count(s);
            for (size_t i = 0; i < n; i++)
                left += bk_sched_outcome(s, (int)i) == BK_FILTERED;
            printf("%.2f ms %zu steps %zu nodes %zu left out %.2f ms-cpu\n", ms, steps, n, left, cpu);
        }
        bk_sched_free(s);
        lk_error_clear(&err);
    }
    bk_env_release(&env);
    return status;
}
