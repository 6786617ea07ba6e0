/* yamltree — one YAML document as a compact tree (see yamltree.h).
 *
 * The events are folded with a stack: a collection's children are pushed as
 * they come and, when it ends, moved to the items (or pairs) array in one
 * piece. Offsets stand in for pointers while the arrays grow; the pointers
 * are set once the document is complete. Anchors are kept per document and
 * searched in order, as libyaml's loader does. */
#include "nix/yamltree.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

struct anchor {
    char *name;
    size_t node;
    yaml_mark_t mark;
};

struct span {
    size_t off, count;
};

struct open_collection {
    size_t node;
    size_t base;           /* its first child in `children` */
};

struct builder {
    struct yamltree *t;
    size_t alloc_nodes;
    struct span *span;     /* per node: its text, items or pairs, as offsets */
    size_t alloc_span;
    size_t n_items, alloc_items, n_pairs, alloc_pairs;
    struct strbuf text;
    size_t *children;      /* the open collections' children so far */
    size_t n_children, alloc_children;
    struct open_collection *open;
    size_t n_open, alloc_open;
    struct anchor *anchors;
    size_t n_anchors, alloc_anchors;
};

static int composer_error(yaml_parser_t *p, const char *context, yaml_mark_t context_mark,
                          const char *problem, yaml_mark_t problem_mark)
{
    p->error = YAML_COMPOSER_ERROR;
    p->context = context;
    p->context_mark = context_mark;
    p->problem = problem;
    p->problem_mark = problem_mark;
    return 0;
}

/* A child (a new node or an alias) of the open collection; with none open,
 * it is the root, node 0. */
static void add_child(struct builder *b, size_t node)
{
    if (!b->n_open)
        return;
    XGROW(b->children, b->alloc_children, b->n_children + 1);
    b->children[b->n_children++] = node;
}

static int new_node(struct builder *b, yaml_parser_t *p, const yaml_event_t *ev,
                    yaml_node_type_t type, const yaml_char_t *anchor, size_t *out)
{
    struct yamltree *t = b->t;
    size_t id = t->n_nodes;
    if (anchor) {
        for (size_t i = 0; i < b->n_anchors; i++)
            if (!strcmp(b->anchors[i].name, (const char *)anchor))
                return composer_error(p, "found duplicate anchor; first occurrence",
                                      b->anchors[i].mark, "second occurrence", ev->start_mark);
        XGROW(b->anchors, b->alloc_anchors, b->n_anchors + 1);
        b->anchors[b->n_anchors++] = (struct anchor){ xstrdup((const char *)anchor), id,
                                                      ev->start_mark };
    }
    XGROW(t->nodes, b->alloc_nodes, id + 1);
    XGROW(b->span, b->alloc_span, id + 1);
    memset(&t->nodes[id], 0, sizeof t->nodes[id]);
    t->nodes[id].type = type;
    t->nodes[id].start_mark = ev->start_mark;
    t->n_nodes++;
    add_child(b, id);
    *out = id;
    return 1;
}

static int add_scalar(struct builder *b, yaml_parser_t *p, const yaml_event_t *ev)
{
    size_t id;
    if (!new_node(b, p, ev, YAML_SCALAR_NODE, ev->data.scalar.anchor, &id))
        return 0;
    struct ynode *n = &b->t->nodes[id];
    n->scalar.length = ev->data.scalar.length;
    n->scalar.style = ev->data.scalar.style;
    b->span[id].off = b->text.len;
    sb_add(&b->text, ev->data.scalar.value, ev->data.scalar.length);
    sb_addc(&b->text, '\0');
    return 1;
}

static int open_collection(struct builder *b, yaml_parser_t *p, const yaml_event_t *ev,
                           yaml_node_type_t type, const yaml_char_t *anchor)
{
    if (b->n_open >= YAMLTREE_MAX_DEPTH) {
        yaml_mark_t none = { 0, 0, 0 };
        return composer_error(p, NULL, none, YAMLTREE_DEPTH_PROBLEM, ev->start_mark);
    }
    size_t id;
    if (!new_node(b, p, ev, type, anchor, &id))
        return 0;
    XGROW(b->open, b->alloc_open, b->n_open + 1);
    b->open[b->n_open++] = (struct open_collection){ id, b->n_children };
    return 1;
}

