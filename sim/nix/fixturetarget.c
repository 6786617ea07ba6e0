/* fixturetarget — the fixture loader's targets: attribute paths and labels,
 * `drv` or an inline derivation, and `meta` with its ci settings and extra
 * steps (fixture-loader.h); a target's full path and the order of full
 * paths (fixture.h). */
#include "nix/fixture-loader.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

/* ---- targets ----------------------------------------------------------- */

static const char *const step_fields[] = {
    "command", "label", "needsOutput", "parentOverride", "branches", "alwaysRun",
    "prompt", "softFail", "phase", "skip", "agents", NULL,
};
enum { SF_COMMAND, SF_LABEL, SF_NEEDS, SF_OVERRIDE, SF_BRANCHES, SF_ALWAYS, SF_PROMPT,
       SF_SOFT, SF_PHASE, SF_SKIP, SF_AGENTS, SF_N };

static int cmp_step_name(const void *a, const void *b)
{
    return strcmp(((const struct fixture_extra_step *)a)->name,
                  ((const struct fixture_extra_step *)b)->name);
}

static const char *step_label(const struct fixture_extra_step *s)
{
    return s->label ? s->label : s->name;
}

static int load_extra_steps(struct loader *L, struct fixture_target *t, struct ynode *n)
{
    struct ynode_pair *pairs;
    size_t k;
    if (fx_get_map(L, n, "extraSteps", &pairs, &k) < 0)
        return -1;
    t->has_extra_steps = 1;
    t->steps = xcalloc(k ? k : 1, sizeof *t->steps);
    for (size_t i = 0; i < k; i++) {
        struct ynode *kn = fx_node(L, pairs[i].key), *vn = fx_node(L, pairs[i].value);
        struct fixture_extra_step *s = &t->steps[t->n_steps++];
        s->name = xstrdup(fx_scalar(kn));
        s->pos = fx_pos_of(kn);
        s->command = s->parent_override = FIXTURE_NONE;
        s->needs_output = s->always_run = s->soft_fail = FIXTURE_UNSET;
        if (!*s->name)
            return fx_fail(L, kn, "extraSteps: a step name must not be empty");
        char *what = xasprintf("extra step '%s' of %s", s->name, t->label);
        struct ynode *v[SF_N];
        int r = fx_get_fields(L, vn, what, step_fields, v);
        free(what);
        if (r < 0)
            return -1;
        if (!v[SF_COMMAND])
            return fx_fail(L, vn, "extra step '%s' of %s: missing key 'command' (a derivation key)",
                           s->name, t->label);
        char *key = NULL;
        if (fx_get_string(L, v[SF_COMMAND], "command", &key) < 0)
            return -1;
        fx_add_pending(L, REF_COMMAND, key, &s->command, "command", fx_pos_of(v[SF_COMMAND]));
        free(key);
        if (v[SF_OVERRIDE]) {
            key = NULL;
            if (fx_get_string(L, v[SF_OVERRIDE], "parentOverride", &key) < 0)
                return -1;
            fx_add_pending(L, REF_DRV, key, &s->parent_override, "parentOverride",
                           fx_pos_of(v[SF_OVERRIDE]));
            free(key);
        }
        if (v[SF_LABEL] && fx_get_string(L, v[SF_LABEL], "label", &s->label) < 0)
            return -1;
        if (v[SF_PHASE] && fx_get_string(L, v[SF_PHASE], "phase", &s->phase) < 0)
            return -1;
        if (v[SF_NEEDS] && fx_get_bool(L, v[SF_NEEDS], "needsOutput", &s->needs_output) < 0)
            return -1;
        if (v[SF_ALWAYS] && fx_get_bool(L, v[SF_ALWAYS], "alwaysRun", &s->always_run) < 0)
            return -1;
        if (v[SF_SOFT] && fx_get_bool(L, v[SF_SOFT], "softFail", &s->soft_fail) < 0)
            return -1;
        if (v[SF_BRANCHES] &&
            fx_get_string_list(L, v[SF_BRANCHES], "branches", &s->branches, &s->n_branches) < 0)
            return -1;
        struct ynode *bs[] = { v[SF_PROMPT], v[SF_SKIP] };
        json_t **bd[] = { &s->prompt, &s->skip };
        const char *bn[] = { "prompt", "skip" };
        for (int j = 0; j < 2; j++) {
            if (!bs[j])
                continue;
            int b = fx_bool_value(bs[j]);
            if (b >= 0)
                *bd[j] = json_boolean(b);
            else if (bs[j]->type == YAML_SCALAR_NODE && !fx_is_null(bs[j])) {
                char *str = NULL;
                if (fx_get_string(L, bs[j], bn[j], &str) < 0)
                    return -1;
                *bd[j] = json_string(str);
                free(str);
                if (!*bd[j])
                    return fx_fail(L, bs[j], "%s: the string is not valid UTF-8", bn[j]);
            } else
                return fx_fail(L, bs[j], "%s: expected a boolean or a string, found %s", bn[j],
                               fx_node_kind(bs[j]));
        }
        if (v[SF_AGENTS]) {
            if (v[SF_AGENTS]->type == YAML_SCALAR_NODE)
                return fx_fail(L, v[SF_AGENTS], "agents: expected a mapping or a list, found %s",
                               fx_node_kind(v[SF_AGENTS]));
            if (!(s->agents = fx_to_json(L, v[SF_AGENTS], 0, "agents")))
                return -1;
        }
    }
    /* Sorted by name after references are resolved (they point into steps). */
    for (size_t i = 0; i < t->n_steps; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(step_label(&t->steps[i]), step_label(&t->steps[j]))) {
                const struct fixture_extra_step *later =
                    t->steps[i].pos.line > t->steps[j].pos.line ||
                            (t->steps[i].pos.line == t->steps[j].pos.line &&
                             t->steps[i].pos.column > t->steps[j].pos.column)
                        ? &t->steps[i]
                        : &t->steps[j];
                return fx_fail_pos(L, later->pos,
                                   "extra step '%s' of %s: duplicate label '%s' (extra steps of "
                                   "one target need distinct labels)",
                                   later->name, t->label, step_label(later));
            }
    return 0;
}

