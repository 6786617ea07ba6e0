/* bkyaml — one YAML pipeline document as the jansson tree a JSON one would
 * give, with a side table from JSON pointer to "line:column" so that every
 * later error can be placed in the YAML text. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buildkite/bkloader.h"
#include "nix/yamltree.h"
#include "xalloc.h"

#define YAML_NODE_BUDGET 1000000 /* nodes created from one document (alias bombs) */
#define YAML_MAX_DEPTH 200

static json_t *yaml_node(struct bk_loader *L, const struct yamltree *doc,
                         const struct ynode *node, const char *ptr, int depth);

static int yaml_merge(struct bk_loader *L, json_t *obj, json_t *src, const char *ptr)
{
    if (json_is_object(src)) {
        const char *k;
        json_t *v;
        json_object_foreach(src, k, v) {
            if (!json_object_get(obj, k))
                json_object_set(obj, k, v);
        }
        return 0;
    }
    if (json_is_array(src)) {
        size_t i;
        json_t *v;
        json_array_foreach(src, i, v) {
            if (!json_is_object(v))
                return bk_bad(L, ptr, "expected a mapping or a list of mappings to merge with <<");
            if (yaml_merge(L, obj, v, ptr) < 0)
                return -1;
        }
        return 0;
    }
    return bk_bad(L, ptr, "expected a mapping or a list of mappings to merge with <<");
}

static json_t *yaml_node(struct bk_loader *L, const struct yamltree *doc,
                         const struct ynode *node, const char *ptr, int depth)
{
    char *mark = xasprintf("%lu:%lu", (unsigned long)node->start_mark.line + 1,
                           (unsigned long)node->start_mark.column + 1);
    if (!json_object_get(L->marks, ptr))
        json_object_set_new(L->marks, ptr, json_string(mark));
    free(mark);
    if (depth > YAML_MAX_DEPTH) {
        bk_bad(L, ptr, "expected at most %d levels of nesting", YAML_MAX_DEPTH);
        return NULL;
    }
    if (L->budget-- == 0) {
        bk_bad(L, ptr, "expected at most %d YAML nodes (after expanding aliases)", YAML_NODE_BUDGET);
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        /* Scalars mean what yamltree_resolve() says (YAML 1.2's core schema). */
        enum yscalar_problem why;
        json_t *v = yamltree_scalar_json(node, &why);
        if (!v && why == YSCALAR_NUL_BYTE)
            bk_bad(L, ptr, "expected a string without NUL characters");
        else if (!v && why == YSCALAR_NOT_FINITE)
            bk_bad(L, ptr, "expected a number JSON can hold, got %s", node->scalar.value);
        else if (!v)
            bk_bad(L, ptr, "expected valid UTF-8 text");
        return v;
    }
    case YAML_SEQUENCE_NODE: {
        json_t *arr = json_array();
        size_t i = 0;
        for (const size_t *it = node->items.start; it < node->items.top; it++, i++) {
            char *cp = lk_pointer_index(ptr, i);
            json_t *v = yaml_node(L, doc, &doc->nodes[*it], cp, depth + 1);
            free(cp);
            if (!v) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, v);
        }
        return arr;
    }
    case YAML_MAPPING_NODE: {
        json_t *obj = json_object();
        json_t *merges = json_array();
        for (const struct ynode_pair *pr = node->pairs.start; pr < node->pairs.top; pr++) {
            const struct ynode *kn = &doc->nodes[pr->key];
            const struct ynode *vn = &doc->nodes[pr->value];
            if (kn->type != YAML_SCALAR_NODE) {
                char *m = xasprintf("%lu:%lu", (unsigned long)kn->start_mark.line + 1,
                                    (unsigned long)kn->start_mark.column + 1);
                lk_bad_input(L->err, L->file, m, "expected a scalar mapping key");
                free(m);
                goto fail;
            }
            const char *key = kn->scalar.value;
            if (strlen(key) != kn->scalar.length) {
                bk_bad(L, ptr, "expected a mapping key without NUL characters");
                goto fail;
            }
            char *cp = lk_pointer_join(ptr, key);
            if (!strcmp(key, "<<") && kn->scalar.style == YAML_PLAIN_SCALAR_STYLE) {
                json_t *v = yaml_node(L, doc, vn, cp, depth + 1);
                if (!v) {
                    free(cp);
                    goto fail;
                }
                json_array_append_new(merges, v);
                free(cp);
                continue;
            }
            if (json_object_get(obj, key)) {
                char *m = xasprintf("%lu:%lu", (unsigned long)kn->start_mark.line + 1,
                                    (unsigned long)kn->start_mark.column + 1);
                lk_bad_input(L->err, L->file, m, "expected unique mapping keys, \"%s\" is repeated", key);
                free(m);
                free(cp);
                goto fail;
            }
            json_t *v = yaml_node(L, doc, vn, cp, depth + 1);
            if (!v) {
                free(cp);
                goto fail;
            }
            if (json_object_set_new(obj, key, v) < 0) { /* v is released */
                bk_bad(L, cp, "expected a valid UTF-8 key");
                free(cp);
                goto fail;
            }
            free(cp);
        }
        size_t i;
        json_t *m;
        json_array_foreach(merges, i, m) {
            if (yaml_merge(L, obj, m, ptr) < 0)
                goto fail;
        }
        json_decref(merges);
        return obj;
    fail:
        json_decref(merges);
        json_decref(obj);
        return NULL;
    }
    default:
        bk_bad(L, ptr, "expected a YAML value");
        return NULL;
    }
}

/* Loaded with nix/yamltree (as fixtures are), which stops at its nesting
 * limit while parsing: deep input costs no time. */
json_t *bk_yaml_tree(struct bk_loader *L, const char *text, size_t len)
{
    yaml_parser_t parser;
    struct yamltree doc;
    if (!yaml_parser_initialize(&parser)) {
        lk_fail(L->err, LK_EXIT_FAIL, L->file, NULL, "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    json_t *root = NULL;
    if (!yamltree_load(&parser, &doc)) {
        char *m = xasprintf("%lu:%lu", (unsigned long)parser.problem_mark.line + 1,
                            (unsigned long)parser.problem_mark.column + 1);
        lk_bad_input(L->err, L->file, m, "expected valid YAML: %s%s%s",
                     parser.problem ? parser.problem : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
        free(m);
        yamltree_free(&doc);
        yaml_parser_delete(&parser);
        return NULL;
    }
    const struct ynode *top = doc.root;
    if (!top) {
        lk_bad_input(L->err, L->file, "1:1", "expected a pipeline, the document is empty");
    } else {
        L->marks = json_object();
        L->budget = YAML_NODE_BUDGET;
        root = yaml_node(L, &doc, top, "", 0);
        if (root) {
            /* a second document is not a pipeline */
            struct yamltree next;
            if (!yamltree_load(&parser, &next)) {
                char *m = xasprintf("%lu:%lu", (unsigned long)parser.problem_mark.line + 1,
                                    (unsigned long)parser.problem_mark.column + 1);
                lk_bad_input(L->err, L->file, m, "expected valid YAML: %s",
                             parser.problem ? parser.problem : "syntax error");
                free(m);
                json_decref(root);
                root = NULL;
            } else {
                if (next.root) {
                    lk_bad_input(L->err, L->file, NULL, "expected one YAML document, found more");
                    json_decref(root);
                    root = NULL;
                }
            }
            yamltree_free(&next);
        }
    }
    yamltree_free(&doc);
    yaml_parser_delete(&parser);
    return root;
}