static void close_collection(struct builder *b)
{
    struct open_collection oc = b->open[--b->n_open];
    size_t base = oc.base, id = oc.node;
    struct ynode *n = &b->t->nodes[id];
    size_t k = b->n_children - base;
    const size_t *c = k ? b->children + base : NULL; /* none yet: NULL */
    if (n->type == YAML_SEQUENCE_NODE) {
        XGROW(b->t->items, b->alloc_items, b->n_items + k + 1);
        if (k)
            memcpy(b->t->items + b->n_items, c, k * sizeof *c);
        b->span[id] = (struct span){ b->n_items, k };
        b->n_items += k;
    } else {
        XGROW(b->t->pairs, b->alloc_pairs, b->n_pairs + k / 2 + 1);
        for (size_t i = 0; i + 1 < k; i += 2)
            b->t->pairs[b->n_pairs + i / 2] = (struct ynode_pair){ c[i], c[i + 1] };
        b->span[id] = (struct span){ b->n_pairs, k / 2 };
        b->n_pairs += k / 2;
    }
    b->n_children = base;
}

/* Offsets to pointers, now that no array moves. */
static void fix_pointers(struct builder *b)
{
    struct yamltree *t = b->t;
    for (size_t i = 0; i < t->n_nodes; i++) {
        struct ynode *n = &t->nodes[i];
        const struct span *sp = &b->span[i];
        if (n->type == YAML_SCALAR_NODE) {
            n->scalar.value = t->text + sp->off;
        } else if (n->type == YAML_SEQUENCE_NODE) {
            n->items.start = t->items + sp->off;
            n->items.top = n->items.start + sp->count;
        } else {
            n->pairs.start = t->pairs + sp->off;
            n->pairs.top = n->pairs.start + sp->count;
        }
    }
    t->root = t->n_nodes ? &t->nodes[0] : NULL;
}

static int add_alias(struct builder *b, yaml_parser_t *p, const yaml_event_t *ev)
{
    for (size_t i = 0; i < b->n_anchors; i++)
        if (!strcmp(b->anchors[i].name, (const char *)ev->data.alias.anchor)) {
            add_child(b, b->anchors[i].node);
            return 1;
        }
    yaml_mark_t none = { 0, 0, 0 };
    return composer_error(p, NULL, none, "found undefined alias", ev->start_mark);
}

/* The events of one document, after its start, up to its end. */
static int build(struct builder *b, yaml_parser_t *p)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev))
            return 0;
        int ok = 1, done = 0;
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            ok = add_scalar(b, p, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            ok = open_collection(b, p, &ev, YAML_SEQUENCE_NODE, ev.data.sequence_start.anchor);
            break;
        case YAML_MAPPING_START_EVENT:
            ok = open_collection(b, p, &ev, YAML_MAPPING_NODE, ev.data.mapping_start.anchor);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            close_collection(b);
            break;
        case YAML_ALIAS_EVENT:
            ok = add_alias(b, p, &ev);
            break;
        case YAML_DOCUMENT_END_EVENT:
            done = 1;
            break;
        default: /* the parser gives no other event inside a document */
            break;
        }
        yaml_event_delete(&ev);
        if (!ok)
            return 0;
        if (done)
            return 1;
    }
}

