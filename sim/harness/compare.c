/* compare — see compare.h. */
#include "harness/compare.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

struct lines {
    char **v;
    size_t n, alloc;
};

static void add(struct lines *l, char *line)
{
    XGROW(l->v, l->alloc, l->n + 2);
    l->v[l->n++] = line;
    l->v[l->n] = NULL;
}

static const char *or_none(const char *s) { return s && *s ? s : "(none)"; }

static const char *step_id(const struct obs_step *s)
{
    return s->label ? s->label : s->key ? s->key : bk_step_type_name(s->type);
}

/* "name:sha256 ..." of the chunks, in generation order. */
static char *chunk_list(const struct sim_observed *o)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < o->n_chunks; i++)
        sb_addf(&sb, "%s%s:%.12s", i ? " " : "", o->chunks[i].name,
                o->chunks[i].sha256 ? o->chunks[i].sha256 : "unreadable");
    return sb_detach(&sb);
}

/* The derivations construction built (drv paths, in log order, once each). */
static char *construction_builds(const struct sim_observed *o)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < o->n_events; i++) {
        const struct obs_event *e = &o->events[i];
        if (strcmp(e->event, "build") || !e->phase || strcmp(e->phase, "construction") || !e->drv)
            continue;
        if (!strstr(sb_str(&sb), e->drv))
            sb_addf(&sb, "%s%s", sb.len ? " " : "", e->drv);
    }
    return sb_detach(&sb);
}

/* The space-separated words of `s`, sorted (the order Nix builds a
 * closure in is not the order nixsim does). */
static char *sorted_words(const char *s)
{
    char *copy = xstrdup(s ? s : ""), *save = NULL, **w = NULL;
    size_t n = 0, alloc = 0;
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        XGROW(w, alloc, n + 1);
        w[n++] = t;
    }
    if (n > 1)
        qsort(w, n, sizeof(*w), strv_cmp);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        sb_addf(&sb, "%s%s", i ? " " : "", w[i]);
    free(w);
    free(copy);
    return sb_detach(&sb);
}

/* Every derivation the steps built, sorted. */
static char *all_built(const struct sim_observed *o)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < o->n_steps; i++)
        if (o->steps[i].built && *o->steps[i].built)
            sb_addf(&sb, "%s%s", sb.len ? " " : "", o->steps[i].built);
    char *sorted = sorted_words(sb_str(&sb));
    sb_release(&sb);
    return sorted;
}

static void compare_strings(struct lines *l, const char *what, const char *x, const char *a,
                            const char *y, const char *b)
{
    if (strcmp(x ? x : "", y ? y : ""))
        add(l, xasprintf("%s: %s %s; %s %s", what, a, or_none(x), b, or_none(y)));
}

size_t compare_runs(const struct sim_play_result *ra, const char *a, const struct sim_play_result *rb,
                    const char *b, char ***out)
{
    struct lines l = { NULL, 0, 0 };
    const struct sim_observed *oa = &ra->obs, *ob = &rb->obs;
    char *ca = chunk_list(oa), *cb = chunk_list(ob);
    compare_strings(&l, "chunks (name:sha256)", ca, a, cb, b);
    free(ca);
    free(cb);
    ca = construction_builds(oa);
    cb = construction_builds(ob);
    compare_strings(&l, "construction built", ca, a, cb, b);
    free(ca);
    free(cb);
    /* the steps, matched in build order; what each built (as sets), or
     * with several agents what they built together */
    int agents = ra->agents > rb->agents ? ra->agents : rb->agents;
    size_t n = oa->n_steps > ob->n_steps ? oa->n_steps : ob->n_steps;
    for (size_t i = 0; i < n; i++) {
        const struct obs_step *sa = i < oa->n_steps ? &oa->steps[i] : NULL;
        const struct obs_step *sb = i < ob->n_steps ? &ob->steps[i] : NULL;
        if (!sa || !sb || strcmp(step_id(sa), step_id(sb))) {
            add(&l, xasprintf("step %zu: %s '%s'; %s '%s'", i + 1, a, sa ? step_id(sa) : "(no step)", b,
                              sb ? step_id(sb) : "(no step)"));
            break; /* the rest no longer lines up */
        }
        if (sa->outcome != sb->outcome)
            add(&l, xasprintf("step '%s': %s %s; %s %s", step_id(sa), a, bk_outcome_name(sa->outcome), b,
                              bk_outcome_name(sb->outcome)));
        if (agents > 1)
            continue;
        char *what = xasprintf("step '%s' built", step_id(sa)), *wa = sorted_words(sa->built),
             *wb = sorted_words(sb->built);
        compare_strings(&l, what, wa, a, wb, b);
        free(what);
        free(wa);
        free(wb);
    }
    if (agents > 1) { /* which of two steps running at once builds a shared input is a race */
        char *wa = all_built(oa), *wb = all_built(ob);
        compare_strings(&l, "the steps built (several agents: compared as a whole)", wa, a, wb, b);
        free(wa);
        free(wb);
    }
    for (size_t i = 0; i < ra->inv.n && i < rb->inv.n; i++) {
        const struct inv_result *x = &ra->inv.inv[i], *y = &rb->inv.inv[i];
        if (strcmp(x->id, y->id) || x->verdict != y->verdict)
            add(&l, xasprintf("invariant %s: %s %s (%s); %s %s (%s)", x->id, a, inv_verdict_name(x->verdict),
                              or_none(x->summary), b, inv_verdict_name(y->verdict), or_none(y->summary)));
    }
    if (ra->inv.n != rb->inv.n)
        add(&l, xasprintf("invariants: %s %zu; %s %zu", a, ra->inv.n, b, rb->inv.n));
    if (!l.v)
        add(&l, NULL), l.n = 0;
    *out = l.v;
    return l.n;
}

