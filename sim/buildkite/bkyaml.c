/* bkyaml — one YAML pipeline document as the jansson tree a JSON one would
 * give. The YAML tree is kept (in the loader) while the load lasts, so that
 * any later error can be placed in the YAML text: bk_yaml_place() follows a
 * JSON pointer through the YAML nodes (merge keys included) to the
 * line:column of the node it names, or of the nearest one it reaches (a key
 * that interpolation changed is not found: its mapping's place). Nothing is
 * built for places while loading: only an error pays for one. */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buildkite/bkloader.h"
#include "nix/yamltree.h"
#include "strbuf.h"
#include "xalloc.h"

#define YAML_NODE_BUDGET 1000000 /* nodes created from one document (alias bombs) */
#define YAML_MAX_DEPTH 200

/* Where a node is, as the steps down to it (built into a pointer only for
 * an error). */
struct ypath {
    const struct ypath *up;
    const char *key; /* a mapping key, or NULL for a list index */
    size_t index;
};

static void path_add(struct strbuf *sb, const struct ypath *p)
{
    if (!p)
        return;
    path_add(sb, p->up);
    char *t = p->key ? lk_pointer_join("", p->key) : lk_pointer_index("", p->index);
    sb_adds(sb, t);
    free(t);
}

static char *path_ptr(const struct ypath *p)
{
    struct strbuf sb = STRBUF_INIT;
    path_add(&sb, p);
    return sb_detach(&sb);
}

static int bad_at(struct bk_loader *L, const struct ypath *p, const char *msg)
{
    char *ptr = path_ptr(p);
    bk_bad(L, ptr, "%s", msg);
    free(ptr);
    return -1;
}

static int mark_fail(struct bk_loader *L, const struct ynode *n, const char *fmt, const char *arg)
{
    char m[64];
    snprintf(m, sizeof m, "%lu:%lu", (unsigned long)n->start_mark.line + 1, (unsigned long)n->start_mark.column + 1);
    lk_bad_input(L->err, L->file, m, fmt, arg);
    return -1;
}

static json_t *yaml_node(struct bk_loader *L, const struct yamltree *doc, const struct ynode *node,
                         const struct ypath *path, int depth);

static int yaml_merge(struct bk_loader *L, json_t *obj, json_t *src, const struct ypath *path)
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
                return bad_at(L, path, "expected a mapping or a list of mappings to merge with <<");
            if (yaml_merge(L, obj, v, path) < 0)
                return -1;
        }
        return 0;
    }
    return bad_at(L, path, "expected a mapping or a list of mappings to merge with <<");
}

