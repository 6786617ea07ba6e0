/* depoteval — what evaluating a depot gives (see depot.h): an attribute
 * path resolved to a value (depot_resolve: targets, subtargets, extra-step
 * commands, parentOverride functions) and the target manifest
 * (depot_manifest), read through depot.h's accessors. */
#include <stdlib.h>
#include <string.h>

#include "nix/depot.h"
#include "strbuf.h"
#include "xalloc.h"

/* ---- attribute resolution --------------------------------------------- */

static int missing(struct lk_error *err, const char *name)
{
    return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "attribute '%s' missing", name);
}

static int not_a_set(struct lk_error *err, const char *kind)
{
    return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "value is %s while a set was expected", kind);
}

/* Whether target t's full path starts with attrs[0..n). */
static int has_prefix(const struct fixture_target *t, const char *const *attrs, size_t n)
{
    if (fixture_target_path_len(t) < n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(fixture_target_path_elem(t, i), attrs[i]))
            return 0;
    return 1;
}

static void set_value(struct depot_value *out, int kind, size_t drv, const char *output)
{
    out->kind = kind;
    out->drv = drv;
    out->output = output;
}

/* The rest of a path below an extra step `s`. */
static int resolve_step(const struct depot *d, const struct fixture_extra_step *s,
                        const char *const *attrs, size_t n, struct depot_value *out,
                        struct lk_error *err)
{
    if (!n) {
        set_value(out, DV_ATTRS, (size_t)-1, NULL);
        return 0;
    }
    const char *a = attrs[0];
    if (!strcmp(a, "command")) {
        size_t i = depot_index_of_fixture_drv(d, s->command);
        if (n == 1) {
            set_value(out, DV_DRV, i, depot_fixture(d)->drvs[s->command].outputs[0]);
            return 0;
        }
        const struct fixture_drv *fd = &depot_fixture(d)->drvs[s->command];
        for (size_t j = 0; j < fd->n_outputs; j++)
            if (n == 2 && !strcmp(attrs[1], fd->outputs[j])) {
                set_value(out, DV_DRV, i, fd->outputs[j]);
                return 0;
            }
        return missing(err, attrs[1]);
    }
    if (!strcmp(a, "parentOverride") && s->parent_override != FIXTURE_NONE) {
        if (n > 1)
            return not_a_set(err, "a function");
        set_value(out, DV_FUNCTION, depot_index_of_fixture_drv(d, s->parent_override), NULL);
        return 0;
    }
    int set = (!strcmp(a, "label") && s->label) || (!strcmp(a, "phase") && s->phase) ||
              (!strcmp(a, "needsOutput") && s->needs_output != FIXTURE_UNSET) ||
              (!strcmp(a, "alwaysRun") && s->always_run != FIXTURE_UNSET) ||
              (!strcmp(a, "softFail") && s->soft_fail != FIXTURE_UNSET) ||
              (!strcmp(a, "branches") && s->branches) || (!strcmp(a, "prompt") && s->prompt) ||
              (!strcmp(a, "skip") && s->skip) || (!strcmp(a, "agents") && s->agents);
    if (!set)
        return missing(err, a);
    if (n > 1)
        return not_a_set(err, "not a set");
    set_value(out, DV_OTHER, (size_t)-1, NULL);
    return 0;
}

