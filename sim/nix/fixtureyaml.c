/* fixtureyaml — the fixture loader's typed accessors over yamltree nodes
 * (strings, booleans, integers, lists, mappings with fixed keys) and the
 * conversion of generic values to jansson values, each failing with the
 * node's position (fixture-loader.h). */
#include "nix/fixture-loader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

#define MAX_VALUE_NODES 100000 /* nodes converted to JSON, aliases counted again */

int fx_fail_pos(struct loader *L, struct fixture_pos p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    char place[64];
    snprintf(place, sizeof place, "%d:%d", p.line, p.column);
    lk_bad_input(L->err, L->path, place, "%s", msg);
    free(msg);
    return -1;
}

/* Scalars mean what yamltree_resolve() says (YAML 1.2's core schema). */
int fx_is_null(const struct ynode *n)
{
    struct yscalar v;
    return n->type == YAML_SCALAR_NODE && yamltree_resolve(n, &v) == YSCALAR_NULL;
}

const char *fx_node_kind(const struct ynode *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE: return fx_is_null(n) ? "nothing (null)" : "a scalar";
    default: return "nothing";
    }
}

/* A string value: any scalar but a plain null, without NUL bytes. */
int fx_get_string(struct loader *L, struct ynode *n, const char *what, char **out)
{
    if (n->type != YAML_SCALAR_NODE || fx_is_null(n))
        return fx_fail(L, n, "%s: expected a string, found %s", what, fx_node_kind(n));
    if (strlen(fx_scalar(n)) != n->scalar.length)
        return fx_fail(L, n, "%s: the string contains a NUL byte", what);
    free(*out);
    *out = xstrdup(fx_scalar(n));
    return 0;
}

int fx_bool_value(const struct ynode *n)
{
    struct yscalar v;
    if (n->type != YAML_SCALAR_NODE || yamltree_resolve(n, &v) != YSCALAR_BOOL)
        return -1;
    return v.boolean;
}

int fx_get_bool(struct loader *L, struct ynode *n, const char *what, int *out)
{
    int b = fx_bool_value(n);
    if (b < 0)
        return fx_fail(L, n, "%s: expected a boolean (true or false), found %s", what,
                       n->type == YAML_SCALAR_NODE && !fx_is_null(n) ? "a string"
                                                                      : fx_node_kind(n));
    *out = b;
    return 0;
}

/* 0 and *out for an integer, -2 for one too large, -1 for anything else. */
static int int_value(const struct ynode *n, long long *out)
{
    struct yscalar v;
    if (n->type != YAML_SCALAR_NODE)
        return -1;
    switch (yamltree_resolve(n, &v)) {
    case YSCALAR_INT: *out = v.integer; return 0;
    case YSCALAR_FLOAT: return v.integral ? -2 : -1;
    default: return -1;
    }
}

int fx_get_int(struct loader *L, struct ynode *n, const char *what, long long min,
               long long max, long long *out)
{
    long long v;
    int r = int_value(n, &v);
    if (r == -2 || (r == 0 && (v < min || v > max)))
        return fx_fail(L, n, "%s: expected an integer from %lld to %lld", what, min, max);
    if (r < 0)
        return fx_fail(L, n, "%s: expected an integer, found %s", what,
                       n->type == YAML_SCALAR_NODE && !fx_is_null(n) ? "a string"
                                                                      : fx_node_kind(n));
    *out = v;
    return 0;
}

/* A list (null counts as empty): the element node ids and their count. */
int fx_get_seq(struct loader *L, struct ynode *n, const char *what, size_t **items,
               size_t *count)
{
    if (fx_is_null(n)) {
        *items = NULL;
        *count = 0;
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return fx_fail(L, n, "%s: expected a list, found %s", what, fx_node_kind(n));
    *items = n->items.start;
    *count = (size_t)(n->items.top - n->items.start);
    return 0;
}

int fx_get_string_list(struct loader *L, struct ynode *n, const char *what, char ***out,
                       size_t *count)
{
    size_t *items;
    size_t k;
    if (fx_get_seq(L, n, what, &items, &k) < 0)
        return -1;
    char **v = xcalloc(k ? k : 1, sizeof *v);
    for (size_t i = 0; i < k; i++) {
        if (fx_get_string(L, fx_node(L, items[i]), what, &v[i]) < 0) {
            strv_free(v, i);
            return -1;
        }
    }
    *out = v;
    *count = k;
    return 0;
}

struct keyref {
    const char *s;
    size_t len;
    struct ynode *node;
};

static int cmp_keyref(const void *a, const void *b)
{
    const struct keyref *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, m);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->node->start_mark.index < y->node->start_mark.index ? -1 : 1;
}

