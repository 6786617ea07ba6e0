/* invexpect — the fixture's expectations (expect:) against the build:
 * step outcomes, built_by, the violations it expects, the generator's exit
 * status and message, what is not simulated (see invariants.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/invariants.h"
#include "harness/invint.h"
#include "strbuf.h"
#include "xalloc.h"

static __attribute__((format(printf, 2, 3))) void unmet(struct inv_report *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    r->unmet = xrealloc(r->unmet, (r->n_unmet + 1) * sizeof(*r->unmet));
    r->unmet[r->n_unmet++] = xvasprintf(fmt, ap);
    va_end(ap);
}

/* Any node with this label: command steps first, then other steps, then groups, then keys. */
static const struct obs_step *find_any(const struct sim_observed *o, const char *label)
{
    const struct obs_step *s = obs_step_by_label(o, label);
    if (s && s->type == BK_STEP_COMMAND)
        return s;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < o->n_steps; i++)
            if (o->steps[i].label && !strcmp(o->steps[i].label, label) &&
                (o->steps[i].type == BK_STEP_GROUP) == (pass == 1))
                return &o->steps[i];
    return s;
}

int inv_expected_violation(const struct fixture *f, const char *id)
{
    for (size_t i = 0; i < f->expect.n_violations; i++)
        if (!strcmp(f->expect.violations[i], id))
            return 1;
    return 0;
}

void inv_expectations(const struct fixture *f, const struct depot *d, const struct sim_observed *o,
                      struct inv_report *r)
{
    for (size_t i = 0; i < f->expect.n_steps; i++) {
        const struct fixture_expect_step *es = &f->expect.steps[i];
        const struct obs_step *s = find_any(o, es->label);
        enum bk_outcome got = s ? s->outcome : BK_ABSENT;
        if (got != es->outcome)
            unmet(r, "step '%s': expected %s, got %s%s%s%s", es->label, bk_outcome_name(es->outcome),
                  bk_outcome_name(got), s && s->reason ? " (" : "", s && s->reason ? s->reason : "",
                  s && s->reason ? ")" : "");
    }
    for (size_t i = 0; i < f->expect.n_built_by; i++) {
        const struct fixture_built_by *bb = &f->expect.built_by[i];
        const struct depot_drv *dd = depot_drv_at(d, depot_index_of_fixture_drv(d, bb->drv));
        int ok = 0;
        struct strbuf who = STRBUF_INIT;
        for (size_t e = 0; e < o->n_events; e++) {
            const struct obs_event *ev = &o->events[e];
            if (!ev->drv || strcmp(ev->drv, dd->drv_path) || strcmp(ev->event, "build"))
                continue;
            const struct obs_step *s = obs_step_by_name(o, ev->step);
            if (s && s->label && !strcmp(s->label, bb->step) && ev->phase && !strcmp(ev->phase, "execution"))
                ok = 1;
            sb_addf(&who, "%s'%s' (%s)", who.len ? ", " : "", s && s->label ? s->label : ev->step ? ev->step : "?",
                    ev->phase ? ev->phase : "no phase");
        }
        if (!ok)
            unmet(r, "%s (%s): expected to be built by '%s', built by %s", dd->key, dd->drv_path, bb->step,
                  who.len ? sb_str(&who) : "no step");
        sb_release(&who);
    }
    for (size_t i = 0; i < o->n_not_simulated; i++) {
        size_t k = 0;
        while (k < f->expect.n_not_simulated && strcmp(f->expect.not_simulated[k], o->not_simulated[i]))
            k++;
        if (k == f->expect.n_not_simulated)
            unmet(r, "not simulated: %s (a step asked for it; expect.not_simulated does not list it)",
                  o->not_simulated[i]);
    }
    for (size_t k = 0; k < f->expect.n_not_simulated; k++) {
        size_t i = 0;
        while (i < o->n_not_simulated && strcmp(f->expect.not_simulated[k], o->not_simulated[i]))
            i++;
        if (i == o->n_not_simulated)
            unmet(r, "expect.not_simulated lists %s, which no step of the build asked for", f->expect.not_simulated[k]);
    }
    for (size_t i = 0; i < r->n; i++) {
        int want = inv_expected_violation(f, r->inv[i].id);
        if (want && r->inv[i].verdict != INV_VIOLATED)
            unmet(r, "invariant %s: expected to be violated, was %s", r->inv[i].id,
                  inv_verdict_name(r->inv[i].verdict));
    }
    if (o->gen_ran && f->expect.generate_exit == 0 && !o->n_chunks && !o->generator_uploaded && !r->failure)
        r->failure = xstrdup("the generation step produced no pipeline: no chunk in pipeline/ "
                             "and nothing uploaded");
    if (o->gen_step >= 0 || o->gen_ran) {
        if (!o->gen_ran)
            unmet(r, "the generation step never ran");
        else if (o->gen_exit != f->expect.generate_exit)
            unmet(r, "the generator exited %d, expected %d", o->gen_exit, f->expect.generate_exit);
        if (f->expect.generate_error &&
            (!o->gen_output || !strstr(o->gen_output, f->expect.generate_error)))
            unmet(r, "the generator's output does not contain \"%s\"", f->expect.generate_error);
    }
}

int inv_report_ok(const struct fixture *f, const struct inv_report *r)
{
    if (r->n_unmet || r->failure)
        return 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->inv[i].verdict == INV_VIOLATED && !inv_expected_violation(f, r->inv[i].id))
            return 0;
    return 1;
}
