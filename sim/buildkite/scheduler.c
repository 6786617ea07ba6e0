/* scheduler — see scheduler.h. Each call to bk_sched_next() re-evaluates
 * the pending steps in build order until nothing changes (O(steps x deps)
 * per call), which keeps the rules in one place: dep_state(). */
#include "buildkite/scheduler.h"

#include <stdlib.h>
#include <string.h>

#include "buildkite/branches.h"
#include "strbuf.h"
#include "strindex.h"
#include "xalloc.h"

struct node {
    const struct bk_step *step;
    int parent;   /* group node or -1 */
    int first_child;
    int uploader; /* node that uploaded it (top-level nodes), or -1 */
    int *uploaded; /* top-level nodes it uploaded */
    size_t nuploaded, upalloc;
    int prev_barrier; /* closest earlier wait/block in its list, or -1 (see order) */
    enum bk_outcome outcome;
    char *reason;
    int exit_status;
};

struct bk_sched {
    char *branch;
    enum bk_unblock unblock;
    char *unblock_glob;
    struct node *nodes;
    size_t n, alloc;
    int *top; /* top-level order */
    size_t ntop, topalloc;
    int *order; /* full order, rebuilt on demand */
    size_t norder, orderalloc;
    bool order_valid;
    struct bk_pipeline **pipelines;
    size_t npipelines, palloc;
    struct strindex keys; /* key -> node id (keys owned by `pipelines`) */
    size_t running;
};

struct bk_sched *bk_sched_new(const struct bk_sched_options *opts)
{
    struct bk_sched *s = xcalloc(1, sizeof(*s));
    s->branch = xstrdup(opts && opts->branch ? opts->branch : "");
    s->unblock = opts ? opts->unblock : BK_UNBLOCK_NONE;
    s->unblock_glob = xstrdup(opts && opts->unblock_glob ? opts->unblock_glob : "");
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
    free(s->branch);
    free(s->unblock_glob);
    free(s);
}

static void set_outcome(struct bk_sched *s, int id, enum bk_outcome o, const char *reason)
{
    struct node *n = &s->nodes[id];
    n->outcome = o;
    free(n->reason);
    n->reason = reason ? xstrdup(reason) : NULL;
}

static bool is_barrier(const struct node *n)
{
    return n->step->type == BK_STEP_WAIT || n->step->type == BK_STEP_BLOCK;
}

static int add_node(struct bk_sched *s, const struct bk_step *step, int parent, int uploader)
{
    XGROW(s->nodes, s->alloc, s->n + 1);
    int id = (int)s->n++;
    s->nodes[id] = (struct node){ step, parent, -1, uploader, NULL, 0, 0, -1, BK_PENDING, NULL, -1 };
    if (uploader >= 0) {
        struct node *u = &s->nodes[uploader];
        XGROW(u->uploaded, u->upalloc, u->nuploaded + 1);
        u->uploaded[u->nuploaded++] = id;
    }
    bool excluded = step->branches && !bk_branches_match(step->branches, s->branch);
    if (parent >= 0 && s->nodes[parent].outcome == BK_FILTERED)
        excluded = true;
    if (excluded)
        set_outcome(s, id, BK_FILTERED, step->branches);
    else if (step->skip || (parent >= 0 && s->nodes[parent].outcome == BK_SKIPPED))
        set_outcome(s, id, BK_SKIPPED, step->skip_reason ? step->skip_reason
                                       : parent >= 0 ? s->nodes[parent].reason : NULL);
    return id;
}

