/* invariants — DESIGN §6 checks and fixture expectations (see invariants.h). */
#include "harness/invariants.h"
#include "harness/invint.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

const char *inv_verdict_name(enum inv_verdict v)
{
    switch (v) {
    case INV_HELD: return "held";
    case INV_VIOLATED: return "violated";
    case INV_NOT_CHECKED: return "not-checked";
    }
    return "?";
}

char *inv_target_label(const struct fixture_target *t)
{
    return xasprintf(":nix: %s", t->label);
}

char *inv_extra_label(const struct fixture_target *t, const struct fixture_extra_step *s)
{
    return xasprintf(":gear: %s (from %s)", s->label ? s->label : s->name, t->label);
}

static __attribute__((format(printf, 2, 3))) void evidence(struct inv_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->evidence = xrealloc(r->evidence, (r->n_evidence + 1) * sizeof(*r->evidence));
    r->evidence[r->n_evidence++] = xvasprintf(fmt, ap);
    va_end(ap);
}

void inv_violation(struct inv_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->evidence = xrealloc(r->evidence, (r->n_evidence + 1) * sizeof(*r->evidence));
    r->evidence[r->n_evidence++] = xvasprintf(fmt, ap);
    va_end(ap);
    r->verdict = INV_VIOLATED;
}

/* The realisation event `e` is what a violation is about (inv_flag_step(): the step). */
static void flag_event(struct inv_result *r, size_t e)
{
    r->events = xrealloc(r->events, (r->n_events + 1) * sizeof(*r->events));
    r->events[r->n_events++] = e;
}

void inv_flag_step(struct inv_result *r, const struct sim_observed *o, const struct obs_step *s)
{
    r->steps = xrealloc(r->steps, (r->n_steps + 1) * sizeof(*r->steps));
    r->steps[r->n_steps++] = (size_t)(s - o->steps);
}

void inv_summary(struct inv_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(r->summary);
    r->summary = xvasprintf(fmt, ap);
    va_end(ap);
}

/* "key (/nix/store/…drv)" for a drv path, or the path itself. */
static char *describe_drv(const struct depot *d, const char *drv)
{
    size_t i;
    if (drv && depot_find_drv_path(d, drv, &i) == 0)
        return xasprintf("%s (%s)", depot_drv_at(d, i)->key, drv);
    return xstrdup(drv ? drv : "(no derivation)");
}

static char *describe_by(const struct sim_observed *o, const struct obs_event *e)
{
    const struct obs_step *s = obs_step_by_name(o, e->step);
    const char *who = s && s->label ? s->label : e->step;
    return xasprintf("in phase %s%s%s%s", e->phase ? e->phase : "(none)", who ? " by step '" : "",
                     who ? who : "", who ? "'" : "");
}

/* Mark the input closure of depot drv `i` in `mark` with `why` (first wins). */
static void mark_closure(const struct depot *d, size_t i, const char **mark, const char *why)
{
    size_t n = depot_n_drvs(d);
    size_t *stack = xmalloc(n * sizeof(*stack) + 1);
    char *seen = xcalloc(n + 1, 1);
    size_t sp = 0;
    stack[sp++] = i;
    seen[i] = 1;
    while (sp) {
        size_t k = stack[--sp];
        if (!mark[k])
            mark[k] = why;
        const struct depot_drv *dd = depot_drv_at(d, k);
        for (size_t j = 0; j < dd->n_inputs; j++) {
            size_t in = dd->inputs[j];
            if (!seen[in]) {
                seen[in] = 1;
                stack[sp++] = in;
            }
        }
    }
    free(stack);
    free(seen);
}

static int is_construction_build(const struct obs_event *e)
{
    return e->phase && !strcmp(e->phase, "construction") && e->drv &&
           (!strcmp(e->event, "build") || !strcmp(e->event, "fail"));
}

