/* fixtureresolve — the fixture loader's last pass: index derivation keys and
 * target labels, resolve the pending references to indices, order the
 * derivations inputs-first with a cycle check that names the cycle, and
 * check the targets' attribute tree (fixture-loader.h). */
#include "nix/fixture-loader.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

/* ---- resolution and checks ------------------------------------------- */

static const char *g_keys_base; /* qsort context: no qsort_r in C11 */

static int cmp_target_by_label(const void *a, const void *b)
{
    const struct fixture_target *t = (const struct fixture_target *)g_keys_base;
    return strcmp(t[*(const size_t *)a].label, t[*(const size_t *)b].label);
}

static int pos_before(struct fixture_pos a, struct fixture_pos b)
{
    return a.line < b.line || (a.line == b.line && a.column < b.column);
}

static int index_keys(struct loader *L)
{
    struct fixture *f = L->f;
    f->target_by_label_ = xcalloc(f->n_targets ? f->n_targets : 1, sizeof(size_t));
    for (size_t i = 0; i < f->n_targets; i++)
        f->target_by_label_[i] = i;
    g_keys_base = (const char *)f->targets;
    qsort(f->target_by_label_, f->n_targets, sizeof(size_t), cmp_target_by_label);
    for (size_t i = 1; i < f->n_targets; i++) {
        const struct fixture_target *a = &f->targets[f->target_by_label_[i - 1]],
                                    *b = &f->targets[f->target_by_label_[i]];
        if (!strcmp(a->label, b->label)) {
            const struct fixture_target *later = pos_before(a->pos, b->pos) ? b : a;
            return fx_fail_pos(L, later->pos, "target %s: duplicate label (another target has it)",
                               later->label);
        }
    }
    /* Only an inline target's key can clash with a `derivations` key (each
     * mapping's keys are unique, and so are labels); of several clashes,
     * the smallest key is reported, at the later of its two places. */
    const struct fixture_drv *clash = NULL;
    for (size_t i = 0; i < f->n_drvs; i++) {
        const struct fixture_drv *b = &f->drvs[i];
        size_t j = strindex_get(&f->drv_by_key_, b->key);
        if (j == STRINDEX_NONE) {
            strindex_put(&f->drv_by_key_, b->key, i);
            continue;
        }
        const struct fixture_drv *a = &f->drvs[j];
        const struct fixture_drv *later = pos_before(a->pos, b->pos) ? b : a;
        if (!clash || strcmp(later->key, clash->key) < 0)
            clash = later;
    }
    if (clash)
        return fx_fail_pos(L, clash->pos,
                           "target %s: its inline derivation's key '%s' is already a key in "
                           "derivations",
                           clash->key, clash->key);
    return 0;
}

static int resolve(struct loader *L)
{
    struct fixture *f = L->f;
    for (size_t i = 0; i < L->n_pend; i++) {
        struct pending *p = &L->pend[i];
        if (p->kind == REF_TARGET_LABEL) {
            size_t t = fixture_find_target(f, p->key);
            if (t == FIXTURE_NONE)
                return fx_fail_pos(L, p->pos, "%s: no target has the label '%s'", p->what, p->key);
            *p->dest = t;
            continue;
        }
        size_t d = fixture_find_drv(f, p->key);
        if (d == FIXTURE_NONE)
            return fx_fail_pos(L, p->pos, "%s: no derivation has the key '%s'", p->what, p->key);
        *p->dest = d;
        const struct fixture_drv *dv = &f->drvs[d];
        if (p->kind == REF_COMMAND && dv->n_outputs != 1)
            return fx_fail_pos(L, p->pos,
                               "command: derivation '%s' has %zu outputs; an extra step's command "
                               "must have exactly one",
                               p->key, dv->n_outputs);
        if (p->kind == REF_SCRIPT) {
            const char *out = p->output ? p->output : dv->outputs[0];
            size_t j = 0;
            while (j < dv->n_outputs && strcmp(dv->outputs[j], out))
                j++;
            if (j == dv->n_outputs)
                return fx_fail_pos(L, p->pos, "build script: '@{%s^%s}': derivation '%s' has no "
                                              "output '%s'",
                                   p->key, out, p->key, out);
            *p->output_dest = xstrdup(out);
        }
    }
    return 0;
}

/* Order derivations inputs-first (depth-first, file order) and reject cycles,
 * naming them. Edges: deps, script references, ifd. */
