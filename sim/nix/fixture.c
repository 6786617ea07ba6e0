/* fixture — loads and validates a fixture depot file (see fixture.h and
 * fixtures/README.md for the format).
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
 * the stack. */
#include "nix/fixture.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "nix/yamltree.h"
#include "strbuf.h"
#include "xalloc.h"

#define MAX_DEPTH 64          /* nesting of generic values */
#define MAX_VALUE_NODES 100000 /* nodes converted to JSON, aliases counted again */
#define MAX_NAME_LEN 207       /* derivation name: `<name>.drv` <= 211 */

const char *const fixture_invariants[] = {
    "no-early-extra-step-build", "construction-builds", "script-built-at-execution",
    "result-link", "tree-clean", "pipeline-valid", "skip-consistent", "gc-fallback", NULL,
};

/* ---- loader state ---------------------------------------------------- */

enum ref_kind { REF_DRV, REF_SCRIPT, REF_COMMAND, REF_TARGET_LABEL };

struct pending {
    enum ref_kind kind;
    char *key;           /* derivation key or target label */
    char *output;        /* REF_SCRIPT: `^output`, or NULL for the default */
    char **output_dest;  /* REF_SCRIPT: where the output name goes */
    size_t *dest;        /* where the index goes */
    const char *what;    /* "deps", "command", ... for messages */
    struct fixture_pos pos;
};

struct loader {
    const char *path;
    struct yamltree doc;
    struct fixture *f;
    struct lk_error *err;
    size_t budget;
    struct pending *pend;
    size_t n_pend, alloc_pend;
    size_t alloc_drvs;
};

static struct fixture_pos pos_of(const struct ynode *n)
{
    struct fixture_pos p = { (int)n->start_mark.line + 1, (int)n->start_mark.column + 1 };
    return p;
}

static int fail_pos(struct loader *L, struct fixture_pos p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_pos(struct loader *L, struct fixture_pos p, const char *fmt, ...)
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
#define fail(L, node, ...) fail_pos((L), pos_of(node), __VA_ARGS__)

static struct ynode *get_node(struct loader *L, size_t id)
{
    return &L->doc.nodes[id];
}

static const char *scalar(const struct ynode *n)
{
    return n->scalar.value;
}

/* Scalars mean what yamltree_resolve() says (YAML 1.2's core schema). */
static int is_null(const struct ynode *n)
{
    struct yscalar v;
    return n->type == YAML_SCALAR_NODE && yamltree_resolve(n, &v) == YSCALAR_NULL;
}

static const char *node_kind(const struct ynode *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE: return is_null(n) ? "nothing (null)" : "a scalar";
    default: return "nothing";
    }
}

/* A string value: any scalar but a plain null, without NUL bytes. */
static int get_string(struct loader *L, struct ynode *n, const char *what, char **out)
{
    if (n->type != YAML_SCALAR_NODE || is_null(n))
        return fail(L, n, "%s: expected a string, found %s", what, node_kind(n));
    if (strlen(scalar(n)) != n->scalar.length)
        return fail(L, n, "%s: the string contains a NUL byte", what);
    free(*out);
    *out = xstrdup(scalar(n));
    return 0;
}

static int bool_value(const struct ynode *n)
{
    struct yscalar v;
    if (n->type != YAML_SCALAR_NODE || yamltree_resolve(n, &v) != YSCALAR_BOOL)
        return -1;
    return v.boolean;
}

