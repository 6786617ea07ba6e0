/* drv — see drv.h. The parser is a single pass over the buffer: each string
 * is measured (its end and its number of escapes) and then copied once into
 * a block of exactly the right size; arrays grow by doubling. */
#include "drv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "xalloc.h"

/* ---------------------------------------------------------------- parser */

struct parser {
    const char *start;
    const char *p;
    const char *end;
    const char *file;
    struct lk_error *err;
    int inputs_only; /* drv_parse_inputs(): check everything, keep only inputDrvs paths */
};

/* Where a parsed string goes: nowhere in inputs-only mode. */
#define KEEP(ps, where) ((ps)->inputs_only ? NULL : (where))

static int fail_at(struct parser *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct parser *ps, const char *at, const char *fmt, ...)
{
    char place[48];
    snprintf(place, sizeof place, "byte %zu", (size_t)(at - ps->start));
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    lk_bad_input(ps->err, ps->file, place, "%s", msg);
    free(msg);
    return -1;
}

/* What is at the cursor, for messages: "end of input", "NUL byte", "'x'", "byte 0xNN". */
static void describe_here(const struct parser *ps, char *buf, size_t size)
{
    if (ps->p >= ps->end) {
        snprintf(buf, size, "end of input");
        return;
    }
    unsigned char c = (unsigned char)*ps->p;
    if (c == 0)
        snprintf(buf, size, "a NUL byte");
    else if (c >= 0x21 && c < 0x7f)
        snprintf(buf, size, "'%c'", c);
    else
        snprintf(buf, size, "byte 0x%02x", c);
}

/* Consume the literal `lit` or fail with "expected <what>, found <...>". */
static int expect(struct parser *ps, const char *lit, const char *what)
{
    size_t n = strlen(lit);
    for (size_t i = 0; i < n; i++) {
        if (ps->p >= ps->end || *ps->p != lit[i]) {
            char found[32];
            describe_here(ps, found, sizeof found);
            return fail_at(ps, ps->p, "expected %s, found %s", what, found);
        }
        ps->p++;
    }
    return 0;
}

/* The first byte of the (checked) string literal at `open`, unescaped; '\0'
 * for "". */
static char first_byte(const char *open)
{
    const char *s = open + 1;
    if (*s == '"')
        return '\0';
    if (*s != '\\')
        return *s;
    switch (s[1]) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return s[1];
    }
}

/* Parse a string literal into a fresh malloc()ed C string; with `out` NULL,
 * check it and skip it (nothing is allocated). */
static int parse_string(struct parser *ps, char **out, const char *what)
{
    if (out)
        *out = NULL;
    if (ps->p >= ps->end || *ps->p != '"') {
        char found[32];
        describe_here(ps, found, sizeof found);
        return fail_at(ps, ps->p, "expected %s (a string), found %s", what, found);
    }
    const char *open = ps->p;
    const char *s = ps->p + 1;
    const char *q = s;
    size_t escapes = 0;
    for (;;) {
        if (q >= ps->end)
            return fail_at(ps, open, "unterminated string");
        char c = *q;
        if (c == '"')
            break;
        if (c == '\0')
            return fail_at(ps, q, "NUL byte in a string");
        if (c == '\\') {
            q++;
            if (q >= ps->end)
                return fail_at(ps, open, "unterminated string");
            if (*q == '\0')
                return fail_at(ps, q, "NUL byte in a string");
            escapes++;
        }
        q++;
    }
    if (!out) {
        ps->p = q + 1;
        return 0;
    }
    size_t raw = (size_t)(q - s);
    size_t len = raw - escapes;
    char *r = xmalloc(len + 1);
    if (escapes == 0) {
        memcpy(r, s, len);
    } else {
        char *w = r;
        for (const char *i = s; i < q; i++) {
            if (*i == '\\') {
                i++;
                switch (*i) {
                case 'n': *w++ = '\n'; break;
                case 'r': *w++ = '\r'; break;
                case 't': *w++ = '\t'; break;
                default: *w++ = *i; break;
                }
            } else {
                *w++ = *i;
            }
        }
    }
    r[len] = '\0';
    ps->p = q + 1;
    *out = r;
    return 0;
}

