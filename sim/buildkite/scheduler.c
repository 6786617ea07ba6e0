/* scheduler — see scheduler.h. This file: the build's nodes, uploads (with
 * the conditions decided there), the build order and the accessors; the
 * rules that run the build are in schedrun.c (schedint.h between them). */
#include "buildkite/scheduler.h"

#include <stdlib.h>
#include <string.h>

#include "buildkite/branches.h"
#include "buildkite/schedint.h"
#include "strbuf.h"
#include "xalloc.h"

struct bk_sched *bk_sched_new(const struct bk_sched_options *opts)
{
    struct bk_sched *s = xcalloc(1, sizeof(*s));
    s->branch = xstrdup(opts && opts->branch ? opts->branch : "");
    s->unblock = opts ? opts->unblock : BK_UNBLOCK_NONE;
    s->unblock_glob = xstrdup(opts && opts->unblock_glob ? opts->unblock_glob : "");
    if (opts && opts->build)
        s->build = *opts->build;
    else
        s->build.pr_draft = -1;
    if (!s->build.branch)
        s->build.branch = s->branch;
    return s;
}

void bk_sched_free(struct bk_sched *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->nodes[i].reason);
        free(s->nodes[i].uploaded);
    }
    free(s->nodes);
    free(s->top);
    free(s->order);
    for (size_t i = 0; i < s->npipelines; i++)
        bk_pipeline_free(s->pipelines[i]);
    free(s->pipelines);
    strindex_release(&s->keys);
    strindex_release(&s->excluded);
    free(s->branch);
    free(s->unblock_glob);
    free(s);
}

void bk_sched_set_outcome(struct bk_sched *s, int id, enum bk_outcome o, const char *reason)
{
    struct node *n = &s->nodes[id];
    n->outcome = o;
    char *r = reason ? xstrdup(reason) : NULL;
    free(n->reason);
    n->reason = r;
}

bool bk_sched_is_barrier(const struct node *n)
{
    return n->step->type == BK_STEP_WAIT || n->step->type == BK_STEP_BLOCK;
}

int bk_sched_latest_node(const struct bk_sched *s, int id)
{
    while (s->nodes[id].retried_by >= 0)
        id = s->nodes[id].retried_by;
    return id;
}

/* ---- conditions, decided at upload ---------------------------------------- */

enum verdict { KEEP, LEAVE_OUT, KEEP_UNCHECKED };

/* What an upload does with `st`: keep it, leave it out (*why says which
 * condition) or keep it with if_changed unchecked; -1 with `err`. */
static int decide(struct bk_sched *s, const struct bk_step *st, enum verdict *v, char **why,
                  struct lk_error *err)
{
    *v = KEEP;
    *why = NULL;
    if (st->upload_error)
        return lk_bad_input(err, NULL, st->place, "%s", st->upload_error);
    bool ok = true;
    if (st->cond) {
        if (bk_cond_eval(st->cond, &s->build, &ok, err) < 0) {
            lk_error_default_place(err, st->place);
            lk_error_prefix(err, "if");
            return -1;
        }
        if (!ok) {
            *v = LEAVE_OUT;
            *why = xasprintf("if: %s is false", st->cond);
            return 0;
        }
    }
    if (st->has_if_changed && !s->build.has_changed_files) {
        *v = KEEP_UNCHECKED;
    } else if (st->has_if_changed) {
        if (bk_changed_match((const char *const *)st->changed_include, st->n_changed_include,
                             (const char *const *)st->changed_exclude, st->n_changed_exclude, &s->build, &ok,
                             err) < 0) {
            lk_error_default_place(err, st->place);
            lk_error_prefix(err, "if_changed");
            return -1;
        }
        if (!ok) {
            *v = LEAVE_OUT;
            *why = xstrdup("if_changed: no changed file matches");
        }
    }
    return 0;
}

/* ---- nodes and uploads ------------------------------------------------------ */

