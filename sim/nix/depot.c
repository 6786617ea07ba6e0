/* depot — instantiates a fixture's derivations exactly as real Nix does for
 * the exported default.nix (see depot.h; attribute lookups and the
 * manifest are depoteval.c's; the derivation attribute set is documented in
 * fixtures/README.md and written by exportnix.c — the two must agree).
 *
 * Per derivation, in dependency order (a level's derivations at once, see
 * depot_from_fixture): the ATerm is assembled with the
 * `builtins.derivation` environment (builder, name, system, PATH, deps,
 * outputs when not just `out`, one variable per output), input derivations
 * from `deps` and `@{}` references with the outputs used, then core's
 * drv_fill_outputs() (hashDerivationModulo) fills the output paths,
 * drv_store_path() names the `.drv`, and drv_hash_modulo() of the result is
 * kept for the dependants' hashing. */
#include "nix/depot.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parallel.h"
#include "drvhash.h"
#include "storepath.h"
#include "strbuf.h"
#include "xalloc.h"

struct depot_entry {
    struct depot_drv pub;
    char *outputs;          /* one block: out_names, out_paths, their strings */
    char *drv_path;
    char *aterm;
    size_t *ifd;
    size_t *inputs;
    unsigned char hash[SHA256_BYTES]; /* hashDerivationModulo */
};

/* A drv path in the sorted index: its first 8 bytes after the store
 * directory as a big-endian number (they order the keys as strcmp orders the
 * paths, and nearly always decide it), then the path itself. */
struct path_key {
    uint64_t prefix;
    const char *path;
    size_t idx;
};

static struct path_key path_key(const char *path, size_t idx)
{
    struct path_key k = { 0, path, idx };
    const unsigned char *p = (const unsigned char *)path + sizeof NIX_STORE_DIR;
    for (int i = 0; i < 8; i++) {
        k.prefix = k.prefix << 8 | *p;
        p += *p != 0; /* after the end: zeros, which sort first as strcmp's NUL */
    }
    return k;
}

static int cmp_path_key(const void *a, const void *b)
{
    const struct path_key *x = a, *y = b;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    return strcmp(x->path, y->path);
}

struct depot {
    struct fixture *owned;
    const struct fixture *f;
    struct depot_entry *e;  /* dependency order */
    size_t n;
    size_t *of_fixture;     /* fixture index -> depot index */
    struct path_key *by_path; /* every drv path, sorted */
};

const struct fixture *depot_fixture(const struct depot *d) { return d->f; }
size_t depot_n_drvs(const struct depot *d) { return d->n; }
const struct depot_drv *depot_drv_at(const struct depot *d, size_t i)
{
    return i < d->n ? &d->e[i].pub : NULL;
}

size_t depot_index_of_fixture_drv(const struct depot *d, size_t fixture_index)
{
    return fixture_index < d->f->n_drvs ? d->of_fixture[fixture_index] : (size_t)-1;
}

size_t depot_find_key(const struct depot *d, const char *key)
{
    size_t fi = fixture_find_drv(d->f, key);
    return fi == FIXTURE_NONE ? (size_t)-1 : d->of_fixture[fi];
}

const char *depot_output_path(const struct depot *d, size_t i, const char *output)
{
    if (i >= d->n)
        return NULL;
    const struct depot_drv *p = &d->e[i].pub;
    for (size_t k = 0; k < p->n_outputs; k++)
        if (!strcmp(p->out_names[k], output))
            return p->out_paths[k];
    return NULL;
}

int depot_find_drv_path(const struct depot *d, const char *drv_path, size_t *idx)
{
    if (strncmp(drv_path, NIX_STORE_DIR "/", sizeof NIX_STORE_DIR) != 0)
        return -1; /* (every depot path is in the store) */
    struct path_key want = path_key(drv_path, 0);
    const struct path_key *k = bsearch(&want, d->by_path, d->n, sizeof want, cmp_path_key);
    if (!k)
        return -1;
    *idx = k->idx;
    return 0;
}

/* drv_hash_lookup_fn over the inputs of the derivation being hashed. */
struct lookup_ctx {
    const struct depot *d;
    const size_t *inputs; /* depot indices */
    size_t n;
};

