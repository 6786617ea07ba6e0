/* bkcommand — a command step's own attributes (see bkpipeline.h): its
 * command, failure and retry rules, concurrency, environment, artifacts,
 * what is not simulated or only recorded, and its jobs (parallelism here,
 * matrix in bkmatrix.c). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buildkite/bkloader.h"
#include "strbuf.h"
#include "xalloc.h"

static long read_long(json_t *o, const char *name, long dflt)
{
    json_t *v = json_object_get(o, name);
    if (!v)
        return dflt;
    double d = json_number_value(v);
    return d > 1e9 ? 1000000000L : d < -1e9 ? -1000000000L : (long)d;
}

/* The name of a plugin entry: "docker#v5" for "docker#v5" or {docker#v5: …}. */
static void add_plugins(struct bk_step *s, json_t *plugins)
{
    const char *k;
    json_t *x;
    if (json_is_object(plugins)) {
        json_object_foreach(plugins, k, x) {
            char *what = xasprintf("plugins %s", k);
            strv_add_once(&s->not_simulated, &s->n_not_simulated, what);
            free(what);
        }
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach(plugins, i, e) {
        const char *name = json_string_value(e);
        json_object_foreach(e, k, x)
            name = k;
        char *what = xasprintf("plugins %s", name ? name : "(unnamed)");
        strv_add_once(&s->not_simulated, &s->n_not_simulated, what);
        free(what);
    }
}

static void read_rule(json_t *r, struct bk_retry_rule *rule)
{
    json_t *st = json_object_get(r, "exit_status");
    rule->any_status = !st || json_is_string(st);
    rule->limit = (int)read_long(r, "limit", 2);
    if (json_is_array(st)) {
        rule->statuses = xcalloc(json_array_size(st) + 1, sizeof(int));
        size_t i;
        json_t *e;
        json_array_foreach(st, i, e)
            rule->statuses[rule->nstatuses++] = (int)json_number_value(e);
    } else if (st && !json_is_string(st)) {
        rule->statuses = xcalloc(1, sizeof(int));
        rule->statuses[rule->nstatuses++] = (int)json_number_value(st);
    }
    rule->signal = bk_read_string(r, "signal");
    rule->signal_reason = bk_read_string(r, "signal_reason");
}

static void read_retry(json_t *o, struct bk_step *s)
{
    json_t *retry = json_object_get(o, "retry");
    json_t *a = json_object_get(retry, "automatic");
    if (json_object_get(retry, "manual"))
        bk_record(s, "retry_manual", json_object_get(retry, "manual"));
    if (!a || (!json_is_object(a) && !json_is_array(a) && !bk_read_bool(retry, "automatic", false)))
        return;
    if (!json_is_object(a) && !json_is_array(a)) { /* true: any exit status, twice */
        s->retry_rules = xcalloc(1, sizeof(*s->retry_rules));
        s->retry_rules[0].any_status = true;
        s->retry_rules[0].limit = 2;
        s->nretry_rules = 1;
        return;
    }
    size_t n = json_is_array(a) ? json_array_size(a) : 1;
    s->retry_rules = xcalloc(n + 1, sizeof(*s->retry_rules));
    for (size_t i = 0; i < n; i++)
        read_rule(json_is_array(a) ? json_array_get(a, i) : a, &s->retry_rules[s->nretry_rules++]);
}

/* "SIGKILL", "kill" and "KILL" name one signal. */
static bool same_signal(const char *a, const char *b)
{
    if (!strncasecmp(a, "SIG", 3))
        a += 3;
    if (!strncasecmp(b, "SIG", 3))
        b += 3;
    return !strcasecmp(a, b);
}

int bk_step_retry_rule(const struct bk_step *step, int status, const char *signal, const char *reason)
{
    for (size_t i = 0; i < step->nretry_rules; i++) {
        const struct bk_retry_rule *r = &step->retry_rules[i];
        bool st = r->any_status;
        for (size_t k = 0; k < r->nstatuses && !st; k++)
            st = r->statuses[k] == status;
        bool sig = !r->signal || !strcmp(r->signal, "*") ||
                   (!strcmp(r->signal, "none") ? !signal : signal && same_signal(r->signal, signal));
        bool why = !r->signal_reason || !strcmp(r->signal_reason, "*") ||
                   (!strcmp(r->signal_reason, "none") ? !reason : reason && !strcmp(r->signal_reason, reason));
        if (st && sig && why)
            return (int)i;
    }
    return -1;
}

void bk_job_init(struct bk_step *job, const struct bk_step *src)
{
    memset(job, 0, sizeof(*job));
    job->type = BK_STEP_COMMAND;
    job->label = src->label ? xstrdup(src->label) : NULL;
    job->command = xstrdup(src->command ? src->command : "");
    job->has_command = src->has_command;
    job->skip = src->skip;
    job->skip_reason = src->skip_reason ? xstrdup(src->skip_reason) : NULL;
    job->soft_fail_all = src->soft_fail_all;
    job->soft_fail_statuses = xcalloc(src->nsoft_fail + 1, sizeof(int));
    memcpy(job->soft_fail_statuses, src->soft_fail_statuses ? src->soft_fail_statuses : job->soft_fail_statuses,
           src->nsoft_fail * sizeof(int));
    job->nsoft_fail = src->nsoft_fail;
    job->timeout_in_minutes = src->timeout_in_minutes;
    bk_env_merge(&job->env, &src->env);
    job->concurrency_group = src->concurrency_group ? xstrdup(src->concurrency_group) : NULL;
    job->concurrency = src->concurrency;
    job->concurrency_eager = src->concurrency_eager;
    job->cancel_on_build_failing = src->cancel_on_build_failing;
    job->raw = json_incref(src->raw);
    job->place = xstrdup(src->place);
    job->priority = src->priority;
    job->retry_rules = xcalloc(src->nretry_rules + 1, sizeof(*job->retry_rules));
    for (size_t i = 0; i < src->nretry_rules; i++) {
        const struct bk_retry_rule *r = &src->retry_rules[i];
        struct bk_retry_rule *d = &job->retry_rules[job->nretry_rules++];
        *d = *r;
        d->statuses = xcalloc(r->nstatuses + 1, sizeof(int));
        memcpy(d->statuses, r->statuses ? r->statuses : d->statuses, r->nstatuses * sizeof(int));
        d->signal = r->signal ? xstrdup(r->signal) : NULL;
        d->signal_reason = r->signal_reason ? xstrdup(r->signal_reason) : NULL;
    }
    job->artifact_paths = src->artifact_paths ? xstrdup(src->artifact_paths) : NULL;
    for (size_t i = 0; i < src->n_not_simulated; i++)
        strv_add_once(&job->not_simulated, &job->n_not_simulated, src->not_simulated[i]);
    job->recorded = src->recorded ? json_deep_copy(src->recorded) : NULL;
    job->parallel_index = -1;
}

static void expand_parallel(struct bk_step *s, long n)
{
    s->jobs = xcalloc((size_t)n, sizeof(*s->jobs));
    char count[32];
    snprintf(count, sizeof count, "%ld", n);
    const char *base = s->label ? s->label : s->command;
    size_t blen = strcspn(base, "\n");
    for (long i = 0; i < n; i++) {
        struct bk_step *j = &s->jobs[s->njobs++];
        bk_job_init(j, s);
        free(j->label);
        j->label = xasprintf("%.*s (%ld/%ld)", (int)blen, base, i + 1, n);
        j->parallel_index = (int)i;
        j->parallel_count = (int)n;
        char idx[32];
        snprintf(idx, sizeof idx, "%ld", i);
        bk_env_set(&j->env, "BUILDKITE_PARALLEL_JOB", idx);
        bk_env_set(&j->env, "BUILDKITE_PARALLEL_JOB_COUNT", count);
    }
}

int bk_command_load(struct bk_loader *L, json_t *o, const char *ptr, struct bk_step *s,
                    const struct bk_pipe_ctx *pc)
{
    (void)L;
    (void)ptr;
    json_t *c = json_object_get(o, "command"), *cs = json_object_get(o, "commands");
    if (c && cs)
        s->upload_error = xstrdup("expected only one of \"command\" and \"commands\"");
    s->command = bk_read_joined(c ? c : cs, "\n");
    s->has_command = s->command != NULL;
    if (!s->command)
        s->command = xstrdup("");
    bk_read_skip(o, s);
    bk_read_soft_fail(o, s);
    s->timeout_in_minutes = read_long(o, "timeout_in_minutes", 0);
    s->cancel_on_build_failing = bk_read_bool(o, "cancel_on_build_failing", false);
    s->concurrency_group = bk_read_string(o, "concurrency_group");
    s->concurrency = read_long(o, "concurrency", s->concurrency_group ? 1 : 0);
    const char *method = json_string_value(json_object_get(o, "concurrency_method"));
    s->concurrency_eager = method && !strcmp(method, "eager");
    if (s->concurrency_group && s->concurrency < 1 && !s->upload_error)
        s->upload_error = xasprintf("expected a concurrency of at least 1 for the group \"%s\"", s->concurrency_group);
    if (!s->concurrency_group)
        s->concurrency = 0;
    bk_record(s, "concurrency_method", json_object_get(o, "concurrency_method"));
    bk_env_merge(&s->env, pc->env);
    for (size_t i = 0; i < pc->n_bad_env; i++)
        strv_add_once(&s->not_simulated, &s->n_not_simulated, pc->bad_env[i]);
    bk_get_env(o, "env", &s->env, &s->not_simulated, &s->n_not_simulated);
    json_t *agents = json_object_get(o, "agents");
    bk_record(s, "agents", agents ? agents : pc->agents);
    s->artifact_paths = bk_read_joined(json_object_get(o, "artifact_paths"), ";");
    if (json_object_get(o, "plugins"))
        add_plugins(s, json_object_get(o, "plugins"));
    if (json_object_get(o, "cache"))
        strv_add_once(&s->not_simulated, &s->n_not_simulated, "cache");
    if (json_object_get(o, "image") || pc->image)
        strv_add_once(&s->not_simulated, &s->n_not_simulated, "image");
    if (json_object_get(o, "secrets") || pc->secrets)
        strv_add_once(&s->not_simulated, &s->n_not_simulated, "secrets");
    if (json_object_get(o, "signature"))
        strv_add_once(&s->not_simulated, &s->n_not_simulated, "signature");
    read_retry(o, s);
    bk_record(s, "notify", json_object_get(o, "notify"));
    json_t *prio = json_object_get(o, "priority");
    if (!prio)
        prio = pc->priority;
    s->priority = prio ? (long)json_number_value(prio) : 0;
    bk_record(s, "priority", prio);
    long parallelism = read_long(o, "parallelism", 1);
    json_t *matrix = json_object_get(o, "matrix");
    if (matrix && parallelism != 1 && !s->upload_error)
        s->upload_error = xstrdup("expected \"matrix\" or \"parallelism\", not both (Buildkite runs a matrix "
                                  "step's jobs, one per combination)");
    else if (parallelism < 1 && !s->upload_error)
        s->upload_error = xasprintf("expected a parallelism of at least 1, found %ld", parallelism);
    else if (parallelism > BK_JOBS_MAX && !s->upload_error)
        s->upload_error = xasprintf("expected a parallelism of at most %d (the simulation's limit)", BK_JOBS_MAX);
    if (s->upload_error)
        return 0;
    if (matrix)
        bk_matrix_expand(matrix, s);
    else if (parallelism > 1)
        expand_parallel(s, parallelism);
    return 0;
}