/* A path: a string that is non-empty and starts with '/' (as Nix's parsePath). */
static int parse_path(struct parser *ps, char **out, const char *what)
{
    const char *at = ps->p;
    if (parse_string(ps, out, what) < 0)
        return -1;
    if (first_byte(at) != '/') {
        if (out) {
            free(*out);
            *out = NULL;
        }
        return fail_at(ps, at, "expected %s (an absolute path)", what);
    }
    return 0;
}

/* Lists: after '[', at each element decide between "another element" and
 * the closing ']'. Returns 1 for another element, 0 at the end (']'
 * consumed), -1 on error. `first` is whether no element was read yet. */
static int list_next(struct parser *ps, int first, const char *elem)
{
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return 0;
    }
    if (first)
        return 1;
    if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        return 1;
    }
    char found[32];
    describe_here(ps, found, sizeof found);
    fail_at(ps, ps->p, "expected ',' or ']' after %s, found %s", elem, found);
    return -1;
}

/* With `items` NULL: checked and skipped. */
static int parse_string_list(struct parser *ps, char ***items, size_t *n, int paths,
                             const char *elem)
{
    size_t alloc = 0;
    for (int first = 1;; first = 0) {
        int more = list_next(ps, first, elem);
        if (more < 0)
            return -1;
        if (!more)
            return 0;
        if (!items) {
            if ((paths ? parse_path(ps, NULL, elem) : parse_string(ps, NULL, elem)) < 0)
                return -1;
            continue;
        }
        XGROW(*items, alloc, *n + 1);
        char *s;
        if ((paths ? parse_path(ps, &s, elem) : parse_string(ps, &s, elem)) < 0)
            return -1;
        (*items)[(*n)++] = s;
    }
}

