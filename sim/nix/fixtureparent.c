/* fixtureparent — a fixture's `parent:`: the depot of the parent commit
 * (fixtures/README.md, "The parent commit"), part of the fixture loader.
 *
 * The parent's document is made from the fixture's own YAML tree: a copy
 * of its nodes with a new root mapping, whose `derivations` are the
 * fixture's with each key that `parent.derivations` names replaced by the
 * parent's definition (and the parent's other keys added), whose `targets`
 * are the fixture's with each target whose label `parent.targets` has
 * replaced by the parent's (the parent's other targets added) and those in
 * `parent.absent` left out; `branch`, `unchanged` and `expect` are
 * dropped, and `parent` is the parent's own `parent` (the grandparent), if
 * any. Every node keeps its place in the file, so the parent is loaded
 * from that tree by the same loader with errors placed in the fixture
 * file (and said to be in the parent depot). The parent depot's text —
 * what its checkout's depot.yaml holds for nixsim — is that tree written
 * out with libyaml (without `parent`), each scalar in its own style; the
 * fixture the harness plays is loaded from that text, so both read the
 * same bytes, and its `parent` is the grandparent loaded from the tree. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nix/fixture-loader.h"
#include "strbuf.h"
#include "xalloc.h"

/* A tree made from another: its nodes are a copy of the other's plus new
 * ones; the new collections' items and pairs are blocks of their own; the
 * scalars' text and the old collections' arrays stay the other tree's. */
struct derived {
    struct yamltree tree;
    size_t alloc;
    void **blocks;
    size_t n_blocks, alloc_blocks;
};

static size_t new_node(struct derived *d, yaml_node_type_t type, yaml_mark_t mark)
{
    XGROW(d->tree.nodes, d->alloc, d->tree.n_nodes + 1);
    struct ynode *n = &d->tree.nodes[d->tree.n_nodes];
    memset(n, 0, sizeof *n);
    n->type = type;
    n->start_mark = mark;
    return d->tree.n_nodes++;
}

static void *block(struct derived *d, size_t bytes)
{
    XGROW(d->blocks, d->alloc_blocks, d->n_blocks + 1);
    return d->blocks[d->n_blocks++] = xcalloc(bytes ? bytes : 1, 1);
}

static void derived_free(struct derived *d)
{
    for (size_t i = 0; i < d->n_blocks; i++)
        free(d->blocks[i]);
    free(d->blocks);
    free(d->tree.nodes);
}

