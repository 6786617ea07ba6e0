/* schedrun — the rules that run a build (see scheduler.h): dependencies,
 * waits and blocks, what is runnable next, results and retries, and the
 * end of the build. Each call to bk_sched_next() re-evaluates the pending
 * steps in build order until nothing changes (O(steps x deps) per call),
 * which keeps the rules in one place: deps_of(). */
#include <stdlib.h>
#include <string.h>

#include "buildkite/branches.h"
#include "buildkite/schedint.h"
#include "strbuf.h"
#include "xalloc.h"

enum dep_state { DEP_OK, DEP_WAIT, DEP_HOLD, DEP_FAILED, DEP_MISSING };

struct verdict {
    enum dep_state state; /* the worst seen: FAILED > WAIT/MISSING > HOLD > OK */
    int culprit;          /* node that failed or holds */
    const char *missing;  /* a key that does not exist */
};

static void note(struct verdict *v, enum dep_state st, int culprit, const char *missing)
{
    static const int rank[] = { [DEP_OK] = 0, [DEP_HOLD] = 1, [DEP_MISSING] = 2, [DEP_WAIT] = 3,
                                [DEP_FAILED] = 4 };
    if (rank[st] > rank[v->state]) {
        v->state = st;
        v->culprit = culprit;
        v->missing = missing;
    }
}

static void depend_on_node(struct bk_sched *s, int t, bool allow, struct verdict *v, int depth);
static void depend_on_outcome(struct bk_sched *s, int t, bool allow, struct verdict *v);

/* The list a node belongs to: the top level or its group's steps. */
static void list_of(const struct bk_sched *s, int id, const int **ids, size_t *n, int *first_child)
{
    int parent = s->nodes[id].parent;
    if (parent < 0) {
        *ids = s->top;
        *n = s->ntop;
        *first_child = -1;
    } else {
        *ids = NULL;
        *n = (size_t)s->nodes[parent].nchildren;
        *first_child = s->nodes[parent].first_child;
    }
}

#define LIST_AT(ids, fc, i) ((ids) ? (ids)[i] : (fc) + (int)(i))

/* Node `id`'s list (list_of) and its position in it. */
static size_t list_pos(const struct bk_sched *s, int id, const int **ids, size_t *len, int *fc)
{
    list_of(s, id, ids, len, fc);
    size_t pos = 0;
    while (pos < *len && LIST_AT(*ids, *fc, pos) != id)
        pos++;
    return pos;
}

static void implicit_deps(struct bk_sched *s, int id, bool allow, struct verdict *v, int depth)
{
    const struct node *n = &s->nodes[id];
    if (!bk_sched_is_barrier(n)) {
        if (n->prev_barrier >= 0)
            depend_on_node(s, n->prev_barrier, allow, v, depth + 1);
        return;
    }
    /* a barrier: every earlier step of its list (not only those since the
     * previous barrier: a failure before a continue_on_failure wait still
     * stops the next plain wait, as the build is failing) */
    const int *ids;
    size_t len;
    int fc;
    size_t pos = list_pos(s, id, &ids, &len, &fc);
    for (size_t i = pos; i-- > 0;) {
        int o = LIST_AT(ids, fc, i);
        const struct node *on = &s->nodes[o];
        if (on->outcome == BK_FILTERED || on->step->type == BK_STEP_INPUT)
            continue;
        depend_on_node(s, o, allow, v, depth + 1);
    }
}

/* All dependencies of node `id` (its own, its group's or step's, its uploader). */
static void deps_of(struct bk_sched *s, int id, bool allow_all, struct verdict *v, int depth)
{
    const struct node *n = &s->nodes[id];
    const struct bk_step *st = n->step;
    if (depth > 64) {
        note(v, DEP_WAIT, id, NULL);
        return;
    }
    if (n->retry_of >= 0) /* the attempt before it had what it needed */
        return;
    if (n->is_job) { /* a job has its step's dependencies */
        deps_of(s, n->parent, allow_all, v, depth + 1);
        return;
    }
    bool allow = allow_all || st->allow_dependency_failure ||
                 (st->type == BK_STEP_WAIT && st->continue_on_failure);
    if (st->has_depends_on) {
        for (size_t i = 0; i < st->ndeps; i++) {
            size_t t = strindex_get(&s->keys, st->deps[i].key);
            if (t == STRINDEX_NONE && strindex_get(&s->excluded, st->deps[i].key) == STRINDEX_NONE)
                note(v, DEP_MISSING, id, st->deps[i].key);
            else if (t != STRINDEX_NONE) /* (a step a condition left out: ignored) */
                depend_on_node(s, (int)t, allow || st->deps[i].allow_failure, v, depth);
        }
    } else if (st->type != BK_STEP_INPUT) {
        implicit_deps(s, id, allow, v, depth);
        if (n->uploader >= 0) /* the uploader itself, not what it uploaded */
            depend_on_outcome(s, bk_sched_latest_node(s, n->uploader), allow, v);
    }
    if (n->parent >= 0)
        deps_of(s, n->parent, allow, v, depth + 1);
}