static int parse_all(struct parser *ps, struct drv *d)
{
    size_t alloc;
    if (expect(ps, "Derive", "\"Derive\" at the start of a derivation") < 0 ||
        expect(ps, "(", "'(' after \"Derive\"") < 0 ||
        expect(ps, "[", "'[' starting the list of outputs") < 0)
        return -1;
    alloc = 0;
    for (int first = 1;; first = 0) {
        int more = list_next(ps, first, "an output");
        if (more < 0)
            return -1;
        if (!more)
            break;
        if (expect(ps, "(", "'(' starting an output") < 0)
            return -1;
        struct drv_output skipped = { NULL, NULL, NULL, NULL };
        struct drv_output *o = &skipped;
        if (!ps->inputs_only) {
            XGROW(d->outputs, alloc, d->n_outputs + 1);
            o = &d->outputs[d->n_outputs++];
            memset(o, 0, sizeof *o);
        }
        const char *path_at = NULL;
        if (parse_string(ps, KEEP(ps, &o->name), "the output name") < 0 ||
            expect(ps, ",", "',' after the output name") < 0 ||
            (path_at = ps->p, parse_string(ps, KEEP(ps, &o->path), "the output path")) < 0 ||
            expect(ps, ",", "',' after the output path") < 0 ||
            parse_string(ps, KEEP(ps, &o->hash_algo), "the output hash algorithm") < 0 ||
            expect(ps, ",", "',' after the output hash algorithm") < 0 ||
            parse_string(ps, KEEP(ps, &o->hash), "the output hash") < 0 ||
            expect(ps, ")", "')' closing an output") < 0)
            return -1;
        char first = first_byte(path_at);
        if (first != '\0' && first != '/')
            return fail_at(ps, path_at, "expected the output path to be empty or absolute");
    }
    if (expect(ps, ",", "',' after the list of outputs") < 0 ||
        expect(ps, "[", "'[' starting the list of input derivations") < 0)
        return -1;
    alloc = 0;
    for (int first = 1;; first = 0) {
        int more = list_next(ps, first, "an input derivation");
        if (more < 0)
            return -1;
        if (!more)
            break;
        if (expect(ps, "(", "'(' starting an input derivation") < 0)
            return -1;
        XGROW(d->inputs, alloc, d->n_inputs + 1);
        struct drv_input *in = &d->inputs[d->n_inputs++];
        memset(in, 0, sizeof *in);
        if (parse_path(ps, &in->path, "the input derivation path") < 0 ||
            expect(ps, ",", "',' after the input derivation path") < 0 ||
            expect(ps, "[", "'[' starting the input's output names") < 0 ||
            parse_string_list(ps, KEEP(ps, &in->outputs), &in->n_outputs, 0, "an output name") < 0 ||
            expect(ps, ")", "')' closing an input derivation") < 0)
            return -1;
    }
    if (expect(ps, ",", "',' after the list of input derivations") < 0 ||
        expect(ps, "[", "'[' starting the list of input sources") < 0 ||
        parse_string_list(ps, KEEP(ps, &d->srcs), &d->n_srcs, 1, "an input source") < 0 ||
        expect(ps, ",", "',' after the list of input sources") < 0 ||
        parse_string(ps, KEEP(ps, &d->platform), "the platform") < 0 ||
        expect(ps, ",", "',' after the platform") < 0 ||
        parse_string(ps, KEEP(ps, &d->builder), "the builder") < 0 ||
        expect(ps, ",", "',' after the builder") < 0 ||
        expect(ps, "[", "'[' starting the list of builder arguments") < 0 ||
        parse_string_list(ps, KEEP(ps, &d->args), &d->n_args, 0, "a builder argument") < 0 ||
        expect(ps, ",", "',' after the list of builder arguments") < 0 ||
        expect(ps, "[", "'[' starting the list of environment variables") < 0)
        return -1;
    alloc = 0;
    for (int first = 1;; first = 0) {
        int more = list_next(ps, first, "an environment variable");
        if (more < 0)
            return -1;
        if (!more)
            break;
        if (expect(ps, "(", "'(' starting an environment variable") < 0)
            return -1;
        struct drv_env skipped = { NULL, NULL };
        struct drv_env *e = &skipped;
        if (!ps->inputs_only) {
            XGROW(d->env, alloc, d->n_env + 1);
            e = &d->env[d->n_env++];
            memset(e, 0, sizeof *e);
        }
        if (parse_string(ps, KEEP(ps, &e->key), "the variable name") < 0 ||
            expect(ps, ",", "',' after the variable name") < 0 ||
            parse_string(ps, KEEP(ps, &e->value), "the variable value") < 0 ||
            expect(ps, ")", "')' closing an environment variable") < 0)
            return -1;
    }
    if (expect(ps, ")", "')' closing the derivation") < 0)
        return -1;
    if (ps->p != ps->end)
        return fail_at(ps, ps->p, "trailing data after the derivation");
    return 0;
}

int drv_parse(const char *text, size_t len, const char *file, struct drv *out,
              struct lk_error *err)
{
    struct parser ps = { text, text, text + len, file, err, 0 };
    memset(out, 0, sizeof *out);
    if (parse_all(&ps, out) < 0) {
        drv_free(out);
        return -1;
    }
    return 0;
}

int drv_parse_inputs(const char *text, size_t len, const char *file, struct drv *out,
                     struct lk_error *err)
{
    struct parser ps = { text, text, text + len, file, err, 1 };
    memset(out, 0, sizeof *out);
    if (parse_all(&ps, out) < 0) {
        drv_free(out);
        return -1;
    }
    return 0;
}

int drv_read(const char *path, struct drv *out, struct lk_error *err)
{
    char *data;
    size_t len;
    memset(out, 0, sizeof *out);
    if (file_read(path, &data, &len, err) < 0)
        return -1;
    int r = drv_parse(data, len, path, out, err);
    free(data);
    return r;
}

/* ---------------------------------------------------------------- writer */

void drv_write_string(struct strbuf *out, const char *s)
{
    sb_grow(out, strlen(s) + 2);
    out->buf[out->len++] = '"';
    const char *run = s;
    for (const char *p = s;; p++) {
        const char *esc;
        switch (*p) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\0': esc = NULL; break;
        default: continue;
        }
        if (p > run)
            sb_add(out, run, (size_t)(p - run));
        if (!esc)
            break;
        sb_add(out, esc, 2);
        run = p + 1;
    }
    sb_addc(out, '"');
}

