/* drvhash — see drvhash.h. Mirrors Nix 2.8's derivations.cc
 * (hashDerivationModulo) and primops' derivationStrict (output paths of
 * input-addressed derivations). */
#include "drvhash.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nixbase32.h"
#include "strbuf.h"
#include "strindex.h"
#include "xalloc.h"

/* Whether `d` is a fixed-output derivation (its outputs carry a hash). */
static int drv_is_fixed_output(const struct drv *d)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        if (d->outputs[i].hash_algo && d->outputs[i].hash_algo[0])
            return 1;
    return 0;
}

/* A fixed-output derivation must have exactly one output, "out", with a hash. */
static int check_fixed(const struct drv *d, struct lk_error *err)
{
    if (d->n_outputs != 1 || strcmp(d->outputs[0].name, "out") != 0)
        return lk_bad_input(err, NULL, NULL,
                            "a fixed-output derivation must have exactly one output, \"out\"");
    if (!d->outputs[0].hash || !d->outputs[0].hash[0])
        return lk_bad_input(err, NULL, NULL,
                            "content-addressed (floating) derivations are not supported");
    return 0;
}

/* A text that is only hashed is written into one buffer per thread, reused
 * (a fresh kilobyte per derivation is a noticeable part of instantiating
 * 10^5 of them); it is released when the thread exits. */
static pthread_key_t scratch_key;
static int have_scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void free_scratch(void *p)
{
    sb_release(p);
    free(p);
}

static void make_scratch_key(void)
{
    have_scratch_key = pthread_key_create(&scratch_key, free_scratch) == 0;
}

/* The calling thread's buffer, emptied; NULL if there can be none. */
static struct strbuf *scratch_text(void)
{
    pthread_once(&scratch_once, make_scratch_key);
    if (!have_scratch_key)
        return NULL;
    struct strbuf *sb = pthread_getspecific(scratch_key);
    if (!sb) {
        sb = xcalloc(1, sizeof *sb); /* all zero: an empty strbuf */
        if (pthread_setspecific(scratch_key, sb) != 0) {
            free(sb);
            return NULL;
        }
    }
    sb_reset(sb);
    return sb;
}

struct hashed_input {
    char hex[SHA256_HEX_LEN + 1];
    const struct drv_input *in;
    size_t idx;
};

static int cmp_hashed_input(const void *a, const void *b)
{
    const struct hashed_input *x = a, *y = b;
    int c = strcmp(x->hex, y->hex);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The union of the sorted output-name lists of hi[from..to), sorted and
 * without repeats, into `names` (room for every name of the range). */
static size_t merge_output_names(const struct hashed_input *hi, size_t from, size_t to,
                                 char **names)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        for (size_t k = 0; k < hi[i].in->n_outputs; k++) {
            char *name = hi[i].in->outputs[k];
            size_t at = n;
            while (at > 0 && strcmp(names[at - 1], name) > 0)
                at--;
            if (at > 0 && strcmp(names[at - 1], name) == 0)
                continue;
            memmove(names + at + 1, names + at, (n - at) * sizeof *names);
            names[at] = name;
            n++;
        }
    return n;
}

/* The input list a hash modulo is taken over: d's inputs as hex hashes. */
struct modulo_inputs {
    struct hashed_input *hi;
    struct drv_input *repl;
    char **names;
    size_t n;
};

static void modulo_inputs_free(struct modulo_inputs *mi)
{
    free(mi->names);
    free(mi->repl);
    free(mi->hi);
}

/* Look up every input's hash (which may recurse into drv_hash_modulo and
 * its scratch buffer: done before the caller writes any text). */
static int modulo_inputs_make(const struct drv *d, drv_hash_lookup_fn lookup, void *ctx,
                              struct modulo_inputs *mi, struct lk_error *err)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        if (d->outputs[i].hash && d->outputs[i].hash[0])
            return lk_bad_input(err, NULL, NULL, "output '%s' has a hash but no hash algorithm",
                                d->outputs[i].name);

    size_t n = d->n_inputs, n_names = 0;
    struct hashed_input *hi = xmalloc((n ? n : 1) * sizeof *hi);
    for (size_t i = 0; i < n; i++) {
        unsigned char h[SHA256_BYTES];
        if (lookup(ctx, d->inputs[i].path, h, err) < 0) {
            free(hi);
            return -1;
        }
        hex_encode(h, sizeof h, hi[i].hex);
        hi[i].in = &d->inputs[i];
        hi[i].idx = i;
        n_names += d->inputs[i].n_outputs;
    }
    if (n > 16) {
        qsort(hi, n, sizeof *hi, cmp_hashed_input);
    } else { /* most derivations have a few inputs: insertion sort */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && cmp_hashed_input(&hi[j - 1], &hi[j]) > 0; j--) {
                struct hashed_input t = hi[j];
                hi[j] = hi[j - 1];
                hi[j - 1] = t;
            }
    }
    /* As Nix 2.8 does: each output name an input uses goes into the set of
     * the input's hash, so inputs with equal hashes (two fixed-output
     * derivations of one output, and whatever depends on them alike) become
     * one entry with the union of their output names; an input that uses no
     * output adds nothing. */
    mi->hi = hi;
    mi->repl = xmalloc((n ? n : 1) * sizeof *mi->repl);
    mi->names = xmalloc((n_names ? n_names : 1) * sizeof *mi->names);
    mi->n = 0;
    size_t used = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(hi[i].hex, hi[j].hex) == 0)
            j++;
        size_t k = merge_output_names(hi, i, j, mi->names + used);
        if (k > 0) {
            mi->repl[mi->n].path = hi[i].hex;
            mi->repl[mi->n].outputs = mi->names + used;
            mi->repl[mi->n].n_outputs = k;
            used += k;
            mi->n++;
        }
        i = j;
    }
    return 0;
}

