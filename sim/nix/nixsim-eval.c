/* nixsim-eval — evaluating a depot (nixsimint.h): its expressions, the
 * selection of an attribute, and the .drv files of what is instantiated. */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "eventlog.h"
#include "nix/depot.h"
#include "nix/nixexpr.h"
#include "nix/nixsimint.h"
#include "nix/realise.h"
#include "nix/store.h"
#include "strbuf.h"
#include "version.h"
#include "xalloc.h"

/* The `.drv` files of depot entries waiting to be written. */
struct drv_batch {
    size_t *entries;          /* depot indices, in depot order */
    struct store_text *items; /* their files (refs owned here) */
    size_t n, n_written;
};

/* The instantiate event of depot entry `i`, formatted (the caller frees). */
static char *instantiate_event(const struct depot *d, size_t i)
{
    const struct depot_drv *dd = depot_drv_at(d, i);
    struct eventlog_event ev = { .event = "instantiate", .drv = dd->drv_path,
                                 .out_names = dd->out_names, .out_paths = dd->out_paths,
                                 .n_outputs = dd->n_outputs };
    return eventlog_format(&ev);
}

/* Write the files of the batch's entries not written yet and log an
 * instantiate event for each file added (in order); those entries are then
 * done. */
static int add_texts(struct evalctx *c, struct drv_batch *b, struct lk_error *err)
{
    size_t from = b->n_written;
    for (size_t k = from; k < b->n; k++) {
        const struct depot_drv *dd = depot_drv_at(c->d, b->entries[k]);
        const char **refs = xcalloc(dd->n_inputs + 1, sizeof *refs);
        for (size_t j = 0; j < dd->n_inputs; j++)
            refs[j] = depot_drv_at(c->d, dd->inputs[j])->drv_path;
        b->items[k] = (struct store_text){ dd->drv_path, dd->aterm, dd->aterm_len, refs,
                                           dd->n_inputs, 0 };
    }
    b->n_written = b->n;
    /* On an error, the files added before the failing one are logged too
     * (their validity is still written, by store_close()). */
    int rc = store_add_texts(c->s, b->items + from, b->n - from, err), erc = 0;
    int logging = eventlog_active();
    for (size_t k = from; k < b->n; k++) {
        if (logging && erc == 0 && b->items[k].added) {
            char *line = instantiate_event(c->d, b->entries[k]);
            struct lk_error ignore = LK_ERROR_INIT;
            erc = eventlog_write_lines(line, strlen(line), rc == 0 ? err : &ignore);
            lk_error_clear(&ignore);
            free(line);
        }
        if (rc == 0 && erc == 0)
            c->done[b->entries[k]] = 1;
    }
    return rc != 0 ? rc : erc;
}

/* Write the `.drv` files of the closure of depot drv `idx` into the store,
 * building declared IFD first (cause "ifd while evaluating <key>"). */