static void write_strings(struct strbuf *out, char *const *items, size_t n)
{
    sb_addc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_addc(out, ',');
        drv_write_string(out, items[i]);
    }
    sb_addc(out, ']');
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

void drv_write(const struct drv *d, struct strbuf *out)
{
    sb_add(out, "Derive([", 8);
    for (size_t i = 0; i < d->n_outputs; i++) {
        const struct drv_output *o = &d->outputs[i];
        sb_add(out, i ? ",(" : "(", i ? 2 : 1);
        drv_write_string(out, or_empty(o->name));
        sb_addc(out, ',');
        drv_write_string(out, or_empty(o->path));
        sb_addc(out, ',');
        drv_write_string(out, or_empty(o->hash_algo));
        sb_addc(out, ',');
        drv_write_string(out, or_empty(o->hash));
        sb_addc(out, ')');
    }
    sb_add(out, "],[", 3);
    for (size_t i = 0; i < d->n_inputs; i++) {
        const struct drv_input *in = &d->inputs[i];
        sb_add(out, i ? ",(" : "(", i ? 2 : 1);
        drv_write_string(out, or_empty(in->path));
        sb_addc(out, ',');
        write_strings(out, in->outputs, in->n_outputs);
        sb_addc(out, ')');
    }
    sb_add(out, "],", 2);
    write_strings(out, d->srcs, d->n_srcs);
    sb_addc(out, ',');
    drv_write_string(out, or_empty(d->platform));
    sb_addc(out, ',');
    drv_write_string(out, or_empty(d->builder));
    sb_addc(out, ',');
    write_strings(out, d->args, d->n_args);
    sb_add(out, ",[", 2);
    for (size_t i = 0; i < d->n_env; i++) {
        sb_add(out, i ? ",(" : "(", i ? 2 : 1);
        drv_write_string(out, or_empty(d->env[i].key));
        sb_addc(out, ',');
        drv_write_string(out, or_empty(d->env[i].value));
        sb_addc(out, ')');
    }
    sb_add(out, "])", 2);
}

/* --------------------------------------------------------------- sorting */