static int lookup_input(void *ctx, const char *drv_path, unsigned char out[SHA256_BYTES],
                        struct lk_error *err)
{
    const struct lookup_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++) {
        const struct depot_entry *e = &c->d->e[c->inputs[i]];
        if (!strcmp(e->drv_path, drv_path)) {
            memcpy(out, e->hash, SHA256_BYTES);
            return 0;
        }
    }
    return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "input derivation %s is not known", drv_path);
}

/* The output a bare reference (`@{key}`, a dep) uses: the first one, as
 * Nix's `outPath` of a derivation is its first output. */
static const char *default_output(const struct fixture_drv *fd)
{
    return fd->outputs[0];
}

/* Keep the outputs of `v` (sorted) in one block of the entry (keeping the
 * whole `struct drv`, about 18 blocks, made instantiating 10^5 derivations
 * 12% slower). */
static void keep_outputs(struct depot_entry *e, const struct drv *v)
{
    size_t n = v->n_outputs, bytes = 2 * n * sizeof(char *);
    for (size_t k = 0; k < n; k++)
        bytes += strlen(v->outputs[k].name) + strlen(v->outputs[k].path) + 2;
    e->outputs = xmalloc(bytes ? bytes : 1);
    char **names = (char **)(void *)e->outputs, **paths = names + n;
    char *text = (char *)(paths + n);
    for (size_t k = 0; k < n; k++) {
        size_t ln = strlen(v->outputs[k].name) + 1, lp = strlen(v->outputs[k].path) + 1;
        names[k] = memcpy(text, v->outputs[k].name, ln);
        paths[k] = memcpy(text + ln, v->outputs[k].path, lp);
        text += ln + lp;
    }
    e->pub.out_names = (const char *const *)names;
    e->pub.out_paths = (const char *const *)paths;
    e->pub.n_outputs = n;
}

/* Instantiate depot entry `di` (fixture drv `fi`); its inputs (find_inputs)
 * are done.
 * `at` is the caller's scratch buffer for the ATerm. */
static int instantiate(struct depot *d, size_t di, size_t fi, struct strbuf *at,
                       struct lk_error *err)
{
    const struct fixture *f = d->f;
    const struct fixture_drv *fd = &f->drvs[fi];
    struct depot_entry *e = &d->e[di];
    struct drv made = DRV_INIT, *v = &made;

    drv_set_platform(v, DEPOT_SYSTEM);
    drv_set_builder(v, DEPOT_BUILDER);
    drv_add_arg(v, "-c");
    struct strbuf script = STRBUF_INIT;
    for (size_t i = 0; i < fd->n_script; i++) {
        const struct fixture_script_part *p = &fd->script[i];
        if (p->text) {
            sb_adds(&script, p->text);
            continue;
        }
        size_t in = d->of_fixture[p->drv];
        sb_adds(&script, depot_output_path(d, in, p->output));
        drv_add_input(v, d->e[in].drv_path, p->output);
    }
    if (fd->fail)
        sb_adds(&script, "\nexit 1");
    drv_add_arg(v, sb_str(&script));
    sb_release(&script);

    drv_set_env(v, "builder", DEPOT_BUILDER);
    drv_set_env(v, "name", fd->name);
    drv_set_env(v, "system", DEPOT_SYSTEM);
    drv_set_env(v, "PATH", DEPOT_PATH);
    if (fd->n_deps) {
        struct strbuf deps = STRBUF_INIT;
        for (size_t i = 0; i < fd->n_deps; i++) {
            size_t in = d->of_fixture[fd->deps[i]];
            const char *o = default_output(&f->drvs[fd->deps[i]]);
            sb_addf(&deps, "%s%s", i ? " " : "", depot_output_path(d, in, o));
            drv_add_input(v, d->e[in].drv_path, o);
        }
        drv_set_env(v, "deps", sb_str(&deps));
        sb_release(&deps);
    }
    if (fd->outputs_explicit) {
        struct strbuf outs = STRBUF_INIT;
        for (size_t i = 0; i < fd->n_outputs; i++)
            sb_addf(&outs, "%s%s", i ? " " : "", fd->outputs[i]);
        drv_set_env(v, "outputs", sb_str(&outs));
        sb_release(&outs);
    }
    for (size_t i = 0; i < fd->n_outputs; i++) {
        drv_add_output(v, fd->outputs[i], "", "", "");
        drv_set_env(v, fd->outputs[i], "");
    }
    struct lookup_ctx ctx = { d, e->inputs, e->pub.n_inputs };
    int rc = -1;
    if (drv_fill_outputs(v, fd->name, lookup_input, &ctx, err) < 0)
        goto out; /* which leaves `v` sorted */
    if (drv_hash_modulo(v, lookup_input, &ctx, e->hash, err) < 0)
        goto out;
    sb_reset(at);
    drv_write(v, at);
    e->pub.aterm_len = at->len;
    e->aterm = xmalloc(at->len + 1); /* the text is kept in a block of its size */
    memcpy(e->aterm, at->buf, at->len + 1);
    e->drv_path = drv_store_path_of_text(v, fd->name, e->aterm, e->pub.aterm_len);
    keep_outputs(e, v);
    e->ifd = xcalloc(fd->n_ifd + 1, sizeof(size_t));
    for (size_t i = 0; i < fd->n_ifd; i++)
        e->ifd[i] = d->of_fixture[fd->ifd[i]];
    e->pub.key = fd->key;
    e->pub.name = fd->name;
    e->pub.drv_path = e->drv_path;
    e->pub.aterm = e->aterm;
    e->pub.ifd = e->ifd;
    e->pub.n_ifd = fd->n_ifd;
    e->pub.fails = fd->fail;
    e->pub.fixture_index = fi;
    rc = 0;
out:
    if (rc < 0)
        lk_error_prefix(err, "derivation '%s'", fd->key);
    drv_free(v); /* the ATerm has it all; the entry keeps its outputs */
    return rc;
}

