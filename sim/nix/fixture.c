/* fixture — loads and validates a fixture depot file (see fixture.h and
 * fixtures/README.md for the format): the top level (fixture_load, the
 * root mapping, pipeline settings, `unchanged`, `expect`, `run`), the
 * lookups and fixture_free(). `parent:` is fixtureparent.c's.
 *
 * The file is parsed with libyaml into the nodes of yamltree.h (libyaml's
 * own document, the same nodes, was several times slower to build for large
 * fixtures). The walk fills the model with references still as keys (kept
 * in a pending list with their YAML positions); once every derivation
 * (including inline target ones) is known the references are resolved to
 * indices, the attribute tree and labels are checked, and the derivation
 * graph is ordered (inputs first) with a cycle check that names the cycle.
 * Generic values (pipeline settings, agents, step args) become jansson
 * values under a depth and size budget, so aliases cannot blow up memory or
 * the stack.
 *
 * The loader's other parts, sharing fixture-loader.h: fixtureyaml.c (typed
 * accessors, values to JSON), fixturedrv.c (derivations, build scripts),
 * fixturetarget.c (targets, meta, extra steps), fixtureresolve.c
 * (references, order, cycle and tree checks) and fixtureparent.c (the
 * parent commit's depot). */
#include "nix/fixture.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "nix/fixture-loader.h"
#include "strbuf.h"
#include "xalloc.h"

const char *const fixture_invariants[] = {
    "no-early-extra-step-build", "construction-builds", "script-built-at-execution",
    "result-link", "tree-clean", "pipeline-valid", "skip-consistent", "gc-fallback", NULL,
};

/* ---- pending references ---------------------------------------------- */

