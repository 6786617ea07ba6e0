/* drvparse — the ATerm `.drv` parser of drv.h (drv_parse, drv_parse_inputs,
 * drv_read). A single pass over the buffer: each string is measured (its
 * end and its number of escapes) and then copied once into a block of
 * exactly the right size; arrays grow by doubling. */
#include "drv.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "xalloc.h"

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

static int parse(const char *text, size_t len, const char *file, struct drv *out,
                 struct lk_error *err, int inputs_only)
{
    struct parser ps = { text, text, text + len, file, err, inputs_only };
    memset(out, 0, sizeof *out);
    if (parse_all(&ps, out) < 0) {
        drv_free(out);
        return -1;
    }
    return 0;
}

int drv_parse(const char *text, size_t len, const char *file, struct drv *out,
              struct lk_error *err)
{
    return parse(text, len, file, out, err, 0);
}

int drv_parse_inputs(const char *text, size_t len, const char *file, struct drv *out,
                     struct lk_error *err)
{
    return parse(text, len, file, out, err, 1);
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