/* Instantiation runs level by level: an entry's level is one more than its
 * inputs' highest (0 without inputs), so the entries of one level depend
 * only on earlier levels and are made at once on every processor. */
#define MIN_DRVS_PER_JOB 256

struct level_job {
    struct depot *d;
    const size_t *entries;     /* depot indices of this level */
    unsigned char *failed;     /* per depot index: it, or one of its inputs, failed */
    struct lk_error err[PARALLEL_MAX_JOBS];
    size_t err_at[PARALLEL_MAX_JOBS]; /* the lowest failed depot index, or (size_t)-1 */
};

static int any_input_failed(const struct level_job *lj, const struct depot_entry *e)
{
    for (size_t i = 0; i < e->pub.n_inputs; i++)
        if (lj->failed[e->inputs[i]])
            return 1;
    return 0;
}

static void instantiate_range(void *ctx, size_t job, size_t from, size_t to)
{
    struct level_job *lj = ctx;
    struct strbuf at = STRBUF_INIT;
    struct lk_error err = LK_ERROR_INIT;
    for (size_t k = from; k < to; k++) {
        size_t di = lj->entries[k], fi = lj->d->f->order[di];
        /* An entry whose input failed is not made: the input's error,
         * at a lower index, is the one reported. */
        if (any_input_failed(lj, &lj->d->e[di])) {
            lj->failed[di] = 1;
            continue;
        }
        if (instantiate(lj->d, di, fi, &at, &err) == 0)
            continue;
        lj->failed[di] = 1;
        if (di < lj->err_at[job]) {
            lk_error_clear(&lj->err[job]);
            lj->err[job] = err;
            lj->err_at[job] = di;
        } else {
            lk_error_clear(&err);
        }
        err = (struct lk_error)LK_ERROR_INIT;
    }
    sb_release(&at);
}

/* Append `x` to in[0..*n) unless it is there already. */
static void add_input(size_t *in, size_t *n, size_t x)
{
    for (size_t k = 0; k < *n; k++)
        if (in[k] == x)
            return;
    in[(*n)++] = x;
}

/* Each entry's input entries, each once, in the order its ATerm is made
 * from them: the build script's references, then `deps`. */
static void find_inputs(struct depot *d)
{
    const struct fixture *f = d->f;
    for (size_t di = 0; di < f->n_drvs; di++) {
        const struct fixture_drv *fd = &f->drvs[f->order[di]];
        size_t *in = xcalloc(fd->n_deps + fd->n_script + 1, sizeof *in), n = 0;
        for (size_t i = 0; i < fd->n_script; i++)
            if (!fd->script[i].text)
                add_input(in, &n, d->of_fixture[fd->script[i].drv]);
        for (size_t i = 0; i < fd->n_deps; i++)
            add_input(in, &n, d->of_fixture[fd->deps[i]]);
        d->e[di].inputs = in;
        d->e[di].pub.inputs = in;
        d->e[di].pub.n_inputs = n;
    }
}