/* The value node of `key` in mapping `m` (node ids), or NULL. */
static struct ynode *map_get(struct yamltree *t, const struct ynode *m, const char *key, size_t *key_id)
{
    if (!m || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (struct ynode_pair *p = m->pairs.start; p < m->pairs.top; p++) {
        const struct ynode *k = &t->nodes[p->key];
        if (k->type == YAML_SCALAR_NODE && !strcmp(k->scalar.value, key)) {
            if (key_id)
                *key_id = p->key;
            return &t->nodes[p->value];
        }
    }
    return NULL;
}

/* A target's label (attrPath joined with '/', then ':' and the subtarget),
 * or NULL when the node is not a target with an attrPath of scalars. */
static char *target_label(struct yamltree *t, const struct ynode *target)
{
    struct ynode *ap = map_get(t, target, "attrPath", NULL), *sub = map_get(t, target, "subtarget", NULL);
    if (!ap || ap->type != YAML_SEQUENCE_NODE || ap->items.start == ap->items.top)
        return NULL;
    struct strbuf sb = STRBUF_INIT;
    for (size_t *i = ap->items.start; i < ap->items.top; i++) {
        const struct ynode *e = &t->nodes[*i];
        if (e->type != YAML_SCALAR_NODE) {
            sb_release(&sb);
            return NULL;
        }
        sb_addf(&sb, "%s%s", i == ap->items.start ? "" : "/", e->scalar.value);
    }
    if (sub && sub->type == YAML_SCALAR_NODE)
        sb_addf(&sb, ":%s", sub->scalar.value);
    return sb_detach(&sb);
}

/* The labels of a list of targets (NULL entries for nodes that are none). */
static char **labels_of(struct yamltree *t, const struct ynode *seq, size_t *n)
{
    *n = seq && seq->type == YAML_SEQUENCE_NODE ? (size_t)(seq->items.top - seq->items.start) : 0;
    char **l = xcalloc(*n + 1, sizeof *l);
    for (size_t i = 0; i < *n; i++)
        l[i] = target_label(t, &t->nodes[seq->items.start[i]]);
    return l;
}

/* The parent's `derivations`: the fixture's, with the parent's replacing
 * and added. A new mapping node's id. */
static size_t merge_derivations(struct derived *d, const struct ynode *mine, const struct ynode *theirs)
{
    struct yamltree *t = &d->tree;
    size_t nm = mine && mine->type == YAML_MAPPING_NODE ? (size_t)(mine->pairs.top - mine->pairs.start) : 0;
    size_t nt = theirs && theirs->type == YAML_MAPPING_NODE ? (size_t)(theirs->pairs.top - theirs->pairs.start) : 0;
    struct ynode_pair *pairs = block(d, (nm + nt) * sizeof *pairs);
    size_t k = 0;
    for (size_t i = 0; i < nm; i++) {
        struct ynode_pair p = mine->pairs.start[i];
        size_t key_id;
        struct ynode *v = map_get(t, theirs, t->nodes[p.key].scalar.value, &key_id);
        if (v)
            p.value = (size_t)(v - t->nodes);
        pairs[k++] = p;
    }
    for (size_t i = 0; i < nt; i++) {
        struct ynode_pair p = theirs->pairs.start[i];
        if (!map_get(t, mine, t->nodes[p.key].scalar.value, NULL))
            pairs[k++] = p;
    }
    size_t id = new_node(d, YAML_MAPPING_NODE, (mine ? mine : theirs)->start_mark);
    t->nodes[id].pairs.start = pairs;
    t->nodes[id].pairs.top = pairs + k;
    return id;
}

/* The parent's `targets`; -1 with the error on a parent target without a
 * label or an `absent` label that is no target of the fixture. */
static int merge_targets(struct loader *L, struct derived *d, const struct ynode *mine, const struct ynode *theirs,
                         const struct ynode *absent, size_t *out)
{
    struct yamltree *t = &d->tree;
    size_t nm, nt, na = absent && absent->type == YAML_SEQUENCE_NODE ? (size_t)(absent->items.top - absent->items.start) : 0;
    char **lm = labels_of(t, mine, &nm), **lt = labels_of(t, theirs, &nt);
    size_t *items = block(d, (nm + nt) * sizeof *items), k = 0;
    int rc = 0;
    for (size_t i = 0; i < nt && rc == 0; i++)
        if (!lt[i])
            rc = fx_fail(L, &t->nodes[theirs->items.start[i]], "parent.targets: expected a target with an "
                                                               "attrPath list");
    for (size_t i = 0; i < na && rc == 0; i++) {
        const struct ynode *a = &t->nodes[absent->items.start[i]];
        size_t j = 0;
        while (a->type == YAML_SCALAR_NODE && j < nm && (!lm[j] || strcmp(lm[j], a->scalar.value)))
            j++;
        if (a->type != YAML_SCALAR_NODE || j == nm)
            rc = fx_fail(L, a, "parent.absent: '%s' is not a target of this depot",
                         a->type == YAML_SCALAR_NODE ? a->scalar.value : "(not a label)");
    }
    for (size_t i = 0; i < nm && rc == 0; i++) {
        bool gone = false;
        for (size_t j = 0; j < na && !gone; j++)
            gone = lm[i] && !strcmp(lm[i], t->nodes[absent->items.start[j]].scalar.value);
        if (gone)
            continue;
        size_t item = mine->items.start[i];
        for (size_t j = 0; j < nt; j++)
            if (lm[i] && !strcmp(lm[i], lt[j]))
                item = theirs->items.start[j];
        items[k++] = item;
    }
    for (size_t j = 0; j < nt && rc == 0; j++) {
        size_t i = 0;
        while (i < nm && (!lm[i] || strcmp(lm[i], lt[j])))
            i++;
        if (i == nm)
            items[k++] = theirs->items.start[j];
    }
    strv_free(lm, nm);
    strv_free(lt, nt);
    if (rc == 0) {
        *out = new_node(d, YAML_SEQUENCE_NODE, (mine ? mine : theirs ? theirs : absent)->start_mark);
        t->nodes[*out].items.start = items;
        t->nodes[*out].items.top = items + k;
    }
    return rc;
}

/* The parent's document, from the fixture's tree `src` (root `root`, its
 * `parent:` mapping `pnode`). */
static int derive(struct loader *L, struct yamltree *src, struct ynode *root, struct ynode *pnode,
                  struct derived *d)
{
    static const char *const fields[] = { "derivations", "targets", "absent", "parent", NULL };
    struct ynode *v[4];
    if (fx_get_fields(L, pnode, "parent", fields, v) < 0)
        return -1;
    if (v[0] && v[0]->type != YAML_MAPPING_NODE && !fx_is_null(v[0]))
        return fx_fail(L, v[0], "parent.derivations: expected a mapping, found %s", fx_node_kind(v[0]));
    if (v[1] && v[1]->type != YAML_SEQUENCE_NODE && !fx_is_null(v[1]))
        return fx_fail(L, v[1], "parent.targets: expected a list, found %s", fx_node_kind(v[1]));
    if (v[2]) {
        char **labels;
        size_t n;
        if (fx_get_string_list(L, v[2], "parent.absent", &labels, &n) < 0)
            return -1;
        strv_free(labels, n);
    }
    /* room for the new nodes (at most three): node pointers stay valid */
    d->alloc = src->n_nodes + 8;
    d->tree.nodes = xcalloc(d->alloc, sizeof *d->tree.nodes);
    memcpy(d->tree.nodes, src->nodes, src->n_nodes * sizeof *src->nodes);
    d->tree.n_nodes = src->n_nodes;
    struct yamltree *t = &d->tree;
    /* (node pointers into `src` as ids: the copy has the same numbers) */
    size_t root_id = (size_t)(root - src->nodes);
    size_t theirs_drvs_key = 0, theirs_targets_key = 0;
    struct ynode *theirs_drvs = v[0] ? &t->nodes[v[0] - src->nodes] : NULL;
    struct ynode *theirs_targets = v[1] ? &t->nodes[v[1] - src->nodes] : NULL;
    struct ynode *absent = v[2] ? &t->nodes[v[2] - src->nodes] : NULL;
    map_get(t, &t->nodes[(size_t)(pnode - src->nodes)], "derivations", &theirs_drvs_key);
    map_get(t, &t->nodes[(size_t)(pnode - src->nodes)], "targets", &theirs_targets_key);
    const struct ynode *r = &t->nodes[root_id];
    size_t nr = (size_t)(r->pairs.top - r->pairs.start);
    struct ynode_pair *pairs = block(d, (nr + 2) * sizeof *pairs);
    size_t k = 0;
    bool had_drvs = false, had_targets = false;
    for (size_t i = 0; i < nr; i++) {
        struct ynode_pair p = t->nodes[root_id].pairs.start[i];
        const char *key = t->nodes[p.key].scalar.value;
        if (!strcmp(key, "derivations")) {
            had_drvs = true;
            p.value = merge_derivations(d, &t->nodes[p.value], theirs_drvs);
        } else if (!strcmp(key, "targets")) {
            had_targets = true;
            size_t id;
            if (merge_targets(L, d, &t->nodes[p.value], theirs_targets, absent, &id) < 0)
                return -1;
            p.value = id;
        } else if (!strcmp(key, "parent")) {
            struct ynode *pp = map_get(t, &t->nodes[p.value], "parent", NULL);
            if (!pp)
                continue;
            p.value = (size_t)(pp - t->nodes);
        } else if (!strcmp(key, "branch") || !strcmp(key, "unchanged") || !strcmp(key, "expect")) {
            continue;
        }
        pairs[k++] = p;
    }
    if (!had_drvs && theirs_drvs)
        pairs[k++] = (struct ynode_pair){ theirs_drvs_key, merge_derivations(d, NULL, theirs_drvs) };
    if (!had_targets && (theirs_targets || absent)) {
        size_t id;
        if (merge_targets(L, d, NULL, theirs_targets, absent, &id) < 0)
            return -1;
        if (theirs_targets)
            pairs[k++] = (struct ynode_pair){ theirs_targets_key, id };
    }
    size_t nroot = new_node(d, YAML_MAPPING_NODE, t->nodes[root_id].start_mark);
    t->nodes[nroot].pairs.start = pairs;
    t->nodes[nroot].pairs.top = pairs + k;
    t->root = &t->nodes[nroot];
    return 0;
}

/* ---- writing a tree out ---------------------------------------------- */

static int on_write(void *ctx, unsigned char *buffer, size_t size)
{
    sb_add(ctx, buffer, size);
    return 1;
}

static int emit_node(yaml_emitter_t *e, struct yamltree *t, const struct ynode *n, bool top)
{
    yaml_event_t ev;
    if (n->type == YAML_SCALAR_NODE) {
        bool plain = n->scalar.style == YAML_PLAIN_SCALAR_STYLE || n->scalar.style == YAML_ANY_SCALAR_STYLE;
        yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)n->scalar.value, (int)n->scalar.length,
                                     plain, !plain, plain ? YAML_PLAIN_SCALAR_STYLE : n->scalar.style);
        return yaml_emitter_emit(e, &ev);
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        if (!yaml_emitter_emit(e, &ev))
            return 0;
        for (size_t *i = n->items.start; i < n->items.top; i++)
            if (!emit_node(e, t, &t->nodes[*i], false))
                return 0;
        yaml_sequence_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev);
    }
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    if (!yaml_emitter_emit(e, &ev))
        return 0;
    for (struct ynode_pair *p = n->pairs.start; p < n->pairs.top; p++) {
        if (top && !strcmp(t->nodes[p->key].scalar.value, "parent"))
            continue; /* the grandparent is the harness's business, not nixsim's */
        if (!emit_node(e, t, &t->nodes[p->key], false) || !emit_node(e, t, &t->nodes[p->value], false))
            return 0;
    }
    yaml_mapping_end_event_initialize(&ev);
    return yaml_emitter_emit(e, &ev);
}