static void check_no_early(const struct fixture *f, const struct depot *d, const struct sim_observed *o,
                           struct inv_result *r)
{
    size_t n = depot_n_drvs(d);
    const char **mark = xcalloc(n + 1, sizeof(*mark));
    char **whys = NULL;
    size_t n_whys = 0, guarded = 0;
    for (size_t t = 0; t < f->n_targets; t++) {
        const struct fixture_target *tg = &f->targets[t];
        for (size_t s = 0; s < tg->n_steps; s++) {
            const struct fixture_extra_step *st = &tg->steps[s];
            char *label = inv_extra_label(tg, st);
            r->n_checked += obs_step_by_label(o, label) != NULL;
            whys = xrealloc(whys, (n_whys + 2) * sizeof(*whys));
            whys[n_whys] = xasprintf("the command of '%s'", label);
            mark_closure(d, depot_index_of_fixture_drv(d, st->command), mark, whys[n_whys++]);
            if (st->needs_output == 1) {
                size_t parent = st->parent_override != FIXTURE_NONE ? st->parent_override : tg->drv;
                whys[n_whys] = xasprintf("the needsOutput parent of '%s'", label);
                mark_closure(d, depot_index_of_fixture_drv(d, parent), mark, whys[n_whys++]);
            }
            free(label);
        }
    }
    for (size_t i = 0; i < n; i++)
        guarded += mark[i] != NULL;
    for (size_t e = 0; e < o->n_events; e++) {
        const struct obs_event *ev = &o->events[e];
        size_t i;
        if (!is_construction_build(ev) || depot_find_drv_path(d, ev->drv, &i) < 0 || !mark[i])
            continue;
        char *what = describe_drv(d, ev->drv);
        char *by = describe_by(o, ev);
        inv_violation(r, "%s was built (%s) %s%s%s; it is in the closure of %s", what, ev->event, by,
                  ev->cause ? ", cause: " : "", ev->cause ? ev->cause : "", mark[i]);
        flag_event(r, e);
        free(what);
        free(by);
    }
    inv_summary(r, "%zu extra step(s) in the build; %zu derivations in extra-step commands and needsOutput "
               "parents; %s", r->n_checked, guarded,
            r->verdict == INV_VIOLATED ? "some were built during construction"
                                       : "none was built during construction");
    for (size_t i = 0; i < n_whys; i++)
        free(whys[i]);
    free(whys);
    free(mark);
}