static void depend_on_outcome(struct bk_sched *s, int t, bool allow, struct verdict *v)
{
    switch (s->nodes[t].outcome) {
    case BK_PENDING:
    case BK_RUNNING:
        note(v, DEP_WAIT, t, NULL);
        break;
    case BK_PASSED: case BK_SOFT_FAILED: case BK_SKIPPED: case BK_FILTERED:
    case BK_UNBLOCKED: case BK_RECORDED:
        break;
    case BK_BLOCKED:
    case BK_NOT_RUN:
    case BK_ABSENT: /* (never a node's outcome) */
        note(v, DEP_HOLD, t, NULL);
        break;
    case BK_FAILED: case BK_TIMED_OUT: case BK_CANCELED: case BK_WAITING_FAILED: case BK_BROKEN:
        if (!allow)
            note(v, DEP_FAILED, t, NULL);
        break;
    }
}

static void depend_on_node(struct bk_sched *s, int t, bool allow, struct verdict *v, int depth)
{
    if (depth > 64) {
        note(v, DEP_WAIT, t, NULL);
        return;
    }
    while (s->nodes[t].retry_of >= 0) /* the first attempt */
        t = s->nodes[t].retry_of;
    int latest = bk_sched_latest_node(s, t);
    const struct node *tn = &s->nodes[latest];
    if (tn->nchildren && tn->outcome != BK_FILTERED) {
        for (int k = 0; k < tn->nchildren; k++)
            depend_on_node(s, tn->first_child + k, allow, v, depth + 1);
    } else {
        depend_on_outcome(s, latest, allow, v);
    }
    /* depending on an uploading step is depending on what it uploaded (any attempt) */
    for (int a = t; a >= 0; a = s->nodes[a].retried_by)
        for (size_t i = 0; i < s->nodes[a].nuploaded; i++)
            depend_on_node(s, s->nodes[a].uploaded[i], allow, v, depth + 1);
}

static const char *name_of(const struct bk_sched *s, int id)
{
    const struct bk_step *st = s->nodes[id].step;
    return st->key ? st->key : st->label ? st->label : bk_step_type_name(st->type);
}

static bool unblocked(const struct bk_sched *s, const struct bk_step *st)
{
    switch (s->unblock) {
    case BK_UNBLOCK_ALL: return true;
    case BK_UNBLOCK_NONE: return false;
    case BK_UNBLOCK_GLOB:
        return bk_glob_match(s->unblock_glob, strlen(s->unblock_glob), st->label ? st->label : "");
    }
    return false;
}

/* May command node `id` of a concurrency group start now? */
static bool group_allows(const struct bk_sched *s, int id)
{
    const struct bk_step *st = s->nodes[id].step;
    if (!st->concurrency_group)
        return true;
    size_t running = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct node *o = &s->nodes[i];
        if (o->nchildren || !o->step->concurrency_group || strcmp(o->step->concurrency_group, st->concurrency_group))
            continue;
        running += o->outcome == BK_RUNNING;
        if (!st->concurrency_eager && (int)i < id && o->outcome == BK_PENDING)
            return false; /* ordered: an earlier job of the group has not started */
    }
    return running < (size_t)st->concurrency;
}

/* A step with jobs ends when every job (its latest attempt) has. */
static void update_head(struct bk_sched *s, int head, bool final)
{
    struct node *h = &s->nodes[head];
    if (!h->nchildren || h->step->type != BK_STEP_COMMAND || (h->outcome != BK_PENDING && h->outcome != BK_RUNNING))
        return;
    int nfail = -1, nwait = -1, nhold = -1, nsoft = 0, nskip = 0, nfilt = 0;
    for (int k = 0; k < h->nchildren; k++) {
        int c = bk_sched_latest_node(s, h->first_child + k);
        enum bk_outcome o = s->nodes[c].outcome;
        if (o == BK_PENDING || o == BK_RUNNING) {
            if (!final)
                return;
            nhold = c;
        }
        if (bk_outcome_is_failure(o) && nfail < 0)
            nfail = c;
        if (o == BK_WAITING_FAILED && nwait < 0)
            nwait = c;
        if ((o == BK_NOT_RUN || o == BK_BLOCKED) && nhold < 0)
            nhold = c;
        nsoft += o == BK_SOFT_FAILED;
        nskip += o == BK_SKIPPED;
        nfilt += o == BK_FILTERED;
    }
    int why = nfail >= 0 ? nfail : nwait >= 0 ? nwait : nhold;
    enum bk_outcome o = nfail >= 0 ? BK_FAILED : nwait >= 0 ? BK_WAITING_FAILED : nhold >= 0 ? BK_NOT_RUN
                        : nsoft ? BK_SOFT_FAILED : nskip == h->nchildren ? BK_SKIPPED
                        : nfilt == h->nchildren ? BK_FILTERED : BK_PASSED;
    bk_sched_set_outcome(s, head, o, why >= 0 ? s->nodes[why].step->label : NULL);
}