/* The depot indices grouped by level (each level in depot order):
 * `entries` and the start of each level in `level_start[0..n_levels]`. */
static size_t levels_of(const struct depot *d, size_t *entries, size_t **level_start)
{
    size_t n = d->n;
    size_t *level = xcalloc(n + 1, sizeof *level), n_levels = 0;
    for (size_t di = 0; di < n; di++) {
        const struct depot_entry *e = &d->e[di];
        size_t l = 0;
        for (size_t i = 0; i < e->pub.n_inputs; i++)
            if (level[e->inputs[i]] + 1 > l)
                l = level[e->inputs[i]] + 1;
        level[di] = l;
        if (l + 1 > n_levels)
            n_levels = l + 1;
    }
    size_t *start = xcalloc(n_levels + 1, sizeof *start);
    for (size_t di = 0; di < n; di++)
        start[level[di] + 1]++;
    for (size_t l = 0; l < n_levels; l++)
        start[l + 1] += start[l];
    size_t *fill = xcalloc(n_levels + 1, sizeof *fill);
    for (size_t di = 0; di < n; di++)
        entries[start[level[di]] + fill[level[di]]++] = di;
    free(fill);
    free(level);
    *level_start = start;
    return n_levels;
}

int depot_from_fixture(const struct fixture *f, struct depot **out, struct lk_error *err)
{
    struct depot *d = xcalloc(1, sizeof *d);
    d->f = f;
    d->e = xcalloc(f->n_drvs + 1, sizeof *d->e);
    d->of_fixture = xcalloc(f->n_drvs + 1, sizeof(size_t));
    d->by_path = xcalloc(f->n_drvs + 1, sizeof *d->by_path);
    d->n = f->n_drvs;
    *out = NULL;
    for (size_t i = 0; i < f->n_drvs; i++)
        d->of_fixture[f->order[i]] = i;
    find_inputs(d);
    size_t *entries = xcalloc(f->n_drvs + 1, sizeof *entries), *level_start;
    size_t n_levels = levels_of(d, entries, &level_start);
    struct level_job lj = { .d = d, .failed = xcalloc(f->n_drvs + 1, 1) };
    for (size_t j = 0; j < PARALLEL_MAX_JOBS; j++) {
        lj.err[j] = (struct lk_error)LK_ERROR_INIT;
        lj.err_at[j] = (size_t)-1;
    }
    for (size_t l = 0; l < n_levels; l++) {
        size_t n = level_start[l + 1] - level_start[l];
        lj.entries = entries + level_start[l];
        parallel_run(n, parallel_jobs(n, MIN_DRVS_PER_JOB), instantiate_range, &lj);
    }
    free(entries);
    free(level_start);
    free(lj.failed);
    /* The first failure in depot order, as instantiating one by one meets it. */
    size_t first = 0;
    for (size_t j = 1; j < PARALLEL_MAX_JOBS; j++)
        if (lj.err_at[j] < lj.err_at[first])
            first = j;
    int rc = lj.err_at[first] == (size_t)-1 ? 0 : -1;
    if (rc < 0)
        *err = lj.err[first];
    for (size_t j = 0; j < PARALLEL_MAX_JOBS; j++)
        if (rc == 0 || j != first)
            lk_error_clear(&lj.err[j]);
    if (rc < 0) {
        lk_error_default_file(err, f->path);
        depot_free(d);
        return -1;
    }
    for (size_t i = 0; i < d->n; i++)
        d->by_path[i] = path_key(d->e[i].drv_path, i);
    qsort(d->by_path, d->n, sizeof *d->by_path, cmp_path_key);
    *out = d;
    return 0;
}

int depot_open(const char *depot_dir, struct depot **out, struct lk_error *err)
{
    char *path = xasprintf("%s/depot.yaml", depot_dir);
    struct fixture *f;
    *out = NULL;
    int rc = fixture_load(path, &f, err);
    free(path);
    if (rc < 0)
        return -1;
    if (depot_from_fixture(f, out, err) < 0) {
        fixture_free(f);
        return -1;
    }
    (*out)->owned = f;
    return 0;
}

void depot_free(struct depot *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        struct depot_entry *e = &d->e[i];
        free(e->outputs);
        free(e->drv_path);
        free(e->aterm);
        free(e->ifd);
        free(e->inputs);
    }
    free(d->e);
    free(d->of_fixture);
    free(d->by_path);
    fixture_free(d->owned);
    free(d);
}