/* The rest of a path below `<target>.meta`. */
static int resolve_meta(const struct depot *d, const struct fixture_target *t,
                        const char *const *attrs, size_t n, struct depot_value *out,
                        struct lk_error *err)
{
    if (!n) {
        set_value(out, DV_ATTRS, (size_t)-1, NULL);
        return 0;
    }
    if (!strcmp(attrs[0], "timeout") && t->has_timeout) {
        if (n > 1)
            return not_a_set(err, "an integer");
        set_value(out, DV_OTHER, (size_t)-1, NULL);
        return 0;
    }
    if (strcmp(attrs[0], "ci") || !t->has_ci)
        return missing(err, attrs[0]);
    if (n == 1) {
        set_value(out, DV_ATTRS, (size_t)-1, NULL);
        return 0;
    }
    const char *a = attrs[1];
    if (!strcmp(a, "extraSteps") && t->has_extra_steps) {
        if (n == 2) {
            set_value(out, DV_ATTRS, (size_t)-1, NULL);
            return 0;
        }
        for (size_t i = 0; i < t->n_steps; i++)
            if (!strcmp(t->steps[i].name, attrs[2]))
                return resolve_step(d, &t->steps[i], attrs + 3, n - 3, out, err);
        return missing(err, attrs[2]);
    }
    int set = (!strcmp(a, "buildkiteExtraDeps") && t->has_extra_deps) ||
              (!strcmp(a, "buildkiteExtraStepArgs") && t->extra_step_args) ||
              (!strcmp(a, "postBuild") && t->post_build);
    if (!set)
        return missing(err, a);
    if (n > 2)
        return not_a_set(err, "not a set");
    set_value(out, DV_OTHER, (size_t)-1, NULL);
    return 0;
}

int depot_resolve(const struct depot *d, const char *const *attrs, size_t n,
                  struct depot_value *out, struct lk_error *err)
{
    const struct fixture *f = depot_fixture(d);
    set_value(out, DV_ATTRS, (size_t)-1, NULL);
    if (!n)
        return 0;
    if (!strcmp(attrs[0], "ci")) {
        if (n == 1)
            return 0;
        if (strcmp(attrs[1], "targets") && strcmp(attrs[1], "pipeline"))
            return missing(err, attrs[1]);
        if (n > 2)
            return strcmp(attrs[1], "targets") ? missing(err, attrs[2]) : not_a_set(err, "a list");
        set_value(out, DV_OTHER, (size_t)-1, NULL);
        return 0;
    }
    /* Walk down while the prefix is an attribute set of targets or a target. */
    for (size_t depth = 1; depth <= n; depth++) {
        const struct fixture_target *node = NULL;
        int any = 0;
        for (size_t i = 0; i < f->n_targets; i++) {
            const struct fixture_target *t = &f->targets[i];
            if (!has_prefix(t, attrs, depth))
                continue;
            any = 1;
            if (fixture_target_path_len(t) == depth)
                node = t;
        }
        if (!any)
            return missing(err, attrs[depth - 1]);
        if (!node) {
            if (depth == n)
                return 0; /* DV_ATTRS */
            continue;
        }
        const struct fixture_drv *fd = &f->drvs[node->drv];
        size_t di = depot_index_of_fixture_drv(d, node->drv);
        if (depth == n) {
            set_value(out, DV_DRV, di, fd->outputs[0]);
            return 0;
        }
        const char *next = attrs[depth];
        if (!strcmp(next, "meta") && node->has_meta)
            return resolve_meta(d, node, attrs + depth + 1, n - depth - 1, out, err);
        for (size_t j = 0; j < fd->n_outputs; j++)
            if (!strcmp(next, fd->outputs[j])) {
                if (n > depth + 1)
                    return missing(err, attrs[depth + 1]);
                set_value(out, DV_DRV, di, fd->outputs[j]);
                return 0;
            }
        /* Attributes every target value has (from `derivation`, readTree). */
        static const char *const plain[] = { "drvPath", "outPath", "name", "system", "builder",
                                             "args", "PATH", "type", "outputName", "drvAttrs",
                                             "all", "__readTree", NULL };
        int is_plain = (!strcmp(next, "__subtarget") && node->subtarget) ||
                       (!strcmp(next, "deps") && fd->n_deps) ||
                       (!strcmp(next, "outputs") && fd->outputs_explicit);
        for (size_t j = 0; plain[j] && !is_plain; j++)
            is_plain = !strcmp(next, plain[j]);
        if (is_plain) {
            if (n > depth + 1)
                return not_a_set(err, "not a set");
            set_value(out, DV_OTHER, (size_t)-1, NULL);
            return 0;
        }
        /* Otherwise a child target below this one (checked next round). */
    }
    return 0;
}