static int add_node(struct bk_sched *s, const struct bk_step *step, int parent, int uploader, enum verdict v,
                    const char *why)
{
    XGROW(s->nodes, s->alloc, s->n + 1);
    int id = (int)s->n++;
    s->nodes[id] = (struct node){ step, parent, -1, 0, false, uploader, NULL, 0, 0, -1, -1, -1, 0, -1,
                                  v == KEEP_UNCHECKED, v == LEAVE_OUT, BK_PENDING, NULL, -1 };
    if (parent >= 0)
        s->nodes[id].is_job = s->nodes[parent].step->type == BK_STEP_COMMAND;
    if (uploader >= 0) {
        struct node *u = &s->nodes[uploader];
        XGROW(u->uploaded, u->upalloc, u->nuploaded + 1);
        u->uploaded[u->nuploaded++] = id;
    }
    const struct node *pn = parent >= 0 ? &s->nodes[parent] : NULL;
    s->nodes[id].left_out |= pn && pn->left_out;
    if (v == LEAVE_OUT)
        bk_sched_set_outcome(s, id, BK_FILTERED, why);
    else if (step->branches && !bk_branches_match(step->branches, s->branch))
        bk_sched_set_outcome(s, id, BK_FILTERED, step->branches);
    else if (pn && pn->outcome == BK_FILTERED)
        bk_sched_set_outcome(s, id, BK_FILTERED, pn->reason);
    else if (step->skip || (pn && pn->outcome == BK_SKIPPED))
        bk_sched_set_outcome(s, id, BK_SKIPPED, step->skip_reason ? step->skip_reason : pn ? pn->reason : NULL);
    return id;
}

/* A step's jobs (its children), after the step. */
static void add_jobs(struct bk_sched *s, int head)
{
    const struct bk_step *st = s->nodes[head].step;
    if (!st->njobs)
        return;
    s->nodes[head].first_child = (int)s->n;
    s->nodes[head].nchildren = (int)st->njobs;
    for (size_t k = 0; k < st->njobs; k++)
        add_node(s, &st->jobs[k], head, -1, KEEP, NULL);
}

static void register_key(struct bk_sched *s, int id)
{
    const struct bk_step *st = s->nodes[id].step;
    if (!st->key || s->nodes[id].is_job)
        return;
    strindex_put(s->nodes[id].left_out ? &s->excluded : &s->keys, st->key, (size_t)id);
}

int bk_sched_upload(struct bk_sched *s, int after, struct bk_pipeline *p, int *first, size_t *count,
                    struct lk_error *err)
{
    if (after < -1 || after >= (int)s->n) {
        bk_pipeline_free(p);
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "upload after an unknown step id %d", after);
    }
    /* decide every step first: an upload is all or nothing */
    size_t total = 0;
    for (size_t i = 0; i < p->nsteps; i++)
        total += 1 + p->steps[i].nsteps;
    enum verdict *v = xcalloc(total + 1, sizeof(*v));
    char **why = xcalloc(total + 1, sizeof(*why));
    struct strindex seen = STRINDEX_INIT;
    int rc = 0;
    for (size_t i = 0, k = 0; i < p->nsteps && rc == 0; i++) {
        for (size_t c = 0; c <= p->steps[i].nsteps && rc == 0; c++, k++) {
            const struct bk_step *st = c == 0 ? &p->steps[i] : &p->steps[i].steps[c - 1];
            rc = decide(s, st, &v[k], &why[k], err);
            bool out = v[k] == LEAVE_OUT || (c > 0 && v[k - c] == LEAVE_OUT);
            if (rc == 0 && st->key && !out) {
                if (strindex_get(&s->keys, st->key) != STRINDEX_NONE || strindex_get(&seen, st->key) != STRINDEX_NONE)
                    rc = lk_bad_input(err, NULL, st->place, "the key \"%s\" is already used in this build", st->key);
                else
                    strindex_put(&seen, st->key, 0);
            }
        }
    }
    strindex_release(&seen);
    if (rc < 0) {
        for (size_t k = 0; k < total; k++)
            free(why[k]);
        free(why);
        free(v);
        bk_pipeline_free(p);
        return -1;
    }
    size_t pos = s->ntop;
    int uploader = after;
    if (after >= 0) {
        int top = after;
        while (s->nodes[top].parent >= 0 || s->nodes[top].retry_of >= 0)
            top = s->nodes[top].parent >= 0 ? s->nodes[top].parent : s->nodes[top].retry_of;
        for (size_t i = 0; i < s->ntop; i++)
            if (s->top[i] == top)
                pos = i + 1;
    }
    size_t before = s->n;
    XGROW(s->top, s->topalloc, s->ntop + p->nsteps);
    if (p->nsteps) /* (an empty pipeline: s->top may still be NULL) */
        memmove(s->top + pos + p->nsteps, s->top + pos, (s->ntop - pos) * sizeof(int));
    s->ntop += p->nsteps;
    for (size_t i = 0, k = 0; i < p->nsteps; i++) {
        const struct bk_step *st = &p->steps[i];
        int id = add_node(s, st, -1, uploader, v[k], why[k]);
        k++;
        s->top[pos + i] = id;
        if (st->type == BK_STEP_GROUP) {
            s->nodes[id].first_child = (int)s->n;
            s->nodes[id].nchildren = (int)st->nsteps;
            for (size_t c = 0; c < st->nsteps; c++, k++)
                add_node(s, &st->steps[c], id, -1, v[k], why[k]);
            for (size_t c = 0; c < st->nsteps; c++)
                add_jobs(s, s->nodes[id].first_child + (int)c);
        } else {
            add_jobs(s, id);
        }
    }
    for (size_t i = before; i < s->n; i++)
        register_key(s, (int)i);
    for (size_t k = 0; k < total; k++)
        free(why[k]);
    free(why);
    free(v);
    XGROW(s->pipelines, s->palloc, s->npipelines + 1);
    s->pipelines[s->npipelines++] = p;
    s->order_valid = false;
    if (first)
        *first = (int)before;
    if (count)
        *count = s->n - before;
    return 0;
}