int nsim_instantiate(struct evalctx *c, size_t idx, struct lk_error *err)
{
    if (c->done[idx])
        return 0;
    size_t n = depot_n_drvs(c->d);
    unsigned char *mark = xcalloc(n, 1);
    size_t *stack = xcalloc(n, sizeof *stack), sn = 0;
    stack[sn++] = idx;
    mark[idx] = 1;
    while (sn) {
        const struct depot_drv *dd = depot_drv_at(c->d, stack[--sn]);
        for (size_t k = 0; k < dd->n_inputs; k++) {
            size_t j = dd->inputs[k];
            if (!mark[j] && !c->done[j]) {
                mark[j] = 1;
                stack[sn++] = j;
            }
        }
    }
    free(stack);
    int rc = 0;
    /* The instantiate events are held and written together with the
     * validity of the `.drv` files (and before any IFD build). */
    eventlog_hold();
    /* Depot order is dependency order: inputs are written before dependants;
     * the files between two IFD builds are written as one batch. */
    struct drv_batch b = { 0 };
    b.entries = xcalloc(n + 1, sizeof *b.entries);
    b.items = xcalloc(n + 1, sizeof *b.items);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!mark[i] || c->done[i])
            continue;
        const struct depot_drv *dd = depot_drv_at(c->d, i);
        for (size_t k = 0; k < dd->n_ifd && rc == 0; k++) {
            size_t y = dd->ifd[k];
            rc = add_texts(c, &b, err);
            if (rc == 0)
                rc = nsim_instantiate(c, y, err);
            if (rc == 0)
                rc = eventlog_flush(err);
            if (rc == 0) {
                char *cause = xasprintf("ifd while evaluating %s", dd->key);
                struct realise_opts o = { cause, stderr };
                const char *p = depot_drv_at(c->d, y)->drv_path;
                rc = realise(c->s, &p, 1, &o, err);
                free(cause);
            }
            if (rc == 0)
                eventlog_hold(); /* the IFD builds flushed and ended the holding */
        }
        if (rc == 0)
            b.entries[b.n++] = i;
    }
    if (rc == 0)
        rc = add_texts(c, &b, err);
    for (size_t k = 0; k < b.n; k++)
        free((void *)b.items[k].refs);
    free(b.entries);
    free(b.items);
    free(mark);
    /* The validity of what was written, for other processes: one append. */
    if (rc == 0)
        rc = store_sync(c->s, err);
    struct lk_error ferr = LK_ERROR_INIT;
    int frc = eventlog_flush(rc == 0 ? err : &ferr);
    lk_error_clear(&ferr);
    return rc == 0 ? frc : rc;
}

/* Open the depot in `dir` (its depot.yaml). */
static int open_depot(struct evalctx *c, struct store *s, const char *dir, struct lk_error *err)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    AUTOFREE char *yaml = xasprintf("%s/depot.yaml", dir);
    struct stat st;
    if (stat(yaml, &st) != 0)
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                       "nixsim: no depot.yaml in '%s' (nixsim evaluates fixture depots only)",
                       dir);
    if (depot_open(dir, &c->d, err) != 0)
        return -1;
    c->done = xcalloc(depot_n_drvs(c->d) + 1, 1);
    return 0;
}

/* Open the store and the depot in `dir` for evaluating; `dir` is freed.
 * On an error nothing stays open. */
int nsim_open_eval(struct evalctx *c, struct store *s, char *dir, struct lk_error *err)
{
    int rc = store_open_env(s, err);
    if (rc == 0 && (rc = open_depot(c, s, dir, err)) != 0)
        store_close(s);
    free(dir);
    return rc == 0 ? 0 : -1;
}

void nsim_close_depot(struct evalctx *c)
{
    depot_free(c->d);
    free(c->done);
}

/* The directory of a FILE argument (a directory stands for its default.nix). */
char *nsim_depot_dir_of(const char *file)
{
    struct stat st;
    if (!file)
        return xstrdup(".");
    if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
        return xstrdup(file);
    AUTOFREE char *copy = xstrdup(file);
    return xstrdup(dirname(copy));
}

/* Split an -A attribute path on dots. */
static char **split_attr(const char *attr, size_t *n)
{
    char **v = NULL;
    size_t len = 0, alloc = 0;
    const char *p = attr;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t k = dot ? (size_t)(dot - p) : strlen(p);
        XGROW(v, alloc, len + 1);
        v[len++] = xstrndup(p, k);
        p += k;
        if (*p == '.')
            p++;
    }
    *n = len;
    return v;
}

/* A value of the nix-build -E subset: an attribute path of the depot (when
 * `path` is set) or a derivation obtained by applying a parentOverride. */
struct evalue {
    struct depot_value v;
    const char **path; /* borrowed names; NULL after an application */
    size_t n;
    int has_path;
};