static void modulo_write(const struct drv *d, const struct modulo_inputs *mi, struct strbuf *out)
{
    struct drv shallow = *d;
    shallow.inputs = mi->repl;
    shallow.n_inputs = mi->n;
    drv_write(&shallow, out);
}

int drv_modulo_text(const struct drv *d, drv_hash_lookup_fn lookup, void *ctx,
                    struct strbuf *out, struct lk_error *err)
{
    struct modulo_inputs mi;
    if (modulo_inputs_make(d, lookup, ctx, &mi, err) < 0)
        return -1;
    modulo_write(d, &mi, out);
    modulo_inputs_free(&mi);
    return 0;
}

int drv_hash_modulo(const struct drv *d, drv_hash_lookup_fn lookup, void *ctx,
                    unsigned char out[SHA256_BYTES], struct lk_error *err)
{
    if (drv_is_fixed_output(d)) {
        int recursive;
        const char *algo;
        unsigned char raw[64];
        size_t raw_len;
        char hex[129];
        const struct drv_output *o = &d->outputs[0];
        if (check_fixed(d, err) < 0 ||
            storepath_parse_fixed(o->hash_algo, o->hash, &recursive, &algo, raw, &raw_len, hex, err) < 0)
            return -1;
        char *s = xasprintf("fixed:out:%s%s:%s:%s", recursive ? "r:" : "", algo, hex,
                            o->path ? o->path : "");
        sha256_digest(s, strlen(s), out);
        free(s);
        return 0;
    }
    struct modulo_inputs mi;
    if (modulo_inputs_make(d, lookup, ctx, &mi, err) < 0)
        return -1;
    struct strbuf local = STRBUF_INIT, *text = scratch_text();
    if (!text)
        text = &local;
    modulo_write(d, &mi, text);
    sha256_digest(text->buf, text->len, out);
    sb_release(&local);
    modulo_inputs_free(&mi);
    return 0;
}