static json_t *yaml_node(struct bk_loader *L, const struct yamltree *doc, const struct ynode *node,
                         const struct ypath *path, int depth)
{
    if (depth > YAML_MAX_DEPTH) {
        char *m = xasprintf("expected at most %d levels of nesting", YAML_MAX_DEPTH);
        bad_at(L, path, m);
        free(m);
        return NULL;
    }
    if (L->budget-- == 0) {
        char *m = xasprintf("expected at most %d YAML nodes (after expanding aliases)", YAML_NODE_BUDGET);
        bad_at(L, path, m);
        free(m);
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        /* Scalars mean what yamltree_resolve() says (YAML 1.2's core schema). */
        enum yscalar_problem why;
        json_t *v = yamltree_scalar_json(node, &why);
        if (!v && why == YSCALAR_NUL_BYTE)
            bad_at(L, path, "expected a string without NUL characters");
        else if (!v && why == YSCALAR_NOT_FINITE) {
            char *m = xasprintf("expected a number JSON can hold, got %s", node->scalar.value);
            bad_at(L, path, m);
            free(m);
        } else if (!v)
            bad_at(L, path, "expected valid UTF-8 text");
        return v;
    }
    case YAML_SEQUENCE_NODE: {
        json_t *arr = json_array();
        size_t i = 0;
        for (const size_t *it = node->items.start; it < node->items.top; it++, i++) {
            struct ypath here = { path, NULL, i };
            json_t *v = yaml_node(L, doc, &doc->nodes[*it], &here, depth + 1);
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
        json_t *merges = NULL;
        for (const struct ynode_pair *pr = node->pairs.start; pr < node->pairs.top; pr++) {
            const struct ynode *kn = &doc->nodes[pr->key];
            const struct ynode *vn = &doc->nodes[pr->value];
            if (kn->type != YAML_SCALAR_NODE) {
                mark_fail(L, kn, "expected a scalar mapping key%s", "");
                goto fail;
            }
            const char *key = kn->scalar.value;
            if (strlen(key) != kn->scalar.length) {
                bad_at(L, path, "expected a mapping key without NUL characters");
                goto fail;
            }
            struct ypath here = { path, key, 0 };
            if (!strcmp(key, "<<") && kn->scalar.style == YAML_PLAIN_SCALAR_STYLE) {
                json_t *v = yaml_node(L, doc, vn, &here, depth + 1);
                if (!v)
                    goto fail;
                if (!merges)
                    merges = json_array();
                json_array_append_new(merges, v);
                continue;
            }
            if (json_object_get(obj, key)) {
                mark_fail(L, kn, "expected unique mapping keys, \"%s\" is repeated", key);
                goto fail;
            }
            json_t *v = yaml_node(L, doc, vn, &here, depth + 1);
            if (!v)
                goto fail;
            if (json_object_set_new(obj, key, v) < 0) { /* v is released */
                bad_at(L, &here, "expected a valid UTF-8 key");
                goto fail;
            }
        }
        size_t i;
        json_t *m;
        json_array_foreach(merges, i, m) {
            if (yaml_merge(L, obj, m, path) < 0)
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
        bad_at(L, path, "expected a YAML value");
        return NULL;
    }
}

/* The value node of `key` in mapping `m`, its own or merged (<<). */
static const struct ynode *find_key(const struct yamltree *doc, const struct ynode *m, const char *key,
                                    size_t klen, int depth)
{
    if (m->type != YAML_MAPPING_NODE || depth > 32)
        return NULL;
    for (const struct ynode_pair *pr = m->pairs.start; pr < m->pairs.top; pr++) {
        const struct ynode *kn = &doc->nodes[pr->key];
        if (kn->type == YAML_SCALAR_NODE && kn->scalar.length == klen && !memcmp(kn->scalar.value, key, klen) &&
            !(klen == 2 && !memcmp(key, "<<", 2) && kn->scalar.style == YAML_PLAIN_SCALAR_STYLE))
            return &doc->nodes[pr->value];
    }
    for (const struct ynode_pair *pr = m->pairs.start; pr < m->pairs.top; pr++) {
        const struct ynode *kn = &doc->nodes[pr->key], *vn = &doc->nodes[pr->value];
        if (kn->type != YAML_SCALAR_NODE || strcmp(kn->scalar.value, "<<") || kn->scalar.style != YAML_PLAIN_SCALAR_STYLE)
            continue;
        const struct ynode *hit = find_key(doc, vn, key, klen, depth + 1);
        for (const size_t *it = vn->type == YAML_SEQUENCE_NODE ? vn->items.start : NULL;
             !hit && it && it < vn->items.top; it++)
            hit = find_key(doc, &doc->nodes[*it], key, klen, depth + 1);
        if (hit)
            return hit;
    }
    return NULL;
}

void bk_yaml_mark(const struct yamltree *doc, const char *ptr, unsigned long *line, unsigned long *column)
{
    const struct ynode *n = doc->root;
    char *tok = xmalloc(strlen(ptr) + 1);
    for (const char *p = ptr; n && *p == '/';) {
        size_t len = 0;
        for (p++; *p && *p != '/'; p++)
            tok[len++] = *p == '~' && p[1] == '1' ? (p++, '/') : *p == '~' && p[1] == '0' ? (p++, '~') : *p;
        tok[len] = '\0';
        const struct ynode *next = NULL;
        if (n->type == YAML_MAPPING_NODE) {
            next = find_key(doc, n, tok, len, 0);
        } else if (n->type == YAML_SEQUENCE_NODE && len && strspn(tok, "0123456789") == len) {
            size_t i = strtoul(tok, NULL, 10);
            if (i < (size_t)(n->items.top - n->items.start))
                next = &doc->nodes[n->items.start[i]];
        }
        if (!next)
            break;
        n = next;
    }
    free(tok);
    *line = n ? (unsigned long)n->start_mark.line + 1 : 1;
    *column = n ? (unsigned long)n->start_mark.column + 1 : 1;
}

/* Loaded with nix/yamltree (as fixtures are), which stops at its nesting
 * limit while parsing: deep input costs no time. The tree is kept in
 * L->ydoc (the caller frees it with bk_loader_release()). */
json_t *bk_yaml_tree(struct bk_loader *L, const char *text, size_t len)
{
    yaml_parser_t parser;
    struct yamltree *docp = xcalloc(1, sizeof(*docp));
    L->ydoc = docp;
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
        L->budget = YAML_NODE_BUDGET;
        *docp = doc; /* (places are found in it while the load lasts) */
        doc = (struct yamltree){ 0 };
        root = yaml_node(L, docp, top, NULL, 0);
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