static int load_meta(struct loader *L, struct fixture_target *t, struct ynode *n)
{
    static const char *const meta_fields[] = { "timeout", "ci", NULL };
    static const char *const ci_fields[] = { "extraSteps", "buildkiteExtraDeps",
                                             "buildkiteExtraStepArgs", "postBuild", NULL };
    struct ynode *v[2], *c[4];
    char *what = xasprintf("meta of %s", t->label);
    int r = fx_get_fields(L, n, what, meta_fields, v);
    free(what);
    if (r < 0)
        return -1;
    t->has_meta = 1;
    if (v[0]) {
        if (fx_get_int(L, v[0], "timeout", 0, INT_MAX, &t->timeout) < 0)
            return -1;
        t->has_timeout = 1;
    }
    if (!v[1])
        return 0;
    what = xasprintf("meta.ci of %s", t->label);
    r = fx_get_fields(L, v[1], what, ci_fields, c);
    free(what);
    if (r < 0)
        return -1;
    t->has_ci = 1;
    if (c[1]) {
        if (fx_get_string_list(L, c[1], "buildkiteExtraDeps", &t->extra_deps, &t->n_extra_deps) < 0)
            return -1;
        t->has_extra_deps = 1;
    }
    if (c[2]) {
        if (c[2]->type != YAML_MAPPING_NODE && !fx_is_null(c[2]))
            return fx_fail(L, c[2], "buildkiteExtraStepArgs: expected a mapping, found %s",
                           fx_node_kind(c[2]));
        if (fx_is_null(c[2]))
            t->extra_step_args = json_object();
        else if (!(t->extra_step_args = fx_to_json(L, c[2], 0, "buildkiteExtraStepArgs")))
            return -1;
    }
    if (c[3] && fx_get_string(L, c[3], "postBuild", &t->post_build) < 0)
        return -1;
    if (c[0] && load_extra_steps(L, t, c[0]) < 0)
        return -1;
    return 0;
}

static int check_attr_name(struct loader *L, struct ynode *n, const char *s, const char *what)
{
    if (!*s)
        return fx_fail(L, n, "%s: an attribute name must not be empty", what);
    if (strchr(s, '/'))
        return fx_fail(L, n, "%s: attribute name '%s' must not contain '/'", what, s);
    return 0;
}

