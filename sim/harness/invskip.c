/* invskip — the skip-consistent invariant (see invariants.h): the parent
 * map the generation step fetched is the newest parent build's, and each
 * target's step is skipped exactly when the target is unchanged in that map
 * (the same drv path under its label); an extra step exactly when it says
 * so (alwaysRun, its own skip) or else as its target's step. */
#include <stdlib.h>
#include <string.h>

#include "harness/invint.h"

static int effective_skip(const struct sim_observed *o, const struct obs_step *s)
{
    return s->skip || (s->group >= 0 && (size_t)s->group < o->n_steps && o->steps[s->group].skip);
}

/* Is target `t` unchanged in the parent map the build used: the same drv
 * path under its label in the map its generation step fetched (none on
 * the default branch, where every target is built)? */
static int in_parent_map(const struct depot *d, const struct sim_observed *o, const struct fixture_target *t)
{
    const json_t *map = o->parent.on_default_branch ? NULL : o->parent.fetched;
    const char *drv = json_string_value(json_object_get(map, t->label));
    return drv && !strcmp(drv, depot_drv_at(d, depot_index_of_fixture_drv(d, t->drv))->drv_path);
}

void inv_check_skip(const struct fixture *f, const struct depot *d, const struct sim_observed *o,
                    struct inv_result *r)
{
    const struct obs_parent_map *pm = &o->parent;
    size_t checked = 0;
    /* the map itself: the newest parent build's, fetched when there is one */
    if (!pm->on_default_branch && pm->fetched_build && pm->expected_build) {
        checked++;
        if (pm->fetched_build != pm->expected_build)
            inv_violation(r, "the generation step fetched the parent map of build #%ld, but the newest passed or "
                         "running build of %s with one is #%ld", pm->fetched_build,
                      pm->default_branch ? pm->default_branch : "the default branch", pm->expected_build);
    } else if (!pm->on_default_branch && pm->api_usable && pm->expected_build && !pm->fetched_build &&
               o->gen_ran) {
        checked++;
        inv_violation(r, "the generation step fetched no parent map, but build #%ld of %s has one", pm->expected_build,
                  pm->default_branch ? pm->default_branch : "the default branch");
    }
    for (size_t t = 0; t < f->n_targets; t++) {
        const struct fixture_target *tg = &f->targets[t];
        int parent_skip = in_parent_map(d, o, tg);
        char *label = inv_target_label(tg);
        const struct obs_step *s = obs_step_by_label(o, label);
        if (s) {
            checked++;
            if (effective_skip(o, s) != parent_skip) {
                inv_violation(r, "'%s' is %s but the target is %s", label,
                          effective_skip(o, s) ? "skipped" : "not skipped",
                          parent_skip ? "unchanged (in the parent map with the same drv)" : "changed");
                inv_flag_step(r, o, s);
            }
        }
        free(label);
        for (size_t si = 0; si < tg->n_steps; si++) {
            const struct fixture_extra_step *st = &tg->steps[si];
            int want;
            const char *why;
            if (st->always_run == 1)
                want = 0, why = "alwaysRun";
            else if (st->skip && (json_is_true(st->skip) || json_is_string(st->skip)))
                want = 1, why = "its own skip";
            else
                want = parent_skip, why = parent_skip ? "its parent is skipped" : "its parent is not skipped";
            label = inv_extra_label(tg, st);
            s = obs_step_by_label(o, label);
            if (s) {
                checked++;
                if (effective_skip(o, s) != want) {
                    inv_violation(r, "'%s' is %s but should %sbe (%s)", label,
                              effective_skip(o, s) ? "skipped" : "not skipped", want ? "" : "not ", why);
                    inv_flag_step(r, o, s);
                }
            }
            free(label);
        }
    }
    r->n_checked = checked;
    if (pm->on_default_branch)
        inv_summary(r, "%zu step(s) checked: on the default branch %s no parent map is used", checked,
                pm->default_branch);
    else if (pm->fetched_build && pm->fetched)
        inv_summary(r, "%zu step(s) checked against the parent map fetched from build #%ld", checked,
                pm->fetched_build);
    else if (pm->fetched_build)
        inv_summary(r, "%zu step(s) checked: build #%ld's map was no drvmap (%s), so no parent map", checked,
                pm->fetched_build, pm->fetched_problem ? pm->fetched_problem : "?");
    else
        inv_summary(r, "%zu step(s) checked: no parent map was fetched", checked);
}