static int eval_expr(struct evalctx *c, const struct nixexpr *e, struct evalue *out,
                     struct lk_error *err)
{
    memset(out, 0, sizeof *out);
    if (e->kind == NIXEXPR_DEPOT) {
        out->has_path = 1;
        return depot_resolve(c->d, NULL, 0, &out->v, err);
    }
    if (e->kind == NIXEXPR_GETATTR) {
        struct evalue inner;
        if (eval_expr(c, e->arg, &inner, err) != 0)
            return -1;
        if (!inner.has_path) {
            free(inner.path);
            return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                           "nixsim: selecting '%s' from an applied function is not supported",
                           e->name);
        }
        out->has_path = 1;
        out->n = inner.n + 1;
        out->path = xcalloc(out->n, sizeof *out->path);
        if (inner.n)
            memcpy(out->path, inner.path, inner.n * sizeof *inner.path);
        out->path[inner.n] = e->name;
        free(inner.path);
        int rc = depot_resolve(c->d, out->path, out->n, &out->v, err);
        if (rc != 0 && err->msg && !strncmp(err->msg, "attribute '", 11) &&
            strstr(err->msg, "' missing")) {
            /* Nix's wording: for builtins.getAttr, and for an -A selection path
             * (whose selections carry no source position). */
            if (e->line)
                lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                        "attribute '%s' missing for call to 'getAttr'", e->name);
            else {
                AUTO_STRBUF struct strbuf sel = STRBUF_INIT;
                for (size_t i = 0; i < out->n; i++)
                    sb_addf(&sel, "%s%s", i ? "." : "", out->path[i]);
                lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                        "attribute '%s' in selection path '%s' not found", e->name,
                        sb_str(&sel));
            }
        }
        if (rc != 0) {
            free(out->path);
            out->path = NULL;
        }
        return rc;
    }
    /* Application: only a parentOverride applied to its own target. */
    struct evalue fn, arg;
    if (eval_expr(c, e->fn, &fn, err) != 0)
        return -1;
    if (eval_expr(c, e->arg, &arg, err) != 0) {
        free(fn.path);
        return -1;
    }
    int rc = 0;
    if (fn.v.kind != DV_FUNCTION) {
        rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                     "attempt to call something which is not a function but %s",
                     fn.v.kind == DV_DRV ? "a set" : fn.v.kind == DV_ATTRS ? "a set" : "a value");
    } else if (!fn.has_path || !arg.has_path || fn.n < 5 || arg.n != fn.n - 5 ||
               arg.v.kind != DV_DRV) {
        rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                     "nixsim: a parentOverride can only be applied to the target it belongs to");
    } else {
        for (size_t i = 0; i < arg.n; i++)
            if (strcmp(arg.path[i], fn.path[i]))
                rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                             "nixsim: a parentOverride can only be applied to the target it "
                             "belongs to");
    }
    if (rc == 0) {
        out->v.kind = DV_DRV;
        out->v.drv = fn.v.drv;
        const struct depot_drv *dd = depot_drv_at(c->d, fn.v.drv);
        out->v.output = dd->out_names[0];
        for (size_t k = 0; k < dd->n_outputs; k++)
            if (!strcmp(dd->out_names[k], "out"))
                out->v.output = "out";
    }
    free(fn.path);
    free(arg.path);
    return rc;
}

static const char *value_kind(const struct depot_value *v)
{
    return v->kind == DV_ATTRS ? "a set" : v->kind == DV_FUNCTION ? "a function" : "a value";
}

/* Evaluate `-E expr` (or the depot when NULL) and select `-A attr` (when
 * not NULL) from it; the result must be a derivation. */
int nsim_eval_selection(struct evalctx *c, const char *expr, const char *attr,
                          struct depot_value *out, struct lk_error *err)
{
    struct nixexpr *e = NULL;
    int rc = 0;
    if (expr) {
        rc = nixexpr_parse(expr, strlen(expr), &e, err);
    } else {
        e = xcalloc(1, sizeof *e);
        e->kind = NIXEXPR_DEPOT;
    }
    if (rc == 0 && attr) {
        size_t na;
        AUTOFREE char **names = split_attr(attr, &na);
        for (size_t i = 0; i < na; i++) {
            struct nixexpr *g = xcalloc(1, sizeof *g);
            g->kind = NIXEXPR_GETATTR;
            g->name = names[i];
            g->arg = e;
            e = g;
        }
    }
    struct evalue v = { 0 };
    if (rc == 0)
        rc = eval_expr(c, e, &v, err);
    if (rc == 0 && v.v.kind != DV_DRV)
        rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                     "expression does not evaluate to a derivation (or a set or list of those); "
                     "it is %s",
                     value_kind(&v.v));
    if (rc == 0)
        *out = v.v;
    free(v.path);
    nixexpr_free(e);
    return rc;
}