/* A mapping (null counts as empty) with scalar keys and no key twice. */
int fx_get_map(struct loader *L, struct ynode *n, const char *what, struct ynode_pair **pairs,
               size_t *count)
{
    if (fx_is_null(n)) {
        *pairs = NULL;
        *count = 0;
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE)
        return fx_fail(L, n, "%s: expected a mapping, found %s", what, fx_node_kind(n));
    struct ynode_pair *p = n->pairs.start;
    size_t k = (size_t)(n->pairs.top - p);
    struct keyref *keys = xcalloc(k ? k : 1, sizeof *keys);
    for (size_t i = 0; i < k; i++) {
        struct ynode *kn = fx_node(L, p[i].key);
        if (kn->type != YAML_SCALAR_NODE) {
            free(keys);
            return fx_fail(L, kn, "%s: expected a string key, found %s", what, fx_node_kind(kn));
        }
        if (strlen(fx_scalar(kn)) != kn->scalar.length) {
            free(keys);
            return fx_fail(L, kn, "%s: the key contains a NUL byte", what);
        }
        keys[i] = (struct keyref){ fx_scalar(kn), kn->scalar.length, kn };
    }
    qsort(keys, k, sizeof *keys, cmp_keyref);
    for (size_t i = 1; i < k; i++) {
        if (keys[i].len == keys[i - 1].len && !memcmp(keys[i].s, keys[i - 1].s, keys[i].len)) {
            int r = fx_fail(L, keys[i].node, "%s: duplicate key '%s'", what, keys[i].s);
            free(keys);
            return r;
        }
    }
    free(keys);
    *pairs = p;
    *count = k;
    return 0;
}

/* Look up the fixed keys `names` of a mapping: vals[i] is the value node of
 * names[i] or NULL. Unknown keys are errors listing the expected ones. */
int fx_get_fields(struct loader *L, struct ynode *n, const char *what,
                  const char *const *names, struct ynode **vals)
{
    struct ynode_pair *pairs;
    size_t k, nn = 0;
    while (names[nn])
        nn++;
    for (size_t i = 0; i < nn; i++)
        vals[i] = NULL;
    if (fx_get_map(L, n, what, &pairs, &k) < 0)
        return -1;
    for (size_t i = 0; i < k; i++) {
        struct ynode *kn = fx_node(L, pairs[i].key);
        size_t j = 0;
        while (j < nn && strcmp(names[j], fx_scalar(kn)) != 0)
            j++;
        if (j == nn) {
            struct strbuf sb = STRBUF_INIT;
            for (size_t m = 0; m < nn; m++)
                sb_addf(&sb, "%s%s", m ? ", " : "", names[m]);
            int r = fx_fail(L, kn, "%s: unknown key '%s' (expected one of: %s)", what,
                            fx_scalar(kn), sb_str(&sb));
            sb_release(&sb);
            return r;
        }
        vals[j] = fx_node(L, pairs[i].value);
    }
    return 0;
}

/* ---- generic values -> JSON ------------------------------------------ */

json_t *fx_to_json(struct loader *L, struct ynode *n, int depth, const char *what)
{
    if (depth > FX_MAX_DEPTH) {
        fx_fail(L, n, "%s: nested deeper than %d levels", what, FX_MAX_DEPTH);
        return NULL;
    }
    if (++L->budget > MAX_VALUE_NODES) {
        fx_fail(L, n, "%s: value too large (more than %d nodes, counting aliases)", what,
                MAX_VALUE_NODES);
        return NULL;
    }
    switch (n->type) {
    case YAML_SCALAR_NODE: {
        enum yscalar_problem why;
        json_t *j = yamltree_scalar_json(n, &why);
        if (!j && why == YSCALAR_NUL_BYTE)
            fx_fail(L, n, "%s: the string contains a NUL byte", what);
        else if (!j && why == YSCALAR_NOT_FINITE)
            fx_fail(L, n, "%s: the number %s is out of range", what, fx_scalar(n));
        else if (!j)
            fx_fail(L, n, "%s: the string is not valid UTF-8", what);
        return j;
    }
    case YAML_SEQUENCE_NODE: {
        json_t *a = json_array();
        for (size_t *it = n->items.start; it < n->items.top;
             it++) {
            json_t *v = fx_to_json(L, fx_node(L, *it), depth + 1, what);
            if (!v) {
                json_decref(a);
                return NULL;
            }
            json_array_append_new(a, v);
        }
        return a;
    }
    case YAML_MAPPING_NODE: {
        struct ynode_pair *pairs;
        size_t k;
        if (fx_get_map(L, n, what, &pairs, &k) < 0)
            return NULL;
        json_t *o = json_object();
        for (size_t i = 0; i < k; i++) {
            struct ynode *kn = fx_node(L, pairs[i].key);
            json_t *v = fx_to_json(L, fx_node(L, pairs[i].value), depth + 1, what);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            if (json_object_setn_new(o, fx_scalar(kn), kn->scalar.length, v) < 0) {
                json_decref(o);
                fx_fail(L, kn, "%s: the key is not valid UTF-8", what);
                return NULL;
            }
        }
        return o;
    }
    default:
        fx_fail(L, n, "%s: expected a value", what);
        return NULL;
    }
}
