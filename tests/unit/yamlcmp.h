/* yamlcmp — yamltree_load() against libyaml's own yaml_parser_load() on the
 * same bytes, document after document: the same nodes (type, value, length,
 * style, start mark, items, pairs, aliases resolved to the same node) or the
 * same error (kind, problem, context and both marks); a document yamltree
 * rejects as nested too deeply (YAMLTREE_DEPTH_PROBLEM) ends the comparison.
 *
 * yamlcmp_check() returns 0 when they agree, else -1 with what differs in
 * `why`. The node numbers differ (libyaml counts from 1), so nodes are
 * matched by walking both trees from their roots together. */
#ifndef LAZYKITE_TEST_YAMLCMP_H
#define LAZYKITE_TEST_YAMLCMP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "nix/yamltree.h"
#include "xalloc.h"

#define YAMLCMP_MAX_DOCS 16

static int yamlcmp_marks(yaml_mark_t a, yaml_mark_t b)
{
    return a.index == b.index && a.line == b.line && a.column == b.column;
}

/* Walk libyaml node `id` and tree node `n` together; `seen` maps libyaml
 * node numbers to tree nodes + 1 (a node reached twice, by an alias, must
 * be the same node on both sides). */
static int yamlcmp_node(yaml_document_t *doc, int id, const struct yamltree *t,
                        const struct ynode *n, size_t *seen, char *why, size_t why_len)
{
    size_t tn = (size_t)(n - t->nodes) + 1;
    if (seen[id])
        return seen[id] == tn ? 0 : (snprintf(why, why_len, "alias resolved elsewhere"), -1);
    seen[id] = tn;
    yaml_node_t *y = yaml_document_get_node(doc, id);
    if (y->type != n->type || !yamlcmp_marks(y->start_mark, n->start_mark)) {
        snprintf(why, why_len, "node at %zu:%zu: type or mark differs", y->start_mark.line,
                 y->start_mark.column);
        return -1;
    }
    if (y->type == YAML_SCALAR_NODE) {
        if (y->data.scalar.length != n->scalar.length || y->data.scalar.style != n->scalar.style ||
            memcmp(y->data.scalar.value, n->scalar.value, n->scalar.length) != 0 ||
            n->scalar.value[n->scalar.length] != '\0') {
            snprintf(why, why_len, "scalar at %zu:%zu differs", y->start_mark.line,
                     y->start_mark.column);
            return -1;
        }
        return 0;
    }
    if (y->type == YAML_SEQUENCE_NODE) {
        size_t k = (size_t)(y->data.sequence.items.top - y->data.sequence.items.start);
        if (k != (size_t)(n->items.top - n->items.start)) {
            snprintf(why, why_len, "sequence at %zu:%zu: item count differs", y->start_mark.line,
                     y->start_mark.column);
            return -1;
        }
        for (size_t i = 0; i < k; i++)
            if (yamlcmp_node(doc, y->data.sequence.items.start[i], t, &t->nodes[n->items.start[i]],
                             seen, why, why_len) < 0)
                return -1;
        return 0;
    }
    size_t k = (size_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
    if (k != (size_t)(n->pairs.top - n->pairs.start)) {
        snprintf(why, why_len, "mapping at %zu:%zu: pair count differs", y->start_mark.line,
                 y->start_mark.column);
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        const yaml_node_pair_t *yp = &y->data.mapping.pairs.start[i];
        const struct ynode_pair *tp = &n->pairs.start[i];
        if (yamlcmp_node(doc, yp->key, t, &t->nodes[tp->key], seen, why, why_len) < 0 ||
            yamlcmp_node(doc, yp->value, t, &t->nodes[tp->value], seen, why, why_len) < 0)
            return -1;
    }
    return 0;
}

static int yamlcmp_check(const char *data, size_t len, char *why, size_t why_len)
{
    yaml_parser_t a, b;
    yaml_parser_initialize(&a);
    yaml_parser_initialize(&b);
    yaml_parser_set_input_string(&a, (const unsigned char *)data, len);
    yaml_parser_set_input_string(&b, (const unsigned char *)data, len);
    int rc = 0;
    for (int d = 0; d < YAMLCMP_MAX_DOCS && rc == 0; d++) {
        yaml_document_t doc;
        struct yamltree t;
        int oka = yaml_parser_load(&a, &doc);
        int okb = yamltree_load(&b, &t);
        if (!okb && b.problem && !strcmp(b.problem, YAMLTREE_DEPTH_PROBLEM)) {
            /* yamltree's nesting limit, which libyaml does not have. */
            if (oka)
                yaml_document_delete(&doc);
            yamltree_free(&t);
            break;
        }
        if (oka != okb) {
            snprintf(why, why_len, "document %d: libyaml %s, yamltree %s", d,
                     oka ? "loads" : "fails", okb ? "loads" : "fails");
            rc = -1;
        } else if (!oka) {
            if (a.error != b.error || !yamlcmp_marks(a.problem_mark, b.problem_mark) ||
                !yamlcmp_marks(a.context_mark, b.context_mark) ||
                strcmp(a.problem ? a.problem : "", b.problem ? b.problem : "") != 0 ||
                strcmp(a.context ? a.context : "", b.context ? b.context : "") != 0) {
                snprintf(why, why_len, "document %d: errors differ: '%s' / '%s'", d,
                         a.problem ? a.problem : "", b.problem ? b.problem : "");
                rc = -1;
            }
            yamltree_free(&t);
            break;
        } else {
            yaml_node_t *root = yaml_document_get_root_node(&doc);
            if (!root != !t.root) {
                snprintf(why, why_len, "document %d: only one has a root", d);
                rc = -1;
            } else if (root) {
                size_t n = (size_t)(doc.nodes.top - doc.nodes.start) + 1;
                size_t *seen = xcalloc(n, sizeof *seen);
                rc = yamlcmp_node(&doc, 1, &t, t.root, seen, why, why_len);
                free(seen);
            }
            int end = !root;
            yaml_document_delete(&doc);
            yamltree_free(&t);
            if (end)
                break;
        }
    }
    yaml_parser_delete(&a);
    yaml_parser_delete(&b);
    return rc;
}

#endif