int bk_sched_upload(struct bk_sched *s, int after, struct bk_pipeline *p, int *first, size_t *count,
                    struct lk_error *err)
{
    if (after < -1 || after >= (int)s->n) {
        bk_pipeline_free(p);
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "upload after an unknown step id %d", after);
    }
    /* keys must be new to the build and unique in the upload */
    struct strindex seen = STRINDEX_INIT;
    for (size_t i = 0; i < p->nsteps; i++) {
        for (size_t k = 0; k <= p->steps[i].nsteps; k++) {
            const struct bk_step *st = k == 0 ? &p->steps[i] : &p->steps[i].steps[k - 1];
            if (!st->key)
                continue;
            if (strindex_get(&s->keys, st->key) != STRINDEX_NONE ||
                strindex_get(&seen, st->key) != STRINDEX_NONE) {
                lk_bad_input(err, NULL, st->place, "the key \"%s\" is already used in this build", st->key);
                strindex_release(&seen);
                bk_pipeline_free(p);
                return -1;
            }
            strindex_put(&seen, st->key, 0);
        }
    }
    strindex_release(&seen);
    size_t pos = s->ntop;
    int uploader = after;
    if (after >= 0) {
        int top = after;
        while (s->nodes[top].parent >= 0)
            top = s->nodes[top].parent;
        for (size_t i = 0; i < s->ntop; i++)
            if (s->top[i] == top)
                pos = i + 1;
    }
    size_t before = s->n;
    XGROW(s->top, s->topalloc, s->ntop + p->nsteps);
    if (p->nsteps) /* (an empty pipeline: s->top may still be NULL) */
        memmove(s->top + pos + p->nsteps, s->top + pos, (s->ntop - pos) * sizeof(int));
    s->ntop += p->nsteps;
    for (size_t i = 0; i < p->nsteps; i++) {
        const struct bk_step *st = &p->steps[i];
        int id = add_node(s, st, -1, uploader);
        s->top[pos + i] = id;
        if (st->type == BK_STEP_GROUP) {
            s->nodes[id].first_child = (int)s->n;
            for (size_t k = 0; k < st->nsteps; k++)
                add_node(s, &st->steps[k], id, -1);
        }
    }
    for (size_t i = before; i < s->n; i++)
        if (s->nodes[i].step->key)
            strindex_put(&s->keys, s->nodes[i].step->key, i);
    XGROW(s->pipelines, s->palloc, s->npipelines + 1);
    s->pipelines[s->npipelines++] = p;
    s->order_valid = false;
    if (first)
        *first = (int)before;
    if (count)
        *count = s->n - before;
    return 0;
}

const int *bk_sched_order(struct bk_sched *s, size_t *n)
{
    if (!s->order_valid) {
        s->norder = 0;
        XGROW(s->order, s->orderalloc, s->n + 1);
        int barrier = -1;
        for (size_t i = 0; i < s->ntop; i++) {
            int id = s->top[i];
            s->order[s->norder++] = id;
            struct node *g = &s->nodes[id];
            g->prev_barrier = barrier;
            if (g->outcome != BK_FILTERED && is_barrier(g))
                barrier = id;
            if (g->step->type == BK_STEP_GROUP) {
                int inner = -1;
                for (size_t k = 0; k < g->step->nsteps; k++) {
                    int c = g->first_child + (int)k;
                    s->order[s->norder++] = c;
                    s->nodes[c].prev_barrier = inner;
                    if (s->nodes[c].outcome != BK_FILTERED && is_barrier(&s->nodes[c]))
                        inner = c;
                }
            }
        }
        s->order_valid = true;
    }
    *n = s->norder;
    return s->order;
}

/* ---- dependency evaluation ------------------------------------------------ */

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
        *n = s->nodes[parent].step->nsteps;
        *first_child = s->nodes[parent].first_child;
    }
}

#define LIST_AT(ids, fc, i) ((ids) ? (ids)[i] : (fc) + (int)(i))

