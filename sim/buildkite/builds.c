/* builds — the simulated pipeline's builds (see builds.h). */
#include "buildkite/builds.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

struct bk_builds {
    char *org, *pipeline;
    struct bk_build **items;
    size_t n, alloc;
};

struct bk_builds *bk_builds_new(const char *org, const char *pipeline)
{
    struct bk_builds *b = xcalloc(1, sizeof *b);
    b->org = xstrdup(org);
    b->pipeline = xstrdup(pipeline);
    return b;
}

static void job_release(struct bk_build_job *j)
{
    free(j->id);
    free(j->type);
    free(j->step_key);
    free(j->label);
    free(j->state);
}

void bk_build_jobs_free(struct bk_build_job *jobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        job_release(&jobs[i]);
    free(jobs);
}

void bk_builds_free(struct bk_builds *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        struct bk_build *bd = b->items[i];
        free(bd->id);
        free(bd->branch);
        free(bd->commit);
        free(bd->state);
        free(bd->created_at);
        bk_build_jobs_free(bd->jobs, bd->n_jobs);
        free(bd);
    }
    free(b->items);
    free(b->org);
    free(b->pipeline);
    free(b);
}

const char *bk_builds_org(const struct bk_builds *b) { return b->org; }
const char *bk_builds_pipeline(const struct bk_builds *b) { return b->pipeline; }

struct bk_build *bk_builds_add(struct bk_builds *b, const char *id, const char *branch, const char *commit,
                               const char *state)
{
    struct bk_build *bd = xcalloc(1, sizeof *bd);
    bd->number = (long)b->n + 1;
    bd->id = xstrdup(id);
    bd->branch = xstrdup(branch);
    bd->commit = xstrdup(commit ? commit : "");
    bd->state = xstrdup(state);
    /* now, as Buildkite writes times (UTC, milliseconds) */
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char when[64];
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    bd->created_at = xstrdup(when);
    XGROW(b->items, b->alloc, b->n + 1);
    b->items[b->n++] = bd;
    return bd;
}

size_t bk_builds_count(const struct bk_builds *b) { return b->n; }

struct bk_build *bk_builds_at(const struct bk_builds *b, size_t i) { return i < b->n ? b->items[i] : NULL; }

struct bk_build *bk_builds_by_number(const struct bk_builds *b, long number)
{
    return number >= 1 && (size_t)number <= b->n ? b->items[number - 1] : NULL;
}

void bk_build_add_job(struct bk_build *bd, const char *id, const char *type, const char *step_key,
                      const char *label, const char *state)
{
    XGROW(bd->jobs, bd->alloc_jobs, bd->n_jobs + 1);
    bd->jobs[bd->n_jobs++] = (struct bk_build_job){ xstrdup(id), xstrdup(type), xstrdup_or_null(step_key),
                                                    xstrdup_or_null(label), xstrdup(state) };
}

void bk_build_live(struct bk_build *bd, struct bk_sched *sched)
{
    bd->live = sched;
}

static const char *job_type(enum bk_step_type t)
{
    switch (t) {
    case BK_STEP_COMMAND: return "script";
    case BK_STEP_WAIT: return "waiter";
    case BK_STEP_BLOCK:
    case BK_STEP_INPUT: return "manual";
    case BK_STEP_TRIGGER: return "trigger";
    default: return NULL; /* a group is no job */
    }
}

/* The scheduler's steps as jobs, in build order. */
static struct bk_build_job *sched_jobs(struct bk_sched *s, size_t *n)
{
    size_t count;
    const int *order = bk_sched_order(s, &count);
    struct bk_build_job *jobs = xcalloc(count ? count : 1, sizeof *jobs);
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        const struct bk_step *st = bk_sched_step(s, order[i]);
        enum bk_outcome o = bk_sched_outcome(s, order[i]);
        const char *type = job_type(st->type);
        if (!type || o == BK_FILTERED)
            continue;
        char id[32];
        snprintf(id, sizeof id, "%d", order[i]);
        jobs[k++] = (struct bk_build_job){ xstrdup(id), xstrdup(type), xstrdup_or_null(st->key),
                                           xstrdup_or_null(st->label),
                                           xstrdup(o == BK_PENDING ? "scheduled" : bk_outcome_name(o)) };
    }
    *n = k;
    return jobs;
}

struct bk_build_job *bk_build_jobs(const struct bk_build *bd, size_t *n)
{
    if (bd->live)
        return sched_jobs(bd->live, n);
    struct bk_build_job *jobs = xcalloc(bd->n_jobs ? bd->n_jobs : 1, sizeof *jobs);
    for (size_t i = 0; i < bd->n_jobs; i++) {
        const struct bk_build_job *j = &bd->jobs[i];
        jobs[i] = (struct bk_build_job){ xstrdup(j->id), xstrdup(j->type), xstrdup_or_null(j->step_key),
                                         xstrdup_or_null(j->label), xstrdup(j->state) };
    }
    *n = bd->n_jobs;
    return jobs;
}

void bk_build_finish(struct bk_build *bd)
{
    if (!bd->live)
        return;
    struct bk_sched *s = bd->live;
    bk_build_jobs_free(bd->jobs, bd->n_jobs);
    bd->jobs = sched_jobs(s, &bd->n_jobs);
    bd->alloc_jobs = bd->n_jobs;
    bool failed = false, blocked = false;
    size_t count;
    const int *order = bk_sched_order(s, &count);
    for (size_t i = 0; i < count; i++) {
        enum bk_outcome o = bk_sched_outcome(s, order[i]);
        failed = failed || bk_outcome_is_failure(o);
        blocked = blocked || o == BK_BLOCKED;
    }
    free(bd->state);
    bd->state = xstrdup(failed ? "failed" : blocked ? "blocked" : "passed");
    bd->live = NULL;
}