/* The tree as YAML text (a new string), or NULL with libyaml's problem. */
static char *emit(struct yamltree *t, size_t *len, const char **problem)
{
    yaml_emitter_t e;
    struct strbuf sb = STRBUF_INIT;
    yaml_event_t ev;
    yaml_emitter_initialize(&e);
    yaml_emitter_set_output(&e, on_write, &sb);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    sb_adds(&sb, "# The parent commit's depot, written by lazykite-sim from a fixture's `parent:`.\n");
    int ok = 1;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    ok = ok && yaml_emitter_emit(&e, &ev);
    ok = ok && emit_node(&e, t, t->root, true);
    yaml_document_end_event_initialize(&ev, 1);
    ok = ok && yaml_emitter_emit(&e, &ev);
    yaml_stream_end_event_initialize(&ev);
    ok = ok && yaml_emitter_emit(&e, &ev);
    ok = ok && yaml_emitter_flush(&e);
    *problem = ok ? NULL : e.problem ? e.problem : "libyaml could not write it";
    yaml_emitter_delete(&e);
    if (!ok) {
        sb_release(&sb);
        return NULL;
    }
    *len = sb.len;
    return sb_detach(&sb);
}

int fx_load_parent(struct loader *L, struct ynode *root, struct ynode *pnode, struct fixture **out)
{
    struct derived d;
    memset(&d, 0, sizeof d);
    *out = NULL;
    if (derive(L, &L->doc, root, pnode, &d) < 0) {
        derived_free(&d);
        return -1;
    }
    /* its name: "<file> (parent 1)", its parent's "<file> (parent 2)", ... */
    int generation = 1;
    const char *mark = strstr(L->f->path, " (parent ");
    if (mark && sscanf(mark, " (parent %d)", &generation) == 1)
        generation++;
    char *path = xasprintf("%.*s (parent %d)", mark ? (int)(mark - L->f->path) : (int)strlen(L->f->path),
                           L->f->path, generation);
    struct fixture *from_tree = NULL, *from_text = NULL;
    size_t len = 0;
    const char *problem = NULL;
    char *text = NULL;
    int rc = fx_load_tree(L->path, path, &d.tree, "", 0, &from_tree, L->err);
    if (rc < 0)
        lk_error_prefix(L->err, "in the parent depot (parent:)");
    if (rc == 0 && !(text = emit(&d.tree, &len, &problem)))
        rc = fx_fail(L, pnode, "parent: the parent depot could not be written out: %s", problem);
    if (rc == 0 && fixture_load_bytes(path, text, len, &from_text, L->err) < 0) {
        lk_error_prefix(L->err, "the parent depot written out does not load");
        rc = -1;
    }
    if (rc == 0) {
        from_text->parent = from_tree->parent; /* the grandparent, loaded from the tree */
        from_tree->parent = NULL;
        *out = from_text;
    } else {
        fixture_free(from_text);
    }
    fixture_free(from_tree);
    free(text);
    free(path);
    derived_free(&d);
    return rc;
}