static void implicit_deps(struct bk_sched *s, int id, bool allow, struct verdict *v, int depth)
{
    const struct node *n = &s->nodes[id];
    if (!is_barrier(n)) {
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
    list_of(s, id, &ids, &len, &fc);
    size_t pos = 0;
    while (pos < len && LIST_AT(ids, fc, pos) != id)
        pos++;
    for (size_t i = pos; i-- > 0;) {
        int o = LIST_AT(ids, fc, i);
        const struct node *on = &s->nodes[o];
        if (on->outcome == BK_FILTERED || on->step->type == BK_STEP_INPUT)
            continue;
        depend_on_node(s, o, allow, v, depth + 1);
    }
}

/* All dependencies of node `id` (its own, its group's, its uploader). */
static void deps_of(struct bk_sched *s, int id, bool allow_all, struct verdict *v, int depth)
{
    const struct node *n = &s->nodes[id];
    const struct bk_step *st = n->step;
    if (depth > 64) {
        note(v, DEP_WAIT, id, NULL);
        return;
    }
    bool allow = allow_all || st->allow_dependency_failure ||
                 (st->type == BK_STEP_WAIT && st->continue_on_failure);
    if (st->has_depends_on) {
        for (size_t i = 0; i < st->ndeps; i++) {
            size_t t = strindex_get(&s->keys, st->deps[i].key);
            if (t == STRINDEX_NONE)
                note(v, DEP_MISSING, id, st->deps[i].key);
            else
                depend_on_node(s, (int)t, allow || st->deps[i].allow_failure, v, depth);
        }
    } else if (st->type != BK_STEP_INPUT) {
        implicit_deps(s, id, allow, v, depth);
        if (n->uploader >= 0) /* the uploader itself, not what it uploaded */
            depend_on_outcome(s, n->uploader, allow, v);
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
    const struct node *tn = &s->nodes[t];
    if (depth > 64) {
        note(v, DEP_WAIT, t, NULL);
        return;
    }
    if (tn->step->type == BK_STEP_GROUP && tn->outcome != BK_FILTERED) {
        for (size_t k = 0; k < tn->step->nsteps; k++)
            depend_on_node(s, tn->first_child + (int)k, allow, v, depth + 1);
    } else {
        depend_on_outcome(s, t, allow, v);
    }
    /* depending on an uploading step is depending on what it uploaded */
    for (size_t i = 0; i < tn->nuploaded; i++)
        depend_on_node(s, tn->uploaded[i], allow, v, depth + 1);
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

static size_t running_in_group(const struct bk_sched *s, const char *group)
{
    size_t c = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->nodes[i].outcome == BK_RUNNING && s->nodes[i].step->concurrency_group &&
            !strcmp(s->nodes[i].step->concurrency_group, group))
            c++;
    return c;
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
        if (nd->outcome != BK_PENDING || nd->step->type == BK_STEP_GROUP)
            continue;
        struct verdict v = { DEP_OK, -1, NULL };
        deps_of(s, id, false, &v, 0);
        if (v.state == DEP_FAILED) {
            set_outcome(s, id, BK_WAITING_FAILED, name_of(s, v.culprit));
            *changed = true;
            continue;
        }
        if (v.state == DEP_MISSING && quiescent) {
            char *r = xasprintf("depends on \"%s\", which is not a step of the build", v.missing);
            set_outcome(s, id, BK_BROKEN, r);
            free(r);
            *changed = true;
            continue;
        }
        if (v.state != DEP_OK)
            continue;
        const struct bk_step *st = nd->step;
        switch (st->type) {
        case BK_STEP_WAIT:
            set_outcome(s, id, BK_PASSED, NULL);
            *changed = true;
            break;
        case BK_STEP_BLOCK:
        case BK_STEP_INPUT:
            set_outcome(s, id, unblocked(s, st) ? BK_UNBLOCKED : BK_BLOCKED, NULL);
            *changed = true;
            break;
        case BK_STEP_TRIGGER:
            set_outcome(s, id, BK_RECORDED, NULL);
            *changed = true;
            break;
        case BK_STEP_COMMAND:
            if (st->cancel_on_build_failing && bk_sched_failing(s)) {
                set_outcome(s, id, BK_CANCELED, "the build is failing");
                *changed = true;
            } else if (ready < 0 && (!st->concurrency_group ||
                                     running_in_group(s, st->concurrency_group) < (size_t)st->concurrency)) {
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
            if (s->nodes[id].outcome != BK_PENDING || s->nodes[id].step->type == BK_STEP_GROUP)
                continue;
            struct verdict v = { DEP_OK, -1, NULL };
            deps_of(s, id, false, &v, 0);
            if (v.state == DEP_HOLD) {
                const int c = v.culprit;
                char *r = s->nodes[c].outcome == BK_BLOCKED
                              ? xasprintf("blocked by \"%s\"", name_of(s, c))
                              : xstrdup(s->nodes[c].reason ? s->nodes[c].reason : "not run");
                set_outcome(s, id, BK_NOT_RUN, r);
                free(r);
                changed = true;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (s->nodes[order[i]].outcome == BK_PENDING && s->nodes[order[i]].step->type != BK_STEP_GROUP)
            set_outcome(s, order[i], BK_NOT_RUN, "dependency cycle");
    /* groups: passed when every step is satisfied, else the first problem */
    for (size_t i = 0; i < n; i++) {
        int id = order[i];
        struct node *g = &s->nodes[id];
        if (g->step->type != BK_STEP_GROUP || g->outcome != BK_PENDING)
            continue;
        enum bk_outcome o = BK_PASSED;
        const char *why = NULL;
        for (size_t k = 0; k < g->step->nsteps && o == BK_PASSED; k++) {
            int c = g->first_child + (int)k;
            enum bk_outcome co = s->nodes[c].outcome;
            if (bk_outcome_is_failure(co) || co == BK_WAITING_FAILED || co == BK_NOT_RUN ||
                co == BK_BLOCKED) {
                o = bk_outcome_is_failure(co) ? BK_FAILED : co == BK_WAITING_FAILED ? BK_WAITING_FAILED
                                                                                    : BK_NOT_RUN;
                why = name_of(s, c);
            }
        }
        set_outcome(s, id, o, why);
    }
}

int bk_sched_next(struct bk_sched *s)
{
    for (;;) {
        bool changed = false;
        int ready = pass(s, &changed, false);
        if (ready >= 0) {
            set_outcome(s, ready, BK_RUNNING, NULL);
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
    set_outcome(s, id, outcome, reason);
}

void bk_sched_report_exit(struct bk_sched *s, int id, int exit_status, bool timed_out)
{
    if (id < 0 || (size_t)id >= s->n || s->nodes[id].outcome != BK_RUNNING)
        return;
    s->nodes[id].exit_status = exit_status;
    const struct bk_step *st = s->nodes[id].step;
    if (timed_out) {
        char *r = xasprintf("timed out after %ld minute(s)", st->timeout_in_minutes);
        bk_sched_report(s, id, BK_TIMED_OUT, r);
        free(r);
    } else if (exit_status == 0) {
        bk_sched_report(s, id, BK_PASSED, NULL);
    } else {
        char *r = xasprintf("exit status %d", exit_status);
        bk_sched_report(s, id, bk_step_soft_fails(st, exit_status) ? BK_SOFT_FAILED : BK_FAILED, r);
        free(r);
    }
}

size_t bk_sched_count(const struct bk_sched *s) { return s->n; }
const struct bk_step *bk_sched_step(const struct bk_sched *s, int id) { return s->nodes[id].step; }
enum bk_outcome bk_sched_outcome(const struct bk_sched *s, int id) { return s->nodes[id].outcome; }
const char *bk_sched_reason(const struct bk_sched *s, int id) { return s->nodes[id].reason; }
int bk_sched_parent(const struct bk_sched *s, int id) { return s->nodes[id].parent; }
int bk_sched_exit_status(const struct bk_sched *s, int id) { return s->nodes[id].exit_status; }
size_t bk_sched_running(const struct bk_sched *s) { return s->running; }

int bk_sched_find(const struct bk_sched *s, const char *key)
{
    size_t v = strindex_get(&s->keys, key);
    return v == STRINDEX_NONE ? -1 : (int)v;
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
    if (is_barrier(nd)) {
        const int *ids;
        size_t len;
        int fc;
        list_of(s, id, &ids, &len, &fc);
        size_t pos = 0;
        while (pos < len && LIST_AT(ids, fc, pos) != id)
            pos++;
        size_t from = pos;
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

bool bk_sched_failing(const struct bk_sched *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (bk_outcome_is_failure(s->nodes[i].outcome))
            return true;
    return false;
}