static int order_drvs(struct loader *L)
{
    struct fixture *f = L->f;
    size_t n = f->n_drvs;
    unsigned char *state = xcalloc(n ? n : 1, 1); /* 0 new, 1 on stack, 2 done */
    size_t *stack = xcalloc(n ? n : 1, sizeof(size_t));
    size_t *next = xcalloc(n ? n : 1, sizeof(size_t)); /* edge cursor per node */
    f->order = xcalloc(n ? n : 1, sizeof(size_t));
    size_t n_order = 0;
    int rc = 0;
    for (size_t root = 0; root < n && !rc; root++) {
        if (state[root])
            continue;
        size_t sp = 0;
        stack[sp++] = root;
        state[root] = 1;
        while (sp && !rc) {
            size_t v = stack[sp - 1];
            const struct fixture_drv *d = &f->drvs[v];
            size_t e = next[v]++, child = FIXTURE_NONE;
            size_t n_edges = d->n_deps + d->n_script + d->n_ifd;
            if (e >= n_edges) {
                state[v] = 2;
                f->order[n_order++] = v;
                sp--;
                continue;
            }
            if (e < d->n_deps)
                child = d->deps[e];
            else if (e < d->n_deps + d->n_script)
                child = d->script[e - d->n_deps].text ? FIXTURE_NONE : d->script[e - d->n_deps].drv;
            else
                child = d->ifd[e - d->n_deps - d->n_script];
            if (child == FIXTURE_NONE || state[child] == 2)
                continue;
            if (state[child] == 1) {
                size_t from = 0;
                while (stack[from] != child)
                    from++;
                struct strbuf sb = STRBUF_INIT;
                for (size_t i = from; i < sp; i++)
                    sb_addf(&sb, "'%s' -> ", f->drvs[stack[i]].key);
                sb_addf(&sb, "'%s'", f->drvs[child].key);
                rc = fx_fail_pos(L, f->drvs[child].pos, "dependency cycle: %s", sb_str(&sb));
                sb_release(&sb);
                break;
            }
            state[child] = 1;
            stack[sp++] = child;
        }
    }
    free(state);
    free(stack);
    free(next);
    return rc;
}

static int cmp_target_paths(const void *a, const void *b)
{
    const struct fixture_target *t = (const struct fixture_target *)g_keys_base;
    return fixture_target_path_cmp(&t[*(const size_t *)a], &t[*(const size_t *)b]);
}

/* Attributes a target's value carries itself (from `derivation` and readTree);
 * a target below it in the tree cannot use these names. */
static int reserved_attr(const struct fixture_drv *d, const char *name)
{
    static const char *const fixed[] = { "type", "drvPath", "outPath", "outputName", "drvAttrs",
                                         "all", "meta", "name", "system", "builder", "args",
                                         "PATH", "outputs", "deps", "__readTree", "__subtarget",
                                         NULL };
    for (size_t i = 0; fixed[i]; i++)
        if (!strcmp(fixed[i], name))
            return 1;
    for (size_t i = 0; i < d->n_outputs; i++)
        if (!strcmp(d->outputs[i], name))
            return 1;
    return 0;
}

static int check_tree(struct loader *L)
{
    struct fixture *f = L->f;
    size_t n = f->n_targets;
    size_t *idx = xcalloc(n ? n : 1, sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    g_keys_base = (const char *)f->targets;
    qsort(idx, n, sizeof(size_t), cmp_target_paths);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct fixture_target *a = &f->targets[idx[i]];
        size_t na = fixture_target_path_len(a);
        for (size_t j = i + 1; j < n && !rc; j++) {
            const struct fixture_target *b = &f->targets[idx[j]];
            size_t nb = fixture_target_path_len(b);
            if (nb < na)
                break;
            size_t k = 0;
            while (k < na && !strcmp(fixture_target_path_elem(a, k), fixture_target_path_elem(b, k)))
                k++;
            if (k < na)
                break;
            const struct fixture_target *later = pos_before(a->pos, b->pos) ? b : a;
            if (nb == na)
                rc = fx_fail_pos(L, later->pos,
                                 "target %s: its attribute path is already used by target %s",
                                 later->label, later == a ? b->label : a->label);
            else if (reserved_attr(&f->drvs[a->drv], fixture_target_path_elem(b, na)))
                rc = fx_fail_pos(L, b->pos,
                                 "target %s: attribute '%s' below target %s clashes with an "
                                 "attribute of that derivation",
                                 b->label, fixture_target_path_elem(b, na), a->label);
        }
    }
    free(idx);
    return rc;
}

int fx_resolve_and_check(struct loader *L)
{
    if (index_keys(L) < 0 || resolve(L) < 0 || order_drvs(L) < 0 || check_tree(L) < 0)
        return -1;
    return 0;
}