static void check_construction_builds(const struct fixture *f, const struct depot *d,
                                      const struct sim_observed *o, struct inv_result *r)
{
    size_t n = depot_n_drvs(d);
    char *expected = xcalloc(n + 1, 1), *built = xcalloc(n + 1, 1);
    for (size_t i = 0; i < f->expect.n_construction_builds; i++)
        expected[depot_index_of_fixture_drv(d, f->expect.construction_builds[i])] = 1;
    size_t count = 0, own = 0;
    for (size_t e = 0; e < o->n_events; e++) {
        const struct obs_event *ev = &o->events[e];
        if (!is_construction_build(ev))
            continue;
        size_t i;
        if (depot_find_drv_path(d, ev->drv, &i) != 0) { /* e.g. a Nix generator's pipeline derivation */
            own++;
            evidence(r, "note: %s was built during construction; it is not a derivation of the depot "
                        "(the generator's own)", ev->drv ? ev->drv : "(no drv)");
            continue;
        }
        if (built[i])
            continue;
        built[i] = 1;
        count++;
        if (!expected[i]) {
            char *what = describe_drv(d, ev->drv);
            char *by = describe_by(o, ev);
            inv_violation(r, "%s was built during construction (%s %s%s%s) but is not in construction_builds",
                      what, ev->event, by, ev->cause ? ", cause: " : "", ev->cause ? ev->cause : "");
            flag_event(r, e);
            free(what);
            free(by);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (expected[i] && !built[i])
            inv_violation(r, "%s (%s) is in construction_builds but was not built during construction",
                      depot_drv_at(d, i)->key, depot_drv_at(d, i)->drv_path);
    r->n_checked = o->gen_ran ? n : 0;
    inv_summary(r, "construction built %zu derivation(s) of the depot; expected %zu%s%s", count,
            f->expect.n_construction_builds, own ? "; and the generator's own derivations" : "",
            o->gen_ran ? "" : "; the generation step never ran");
    free(expected);
    free(built);
}

static int step_failed(const struct obs_step *s)
{
    return s->outcome == BK_FAILED || s->outcome == BK_SOFT_FAILED || s->outcome == BK_TIMED_OUT ||
           s->outcome == BK_CANCELED;
}

static void check_script_built(const struct fixture *f, const struct depot *d,
                               const struct sim_observed *o, struct inv_result *r)
{
    size_t checked = 0, excused = 0;
    for (size_t t = 0; t < f->n_targets; t++) {
        const struct fixture_target *tg = &f->targets[t];
        for (size_t si = 0; si < tg->n_steps; si++) {
            const struct fixture_extra_step *st = &tg->steps[si];
            char *label = inv_extra_label(tg, st);
            const struct obs_step *s = obs_step_by_label(o, label);
            if (!s || !s->ran) {
                free(label);
                continue;
            }
            const struct depot_drv *cmd = depot_drv_at(d, depot_index_of_fixture_drv(d, st->command));
            const char *out = depot_output_path(d, depot_index_of_fixture_drv(d, st->command), cmd->out_names[0]);
            int realised = 0, earlier = 0;
            for (size_t e = 0; e < o->n_events; e++) {
                const struct obs_event *ev = &o->events[e];
                if (!ev->drv || strcmp(ev->drv, cmd->drv_path))
                    continue;
                if (is_construction_build(ev))
                    earlier = 1;
                if (ev->phase && !strcmp(ev->phase, "execution") && ev->step && s->step_name &&
                    !strcmp(ev->step, s->step_name) &&
                    (!strcmp(ev->event, "build") || !strcmp(ev->event, "valid") ||
                     !strcmp(ev->event, "fail")))
                    realised = 1;
            }
            int ran_script = s->reached_run_script || (s->script_link && out && !strcmp(s->script_link, out));
            if (!realised && !s->reached_build_script && step_failed(s)) {
                excused++;
                evidence(r, "note: '%s' failed before building its script (%s)", label,
                         bk_outcome_name(s->outcome));
            } else if (!realised) {
                inv_violation(r, "'%s' ran (%s) but did not build %s (%s) in the execution phase%s", label,
                          bk_outcome_name(s->outcome), cmd->key, cmd->drv_path,
                          earlier ? "; it was built during construction" : "");
                inv_flag_step(r, o, s);
                for (size_t e = 0; e < o->n_events; e++)
                    if (o->events[e].drv && !strcmp(o->events[e].drv, cmd->drv_path) &&
                        is_construction_build(&o->events[e]))
                        flag_event(r, e);
            } else if (!ran_script && s->outcome == BK_PASSED) {
                inv_violation(r, "'%s' built %s (%s) but never ran it (no '+++ Running extra step script', "
                             "no script link)", label, cmd->key, cmd->drv_path);
                inv_flag_step(r, o, s);
            } else {
                checked++;
            }
            r->n_checked++;
            free(label);
        }
    }
    inv_summary(r, "%zu extra step(s) built and ran their script during execution%s", checked,
            excused ? " (some failed before that)" : "");
}

static int is_output_of(const struct depot *d, size_t i, const char *path)
{
    if (!path)
        return 0;
    const struct depot_drv *dd = depot_drv_at(d, i);
    for (size_t k = 0; k < dd->n_outputs; k++)
        if (!strcmp(dd->out_paths[k], path))
            return 1;
    return 0;
}

static void check_result_link(const struct fixture *f, const struct depot *d,
                              const struct sim_observed *o, struct inv_result *r)
{
    size_t checked = 0;
    for (size_t t = 0; t < f->n_targets; t++) {
        const struct fixture_target *tg = &f->targets[t];
        for (size_t si = 0; si < tg->n_steps; si++) {
            const struct fixture_extra_step *st = &tg->steps[si];
            if (st->needs_output != 1)
                continue;
            char *label = inv_extra_label(tg, st);
            const struct obs_step *s = obs_step_by_label(o, label);
            if (!s || !s->ran || s->outcome != BK_PASSED) {
                if (s && s->ran)
                    evidence(r, "note: '%s' did not pass (%s): links not checked", label,
                             bk_outcome_name(s->outcome));
                free(label);
                continue;
            }
            size_t parent = depot_index_of_fixture_drv(d, st->parent_override != FIXTURE_NONE ? st->parent_override : tg->drv);
            size_t cmd = depot_index_of_fixture_drv(d, st->command);
            checked++;
            if (!is_output_of(d, parent, s->result_link) || !is_output_of(d, cmd, s->script_link))
                inv_flag_step(r, o, s);
            if (!is_output_of(d, parent, s->result_link))
                inv_violation(r, "after '%s' on %s, result points at %s, not at the output of %s (%s)", label,
                          s->agent ? s->agent : "?", s->result_link ? s->result_link : "nothing",
                          depot_drv_at(d, parent)->key, depot_drv_at(d, parent)->drv_path);
            if (!is_output_of(d, cmd, s->script_link))
                inv_violation(r, "after '%s' on %s, nix-buildkite-extra-step-command-script points at %s, "
                             "not at the output of %s (%s)", label, s->agent ? s->agent : "?",
                          s->script_link ? s->script_link : "nothing", depot_drv_at(d, cmd)->key,
                          depot_drv_at(d, cmd)->drv_path);
            free(label);
        }
    }
    r->n_checked = checked;
    inv_summary(r, "%zu needsOutput step(s) checked", checked);
}

static void check_tree_clean(const struct sim_observed *o, struct inv_result *r)
{
    size_t checked = 0, by_git = 0;
    for (size_t i = 0; i < o->n_steps; i++) {
        const struct obs_step *s = &o->steps[i];
        if (!s->tree_checked)
            continue;
        checked++;
        by_git += s->tree_by_git;
        if (s->tree_status && *s->tree_status) {
            struct strbuf sb = STRBUF_INIT;
            for (const char *p = s->tree_status; *p; p++) {
                if (*p != '\n')
                    sb_addc(&sb, *p);
                else if (p[1])
                    sb_adds(&sb, "; ");
            }
            char *one = sb_detach(&sb);
            inv_flag_step(r, o, s);
            inv_violation(r, "after '%s' on %s, git status --porcelain: %s",
                      s->label ? s->label : s->key ? s->key : "?", s->agent ? s->agent : "?", one);
            free(one);
        }
    }
    r->n_checked = checked;
    inv_summary(r,
            "git status --porcelain after %zu step(s) (%zu run; after the others the checkout was as git "
            "last found it clean, but for new top-level links or files its .gitignore ignores)",
            checked, by_git);
}

static void check_schema(const struct sim_observed *o, struct inv_result *r)
{
    for (size_t i = 0; i < o->n_schema_errors; i++)
        inv_violation(r, "schema: %s", o->schema_errors[i]);
    if (o->schema_state == 1 && !o->n_schema_errors)
        inv_violation(r, "the chunks do not match the Buildkite schema");
    r->n_checked = o->schema_state >= 0 ? o->n_chunks : 0;
    if (o->schema_state >= 0)
        inv_summary(r, "%zu chunk(s) %s the Buildkite schema (%s)", o->n_chunks,
                o->schema_state == 0 ? "match" : "do NOT match", o->schema_note ? o->schema_note : "");
    else {
        r->verdict = INV_NOT_CHECKED;
        inv_summary(r, "not checked: the chunks were not validated against the Buildkite schema: %s",
                o->schema_note ? o->schema_note : "unknown reason");
    }
}

static void check_gc(const struct fixture *f, const struct depot *d, const struct sim_observed *o,
                     struct inv_result *r)
{
    if (!o->gc_drvs) {
        r->verdict = INV_NOT_CHECKED;
        inv_summary(r, "not checked: run without --gc-drvs");
        return;
    }
    if (o->gc_error)
        inv_violation(r, "nix-store --delete of the .drv files failed: %s", o->gc_error);
    size_t checked = 0;
    for (size_t t = 0; t < f->n_targets; t++) {
        const struct fixture_target *tg = &f->targets[t];
        char *label = inv_target_label(tg);
        const struct obs_step *s = obs_step_by_label(o, label);
        int expect_other = 0;
        for (size_t i = 0; i < f->expect.n_steps; i++)
            if (!strcmp(f->expect.steps[i].label, label) && f->expect.steps[i].outcome != BK_PASSED)
                expect_other = 1;
        if (s && s->ran && !expect_other) {
            size_t i = depot_index_of_fixture_drv(d, tg->drv);
            checked++;
            if (s->outcome != BK_PASSED || !is_output_of(d, i, s->result_link))
                inv_flag_step(r, o, s);
            if (s->outcome != BK_PASSED)
                inv_violation(r, "'%s' %s on %s after the .drv files were deleted", label,
                          bk_outcome_name(s->outcome), s->agent ? s->agent : "?");
            else if (!is_output_of(d, i, s->result_link))
                inv_violation(r, "'%s' left result pointing at %s, not at the output of %s (%s)", label,
                          s->result_link ? s->result_link : "nothing", depot_drv_at(d, i)->key,
                          depot_drv_at(d, i)->drv_path);
        }
        free(label);
    }
    size_t reinstantiated = 0;
    for (size_t e = 0; e < o->n_events; e++)
        if (!strcmp(o->events[e].event, "instantiate") && o->events[e].phase &&
            !strcmp(o->events[e].phase, "execution"))
            reinstantiated++;
    r->n_checked = checked;
    inv_summary(r, "%zu .drv file(s) deleted after construction; %zu target step(s) succeeded with the "
               "right out path; %zu .drv file(s) written again by nix-build -E in steps",
            o->gc_deleted, checked, reinstantiated);
}

/* The realisation log informs `id`, and a step whose log line could not be
 * written may have built what the log does not show: each such step that
 * could have informed it violates it — for construction-builds the
 * generation step, for script-built-at-execution the steps that run during
 * execution, else any step. Not-checked stays not-checked. */
static void check_log_lost(const char *id, const struct sim_observed *o, struct inv_result *r)
{
    static const char *const from_log[] = { "no-early-extra-step-build", "construction-builds",
                                            "script-built-at-execution", "gc-fallback" };
    int informed = 0;
    for (size_t i = 0; i < sizeof from_log / sizeof *from_log; i++)
        informed |= !strcmp(id, from_log[i]);
    if (!informed || r->verdict == INV_NOT_CHECKED)
        return;
    int construction = !strcmp(id, "construction-builds");
    int execution = !strcmp(id, "script-built-at-execution");
    for (size_t i = 0; i < o->n_steps; i++) {
        const struct obs_step *s = &o->steps[i];
        int gen = (int)i == o->gen_step;
        if (!s->log_lost || (construction && !gen) || (execution && gen))
            continue;
        inv_flag_step(r, o, s);
        inv_violation(r, "step '%s' could not write to the realisation log: what it built is not "
                  "all in the log", s->label ? s->label : s->key ? s->key : "?");
    }
}

int inv_check(const char *id, const struct fixture *f, const struct depot *d,
              const struct sim_observed *o, struct inv_result *out)
{
    static const char *const schema_id = INV_SCHEMA;
    const char *const *p = fixture_invariants;
    while (*p && strcmp(*p, id))
        p++;
    if (!*p && strcmp(id, schema_id))
        return -1;
    memset(out, 0, sizeof(*out));
    out->id = *p ? *p : schema_id;
    out->verdict = INV_HELD;
    if (!strcmp(id, "no-early-extra-step-build"))
        check_no_early(f, d, o, out);
    else if (!strcmp(id, "construction-builds"))
        check_construction_builds(f, d, o, out);
    else if (!strcmp(id, "script-built-at-execution"))
        check_script_built(f, d, o, out);
    else if (!strcmp(id, "result-link"))
        check_result_link(f, d, o, out);
    else if (!strcmp(id, "tree-clean"))
        check_tree_clean(o, out);
    else if (!strcmp(id, "pipeline-valid"))
        inv_check_pipeline_valid(f, o, out);
    else if (!strcmp(id, "skip-consistent"))
        inv_check_skip(f, d, o, out);
    else if (!strcmp(id, "gc-fallback"))
        check_gc(f, d, o, out);
    else
        check_schema(o, out);
    check_log_lost(id, o, out);
    if (out->verdict == INV_HELD && out->n_checked == 0) {
        out->verdict = INV_NOT_CHECKED;
        char *was = out->summary;
        out->summary = xasprintf("not checked, nothing to check: %s", was ? was : "");
        free(was);
    }
    return 0;
}

void inv_check_all(const struct fixture *f, const struct depot *d, const struct sim_observed *o,
                   struct inv_report *r)
{
    memset(r, 0, sizeof(*r));
    for (const char *const *p = fixture_invariants; *p && r->n < INV_MAX; p++)
        inv_check(*p, f, d, o, &r->inv[r->n++]);
    if (r->n < INV_MAX)
        inv_check(INV_SCHEMA, f, d, o, &r->inv[r->n++]);
}

void inv_result_free(struct inv_result *res)
{
    free(res->summary);
    for (size_t i = 0; i < res->n_evidence; i++)
        free(res->evidence[i]);
    free(res->evidence);
    free(res->events);
    free(res->steps);
    memset(res, 0, sizeof(*res));
}

void inv_report_free(struct inv_report *r)
{
    for (size_t i = 0; i < r->n; i++)
        inv_result_free(&r->inv[i]);
    for (size_t i = 0; i < r->n_unmet; i++)
        free(r->unmet[i]);
    free(r->unmet);
    free(r->failure);
    memset(r, 0, sizeof(*r));
}

void inv_fill_built(struct sim_observed *o, const struct depot *d)
{
    struct strbuf *sb = xcalloc(o->n_steps + 1, sizeof(*sb));
    for (size_t e = 0; e < o->n_events; e++) {
        const struct obs_event *ev = &o->events[e];
        if (strcmp(ev->event, "build") || !ev->step)
            continue;
        const struct obs_step *s = obs_step_by_name(o, ev->step);
        if (!s)
            continue;
        size_t k = (size_t)(s - o->steps), i;
        const char *name = ev->drv && depot_find_drv_path(d, ev->drv, &i) == 0 ? depot_drv_at(d, i)->key
                                                                               : ev->drv ? ev->drv : "?";
        sb_addf(&sb[k], "%s%s", sb[k].len ? " " : "", name);
    }
    for (size_t k = 0; k < o->n_steps; k++) {
        free(o->steps[k].built);
        o->steps[k].built = sb[k].len ? sb_detach(&sb[k]) : NULL;
        sb_release(&sb[k]);
    }
    free(sb);
}
