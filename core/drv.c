/* drv — see drv.h: the in-memory derivation (building, sorting as Nix
 * does, copying, freeing) and the ATerm writer; the parser is drvparse.c. */
#include "drv.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

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

/* Sort the n elements of `arr` (`size` bytes each) stably by `key` and
 * keep only the last of equal keys, after `drop(kept, dropped)` for each
 * other one (it frees it, or merges it into the one kept). Returns how many
 * are left. */
static size_t sort_unique(void *arr, size_t n, size_t size, const char *(*key)(const void *, size_t),
                          void (*drop)(void *kept, void *dropped))
{
    if (n < 2)
        return n;
    struct keyed *k = sorted_index(n, key, arr);
    char *a = arr, *tmp = xmalloc(n * size);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && strcmp(k[i].key, k[i + 1].key) == 0)
            drop(a + k[i + 1].idx * size, a + k[i].idx * size);
        else
            memcpy(tmp + m++ * size, a + k[i].idx * size, size);
    }
    memcpy(arr, tmp, m * size);
    free(tmp);
    free(k);
    return m;
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

static void drop_string(void *kept, void *dropped)
{
    (void)kept;
    free(*(char **)dropped);
}

static void drop_output(void *kept, void *dropped)
{
    (void)kept;
    free_output(dropped);
}

static void drop_env(void *kept, void *dropped)
{
    (void)kept;
    free(((struct drv_env *)dropped)->key);
    free(((struct drv_env *)dropped)->value);
}

/* Inputs of one path: the dropped one's output names go to the kept one. */
static void merge_input(void *kept, void *dropped)
{
    struct drv_input *t = kept, *in = dropped;
    t->outputs = xrealloc(t->outputs, (t->n_outputs + in->n_outputs + 1) * sizeof *t->outputs);
    if (in->n_outputs)
        memcpy(t->outputs + t->n_outputs, in->outputs, in->n_outputs * sizeof *in->outputs);
    t->n_outputs += in->n_outputs;
    free(in->path);
    free(in->outputs);
}

void drv_sort(struct drv *d)
{
    d->n_outputs = sort_unique(d->outputs, d->n_outputs, sizeof *d->outputs, key_output, drop_output);
    d->n_inputs = sort_unique(d->inputs, d->n_inputs, sizeof *d->inputs, key_input, merge_input);
    for (size_t i = 0; i < d->n_inputs; i++)
        d->inputs[i].n_outputs = sort_unique(d->inputs[i].outputs, d->inputs[i].n_outputs,
                                             sizeof(char *), key_str, drop_string);
    d->n_srcs = sort_unique(d->srcs, d->n_srcs, sizeof *d->srcs, key_str, drop_string);
    d->n_env = sort_unique(d->env, d->n_env, sizeof *d->env, key_env, drop_env);
}

/* ------------------------------------------------------------ lifecycle */

void drv_free(struct drv *d)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        free_output(&d->outputs[i]);
    free(d->outputs);
    for (size_t i = 0; i < d->n_inputs; i++)
        free_input(&d->inputs[i]);
    free(d->inputs);
    strv_free(d->srcs, d->n_srcs);
    free(d->platform);
    free(d->builder);
    strv_free(d->args, d->n_args);
    for (size_t i = 0; i < d->n_env; i++) {
        free(d->env[i].key);
        free(d->env[i].value);
    }
    free(d->env);
    memset(d, 0, sizeof *d);
}

static char **clone_strings(char *const *items, size_t n)
{
    if (!n)
        return NULL;
    char **r = xmalloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++)
        r[i] = xstrdup_or_null(items[i]);
    return r;
}

void drv_clone(struct drv *dst, const struct drv *src)
{
    memset(dst, 0, sizeof *dst);
    if (src->n_outputs) {
        dst->outputs = xmalloc(src->n_outputs * sizeof *dst->outputs);
        for (size_t i = 0; i < src->n_outputs; i++) {
            const struct drv_output *o = &src->outputs[i];
            dst->outputs[i] = (struct drv_output){ xstrdup_or_null(o->name), xstrdup_or_null(o->path),
                                                   xstrdup_or_null(o->hash_algo),
                                                   xstrdup_or_null(o->hash) };
        }
    }
    dst->n_outputs = src->n_outputs;
    if (src->n_inputs) {
        dst->inputs = xmalloc(src->n_inputs * sizeof *dst->inputs);
        for (size_t i = 0; i < src->n_inputs; i++) {
            const struct drv_input *in = &src->inputs[i];
            dst->inputs[i] = (struct drv_input){ xstrdup_or_null(in->path),
                                                 clone_strings(in->outputs, in->n_outputs),
                                                 in->n_outputs };
        }
    }
    dst->n_inputs = src->n_inputs;
    dst->srcs = clone_strings(src->srcs, src->n_srcs);
    dst->n_srcs = src->n_srcs;
    dst->platform = xstrdup_or_null(src->platform);
    dst->builder = xstrdup_or_null(src->builder);
    dst->args = clone_strings(src->args, src->n_args);
    dst->n_args = src->n_args;
    if (src->n_env) {
        dst->env = xmalloc(src->n_env * sizeof *dst->env);
        for (size_t i = 0; i < src->n_env; i++)
            dst->env[i] = (struct drv_env){ xstrdup_or_null(src->env[i].key),
                                            xstrdup_or_null(src->env[i].value) };
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