void fx_add_pending(struct loader *L, enum ref_kind kind, const char *key, size_t *dest,
                    const char *what, struct fixture_pos pos)
{
    XGROW(L->pend, L->alloc_pend, L->n_pend + 1);
    struct pending *p = &L->pend[L->n_pend++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->key = xstrdup(key);
    p->dest = dest;
    p->what = what;
    p->pos = pos;
}

int fx_get_ref_list(struct loader *L, struct ynode *n, enum ref_kind kind, const char *what,
                    size_t **dest, size_t *count)
{
    size_t *items;
    size_t k;
    if (fx_get_seq(L, n, what, &items, &k) < 0)
        return -1;
    *dest = xcalloc(k ? k : 1, sizeof(size_t));
    *count = k;
    for (size_t i = 0; i < k; i++) {
        char *key = NULL;
        struct ynode *en = fx_node(L, items[i]);
        if (fx_get_string(L, en, what, &key) < 0)
            return -1;
        (*dest)[i] = FIXTURE_NONE;
        fx_add_pending(L, kind, key, &(*dest)[i], what, fx_pos_of(en));
        free(key);
    }
    return 0;
}

/* ---- top level ------------------------------------------------------- */

static int load_pipeline_setting(struct loader *L, const char *name, struct ynode *n)
{
    json_t *j;
    if (!strcmp(name, "headBranch")) {
        char *s = NULL;
        if (fx_get_string(L, n, name, &s) < 0)
            return -1;
        j = json_string(s);
        free(s);
        if (!j)
            return fx_fail(L, n, "%s: the string is not valid UTF-8", name);
    } else if (!strcmp(name, "cancelOnBuildFailing")) {
        int b;
        if (fx_get_bool(L, n, name, &b) < 0)
            return -1;
        j = json_boolean(b);
    } else if (!strcmp(name, "phases") || !strcmp(name, "activePhases")) {
        char **v;
        size_t k;
        if (fx_get_string_list(L, n, name, &v, &k) < 0)
            return -1;
        j = json_array();
        for (size_t i = 0; i < k; i++) {
            json_t *e = json_string(v[i]);
            if (!e) {
                json_decref(j);
                strv_free(v, k);
                return fx_fail(L, n, "%s: a phase name is not valid UTF-8", name);
            }
            json_array_append_new(j, e);
        }
        strv_free(v, k);
    } else if (!strcmp(name, "defaultStepOverrides")) {
        if (n->type != YAML_MAPPING_NODE && !fx_is_null(n))
            return fx_fail(L, n, "%s: expected a mapping, found %s", name, fx_node_kind(n));
        j = fx_is_null(n) ? json_object() : fx_to_json(L, n, 0, name);
    } else { /* additionalSteps, postBuildSteps */
        if (n->type != YAML_SEQUENCE_NODE && !fx_is_null(n))
            return fx_fail(L, n, "%s: expected a list of steps, found %s", name, fx_node_kind(n));
        j = fx_is_null(n) ? json_array() : fx_to_json(L, n, 0, name);
    }
    if (!j)
        return -1;
    json_object_set_new(L->f->pipeline, name, j);
    return 0;
}

static int load_expect(struct loader *L, struct ynode *n)
{
    static const char *const fields[] = { "construction_builds", "steps", "built_by",
                                          "violations", "generate_exit", "generate_error",
                                          "not_simulated", NULL };
    struct ynode *v[7];
    struct fixture_expect *e = &L->f->expect;
    if (fx_get_fields(L, n, "expect", fields, v) < 0)
        return -1;
    if (v[0] && fx_get_ref_list(L, v[0], REF_DRV, "construction_builds", &e->construction_builds,
                                &e->n_construction_builds) < 0)
        return -1;
    if (v[1]) {
        struct ynode_pair *pairs;
        size_t k;
        if (fx_get_map(L, v[1], "expect.steps", &pairs, &k) < 0)
            return -1;
        e->steps = xcalloc(k ? k : 1, sizeof *e->steps);
        for (size_t i = 0; i < k; i++) {
            struct ynode *kn = fx_node(L, pairs[i].key), *vn = fx_node(L, pairs[i].value);
            struct fixture_expect_step *s = &e->steps[e->n_steps++];
            s->label = xstrdup(fx_scalar(kn));
            s->pos = fx_pos_of(kn);
            char *o = NULL;
            if (fx_get_string(L, vn, "expect.steps", &o) < 0)
                return -1;
            int oc = bk_outcome_parse(o);
            free(o);
            if (oc < 0)
                return fx_fail(L, vn, "expect.steps: unknown outcome '%s' (expected one of: %s)",
                               fx_scalar(vn), bk_outcome_names());
            s->outcome = (enum bk_outcome)oc;
        }
    }
    if (v[2]) {
        struct ynode_pair *pairs;
        size_t k;
        if (fx_get_map(L, v[2], "built_by", &pairs, &k) < 0)
            return -1;
        e->built_by = xcalloc(k ? k : 1, sizeof *e->built_by);
        for (size_t i = 0; i < k; i++) {
            struct ynode *kn = fx_node(L, pairs[i].key), *vn = fx_node(L, pairs[i].value);
            struct fixture_built_by *b = &e->built_by[e->n_built_by++];
            b->drv = FIXTURE_NONE;
            b->pos = fx_pos_of(kn);
            if (fx_get_string(L, vn, "built_by", &b->step) < 0)
                return -1;
            fx_add_pending(L, REF_DRV, fx_scalar(kn), &b->drv, "built_by", fx_pos_of(kn));
        }
    }
    if (v[3]) {
        if (fx_get_string_list(L, v[3], "violations", &e->violations, &e->n_violations) < 0)
            return -1;
        for (size_t i = 0; i < e->n_violations; i++) {
            size_t j = 0;
            while (fixture_invariants[j] && strcmp(fixture_invariants[j], e->violations[i]))
                j++;
            if (!fixture_invariants[j]) {
                size_t *items = v[3]->items.start;
                struct strbuf sb = STRBUF_INIT;
                for (j = 0; fixture_invariants[j]; j++)
                    sb_addf(&sb, "%s%s", j ? ", " : "", fixture_invariants[j]);
                int r = fx_fail(L, fx_node(L, items[i]),
                                "violations: unknown invariant '%s' (expected one of: %s)",
                                e->violations[i], sb_str(&sb));
                sb_release(&sb);
                return r;
            }
        }
    }
    if (v[4]) {
        long long x;
        if (fx_get_int(L, v[4], "generate_exit", 0, 255, &x) < 0)
            return -1;
        e->generate_exit = (int)x;
    }
    if (v[5] && fx_get_string(L, v[5], "generate_error", &e->generate_error) < 0)
        return -1;
    if (v[6] && fx_get_string_list(L, v[6], "not_simulated", &e->not_simulated, &e->n_not_simulated) < 0)
        return -1;
    return 0;
}

static int load_build(struct loader *L, struct ynode *n)
{
    static const char *const fields[] = { "message", "tag", "source", "pull_request", NULL };
    struct ynode *v[4];
    struct fixture_build *b = &L->f->build;
    if (fx_get_fields(L, n, "build", fields, v) < 0)
        return -1;
    char **dest[] = { &b->message, &b->tag, &b->source };
    for (int i = 0; i < 3; i++)
        if (v[i] && fx_get_string(L, v[i], fields[i], dest[i]) < 0)
            return -1;
    if (!v[3])
        return 0;
    static const char *const pr_fields[] = { "id", "base_branch", "repository", "draft", "labels", NULL };
    struct ynode *p[5];
    if (fx_get_fields(L, v[3], "build.pull_request", pr_fields, p) < 0)
        return -1;
    b->has_pull_request = 1;
    char **pdest[] = { &b->pr_id, &b->pr_base_branch, &b->pr_repository };
    for (int i = 0; i < 3; i++)
        if (p[i] && fx_get_string(L, p[i], pr_fields[i], pdest[i]) < 0)
            return -1;
    if (p[3] && fx_get_bool(L, p[3], "draft", &b->pr_draft) < 0)
        return -1;
    if (p[4] && fx_get_string_list(L, p[4], "labels", &b->pr_labels, &b->n_pr_labels) < 0)
        return -1;
    return 0;
}

static int load_run(struct loader *L, struct ynode *n)
{
    static const char *const fields[] = { "agents", "unblock", "gc_drvs", "nix", "nix_reason", "api", NULL };
    struct ynode *v[6];
    if (fx_get_fields(L, n, "run", fields, v) < 0)
        return -1;
    if (v[0]) {
        long long x;
        if (fx_get_int(L, v[0], "agents", 1, 64, &x) < 0)
            return -1;
        L->f->run.agents = (int)x;
    }
    if (v[1] && fx_get_bool(L, v[1], "unblock", &L->f->run.unblock) < 0)
        return -1;
    if (v[2] && fx_get_bool(L, v[2], "gc_drvs", &L->f->run.gc_drvs) < 0)
        return -1;
    if (v[3]) {
        char **names;
        size_t k;
        if (fx_get_string_list(L, v[3], "nix", &names, &k) < 0)
            return -1;
        int sim = 0, real = 0, bad = -1;
        for (size_t i = 0; i < k; i++) {
            if (!strcmp(names[i], "sim"))
                sim = 1;
            else if (!strcmp(names[i], "real"))
                real = 1;
            else if (bad < 0)
                bad = (int)i;
        }
        char *word = bad >= 0 ? xstrdup(names[bad]) : NULL;
        strv_free(names, k);
        if (word) {
            int rc = fx_fail(L, v[3], "run.nix: unknown Nix '%s' (expected sim, real)", word);
            free(word);
            return rc;
        }
        if (!sim)
            return fx_fail(L, v[3], "run.nix: every fixture plays on nixsim ('sim' must be listed)");
        L->f->run.nix_real = real;
    }
    if (v[4] && fx_get_string(L, v[4], "nix_reason", &L->f->run.nix_reason) < 0)
        return -1;
    if (!L->f->run.nix_real && (!L->f->run.nix_reason || !*L->f->run.nix_reason))
        return fx_fail(L, v[3], "run.nix: a fixture real Nix does not play needs run.nix_reason (why)");
    if (L->f->run.nix_real && v[4])
        return fx_fail(L, v[4], "run.nix_reason: only for a fixture that real Nix does not play (run.nix: [sim])");
    if (v[5]) {
        static const char *const apis[] = { "ok", "garbage", "wrong-token" };
        char *s = NULL;
        if (fx_get_string(L, v[5], "api", &s) < 0)
            return -1;
        int k = 0;
        while (k < 3 && strcmp(apis[k], s))
            k++;
        free(s);
        if (k == 3)
            return fx_fail(L, v[5], "api: expected ok, garbage or wrong-token, found '%s'", fx_scalar(v[5]));
        L->f->run.api = (enum fixture_api)k;
    }
    return 0;
}

size_t fixture_find_drv(const struct fixture *f, const char *key)
{
    size_t i = strindex_get(&f->drv_by_key_, key);
    return i == STRINDEX_NONE ? FIXTURE_NONE : i;
}

size_t fixture_find_target(const struct fixture *f, const char *label)
{
    size_t lo = 0, hi = f->n_targets;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->targets[f->target_by_label_[mid]].label, label);
        if (!c)
            return f->target_by_label_[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return FIXTURE_NONE;
}

static int load_root(struct loader *L, struct ynode *root)
{
    static const char *const fields[] = {
        "depot", "description", "branch", "derivations", "targets", "unchanged", "expect", "run",
        "parent", "build", "changed_files",
        "headBranch", "phases", "activePhases", "cancelOnBuildFailing", "additionalSteps",
        "postBuildSteps", "defaultStepOverrides", NULL,
    };
    enum { F_DEPOT, F_DESC, F_BRANCH, F_DRVS, F_TARGETS, F_UNCHANGED, F_EXPECT, F_RUN, F_PARENT,
           F_BUILD, F_CHANGED, F_PIPE0, F_N = 18 };
    struct ynode *v[F_N];
    struct fixture *f = L->f;
    if (root->type != YAML_MAPPING_NODE)
        return fx_fail(L, root, "expected a mapping with depot, derivations, targets, expect, ..., "
                                "found %s",
                       fx_node_kind(root));
    if (fx_get_fields(L, root, "fixture", fields, v) < 0)
        return -1;
    if (!v[F_DEPOT])
        return fx_fail(L, root, "fixture: missing key 'depot' (the depot's name)");
    if (fx_get_string(L, v[F_DEPOT], "depot", &f->depot) < 0)
        return -1;
    for (const char *p = f->depot; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            return fx_fail(L, v[F_DEPOT], "depot: '%s' is not a valid name (letters, digits, '.', "
                                          "'_', '-')",
                           f->depot);
    if (!*f->depot)
        return fx_fail(L, v[F_DEPOT], "depot: the name must not be empty");
    if (v[F_DESC] && fx_get_string(L, v[F_DESC], "description", &f->description) < 0)
        return -1;
    if (v[F_BRANCH]) {
        if (fx_get_string(L, v[F_BRANCH], "branch", &f->branch) < 0)
            return -1;
    } else
        f->branch = xstrdup("refs/heads/canon");
    for (int i = F_PIPE0; i < F_N; i++)
        if (v[i] && load_pipeline_setting(L, fields[i], v[i]) < 0)
            return -1;
    if (v[F_DRVS] && fx_load_derivations(L, v[F_DRVS]) < 0)
        return -1;
    if (v[F_TARGETS] && fx_load_targets(L, v[F_TARGETS]) < 0)
        return -1;
    if (v[F_UNCHANGED] &&
        fx_get_ref_list(L, v[F_UNCHANGED], REF_TARGET_LABEL, "unchanged", &f->unchanged, &f->n_unchanged) < 0)
        return -1;
    if (v[F_EXPECT] && load_expect(L, v[F_EXPECT]) < 0)
        return -1;
    f->run.nix_real = 1; /* real Nix plays every fixture unless it says otherwise */
    if (v[F_RUN] && load_run(L, v[F_RUN]) < 0)
        return -1;
    if (v[F_BUILD] && load_build(L, v[F_BUILD]) < 0)
        return -1;
    if (v[F_CHANGED]) {
        f->has_changed_files = 1;
        if (fx_get_string_list(L, v[F_CHANGED], "changed_files", &f->changed_files, &f->n_changed_files) < 0)
            return -1;
    }
    if (fx_resolve_and_check(L) < 0)
        return -1;
    for (size_t i = 0; i < f->n_targets; i++)
        fx_sort_steps(&f->targets[i]);
    for (size_t i = 0; i < f->n_unchanged; i++)
        for (size_t j = 0; j < i; j++)
            if (f->unchanged[i] == f->unchanged[j]) {
                size_t *items = v[F_UNCHANGED]->items.start;
                return fx_fail(L, fx_node(L, items[i]), "unchanged: label '%s' listed twice",
                               f->targets[f->unchanged[i]].label);
            }
    if (v[F_PARENT] && v[F_UNCHANGED])
        return fx_fail(L, v[F_PARENT], "parent: a fixture has either a parent or an unchanged list, not both");
    if (v[F_PARENT] && fx_load_parent(L, root, v[F_PARENT], &f->parent) < 0)
        return -1;
    return 0;
}

static struct fixture *new_fixture(const char *path, const char *data, size_t len)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    f->path = xstrdup(path);
    f->text = xmalloc(len + 1);
    memcpy(f->text, data, len);
    f->text[len] = 0;
    f->text_len = len;
    f->pipeline = json_object();
    f->run.agents = 1;
    f->build.pr_draft = FIXTURE_UNSET;
    return f;
}

static void release_pending(struct loader *L)
{
    for (size_t i = 0; i < L->n_pend; i++) {
        free(L->pend[i].key);
        free(L->pend[i].output);
    }
    free(L->pend);
}

int fx_load_tree(const char *path, const char *name, struct yamltree *doc, const char *text, size_t len,
                 struct fixture **out, struct lk_error *err)
{
    struct loader L;
    memset(&L, 0, sizeof L);
    L.path = path;
    L.err = err;
    L.doc = *doc; /* borrowed */
    L.f = new_fixture(name, text, len);
    *out = NULL;
    int rc = load_root(&L, doc->root);
    release_pending(&L);
    if (rc < 0) {
        fixture_free(L.f);
        return -1;
    }
    *out = L.f;
    return 0;
}

int fixture_load_bytes(const char *path, const char *data, size_t len, struct fixture **out,
                       struct lk_error *err)
{
    struct loader L;
    memset(&L, 0, sizeof L);
    L.path = path;
    L.err = err;
    *out = NULL;
    struct fixture *f = new_fixture(path, data, len);
    L.f = f;

    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    int rc = -1;
    struct yamltree second = { 0 };
    if (!yamltree_load(&parser, &L.doc)) {
        char place[64];
        snprintf(place, sizeof place, "%zu:%zu", parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1);
        lk_bad_input(err, path, place, "invalid YAML: %s%s%s",
                     parser.problem ? parser.problem : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
        goto out;
    }
    struct ynode *root = L.doc.root;
    if (!root) {
        lk_bad_input(err, path, "1:1", "empty file: expected a mapping with depot, "
                                       "derivations, targets, expect");
        goto out;
    }
    if (load_root(&L, root) < 0)
        goto out;
    /* A second document is an error. */
    if (!yamltree_load(&parser, &second)) {
        char place[64];
        snprintf(place, sizeof place, "%zu:%zu", parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1);
        lk_bad_input(err, path, place, "invalid YAML: %s",
                     parser.problem ? parser.problem : "syntax error");
        goto out;
    }
    if (second.root) {
        fx_fail_pos(&L, fx_pos_of(second.root), "expected one YAML document, found a second one");
        goto out;
    }
    rc = 0;
out:
    yamltree_free(&second);
    yamltree_free(&L.doc);
    yaml_parser_delete(&parser);
    release_pending(&L);
    if (rc < 0) {
        fixture_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

int fixture_load(const char *path, struct fixture **out, struct lk_error *err)
{
    char *data;
    size_t len;
    *out = NULL;
    if (file_read(path, &data, &len, err) < 0)
        return -1;
    int rc = fixture_load_bytes(path, data, len, out, err);
    free(data);
    return rc;
}

static void free_drv(struct fixture_drv *d)
{
    free(d->key);
    free(d->name);
    free(d->build);
    for (size_t i = 0; i < d->n_script; i++) {
        free(d->script[i].text);
        free(d->script[i].output);
    }
    free(d->script);
    free(d->deps);
    strv_free(d->outputs, d->n_outputs);
    free(d->ifd);
}

static void free_target(struct fixture_target *t)
{
    strv_free(t->attr_path, t->n_attr_path);
    free(t->subtarget);
    free(t->label);
    strv_free(t->extra_deps, t->n_extra_deps);
    json_decref(t->extra_step_args);
    free(t->post_build);
    for (size_t i = 0; i < t->n_steps; i++) {
        struct fixture_extra_step *s = &t->steps[i];
        free(s->name);
        free(s->label);
        strv_free(s->branches, s->n_branches);
        json_decref(s->prompt);
        free(s->phase);
        json_decref(s->skip);
        json_decref(s->agents);
    }
    free(t->steps);
}

void fixture_free(struct fixture *f)
{
    if (!f)
        return;
    free(f->path);
    free(f->text);
    free(f->depot);
    free(f->description);
    free(f->branch);
    free(f->run.nix_reason);
    for (size_t i = 0; i < f->n_drvs; i++)
        free_drv(&f->drvs[i]);
    free(f->drvs);
    free(f->order);
    for (size_t i = 0; i < f->n_targets; i++)
        free_target(&f->targets[i]);
    free(f->targets);
    free(f->unchanged);
    fixture_free(f->parent);
    json_decref(f->pipeline);
    free(f->expect.construction_builds);
    for (size_t i = 0; i < f->expect.n_steps; i++)
        free(f->expect.steps[i].label);
    free(f->expect.steps);
    for (size_t i = 0; i < f->expect.n_built_by; i++)
        free(f->expect.built_by[i].step);
    free(f->expect.built_by);
    strv_free(f->expect.violations, f->expect.n_violations);
    strv_free(f->expect.not_simulated, f->expect.n_not_simulated);
    free(f->expect.generate_error);
    free(f->build.message);
    free(f->build.tag);
    free(f->build.source);
    free(f->build.pr_id);
    free(f->build.pr_base_branch);
    free(f->build.pr_repository);
    strv_free(f->build.pr_labels, f->build.n_pr_labels);
    strv_free(f->changed_files, f->n_changed_files);
    strindex_release(&f->drv_by_key_);
    free(f->target_by_label_);
    free(f);
}