static void replace_str(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

int drv_fill_outputs(struct drv *d, const char *name, drv_hash_lookup_fn lookup, void *ctx,
                     struct lk_error *err)
{
    if (!name)
        name = drv_get_env(d, "name");
    if (!name)
        return lk_bad_input(err, NULL, NULL, "the derivation has no name (env var \"name\")");
    if (storepath_check_name(name, err) < 0)
        return -1;
    char *name_copy = xstrdup(name); /* `name` may point into d's env */
    /* Whether it is fixed-output is decided on the sorted derivation (the
     * last of duplicate outputs wins); one without any output hash stays
     * without when sorted, and is sorted once, after its outputs are blanked. */
    if (drv_is_fixed_output(d))
        drv_sort(d);
    int r = -1;
    if (drv_is_fixed_output(d)) {
        char *path;
        if (check_fixed(d, err) < 0 ||
            storepath_make_fixed(name_copy, d->outputs[0].hash_algo, d->outputs[0].hash, &path,
                                 err) < 0)
            goto done;
        replace_str(&d->outputs[0].path, path);
        drv_set_env(d, "out", path);
        free(path);
        drv_sort(d);
        r = 0;
        goto done;
    }
    for (size_t i = 0; i < d->n_outputs; i++) {
        replace_str(&d->outputs[i].path, "");
        drv_set_env(d, d->outputs[i].name, "");
    }
    drv_sort(d);
    unsigned char h[SHA256_BYTES];
    if (drv_hash_modulo(d, lookup, ctx, h, err) < 0)
        goto done;
    for (size_t i = 0; i < d->n_outputs; i++) {
        char *o = xstrdup(d->outputs[i].name);
        char *oname = storepath_output_name(name_copy, o);
        if (storepath_check_name(oname, err) < 0) {
            free(oname);
            free(o);
            goto done;
        }
        free(oname);
        char *path = storepath_make_output(h, name_copy, o);
        replace_str(&d->outputs[i].path, path);
        drv_set_env(d, o, path);
        free(path);
        free(o);
    }
    r = 0;
done:
    free(name_copy);
    return r;
}

char *drv_store_path(const struct drv *d, const char *name)
{
    struct strbuf text = STRBUF_INIT;
    drv_write(d, &text);
    char *p = drv_store_path_of_text(d, name, text.buf, text.len);
    sb_release(&text);
    return p;
}

char *drv_store_path_of_text(const struct drv *d, const char *name, const char *text,
                             size_t len)
{
    size_t n = d->n_srcs + d->n_inputs;
    char **refs = xmalloc((n ? n : 1) * sizeof *refs);
    for (size_t i = 0; i < d->n_srcs; i++)
        refs[i] = d->srcs[i];
    for (size_t i = 0; i < d->n_inputs; i++)
        refs[d->n_srcs + i] = d->inputs[i].path;
    char *file = xasprintf("%s.drv", name);
    char *p = storepath_make_text(file, text, len, refs, n);
    free(file);
    free(refs);
    return p;
}

char *drv_name_from_path(const char *drv_path)
{
    struct storepath_parts parts;
    struct lk_error err = LK_ERROR_INIT;
    int r = storepath_parse(drv_path, &parts, &err);
    lk_error_clear(&err);
    size_t n = r == 0 ? strlen(parts.name) : 0;
    if (n <= 4 || strcmp(parts.name + n - 4, ".drv") != 0)
        return NULL;
    return xstrndup(parts.name, n - 4);
}

/* ------------------------------------------- memoised store-directory lookup */

enum { ENTRY_BUSY, ENTRY_DONE, ENTRY_FAILED };

struct hash_entry {
    char *path;
    int state;
    unsigned char hash[SHA256_BYTES];
};

struct drv_store_hashes {
    char *store_dir;
    struct hash_entry *entries;
    size_t n, alloc;
    struct strindex by_path; /* entry path -> entry index */
};

struct drv_store_hashes *drv_store_hashes_new(const char *store_dir)
{
    struct drv_store_hashes *c = xcalloc(1, sizeof *c);
    c->store_dir = xstrdup(store_dir);
    return c;
}

int drv_store_hashes_lookup(void *cache, const char *drv_path,
                            unsigned char out[SHA256_BYTES], struct lk_error *err)
{
    struct drv_store_hashes *c = cache;
    size_t idx = strindex_get(&c->by_path, drv_path);
    if (idx != STRINDEX_NONE && c->entries[idx].state == ENTRY_DONE) {
        memcpy(out, c->entries[idx].hash, SHA256_BYTES);
        return 0;
    }
    if (idx != STRINDEX_NONE && c->entries[idx].state == ENTRY_BUSY)
        return lk_bad_input(err, drv_path, NULL, "derivation depends on itself (cycle)");
    static const char prefix[] = NIX_STORE_DIR "/";
    if (strncmp(drv_path, prefix, sizeof prefix - 1) != 0 ||
        strchr(drv_path + sizeof prefix - 1, '/'))
        return lk_bad_input(err, drv_path, NULL, "expected a .drv path directly in %s",
                            NIX_STORE_DIR);
    char *host = xasprintf("%s/%s", c->store_dir, drv_path + sizeof prefix - 1);
    if (idx == STRINDEX_NONE) {
        XGROW(c->entries, c->alloc, c->n + 1);
        idx = c->n++;
        c->entries[idx].path = xstrdup(drv_path);
        strindex_put(&c->by_path, c->entries[idx].path, idx);
    }
    /* An earlier error is tried again (and reported again). */
    c->entries[idx].state = ENTRY_BUSY;
    struct drv d;
    unsigned char h[SHA256_BYTES];
    int r = drv_read(host, &d, err);
    if (r == 0) {
        r = drv_hash_modulo(&d, drv_store_hashes_lookup, c, h, err);
        drv_free(&d);
    }
    free(host);
    struct hash_entry *e = &c->entries[idx]; /* the array may have grown */
    if (r < 0) {
        e->state = ENTRY_FAILED;
        lk_error_default_file(err, drv_path);
        return -1;
    }
    memcpy(e->hash, h, SHA256_BYTES);
    e->state = ENTRY_DONE;
    memcpy(out, h, SHA256_BYTES);
    return 0;
}

void drv_store_hashes_free(struct drv_store_hashes *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->entries[i].path);
    free(c->entries);
    strindex_release(&c->by_path);
    free(c->store_dir);
    free(c);
}