/* Stable sorts: qsort over (key, original index) pairs. */
struct keyed {
    const char *key;
    size_t idx;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static struct keyed *sorted_index(size_t n, const char *(*key)(const void *, size_t),
                                  const void *arr)
{
    struct keyed *k = xmalloc((n ? n : 1) * sizeof *k);
    for (size_t i = 0; i < n; i++) {
        k[i].key = key(arr, i);
        k[i].idx = i;
    }
    qsort(k, n, sizeof *k, cmp_keyed);
    return k;
}

static const char *key_str(const void *arr, size_t i)
{
    return or_empty(((char *const *)arr)[i]);
}
static const char *key_output(const void *arr, size_t i)
{
    return or_empty(((const struct drv_output *)arr)[i].name);
}
static const char *key_input(const void *arr, size_t i)
{
    return or_empty(((const struct drv_input *)arr)[i].path);
}
static const char *key_env(const void *arr, size_t i)
{
    return or_empty(((const struct drv_env *)arr)[i].key);
}

/* Sort a string set and drop duplicates. */
static void sort_string_set(char **items, size_t *n)
{
    if (*n < 2)
        return;
    struct keyed *k = sorted_index(*n, key_str, items);
    char **tmp = xmalloc(*n * sizeof *tmp);
    size_t m = 0;
    for (size_t i = 0; i < *n; i++) {
        char *s = items[k[i].idx];
        if (m && strcmp(tmp[m - 1], or_empty(s)) == 0)
            free(s);
        else
            tmp[m++] = s;
    }
    memcpy(items, tmp, m * sizeof *tmp);
    *n = m;
    free(tmp);
    free(k);
}

static void free_output(struct drv_output *o)
{
    free(o->name);
    free(o->path);
    free(o->hash_algo);
    free(o->hash);
}

static void free_input(struct drv_input *in)
{
    free(in->path);
    for (size_t j = 0; j < in->n_outputs; j++)
        free(in->outputs[j]);
    free(in->outputs);
}

void drv_sort(struct drv *d)
{
    size_t n, m;
    struct keyed *k;

    /* outputs: by name, last of equal names wins */
    n = d->n_outputs;
    if (n > 1) {
        k = sorted_index(n, key_output, d->outputs);
        struct drv_output *tmp = xmalloc(n * sizeof *tmp);
        m = 0;
        for (size_t i = 0; i < n; i++) {
            if (i + 1 < n && strcmp(k[i].key, k[i + 1].key) == 0)
                free_output(&d->outputs[k[i].idx]);
            else
                tmp[m++] = d->outputs[k[i].idx];
        }
        memcpy(d->outputs, tmp, m * sizeof *tmp);
        d->n_outputs = m;
        free(tmp);
        free(k);
    }

    /* inputs: by path, equal paths merged */
    n = d->n_inputs;
    if (n > 1) {
        k = sorted_index(n, key_input, d->inputs);
        struct drv_input *tmp = xmalloc(n * sizeof *tmp);
        m = 0;
        for (size_t i = 0; i < n; i++) {
            struct drv_input *in = &d->inputs[k[i].idx];
            if (m && strcmp(or_empty(tmp[m - 1].path), or_empty(in->path)) == 0) {
                struct drv_input *t = &tmp[m - 1];
                t->outputs = xrealloc(t->outputs,
                                      (t->n_outputs + in->n_outputs + 1) * sizeof *t->outputs);
                if (in->n_outputs)
                    memcpy(t->outputs + t->n_outputs, in->outputs,
                           in->n_outputs * sizeof *in->outputs);
                t->n_outputs += in->n_outputs;
                free(in->path);
                free(in->outputs);
            } else {
                tmp[m++] = *in;
            }
        }
        memcpy(d->inputs, tmp, m * sizeof *tmp);
        d->n_inputs = m;
        free(tmp);
        free(k);
    }
    for (size_t i = 0; i < d->n_inputs; i++)
        sort_string_set(d->inputs[i].outputs, &d->inputs[i].n_outputs);

    sort_string_set(d->srcs, &d->n_srcs);

    /* env: by key, last of equal keys wins */
    n = d->n_env;
    if (n > 1) {
        k = sorted_index(n, key_env, d->env);
        struct drv_env *tmp = xmalloc(n * sizeof *tmp);
        m = 0;
        for (size_t i = 0; i < n; i++) {
            struct drv_env *e = &d->env[k[i].idx];
            if (i + 1 < n && strcmp(k[i].key, k[i + 1].key) == 0) {
                free(e->key);
                free(e->value);
            } else {
                tmp[m++] = *e;
            }
        }
        memcpy(d->env, tmp, m * sizeof *tmp);
        d->n_env = m;
        free(tmp);
        free(k);
    }
}

/* ------------------------------------------------------------ lifecycle */

static void free_strings(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

void drv_free(struct drv *d)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        free_output(&d->outputs[i]);
    free(d->outputs);
    for (size_t i = 0; i < d->n_inputs; i++)
        free_input(&d->inputs[i]);
    free(d->inputs);
    free_strings(d->srcs, d->n_srcs);
    free(d->platform);
    free(d->builder);
    free_strings(d->args, d->n_args);
    for (size_t i = 0; i < d->n_env; i++) {
        free(d->env[i].key);
        free(d->env[i].value);
    }
    free(d->env);
    memset(d, 0, sizeof *d);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static char **clone_strings(char *const *items, size_t n)
{
    if (!n)
        return NULL;
    char **r = xmalloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++)
        r[i] = dup_or_null(items[i]);
    return r;
}

void drv_clone(struct drv *dst, const struct drv *src)
{
    memset(dst, 0, sizeof *dst);
    if (src->n_outputs) {
        dst->outputs = xmalloc(src->n_outputs * sizeof *dst->outputs);
        for (size_t i = 0; i < src->n_outputs; i++) {
            const struct drv_output *o = &src->outputs[i];
            dst->outputs[i] = (struct drv_output){ dup_or_null(o->name), dup_or_null(o->path),
                                                   dup_or_null(o->hash_algo),
                                                   dup_or_null(o->hash) };
        }
    }
    dst->n_outputs = src->n_outputs;
    if (src->n_inputs) {
        dst->inputs = xmalloc(src->n_inputs * sizeof *dst->inputs);
        for (size_t i = 0; i < src->n_inputs; i++) {
            const struct drv_input *in = &src->inputs[i];
            dst->inputs[i] = (struct drv_input){ dup_or_null(in->path),
                                                 clone_strings(in->outputs, in->n_outputs),
                                                 in->n_outputs };
        }
    }
    dst->n_inputs = src->n_inputs;
    dst->srcs = clone_strings(src->srcs, src->n_srcs);
    dst->n_srcs = src->n_srcs;
    dst->platform = dup_or_null(src->platform);
    dst->builder = dup_or_null(src->builder);
    dst->args = clone_strings(src->args, src->n_args);
    dst->n_args = src->n_args;
    if (src->n_env) {
        dst->env = xmalloc(src->n_env * sizeof *dst->env);
        for (size_t i = 0; i < src->n_env; i++)
            dst->env[i] = (struct drv_env){ dup_or_null(src->env[i].key),
                                            dup_or_null(src->env[i].value) };
    }
    dst->n_env = src->n_env;
}

/* --------------------------------------------------------- construction */

void drv_add_output(struct drv *d, const char *name, const char *path,
                    const char *hash_algo, const char *hash)
{
    d->outputs = xrealloc(d->outputs, (d->n_outputs + 1) * sizeof *d->outputs);
    d->outputs[d->n_outputs++] = (struct drv_output){ xstrdup(name), xstrdup(or_empty(path)),
                                                      xstrdup(or_empty(hash_algo)),
                                                      xstrdup(or_empty(hash)) };
}

void drv_add_input(struct drv *d, const char *path, const char *output)
{
    struct drv_input *in = NULL;
    for (size_t i = 0; i < d->n_inputs; i++)
        if (strcmp(or_empty(d->inputs[i].path), path) == 0)
            in = &d->inputs[i];
    if (!in) {
        d->inputs = xrealloc(d->inputs, (d->n_inputs + 1) * sizeof *d->inputs);
        in = &d->inputs[d->n_inputs++];
        *in = (struct drv_input){ xstrdup(path), NULL, 0 };
    }
    for (size_t j = 0; j < in->n_outputs; j++)
        if (strcmp(in->outputs[j], output) == 0)
            return;
    in->outputs = xrealloc(in->outputs, (in->n_outputs + 1) * sizeof *in->outputs);
    in->outputs[in->n_outputs++] = xstrdup(output);
}

void drv_add_src(struct drv *d, const char *path)
{
    d->srcs = xrealloc(d->srcs, (d->n_srcs + 1) * sizeof *d->srcs);
    d->srcs[d->n_srcs++] = xstrdup(path);
}

void drv_add_arg(struct drv *d, const char *arg)
{
    d->args = xrealloc(d->args, (d->n_args + 1) * sizeof *d->args);
    d->args[d->n_args++] = xstrdup(arg);
}

void drv_set_env(struct drv *d, const char *key, const char *value)
{
    for (size_t i = 0; i < d->n_env; i++)
        if (strcmp(or_empty(d->env[i].key), key) == 0) {
            free(d->env[i].value);
            d->env[i].value = xstrdup(value);
            return;
        }
    d->env = xrealloc(d->env, (d->n_env + 1) * sizeof *d->env);
    d->env[d->n_env++] = (struct drv_env){ xstrdup(key), xstrdup(value) };
}

void drv_set_platform(struct drv *d, const char *platform)
{
    free(d->platform);
    d->platform = xstrdup(platform);
}

void drv_set_builder(struct drv *d, const char *builder)
{
    free(d->builder);
    d->builder = xstrdup(builder);
}

const char *drv_get_env(const struct drv *d, const char *key)
{
    for (size_t i = 0; i < d->n_env; i++)
        if (d->env[i].key && strcmp(d->env[i].key, key) == 0)
            return d->env[i].value;
    return NULL;
}

const struct drv_output *drv_get_output(const struct drv *d, const char *name)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        if (d->outputs[i].name && strcmp(d->outputs[i].name, name) == 0)
            return &d->outputs[i];
    return NULL;
}