static void set_final(struct bk_sched *s, int id, enum bk_outcome o, const char *reason)
{
    bk_sched_set_outcome(s, id, o, reason);
    if (s->nodes[id].is_job)
        update_head(s, s->nodes[id].parent, false);
}

/* One pass over the pending steps; returns a command node ready to run
 * (not yet marked) or -1; *changed says whether any state changed. */
static int pass(struct bk_sched *s, bool *changed, bool quiescent)
{
    size_t n;
    const int *order = bk_sched_order(s, &n);
    int ready = -1;
    for (size_t i = 0; i < n; i++) {
        int id = order[i];
        struct node *nd = &s->nodes[id];
        if (nd->outcome != BK_PENDING || nd->nchildren)
            continue;
        struct verdict v = { DEP_OK, -1, NULL };
        deps_of(s, id, false, &v, 0);
        if (v.state == DEP_FAILED) {
            set_final(s, id, BK_WAITING_FAILED, name_of(s, v.culprit));
            *changed = true;
            continue;
        }
        if (v.state == DEP_MISSING && quiescent) {
            char *r = xasprintf("depends on \"%s\", which is not a step of the build", v.missing);
            set_final(s, id, BK_BROKEN, r);
            free(r);
            *changed = true;
            continue;
        }
        if (v.state != DEP_OK)
            continue;
        const struct bk_step *st = nd->step;
        switch (st->type) {
        case BK_STEP_WAIT:
            set_final(s, id, BK_PASSED, NULL);
            *changed = true;
            break;
        case BK_STEP_BLOCK:
        case BK_STEP_INPUT:
            set_final(s, id, unblocked(s, st) ? BK_UNBLOCKED : BK_BLOCKED, NULL);
            *changed = true;
            break;
        case BK_STEP_TRIGGER:
            set_final(s, id, BK_RECORDED, NULL);
            *changed = true;
            break;
        case BK_STEP_COMMAND:
            if (st->cancel_on_build_failing && bk_sched_failing(s)) {
                set_final(s, id, BK_CANCELED, "the build is failing");
                *changed = true;
            } else if ((ready < 0 || st->priority > s->nodes[ready].step->priority) && group_allows(s, id)) {
                ready = id;
            }
            break;
        case BK_STEP_GROUP:
            break;
        }
    }
    return ready;
}