static int load_target(struct loader *L, struct fixture_target *t, struct ynode *n)
{
    static const char *const fields[] = { "attrPath", "subtarget", "drv", "meta", "build",
                                          "deps", "outputs", "fail", "ifd", "name", NULL };
    struct ynode *v[10];
    if (fx_get_fields(L, n, "target", fields, v) < 0)
        return -1;
    t->pos = fx_pos_of(n);
    t->drv = FIXTURE_NONE;
    if (!v[0])
        return fx_fail(L, n, "target: missing key 'attrPath' (a list of attribute names)");
    if (fx_get_string_list(L, v[0], "attrPath", &t->attr_path, &t->n_attr_path) < 0)
        return -1;
    if (!t->n_attr_path)
        return fx_fail(L, v[0], "attrPath: expected at least one attribute name");
    if (t->n_attr_path > FX_MAX_DEPTH)
        return fx_fail(L, v[0], "attrPath: expected at most %d attribute names", FX_MAX_DEPTH);
    for (size_t i = 0; i < t->n_attr_path; i++)
        if (check_attr_name(L, v[0], t->attr_path[i], "attrPath") < 0)
            return -1;
    if (!strcmp(t->attr_path[0], "ci"))
        return fx_fail(L, v[0], "attrPath: the top-level attribute 'ci' is reserved (ci.targets)");
    if (v[1]) {
        if (fx_get_string(L, v[1], "subtarget", &t->subtarget) < 0 ||
            check_attr_name(L, v[1], t->subtarget, "subtarget") < 0)
            return -1;
    }
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < t->n_attr_path; i++)
        sb_addf(&sb, "%s%s", i ? "/" : "", t->attr_path[i]);
    if (t->subtarget)
        sb_addf(&sb, ":%s", t->subtarget);
    t->label = sb_detach(&sb);

    int has_inline = 0;
    for (int i = 4; i < 10; i++)
        has_inline |= v[i] != NULL;
    if (v[2] && has_inline)
        return fx_fail(L, v[2], "target %s: 'drv' names a derivation; it cannot be combined with "
                                "an inline derivation (build, deps, outputs, fail, ifd, name)",
                       t->label);
    if (v[2]) {
        char *key = NULL;
        if (fx_get_string(L, v[2], "drv", &key) < 0)
            return -1;
        fx_add_pending(L, REF_DRV, key, &t->drv, "drv", fx_pos_of(v[2]));
        free(key);
    } else if (has_inline) {
        if (fx_check_key(L, n, t->label, "target") < 0)
            return -1;
        size_t idx = fx_new_drv(L, t->label, n);
        L->f->drvs[idx].inline_target = 1;
        /* The drv index is resolved with the others (and checked unique). */
        struct ynode *dv[DF_N] = { v[4], v[5], v[6], v[7], v[8], v[9] };
        if (fx_load_drv_fields(L, idx, dv, "target") < 0)
            return -1;
        t->drv = idx;
    } else {
        fx_add_pending(L, REF_DRV, t->label, &t->drv, "drv (default: the target's label)",
                       fx_pos_of(n));
    }
    if (v[3] && load_meta(L, t, v[3]) < 0)
        return -1;
    return 0;
}

int fx_load_targets(struct loader *L, struct ynode *n)
{
    size_t *items;
    size_t k;
    if (fx_get_seq(L, n, "targets", &items, &k) < 0)
        return -1;
    L->f->targets = xcalloc(k ? k : 1, sizeof *L->f->targets);
    for (size_t i = 0; i < k; i++) {
        struct fixture_target *t = &L->f->targets[L->f->n_targets++];
        if (load_target(L, t, fx_node(L, items[i])) < 0)
            return -1;
    }
    return 0;
}

void fx_sort_steps(struct fixture_target *t)
{
    if (t->n_steps > 1)
        qsort(t->steps, t->n_steps, sizeof *t->steps, cmp_step_name);
}

size_t fixture_target_path_len(const struct fixture_target *t) { return t->n_attr_path + (t->subtarget != NULL); }

const char *fixture_target_path_elem(const struct fixture_target *t, size_t i)
{
    return i < t->n_attr_path ? t->attr_path[i] : t->subtarget;
}

int fixture_target_path_cmp(const struct fixture_target *a, const struct fixture_target *b)
{
    size_t na = fixture_target_path_len(a), nb = fixture_target_path_len(b);
    for (size_t i = 0; i < na && i < nb; i++) {
        int c = strcmp(fixture_target_path_elem(a, i), fixture_target_path_elem(b, i));
        if (c)
            return c;
    }
    return na < nb ? -1 : na > nb;
}