int yamltree_load(yaml_parser_t *parser, struct yamltree *t)
{
    memset(t, 0, sizeof *t);
    yaml_event_t ev;
    if (!parser->stream_start_produced) {
        if (!yaml_parser_parse(parser, &ev))
            return 0;
        yaml_event_delete(&ev); /* the stream start: the first event there is */
    }
    if (parser->stream_end_produced)
        return 1;
    if (!yaml_parser_parse(parser, &ev))
        return 0;
    int end = ev.type == YAML_STREAM_END_EVENT; /* else a document starts */
    yaml_event_delete(&ev);
    if (end)
        return 1;
    struct builder b = { .t = t, .text = STRBUF_INIT };
    int ok = build(&b, parser);
    t->text = sb_detach(&b.text);
    if (ok)
        fix_pointers(&b);
    free(b.span);
    free(b.children);
    free(b.open);
    for (size_t i = 0; i < b.n_anchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    return ok;
}

void yamltree_free(struct yamltree *t)
{
    free(t->nodes);
    free(t->items);
    free(t->pairs);
    free(t->text);
    memset(t, 0, sizeof *t);
}

/* ---- scalar resolution (the core schema) --------------------------------- */

static int is_one_of(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (!strcmp(s, *words))
            return 1;
    return 0;
}

/* s is non-empty and made of `set` only */
static int all_in(const char *s, const char *set)
{
    return *s && strspn(s, set) == strlen(s);
}

static int is_core_float(const char *s)
{
    const char *p = s + (*s == '-' || *s == '+');
    size_t digits = strspn(p, "0123456789");
    p += digits;
    size_t frac = 0;
    int dot = *p == '.';
    if (dot) {
        p++;
        frac = strspn(p, "0123456789");
        p += frac;
    }
    if (!digits && !frac)
        return 0;
    if (*p == 'e' || *p == 'E') {
        p++;
        p += *p == '-' || *p == '+';
        size_t ed = strspn(p, "0123456789");
        if (!ed)
            return 0;
        p += ed;
    }
    return *p == '\0';
}

enum yscalar_type yamltree_resolve(const struct ynode *n, struct yscalar *v)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
    static const char *const trues[] = { "true", "True", "TRUE", NULL };
    static const char *const falses[] = { "false", "False", "FALSE", NULL };
    static const char *const infs[] = { ".inf", ".Inf", ".INF", NULL };
    static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };
    memset(v, 0, sizeof *v);
    v->type = YSCALAR_STRING;
    if (n->scalar.style != YAML_PLAIN_SCALAR_STYLE || strlen(n->scalar.value) != n->scalar.length)
        return v->type;
    const char *s = n->scalar.value;
    /* Most scalars are names and scripts: only these first bytes can start
     * anything but a string. */
    if (*s && !strchr("~nNtTfF0123456789+-.", *s))
        return v->type;
    const char *unsigned_part = s + (*s == '-' || *s == '+');
    if (is_one_of(s, nulls))
        v->type = YSCALAR_NULL;
    else if (is_one_of(s, trues) || is_one_of(s, falses)) {
        v->type = YSCALAR_BOOL;
        v->boolean = is_one_of(s, trues);
    } else if (all_in(unsigned_part, "0123456789") ||
               (!strncmp(s, "0o", 2) && all_in(s + 2, "01234567")) ||
               (!strncmp(s, "0x", 2) && all_in(s + 2, "0123456789abcdefABCDEF"))) {
        int base = s[0] == '0' && s[1] == 'o' ? 8 : s[0] == '0' && s[1] == 'x' ? 16 : 10;
        errno = 0;
        long long i = strtoll(base == 10 ? s : s + 2, NULL, base);
        if (errno == 0) {
            v->type = YSCALAR_INT;
            v->integer = i;
        } else if (base == 10) { /* too large: a float, as go-yaml's ParseFloat */
            v->type = YSCALAR_FLOAT;
            v->integral = 1;
            v->real = strtod(s, NULL);
        } /* (a hexadecimal or octal one stays a string) */
    } else if (is_core_float(s)) {
        v->type = YSCALAR_FLOAT;
        v->real = strtod(s, NULL);
    } else if (is_one_of(unsigned_part, infs)) {
        v->type = YSCALAR_FLOAT;
        v->real = *s == '-' ? -HUGE_VAL : HUGE_VAL;
    } else if (is_one_of(s, nans)) {
        v->type = YSCALAR_FLOAT;
        v->real = NAN;
    }
    return v->type;
}

json_t *yamltree_scalar_json(const struct ynode *n, enum yscalar_problem *why)
{
    if (strlen(n->scalar.value) != n->scalar.length) {
        *why = YSCALAR_NUL_BYTE;
        return NULL;
    }
    struct yscalar v;
    switch (yamltree_resolve(n, &v)) {
    case YSCALAR_NULL: return json_null();
    case YSCALAR_BOOL: return json_boolean(v.boolean);
    case YSCALAR_INT: return json_integer(v.integer);
    case YSCALAR_FLOAT:
        if (isfinite(v.real))
            return json_real(v.real);
        *why = YSCALAR_NOT_FINITE; /* JSON has no infinity or NaN */
        return NULL;
    case YSCALAR_STRING: break;
    }
    json_t *j = json_stringn(n->scalar.value, n->scalar.length);
    if (!j)
        *why = YSCALAR_NOT_UTF8;
    return j;
}