/* ---- manifest --------------------------------------------------------- */

static json_t *string_array(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *drv_ref(const struct depot *d, size_t fixture_index, int with_outputs)
{
    const struct fixture_drv *fd = &depot_fixture(d)->drvs[fixture_index];
    json_t *o = json_object();
    json_object_set_new(o, "drvPath", json_string(depot_drv_at(d, depot_index_of_fixture_drv(d, fixture_index))->drv_path));
    if (with_outputs)
        json_object_set_new(o, "outputs", string_array(fd->outputs, fd->n_outputs));
    return o;
}

static json_t *tri_bool(int v)
{
    return json_boolean(v == 1);
}

static json_t *manifest_step(const struct depot *d, const struct fixture_extra_step *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "command", drv_ref(d, s->command, 1));
    if (s->label)
        json_object_set_new(o, "label", json_string(s->label));
    if (s->needs_output != FIXTURE_UNSET)
        json_object_set_new(o, "needsOutput", tri_bool(s->needs_output));
    if (s->parent_override != FIXTURE_NONE)
        json_object_set_new(o, "parentOverride", drv_ref(d, s->parent_override, 0));
    if (s->branches)
        json_object_set_new(o, "branches", string_array(s->branches, s->n_branches));
    if (s->always_run != FIXTURE_UNSET)
        json_object_set_new(o, "alwaysRun", tri_bool(s->always_run));
    if (s->prompt)
        json_object_set(o, "prompt", s->prompt);
    if (s->soft_fail != FIXTURE_UNSET)
        json_object_set_new(o, "softFail", tri_bool(s->soft_fail));
    if (s->phase)
        json_object_set_new(o, "phase", json_string(s->phase));
    if (s->skip)
        json_object_set(o, "skip", s->skip);
    if (s->agents)
        json_object_set(o, "agents", s->agents);
    return o;
}

json_t *depot_manifest(const struct depot *d, struct lk_error *err)
{
    (void)err;
    const struct fixture *f = depot_fixture(d);
    json_t *m = json_object();
    json_object_set_new(m, "version", json_integer(1));
    json_object_set_new(m, "pipeline", json_deep_copy(f->pipeline));
    json_t *targets = json_array();
    for (size_t i = 0; i < f->n_targets; i++) {
        const struct fixture_target *t = &f->targets[i];
        const struct fixture_drv *fd = &f->drvs[t->drv];
        json_t *o = json_object();
        json_object_set_new(o, "attrPath", string_array(t->attr_path, t->n_attr_path));
        if (t->subtarget)
            json_object_set_new(o, "subtarget", json_string(t->subtarget));
        json_object_set_new(o, "drvPath", json_string(depot_drv_at(d, depot_index_of_fixture_drv(d, t->drv))->drv_path));
        json_object_set_new(o, "outputs", string_array(fd->outputs, fd->n_outputs));
        {   /* always, `{}` when none: manifest.nix gives `target.meta or { }` */
            json_t *meta = json_object();
            if (t->has_timeout)
                json_object_set_new(meta, "timeout", json_integer(t->timeout));
            if (t->has_ci) {
                json_t *ci = json_object();
                if (t->has_extra_deps)
                    json_object_set_new(ci, "buildkiteExtraDeps",
                                        string_array(t->extra_deps, t->n_extra_deps));
                if (t->extra_step_args)
                    json_object_set(ci, "buildkiteExtraStepArgs", t->extra_step_args);
                if (t->post_build)
                    json_object_set_new(ci, "postBuild", json_string(t->post_build));
                if (t->has_extra_steps) {
                    json_t *steps = json_object();
                    for (size_t j = 0; j < t->n_steps; j++)
                        json_object_set_new(steps, t->steps[j].name, manifest_step(d, &t->steps[j]));
                    json_object_set_new(ci, "extraSteps", steps);
                }
                json_object_set_new(meta, "ci", ci);
            }
            json_object_set_new(o, "meta", meta);
        }
        json_array_append_new(targets, o);
    }
    json_object_set_new(m, "targets", targets);
    return m;
}