/* ---- the build's order ------------------------------------------------------ */

static void emit(struct bk_sched *s, int id)
{
    XGROW(s->order, s->orderalloc, s->norder + 1);
    s->order[s->norder++] = id;
    const struct node *n = &s->nodes[id];
    int barrier = -1;
    for (int k = 0; k < n->nchildren; k++) {
        int c = n->first_child + k;
        s->nodes[c].prev_barrier = n->step->type == BK_STEP_GROUP ? barrier : -1;
        if (s->nodes[c].outcome != BK_FILTERED && bk_sched_is_barrier(&s->nodes[c]))
            barrier = c;
        emit(s, c);
    }
    for (int r = n->retried_by; r >= 0; r = s->nodes[r].retried_by) {
        XGROW(s->order, s->orderalloc, s->norder + 1);
        s->order[s->norder++] = r;
    }
}

const int *bk_sched_order(struct bk_sched *s, size_t *n)
{
    if (!s->order_valid) {
        s->norder = 0;
        int barrier = -1;
        for (size_t i = 0; i < s->ntop; i++) {
            int id = s->top[i];
            struct node *g = &s->nodes[id];
            g->prev_barrier = barrier;
            if (g->outcome != BK_FILTERED && bk_sched_is_barrier(g))
                barrier = id;
            emit(s, id);
        }
        s->order_valid = true;
    }
    *n = s->norder;
    return s->order;
}

/* ---- accessors --------------------------------------------------------------- */

size_t bk_sched_count(const struct bk_sched *s) { return s->n; }
const struct bk_step *bk_sched_step(const struct bk_sched *s, int id) { return s->nodes[id].step; }
enum bk_outcome bk_sched_outcome(const struct bk_sched *s, int id) { return s->nodes[id].outcome; }
const char *bk_sched_reason(const struct bk_sched *s, int id) { return s->nodes[id].reason; }
int bk_sched_parent(const struct bk_sched *s, int id) { return s->nodes[id].parent; }
int bk_sched_exit_status(const struct bk_sched *s, int id) { return s->nodes[id].exit_status; }
size_t bk_sched_running(const struct bk_sched *s) { return s->running; }
int bk_sched_attempt(const struct bk_sched *s, int id) { return s->nodes[id].attempt; }
int bk_sched_retried_by(const struct bk_sched *s, int id) { return s->nodes[id].retried_by; }
int bk_sched_retry_of(const struct bk_sched *s, int id) { return s->nodes[id].retry_of; }
int bk_sched_latest(const struct bk_sched *s, int id) { return bk_sched_latest_node(s, id); }
bool bk_sched_if_changed_unchecked(const struct bk_sched *s, int id) { return s->nodes[id].if_changed_unchecked; }

struct bk_pipeline *const *bk_sched_pipelines(const struct bk_sched *s, size_t *n)
{
    *n = s->npipelines;
    return s->pipelines;
}

int bk_sched_find(const struct bk_sched *s, const char *key)
{
    size_t v = strindex_get(&s->keys, key);
    return v == STRINDEX_NONE ? -1 : (int)v;
}

bool bk_sched_failing(const struct bk_sched *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->nodes[i].retried_by < 0 && !s->nodes[i].nchildren && bk_outcome_is_failure(s->nodes[i].outcome))
            return true;
    return false;
}

int bk_sched_add_retry(struct bk_sched *s, int id, int rule)
{
    const struct node *o = &s->nodes[id];
    int r = add_node(s, o->step, o->parent, -1, KEEP, NULL);
    struct node *n = &s->nodes[r], *orig = &s->nodes[id];
    n->is_job = orig->is_job;
    n->retry_of = id;
    n->attempt = orig->attempt + 1;
    orig->retried_by = r;
    orig->retry_rule = rule;
    s->order_valid = false;
    return r;
}