static void finish_build(struct bk_sched *s)
{
    size_t n;
    const int *order = bk_sched_order(s, &n);
    bool changed = true;
    while (changed) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            int id = order[i];
            if (s->nodes[id].outcome != BK_PENDING || s->nodes[id].nchildren)
                continue;
            struct verdict v = { DEP_OK, -1, NULL };
            deps_of(s, id, false, &v, 0);
            if (v.state == DEP_HOLD) {
                const int c = v.culprit;
                char *r = s->nodes[c].outcome == BK_BLOCKED
                              ? xasprintf("blocked by \"%s\"", name_of(s, c))
                              : xstrdup(s->nodes[c].reason ? s->nodes[c].reason : "not run");
                set_final(s, id, BK_NOT_RUN, r);
                free(r);
                changed = true;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (s->nodes[order[i]].outcome == BK_PENDING && !s->nodes[order[i]].nchildren)
            set_final(s, order[i], BK_NOT_RUN, "dependency cycle");
    for (size_t i = 0; i < n; i++) /* steps with jobs, then groups */
        update_head(s, order[i], true);
    /* groups: passed when every step is satisfied, else the first problem */
    for (size_t i = 0; i < n; i++) {
        int id = order[i];
        struct node *g = &s->nodes[id];
        if (g->step->type != BK_STEP_GROUP || g->outcome != BK_PENDING)
            continue;
        enum bk_outcome o = BK_PASSED;
        const char *why = NULL;
        for (int k = 0; k < g->nchildren && o == BK_PASSED; k++) {
            int c = bk_sched_latest_node(s, g->first_child + k);
            enum bk_outcome co = s->nodes[c].outcome;
            if (bk_outcome_is_failure(co) || co == BK_WAITING_FAILED || co == BK_NOT_RUN ||
                co == BK_BLOCKED) {
                o = bk_outcome_is_failure(co) ? BK_FAILED : co == BK_WAITING_FAILED ? BK_WAITING_FAILED
                                                                                    : BK_NOT_RUN;
                why = name_of(s, c);
            }
        }
        bk_sched_set_outcome(s, id, o, why);
    }
}

int bk_sched_next(struct bk_sched *s)
{
    for (;;) {
        bool changed = false;
        int ready = pass(s, &changed, false);
        if (ready >= 0) {
            bk_sched_set_outcome(s, ready, BK_RUNNING, NULL);
            s->running++;
            return ready;
        }
        if (changed)
            continue;
        if (s->running)
            return BK_SCHED_BUSY;
        /* nothing runs and nothing can start: missing keys will not appear */
        pass(s, &changed, true);
        if (changed)
            continue;
        finish_build(s);
        return BK_SCHED_DONE;
    }
}

void bk_sched_report(struct bk_sched *s, int id, enum bk_outcome outcome, const char *reason)
{
    if (id < 0 || (size_t)id >= s->n || s->nodes[id].outcome != BK_RUNNING)
        return;
    s->running--;
    set_final(s, id, outcome, reason);
}

/* Does a rule retry this failed attempt, with retries left? */
static int retry_rule_for(const struct bk_sched *s, int id, int exit_status, bool timed_out)
{
    const struct bk_step *st = s->nodes[id].step;
    int r = bk_step_retry_rule(st, timed_out ? -1 : exit_status, timed_out ? "SIGKILL" : NULL,
                               timed_out ? "cancel" : NULL);
    if (r < 0)
        return -1;
    int used = 0;
    for (int a = s->nodes[id].retry_of; a >= 0; a = s->nodes[a].retry_of)
        used += s->nodes[a].retry_rule == r;
    return used < st->retry_rules[r].limit ? r : -1;
}

void bk_sched_report_exit(struct bk_sched *s, int id, int exit_status, bool timed_out)
{
    if (id < 0 || (size_t)id >= s->n || s->nodes[id].outcome != BK_RUNNING)
        return;
    s->nodes[id].exit_status = exit_status;
    const struct bk_step *st = s->nodes[id].step;
    int rule = exit_status != 0 || timed_out ? retry_rule_for(s, id, exit_status, timed_out) : -1;
    char *r = timed_out ? xasprintf("timed out after %ld minute(s)", st->timeout_in_minutes)
              : exit_status ? xasprintf("exit status %d", exit_status) : NULL;
    if (rule >= 0) {
        char *rr = xasprintf("%s; retried (attempt %d)", r, s->nodes[id].attempt + 2);
        free(r);
        r = rr;
        bk_sched_add_retry(s, id, rule); /* (before the outcome: the job is not over) */
    }
    enum bk_outcome o = timed_out ? BK_TIMED_OUT : exit_status == 0 ? BK_PASSED
                        : bk_step_soft_fails(st, exit_status) ? BK_SOFT_FAILED : BK_FAILED;
    bk_sched_report(s, id, o, r);
    free(r);
}

int *bk_sched_edges(struct bk_sched *s, int id, size_t *n)
{
    size_t count;
    bk_sched_order(s, &count); /* (sets prev_barrier) */
    int *out = NULL;
    size_t alloc = 0;
    *n = 0;
    const struct node *nd = &s->nodes[id];
    const struct bk_step *st = nd->step;
    if (st->has_depends_on) {
        for (size_t i = 0; i < st->ndeps; i++) {
            size_t t = strindex_get(&s->keys, st->deps[i].key);
            if (t != STRINDEX_NONE) {
                XGROW(out, alloc, *n + 1);
                out[(*n)++] = (int)t;
            }
        }
        return out;
    }
    if (st->type == BK_STEP_INPUT)
        return out;
    if (bk_sched_is_barrier(nd)) { /* (directly: the steps since the previous barrier, and it) */
        const int *ids;
        size_t len;
        int fc;
        size_t pos = list_pos(s, id, &ids, &len, &fc), from = pos;
        while (from > 0 && LIST_AT(ids, fc, from - 1) != nd->prev_barrier)
            from--;
        for (size_t i = from ? from - 1 : 0; i < pos; i++) {
            const struct node *on = &s->nodes[LIST_AT(ids, fc, i)];
            if (on->outcome == BK_FILTERED || on->step->type == BK_STEP_INPUT)
                continue;
            XGROW(out, alloc, *n + 1);
            out[(*n)++] = LIST_AT(ids, fc, i);
        }
    } else if (nd->prev_barrier >= 0) {
        XGROW(out, alloc, *n + 1);
        out[(*n)++] = nd->prev_barrier;
    }
    if (nd->uploader >= 0) {
        XGROW(out, alloc, *n + 1);
        out[(*n)++] = nd->uploader;
    }
    return out;
}