static int get_bool(struct loader *L, struct ynode *n, const char *what, int *out)
{
    int b = bool_value(n);
    if (b < 0)
        return fail(L, n, "%s: expected a boolean (true or false), found %s", what,
                    n->type == YAML_SCALAR_NODE && !is_null(n) ? "a string" : node_kind(n));
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

static int get_int(struct loader *L, struct ynode *n, const char *what, long long min,
                   long long max, long long *out)
{
    long long v;
    int r = int_value(n, &v);
    if (r == -2 || (r == 0 && (v < min || v > max)))
        return fail(L, n, "%s: expected an integer from %lld to %lld", what, min, max);
    if (r < 0)
        return fail(L, n, "%s: expected an integer, found %s", what,
                    n->type == YAML_SCALAR_NODE && !is_null(n) ? "a string" : node_kind(n));
    *out = v;
    return 0;
}

/* A list (null counts as empty): the element node ids and their count. */
static int get_seq(struct loader *L, struct ynode *n, const char *what, size_t **items,
                   size_t *count)
{
    if (is_null(n)) {
        *items = NULL;
        *count = 0;
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(L, n, "%s: expected a list, found %s", what, node_kind(n));
    *items = n->items.start;
    *count = (size_t)(n->items.top - n->items.start);
    return 0;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int get_string_list(struct loader *L, struct ynode *n, const char *what, char ***out,
                           size_t *count)
{
    size_t *items;
    size_t k;
    if (get_seq(L, n, what, &items, &k) < 0)
        return -1;
    char **v = xcalloc(k ? k : 1, sizeof *v);
    for (size_t i = 0; i < k; i++) {
        if (get_string(L, get_node(L, items[i]), what, &v[i]) < 0) {
            free_strings(v, i);
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
static int get_map(struct loader *L, struct ynode *n, const char *what, struct ynode_pair **pairs,
                   size_t *count)
{
    if (is_null(n)) {
        *pairs = NULL;
        *count = 0;
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE)
        return fail(L, n, "%s: expected a mapping, found %s", what, node_kind(n));
    struct ynode_pair *p = n->pairs.start;
    size_t k = (size_t)(n->pairs.top - p);
    struct keyref *keys = xcalloc(k ? k : 1, sizeof *keys);
    for (size_t i = 0; i < k; i++) {
        struct ynode *kn = get_node(L, p[i].key);
        if (kn->type != YAML_SCALAR_NODE) {
            free(keys);
            return fail(L, kn, "%s: expected a string key, found %s", what, node_kind(kn));
        }
        if (strlen(scalar(kn)) != kn->scalar.length) {
            free(keys);
            return fail(L, kn, "%s: the key contains a NUL byte", what);
        }
        keys[i] = (struct keyref){ scalar(kn), kn->scalar.length, kn };
    }
    qsort(keys, k, sizeof *keys, cmp_keyref);
    for (size_t i = 1; i < k; i++) {
        if (keys[i].len == keys[i - 1].len && !memcmp(keys[i].s, keys[i - 1].s, keys[i].len)) {
            int r = fail(L, keys[i].node, "%s: duplicate key '%s'", what, keys[i].s);
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
static int get_fields(struct loader *L, struct ynode *n, const char *what,
                      const char *const *names, struct ynode **vals)
{
    struct ynode_pair *pairs;
    size_t k, nn = 0;
    while (names[nn])
        nn++;
    for (size_t i = 0; i < nn; i++)
        vals[i] = NULL;
    if (get_map(L, n, what, &pairs, &k) < 0)
        return -1;
    for (size_t i = 0; i < k; i++) {
        struct ynode *kn = get_node(L, pairs[i].key);
        size_t j = 0;
        while (j < nn && strcmp(names[j], scalar(kn)) != 0)
            j++;
        if (j == nn) {
            struct strbuf sb = STRBUF_INIT;
            for (size_t m = 0; m < nn; m++)
                sb_addf(&sb, "%s%s", m ? ", " : "", names[m]);
            int r = fail(L, kn, "%s: unknown key '%s' (expected one of: %s)", what, scalar(kn),
                         sb_str(&sb));
            sb_release(&sb);
            return r;
        }
        vals[j] = get_node(L, pairs[i].value);
    }
    return 0;
}

/* ---- generic values -> JSON ------------------------------------------ */

static json_t *to_json(struct loader *L, struct ynode *n, int depth, const char *what)
{
    if (depth > MAX_DEPTH) {
        fail(L, n, "%s: nested deeper than %d levels", what, MAX_DEPTH);
        return NULL;
    }
    if (++L->budget > MAX_VALUE_NODES) {
        fail(L, n, "%s: value too large (more than %d nodes, counting aliases)", what,
             MAX_VALUE_NODES);
        return NULL;
    }
    switch (n->type) {
    case YAML_SCALAR_NODE: {
        const char *s = scalar(n);
        if (strlen(s) != n->scalar.length) {
            fail(L, n, "%s: the string contains a NUL byte", what);
            return NULL;
        }
        struct yscalar v;
        switch (yamltree_resolve(n, &v)) {
        case YSCALAR_NULL: return json_null();
        case YSCALAR_BOOL: return json_boolean(v.boolean);
        case YSCALAR_INT: return json_integer(v.integer);
        case YSCALAR_FLOAT:
            if (!isfinite(v.real)) { /* JSON has no infinity or NaN */
                fail(L, n, "%s: the number %s is out of range", what, s);
                return NULL;
            }
            return json_real(v.real);
        case YSCALAR_STRING: break;
        }
        json_t *j = json_stringn(s, n->scalar.length);
        if (!j)
            fail(L, n, "%s: the string is not valid UTF-8", what);
        return j;
    }
    case YAML_SEQUENCE_NODE: {
        json_t *a = json_array();
        for (size_t *it = n->items.start; it < n->items.top;
             it++) {
            json_t *v = to_json(L, get_node(L, *it), depth + 1, what);
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
        if (get_map(L, n, what, &pairs, &k) < 0)
            return NULL;
        json_t *o = json_object();
        for (size_t i = 0; i < k; i++) {
            struct ynode *kn = get_node(L, pairs[i].key);
            json_t *v = to_json(L, get_node(L, pairs[i].value), depth + 1, what);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            if (json_object_setn_new(o, scalar(kn), kn->scalar.length, v) < 0) {
                json_decref(o);
                fail(L, kn, "%s: the key is not valid UTF-8", what);
                return NULL;
            }
        }
        return o;
    }
    default:
        fail(L, n, "%s: expected a value", what);
        return NULL;
    }
}

/* ---- names ------------------------------------------------------------ */

static int nix_name_char(unsigned char c)
{
    return isalnum(c) || strchr("+-._?=", c) != NULL;
}

static const char *bad_nix_name(const char *s)
{
    if (!*s)
        return "is empty";
    if (strlen(s) > MAX_NAME_LEN)
        return "is longer than 207 characters";
    if (*s == '.')
        return "starts with '.'";
    for (const char *p = s; *p; p++)
        if (!nix_name_char((unsigned char)*p))
            return "contains a character outside A-Z a-z 0-9 + - . _ ? =";
    return NULL;
}

/* The default derivation name: the key's last `/` component, with every
 * character Nix does not allow in names replaced by `-`. */
static char *name_from_key(const char *key)
{
    const char *slash = strrchr(key, '/');
    const char *base = slash ? slash + 1 : key;
    size_t n = strlen(base);
    if (n > 200)
        n = 200;
    char *s = xstrndup(base, n);
    for (char *p = s; *p; p++)
        if (!nix_name_char((unsigned char)*p))
            *p = '-';
    if (*s == '.')
        *s = '-';
    if (!*s) {
        free(s);
        s = xstrdup("unnamed");
    }
    return s;
}

/* Output names: shell identifiers (the builder reads `$name`), not "drv",
 * and none of the names `derivation` or the derivation attribute set already
 * uses (an output called `all` or `PATH` would shadow or clobber them). */
static int valid_output_name(const char *s)
{
    static const char *const reserved[] = { "drv", "all", "drvAttrs", "drvPath", "outPath",
                                            "outputName", "type", "name", "system", "builder",
                                            "args", "PATH", "deps", "outputs", "meta", NULL };
    for (size_t i = 0; reserved[i]; i++)
        if (!strcmp(s, reserved[i]))
            return 0;
    if (!*s || strlen(s) > 64)
        return 0;
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return 0;
    return 1;
}

/* ---- pending references ---------------------------------------------- */

static void add_pending(struct loader *L, enum ref_kind kind, const char *key, size_t *dest,
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

/* ---- derivations ----------------------------------------------------- */

static const char *const drv_fields[] = { "build", "deps", "outputs", "fail", "ifd", "name", NULL };
enum { DF_BUILD, DF_DEPS, DF_OUTPUTS, DF_FAIL, DF_IFD, DF_NAME, DF_N };

/* Room for exactly `n` script parts (`d` has none yet): most scripts are one
 * part, and 10^5 derivations each with room for 8 are 17 MB. */
static void alloc_parts(struct fixture_drv *d, size_t *alloc, size_t n)
{
    d->script = xmalloc(n * sizeof *d->script);
    *alloc = n;
}

static void add_part_text(struct fixture_drv *d, size_t *alloc, const char *s, size_t n)
{
    if (!n)
        return;
    if (d->n_script && d->script[d->n_script - 1].text) {
        struct fixture_script_part *last = &d->script[d->n_script - 1];
        size_t old = strlen(last->text);
        last->text = xrealloc(last->text, old + n + 1);
        memcpy(last->text + old, s, n);
        last->text[old + n] = 0;
        return;
    }
    XGROW(d->script, *alloc, d->n_script + 1);
    d->script[d->n_script].text = xstrndup(s, n);
    d->script[d->n_script].drv = FIXTURE_NONE;
    d->script[d->n_script].output = NULL;
    d->n_script++;
}

/* Split a build script into text and `@{key}` / `@{key^output}` references.
 * `@@` is a literal `@`; any other `@` is itself. Script parts are allocated
 * at their final size before references point into them. */
static int parse_script(struct loader *L, struct fixture_drv *d, const char *s,
                        struct fixture_pos pos)
{
    size_t alloc = 0;
    /* Count references first so the parts array never moves afterwards. */
    size_t refs = 0;
    for (const char *p = s; *p; p++) {
        if (p[0] == '@' && p[1] == '@')
            p++;
        else if (p[0] == '@' && p[1] == '{')
            refs++;
    }
    alloc_parts(d, &alloc, 2 * refs + 1);
    const char *p = s, *lit = s;
    while (*p) {
        if (p[0] == '@' && p[1] == '@') {
            add_part_text(d, &alloc, lit, (size_t)(p - lit) + 1);
            p += 2;
            lit = p;
        } else if (p[0] == '@' && p[1] == '{') {
            add_part_text(d, &alloc, lit, (size_t)(p - lit));
            const char *start = p + 2, *end = strchr(start, '}');
            size_t off = (size_t)(p - s);
            if (!end)
                return fail_pos(L, pos,
                                "derivation '%s': build script: '@{' at character %zu is not "
                                "closed by '}' (write '@@{' for a literal '@{')",
                                d->key, off + 1);
            char *ref = xstrndup(start, (size_t)(end - start));
            char *caret = strrchr(ref, '^');
            char *output = NULL;
            if (caret) {
                *caret = 0;
                output = caret + 1;
            }
            if (!*ref || (output && !*output)) {
                free(ref);
                return fail_pos(L, pos,
                                "derivation '%s': build script: '@{...}' at character %zu: "
                                "expected '@{key}' or '@{key^output}'",
                                d->key, off + 1);
            }
            if (d->n_script + 1 > alloc)
                XGROW(d->script, alloc, d->n_script + 1);
            struct fixture_script_part *part = &d->script[d->n_script++];
            part->text = NULL;
            part->drv = FIXTURE_NONE;
            part->output = NULL;
            add_pending(L, REF_SCRIPT, ref, &part->drv, "build script", pos);
            L->pend[L->n_pend - 1].output = output ? xstrdup(output) : NULL;
            L->pend[L->n_pend - 1].output_dest = &part->output;
            free(ref);
            p = end + 1;
            lit = p;
        } else {
            p++;
        }
    }
    add_part_text(d, &alloc, lit, (size_t)(p - lit));
    return 0;
}

/* Keys are any non-empty string; one containing '}' or '^' cannot be named
 * in a build script's `@{...}` (fixtures/README.md), but deps, drv, command
 * and the other fields can still name it. */
static int check_key(struct loader *L, struct ynode *n, const char *key, const char *what)
{
    if (!*key)
        return fail(L, n, "%s: a derivation key must not be empty", what);
    return 0;
}

static size_t new_drv(struct loader *L, const char *key, struct ynode *at)
{
    struct fixture *f = L->f;
    XGROW(f->drvs, L->alloc_drvs, f->n_drvs + 1);
    struct fixture_drv *d = &f->drvs[f->n_drvs];
    memset(d, 0, sizeof *d);
    d->key = xstrdup(key);
    d->pos = pos_of(at);
    return f->n_drvs++;
}

/* Fill drv `i` from the derivation fields in `vals` (drv_fields order). */
static int load_drv_fields(struct loader *L, size_t i, struct ynode **vals, const char *what)
{
    struct fixture_drv *d = &L->f->drvs[i];
    if (vals[DF_NAME]) {
        if (get_string(L, vals[DF_NAME], "name", &d->name) < 0)
            return -1;
        const char *why = bad_nix_name(d->name);
        if (why)
            return fail(L, vals[DF_NAME], "%s '%s': name '%s' is not a valid Nix name: it %s",
                        what, d->key, d->name, why);
    } else {
        d->name = name_from_key(d->key);
    }
    if (vals[DF_OUTPUTS]) {
        if (get_string_list(L, vals[DF_OUTPUTS], "outputs", &d->outputs, &d->n_outputs) < 0)
            return -1;
        if (!d->n_outputs)
            return fail(L, vals[DF_OUTPUTS], "%s '%s': outputs: expected at least one output",
                        what, d->key);
        for (size_t j = 0; j < d->n_outputs; j++) {
            if (!valid_output_name(d->outputs[j]))
                return fail(L, vals[DF_OUTPUTS],
                            "%s '%s': output name '%s' is not valid: expected a shell "
                            "identifier (letters, digits, '_') that is not a reserved name "
                            "(drv, all, drvAttrs, drvPath, outPath, outputName, type, name, "
                            "system, builder, args, PATH, deps, outputs, meta)",
                            what, d->key, d->outputs[j]);
            for (size_t m = 0; m < j; m++)
                if (!strcmp(d->outputs[m], d->outputs[j]))
                    return fail(L, vals[DF_OUTPUTS], "%s '%s': output '%s' listed twice", what,
                                d->key, d->outputs[j]);
            if (strlen(d->name) + 1 + strlen(d->outputs[j]) > MAX_NAME_LEN + 4)
                return fail(L, vals[DF_OUTPUTS], "%s '%s': name '%s-%s' is too long", what,
                            d->key, d->name, d->outputs[j]);
        }
        d->outputs_explicit = !(d->n_outputs == 1 && !strcmp(d->outputs[0], "out"));
    } else {
        d->outputs = xcalloc(1, sizeof *d->outputs);
        d->outputs[0] = xstrdup("out");
        d->n_outputs = 1;
    }
    if (vals[DF_FAIL] && get_bool(L, vals[DF_FAIL], "fail", &d->fail) < 0)
        return -1;
    const char *const list_names[] = { "deps", "ifd" };
    struct ynode *list_nodes[] = { vals[DF_DEPS], vals[DF_IFD] };
    size_t **dests[] = { &d->deps, &d->ifd };
    size_t *counts[] = { &d->n_deps, &d->n_ifd };
    for (int l = 0; l < 2; l++) {
        if (!list_nodes[l])
            continue;
        size_t *items;
        size_t k;
        if (get_seq(L, list_nodes[l], list_names[l], &items, &k) < 0)
            return -1;
        *dests[l] = xcalloc(k ? k : 1, sizeof(size_t));
        *counts[l] = k;
        for (size_t j = 0; j < k; j++) {
            struct ynode *en = get_node(L, items[j]);
            char *key = NULL;
            if (get_string(L, en, list_names[l], &key) < 0)
                return -1;
            (*dests[l])[j] = FIXTURE_NONE;
            add_pending(L, REF_DRV, key, &(*dests[l])[j], list_names[l], pos_of(en));
            free(key);
        }
    }
    if (vals[DF_BUILD]) {
        if (get_string(L, vals[DF_BUILD], "build", &d->build) < 0)
            return -1;
        if (parse_script(L, d, d->build, pos_of(vals[DF_BUILD])) < 0)
            return -1;
    } else {
        /* The default script creates every output. */
        struct strbuf sb = STRBUF_INIT;
        for (size_t j = 0; j < d->n_outputs; j++)
            sb_addf(&sb, "%smkdir \"$%s\"", j ? "; " : "", d->outputs[j]);
        size_t alloc;
        alloc_parts(d, &alloc, 1);
        add_part_text(d, &alloc, sb.buf, sb.len);
        sb_release(&sb);
    }
    return 0;
}

static int load_derivations(struct loader *L, struct ynode *n)
{
    struct ynode_pair *pairs;
    size_t k;
    if (get_map(L, n, "derivations", &pairs, &k) < 0)
        return -1;
    XGROW(L->f->drvs, L->alloc_drvs, L->f->n_drvs + k); /* at once: they are large */
    for (size_t i = 0; i < k; i++) {
        struct ynode *kn = get_node(L, pairs[i].key), *vn = get_node(L, pairs[i].value);
        if (check_key(L, kn, scalar(kn), "derivation") < 0)
            return -1;
        char *what = xasprintf("derivation '%s'", scalar(kn));
        struct ynode *vals[DF_N];
        int r = get_fields(L, vn, what, drv_fields, vals);
        free(what);
        if (r < 0)
            return -1;
        size_t idx = new_drv(L, scalar(kn), kn);
        if (load_drv_fields(L, idx, vals, "derivation") < 0)
            return -1;
    }
    return 0;
}

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
    if (get_map(L, n, "extraSteps", &pairs, &k) < 0)
        return -1;
    t->has_extra_steps = 1;
    t->steps = xcalloc(k ? k : 1, sizeof *t->steps);
    for (size_t i = 0; i < k; i++) {
        struct ynode *kn = get_node(L, pairs[i].key), *vn = get_node(L, pairs[i].value);
        struct fixture_extra_step *s = &t->steps[t->n_steps++];
        s->name = xstrdup(scalar(kn));
        s->pos = pos_of(kn);
        s->command = s->parent_override = FIXTURE_NONE;
        s->needs_output = s->always_run = s->soft_fail = FIXTURE_UNSET;
        if (!*s->name)
            return fail(L, kn, "extraSteps: a step name must not be empty");
        char *what = xasprintf("extra step '%s' of %s", s->name, t->label);
        struct ynode *v[SF_N];
        int r = get_fields(L, vn, what, step_fields, v);
        free(what);
        if (r < 0)
            return -1;
        if (!v[SF_COMMAND])
            return fail(L, vn, "extra step '%s' of %s: missing key 'command' (a derivation key)",
                        s->name, t->label);
        char *key = NULL;
        if (get_string(L, v[SF_COMMAND], "command", &key) < 0)
            return -1;
        add_pending(L, REF_COMMAND, key, &s->command, "command", pos_of(v[SF_COMMAND]));
        free(key);
        if (v[SF_OVERRIDE]) {
            key = NULL;
            if (get_string(L, v[SF_OVERRIDE], "parentOverride", &key) < 0)
                return -1;
            add_pending(L, REF_DRV, key, &s->parent_override, "parentOverride",
                        pos_of(v[SF_OVERRIDE]));
            free(key);
        }
        if (v[SF_LABEL] && get_string(L, v[SF_LABEL], "label", &s->label) < 0)
            return -1;
        if (v[SF_PHASE] && get_string(L, v[SF_PHASE], "phase", &s->phase) < 0)
            return -1;
        if (v[SF_NEEDS] && get_bool(L, v[SF_NEEDS], "needsOutput", &s->needs_output) < 0)
            return -1;
        if (v[SF_ALWAYS] && get_bool(L, v[SF_ALWAYS], "alwaysRun", &s->always_run) < 0)
            return -1;
        if (v[SF_SOFT] && get_bool(L, v[SF_SOFT], "softFail", &s->soft_fail) < 0)
            return -1;
        if (v[SF_BRANCHES] &&
            get_string_list(L, v[SF_BRANCHES], "branches", &s->branches, &s->n_branches) < 0)
            return -1;
        struct ynode *bs[] = { v[SF_PROMPT], v[SF_SKIP] };
        json_t **bd[] = { &s->prompt, &s->skip };
        const char *bn[] = { "prompt", "skip" };
        for (int j = 0; j < 2; j++) {
            if (!bs[j])
                continue;
            int b = bool_value(bs[j]);
            if (b >= 0)
                *bd[j] = json_boolean(b);
            else if (bs[j]->type == YAML_SCALAR_NODE && !is_null(bs[j])) {
                char *str = NULL;
                if (get_string(L, bs[j], bn[j], &str) < 0)
                    return -1;
                *bd[j] = json_string(str);
                free(str);
                if (!*bd[j])
                    return fail(L, bs[j], "%s: the string is not valid UTF-8", bn[j]);
            } else
                return fail(L, bs[j], "%s: expected a boolean or a string, found %s", bn[j],
                            node_kind(bs[j]));
        }
        if (v[SF_AGENTS]) {
            if (v[SF_AGENTS]->type == YAML_SCALAR_NODE)
                return fail(L, v[SF_AGENTS], "agents: expected a mapping or a list, found %s",
                            node_kind(v[SF_AGENTS]));
            if (!(s->agents = to_json(L, v[SF_AGENTS], 0, "agents")))
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
                return fail_pos(L, later->pos,
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
    int r = get_fields(L, n, what, meta_fields, v);
    free(what);
    if (r < 0)
        return -1;
    t->has_meta = 1;
    if (v[0]) {
        if (get_int(L, v[0], "timeout", 0, INT_MAX, &t->timeout) < 0)
            return -1;
        t->has_timeout = 1;
    }
    if (!v[1])
        return 0;
    what = xasprintf("meta.ci of %s", t->label);
    r = get_fields(L, v[1], what, ci_fields, c);
    free(what);
    if (r < 0)
        return -1;
    t->has_ci = 1;
    if (c[1]) {
        if (get_string_list(L, c[1], "buildkiteExtraDeps", &t->extra_deps, &t->n_extra_deps) < 0)
            return -1;
        t->has_extra_deps = 1;
    }
    if (c[2]) {
        if (c[2]->type != YAML_MAPPING_NODE && !is_null(c[2]))
            return fail(L, c[2], "buildkiteExtraStepArgs: expected a mapping, found %s",
                        node_kind(c[2]));
        if (is_null(c[2]))
            t->extra_step_args = json_object();
        else if (!(t->extra_step_args = to_json(L, c[2], 0, "buildkiteExtraStepArgs")))
            return -1;
    }
    if (c[3] && get_string(L, c[3], "postBuild", &t->post_build) < 0)
        return -1;
    if (c[0] && load_extra_steps(L, t, c[0]) < 0)
        return -1;
    return 0;
}

static int check_attr_name(struct loader *L, struct ynode *n, const char *s, const char *what)
{
    if (!*s)
        return fail(L, n, "%s: an attribute name must not be empty", what);
    if (strchr(s, '/'))
        return fail(L, n, "%s: attribute name '%s' must not contain '/'", what, s);
    return 0;
}

static int load_target(struct loader *L, struct fixture_target *t, struct ynode *n)
{
    static const char *const fields[] = { "attrPath", "subtarget", "drv", "meta", "build",
                                          "deps", "outputs", "fail", "ifd", "name", NULL };
    struct ynode *v[10];
    if (get_fields(L, n, "target", fields, v) < 0)
        return -1;
    t->pos = pos_of(n);
    t->drv = FIXTURE_NONE;
    if (!v[0])
        return fail(L, n, "target: missing key 'attrPath' (a list of attribute names)");
    if (get_string_list(L, v[0], "attrPath", &t->attr_path, &t->n_attr_path) < 0)
        return -1;
    if (!t->n_attr_path)
        return fail(L, v[0], "attrPath: expected at least one attribute name");
    if (t->n_attr_path > MAX_DEPTH)
        return fail(L, v[0], "attrPath: expected at most %d attribute names", MAX_DEPTH);
    for (size_t i = 0; i < t->n_attr_path; i++)
        if (check_attr_name(L, v[0], t->attr_path[i], "attrPath") < 0)
            return -1;
    if (!strcmp(t->attr_path[0], "ci"))
        return fail(L, v[0], "attrPath: the top-level attribute 'ci' is reserved (ci.targets)");
    if (v[1]) {
        if (get_string(L, v[1], "subtarget", &t->subtarget) < 0 ||
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
        return fail(L, v[2], "target %s: 'drv' names a derivation; it cannot be combined with "
                             "an inline derivation (build, deps, outputs, fail, ifd, name)",
                    t->label);
    if (v[2]) {
        char *key = NULL;
        if (get_string(L, v[2], "drv", &key) < 0)
            return -1;
        add_pending(L, REF_DRV, key, &t->drv, "drv", pos_of(v[2]));
        free(key);
    } else if (has_inline) {
        if (check_key(L, n, t->label, "target") < 0)
            return -1;
        size_t idx = new_drv(L, t->label, n);
        L->f->drvs[idx].inline_target = 1;
        /* The drv index is resolved with the others (and checked unique). */
        struct ynode *dv[DF_N] = { v[4], v[5], v[6], v[7], v[8], v[9] };
        if (load_drv_fields(L, idx, dv, "target") < 0)
            return -1;
        t->drv = idx;
    } else {
        add_pending(L, REF_DRV, t->label, &t->drv, "drv (default: the target's label)",
                    pos_of(n));
    }
    if (v[3] && load_meta(L, t, v[3]) < 0)
        return -1;
    return 0;
}

static int load_targets(struct loader *L, struct ynode *n)
{
    size_t *items;
    size_t k;
    if (get_seq(L, n, "targets", &items, &k) < 0)
        return -1;
    L->f->targets = xcalloc(k ? k : 1, sizeof *L->f->targets);
    for (size_t i = 0; i < k; i++) {
        struct fixture_target *t = &L->f->targets[L->f->n_targets++];
        if (load_target(L, t, get_node(L, items[i])) < 0)
            return -1;
    }
    return 0;
}

/* ---- top level ------------------------------------------------------- */

static int load_pipeline_setting(struct loader *L, const char *name, struct ynode *n)
{
    json_t *j;
    if (!strcmp(name, "headBranch")) {
        char *s = NULL;
        if (get_string(L, n, name, &s) < 0)
            return -1;
        j = json_string(s);
        free(s);
        if (!j)
            return fail(L, n, "%s: the string is not valid UTF-8", name);
    } else if (!strcmp(name, "cancelOnBuildFailing")) {
        int b;
        if (get_bool(L, n, name, &b) < 0)
            return -1;
        j = json_boolean(b);
    } else if (!strcmp(name, "phases") || !strcmp(name, "activePhases")) {
        char **v;
        size_t k;
        if (get_string_list(L, n, name, &v, &k) < 0)
            return -1;
        j = json_array();
        for (size_t i = 0; i < k; i++) {
            json_t *e = json_string(v[i]);
            if (!e) {
                json_decref(j);
                free_strings(v, k);
                return fail(L, n, "%s: a phase name is not valid UTF-8", name);
            }
            json_array_append_new(j, e);
        }
        free_strings(v, k);
    } else if (!strcmp(name, "defaultStepOverrides")) {
        if (n->type != YAML_MAPPING_NODE && !is_null(n))
            return fail(L, n, "%s: expected a mapping, found %s", name, node_kind(n));
        j = is_null(n) ? json_object() : to_json(L, n, 0, name);
    } else { /* additionalSteps, postBuildSteps */
        if (n->type != YAML_SEQUENCE_NODE && !is_null(n))
            return fail(L, n, "%s: expected a list of steps, found %s", name, node_kind(n));
        j = is_null(n) ? json_array() : to_json(L, n, 0, name);
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
                                          NULL };
    struct ynode *v[6];
    struct fixture_expect *e = &L->f->expect;
    if (get_fields(L, n, "expect", fields, v) < 0)
        return -1;
    if (v[0]) {
        size_t *items;
        size_t k;
        if (get_seq(L, v[0], "construction_builds", &items, &k) < 0)
            return -1;
        e->construction_builds = xcalloc(k ? k : 1, sizeof(size_t));
        e->n_construction_builds = k;
        for (size_t i = 0; i < k; i++) {
            char *key = NULL;
            struct ynode *en = get_node(L, items[i]);
            if (get_string(L, en, "construction_builds", &key) < 0)
                return -1;
            e->construction_builds[i] = FIXTURE_NONE;
            add_pending(L, REF_DRV, key, &e->construction_builds[i], "construction_builds",
                        pos_of(en));
            free(key);
        }
    }
    if (v[1]) {
        struct ynode_pair *pairs;
        size_t k;
        if (get_map(L, v[1], "expect.steps", &pairs, &k) < 0)
            return -1;
        e->steps = xcalloc(k ? k : 1, sizeof *e->steps);
        for (size_t i = 0; i < k; i++) {
            struct ynode *kn = get_node(L, pairs[i].key), *vn = get_node(L, pairs[i].value);
            struct fixture_expect_step *s = &e->steps[e->n_steps++];
            s->label = xstrdup(scalar(kn));
            s->pos = pos_of(kn);
            char *o = NULL;
            if (get_string(L, vn, "expect.steps", &o) < 0)
                return -1;
            int oc = bk_outcome_parse(o);
            free(o);
            if (oc < 0)
                return fail(L, vn, "expect.steps: unknown outcome '%s' (expected one of: %s)",
                            scalar(vn), bk_outcome_names());
            s->outcome = (enum bk_outcome)oc;
        }
    }
    if (v[2]) {
        struct ynode_pair *pairs;
        size_t k;
        if (get_map(L, v[2], "built_by", &pairs, &k) < 0)
            return -1;
        e->built_by = xcalloc(k ? k : 1, sizeof *e->built_by);
        for (size_t i = 0; i < k; i++) {
            struct ynode *kn = get_node(L, pairs[i].key), *vn = get_node(L, pairs[i].value);
            struct fixture_built_by *b = &e->built_by[e->n_built_by++];
            b->drv = FIXTURE_NONE;
            b->pos = pos_of(kn);
            if (get_string(L, vn, "built_by", &b->step) < 0)
                return -1;
            add_pending(L, REF_DRV, scalar(kn), &b->drv, "built_by", pos_of(kn));
        }
    }
    if (v[3]) {
        if (get_string_list(L, v[3], "violations", &e->violations, &e->n_violations) < 0)
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
                int r = fail(L, get_node(L, items[i]),
                             "violations: unknown invariant '%s' (expected one of: %s)",
                             e->violations[i], sb_str(&sb));
                sb_release(&sb);
                return r;
            }
        }
    }
    if (v[4]) {
        long long x;
        if (get_int(L, v[4], "generate_exit", 0, 255, &x) < 0)
            return -1;
        e->generate_exit = (int)x;
    }
    if (v[5] && get_string(L, v[5], "generate_error", &e->generate_error) < 0)
        return -1;
    return 0;
}

static int load_run(struct loader *L, struct ynode *n)
{
    static const char *const fields[] = { "agents", "unblock", "gc_drvs", NULL };
    struct ynode *v[3];
    if (get_fields(L, n, "run", fields, v) < 0)
        return -1;
    if (v[0]) {
        long long x;
        if (get_int(L, v[0], "agents", 1, 64, &x) < 0)
            return -1;
        L->f->run.agents = (int)x;
    }
    if (v[1] && get_bool(L, v[1], "unblock", &L->f->run.unblock) < 0)
        return -1;
    if (v[2] && get_bool(L, v[2], "gc_drvs", &L->f->run.gc_drvs) < 0)
        return -1;
    return 0;
}

/* ---- resolution and checks ------------------------------------------- */

static const char *g_keys_base; /* qsort context: no qsort_r in C11 */

static int cmp_target_by_label(const void *a, const void *b)
{
    const struct fixture_target *t = (const struct fixture_target *)g_keys_base;
    return strcmp(t[*(const size_t *)a].label, t[*(const size_t *)b].label);
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
            return fail_pos(L, later->pos, "target %s: duplicate label (another target has it)",
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
        return fail_pos(L, clash->pos,
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
                return fail_pos(L, p->pos, "%s: no target has the label '%s'", p->what, p->key);
            *p->dest = t;
            continue;
        }
        size_t d = fixture_find_drv(f, p->key);
        if (d == FIXTURE_NONE)
            return fail_pos(L, p->pos, "%s: no derivation has the key '%s'", p->what, p->key);
        *p->dest = d;
        const struct fixture_drv *dv = &f->drvs[d];
        if (p->kind == REF_COMMAND && dv->n_outputs != 1)
            return fail_pos(L, p->pos,
                            "command: derivation '%s' has %zu outputs; an extra step's command "
                            "must have exactly one",
                            p->key, dv->n_outputs);
        if (p->kind == REF_SCRIPT) {
            const char *out = p->output ? p->output : dv->outputs[0];
            size_t j = 0;
            while (j < dv->n_outputs && strcmp(dv->outputs[j], out))
                j++;
            if (j == dv->n_outputs)
                return fail_pos(L, p->pos, "build script: '@{%s^%s}': derivation '%s' has no "
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
                rc = fail_pos(L, f->drvs[child].pos, "dependency cycle: %s", sb_str(&sb));
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

static int cmp_paths(const struct fixture_target *a, const struct fixture_target *b)
{
    size_t na = a->n_attr_path + (a->subtarget != NULL), nb = b->n_attr_path + (b->subtarget != NULL);
    for (size_t i = 0; i < na && i < nb; i++) {
        const char *x = i < a->n_attr_path ? a->attr_path[i] : a->subtarget;
        const char *y = i < b->n_attr_path ? b->attr_path[i] : b->subtarget;
        int c = strcmp(x, y);
        if (c)
            return c;
    }
    return na < nb ? -1 : na > nb;
}

static int cmp_target_paths(const void *a, const void *b)
{
    const struct fixture_target *t = (const struct fixture_target *)g_keys_base;
    return cmp_paths(&t[*(const size_t *)a], &t[*(const size_t *)b]);
}

static const char *path_elem(const struct fixture_target *t, size_t i)
{
    return i < t->n_attr_path ? t->attr_path[i] : t->subtarget;
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
        size_t na = a->n_attr_path + (a->subtarget != NULL);
        for (size_t j = i + 1; j < n && !rc; j++) {
            const struct fixture_target *b = &f->targets[idx[j]];
            size_t nb = b->n_attr_path + (b->subtarget != NULL);
            if (nb < na)
                break;
            size_t k = 0;
            while (k < na && !strcmp(path_elem(a, k), path_elem(b, k)))
                k++;
            if (k < na)
                break;
            const struct fixture_target *later = pos_before(a->pos, b->pos) ? b : a;
            if (nb == na)
                rc = fail_pos(L, later->pos,
                              "target %s: its attribute path is already used by target %s",
                              later->label, later == a ? b->label : a->label);
            else if (reserved_attr(&f->drvs[a->drv], path_elem(b, na)))
                rc = fail_pos(L, b->pos,
                              "target %s: attribute '%s' below target %s clashes with an "
                              "attribute of that derivation",
                              b->label, path_elem(b, na), a->label);
        }
    }
    free(idx);
    return rc;
}

static int load_root(struct loader *L, struct ynode *root)
{
    static const char *const fields[] = {
        "depot", "description", "branch", "derivations", "targets", "unchanged", "expect", "run",
        "headBranch", "phases", "activePhases", "cancelOnBuildFailing", "additionalSteps",
        "postBuildSteps", "defaultStepOverrides", NULL,
    };
    enum { F_DEPOT, F_DESC, F_BRANCH, F_DRVS, F_TARGETS, F_UNCHANGED, F_EXPECT, F_RUN,
           F_PIPE0, F_N = 15 };
    struct ynode *v[F_N];
    struct fixture *f = L->f;
    if (root->type != YAML_MAPPING_NODE)
        return fail(L, root, "expected a mapping with depot, derivations, targets, expect, ..., "
                             "found %s",
                    node_kind(root));
    if (get_fields(L, root, "fixture", fields, v) < 0)
        return -1;
    if (!v[F_DEPOT])
        return fail(L, root, "fixture: missing key 'depot' (the depot's name)");
    if (get_string(L, v[F_DEPOT], "depot", &f->depot) < 0)
        return -1;
    for (const char *p = f->depot; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            return fail(L, v[F_DEPOT], "depot: '%s' is not a valid name (letters, digits, '.', "
                                       "'_', '-')",
                        f->depot);
    if (!*f->depot)
        return fail(L, v[F_DEPOT], "depot: the name must not be empty");
    if (v[F_DESC] && get_string(L, v[F_DESC], "description", &f->description) < 0)
        return -1;
    if (v[F_BRANCH]) {
        if (get_string(L, v[F_BRANCH], "branch", &f->branch) < 0)
            return -1;
    } else
        f->branch = xstrdup("refs/heads/canon");
    for (int i = F_PIPE0; i < F_N; i++)
        if (v[i] && load_pipeline_setting(L, fields[i], v[i]) < 0)
            return -1;
    if (v[F_DRVS] && load_derivations(L, v[F_DRVS]) < 0)
        return -1;
    if (v[F_TARGETS] && load_targets(L, v[F_TARGETS]) < 0)
        return -1;
    if (v[F_UNCHANGED]) {
        size_t *items;
        size_t k;
        if (get_seq(L, v[F_UNCHANGED], "unchanged", &items, &k) < 0)
            return -1;
        f->unchanged = xcalloc(k ? k : 1, sizeof(size_t));
        f->n_unchanged = k;
        for (size_t i = 0; i < k; i++) {
            char *label = NULL;
            struct ynode *en = get_node(L, items[i]);
            if (get_string(L, en, "unchanged", &label) < 0)
                return -1;
            f->unchanged[i] = FIXTURE_NONE;
            add_pending(L, REF_TARGET_LABEL, label, &f->unchanged[i], "unchanged", pos_of(en));
            free(label);
        }
    }
    if (v[F_EXPECT] && load_expect(L, v[F_EXPECT]) < 0)
        return -1;
    if (v[F_RUN] && load_run(L, v[F_RUN]) < 0)
        return -1;
    if (index_keys(L) < 0 || resolve(L) < 0 || order_drvs(L) < 0 || check_tree(L) < 0)
        return -1;
    for (size_t i = 0; i < f->n_targets; i++)
        if (f->targets[i].n_steps > 1)
            qsort(f->targets[i].steps, f->targets[i].n_steps, sizeof *f->targets[i].steps,
              cmp_step_name);
    for (size_t i = 0; i < f->n_unchanged; i++)
        for (size_t j = 0; j < i; j++)
            if (f->unchanged[i] == f->unchanged[j]) {
                size_t *items = v[F_UNCHANGED]->items.start;
                return fail(L, get_node(L, items[i]), "unchanged: label '%s' listed twice",
                            f->targets[f->unchanged[i]].label);
            }
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
    struct fixture *f = xcalloc(1, sizeof *f);
    L.f = f;
    f->path = xstrdup(path);
    f->text = xmalloc(len + 1);
    memcpy(f->text, data, len);
    f->text[len] = 0;
    f->text_len = len;
    f->pipeline = json_object();
    f->run.agents = 1;

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
        fail_pos(&L, pos_of(second.root), "expected one YAML document, found a second one");
        goto out;
    }
    rc = 0;
out:
    yamltree_free(&second);
    yamltree_free(&L.doc);
    yaml_parser_delete(&parser);
    for (size_t i = 0; i < L.n_pend; i++) {
        free(L.pend[i].key);
        free(L.pend[i].output);
    }
    free(L.pend);
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
    free_strings(d->outputs, d->n_outputs);
    free(d->ifd);
}

static void free_target(struct fixture_target *t)
{
    free_strings(t->attr_path, t->n_attr_path);
    free(t->subtarget);
    free(t->label);
    free_strings(t->extra_deps, t->n_extra_deps);
    json_decref(t->extra_step_args);
    free(t->post_build);
    for (size_t i = 0; i < t->n_steps; i++) {
        struct fixture_extra_step *s = &t->steps[i];
        free(s->name);
        free(s->label);
        free_strings(s->branches, s->n_branches);
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
    for (size_t i = 0; i < f->n_drvs; i++)
        free_drv(&f->drvs[i]);
    free(f->drvs);
    free(f->order);
    for (size_t i = 0; i < f->n_targets; i++)
        free_target(&f->targets[i]);
    free(f->targets);
    free(f->unchanged);
    json_decref(f->pipeline);
    free(f->expect.construction_builds);
    for (size_t i = 0; i < f->expect.n_steps; i++)
        free(f->expect.steps[i].label);
    free(f->expect.steps);
    for (size_t i = 0; i < f->expect.n_built_by; i++)
        free(f->expect.built_by[i].step);
    free(f->expect.built_by);
    free_strings(f->expect.violations, f->expect.n_violations);
    free(f->expect.generate_error);
    strindex_release(&f->drv_by_key_);
    free(f->target_by_label_);
    free(f);
}
