/* nixsim — the simulated Nix: one binary run as nix-store, nix-build or
 * nix-instantiate (by the name it is invoked under, or `nixsim <tool> …`).
 *
 * Contract: the forms below behave as Debian's Nix 2.8 does — stdout,
 * out-link names and targets, exit codes (100 for a failed build, 1 for
 * other errors) and the first line of error output ("error: …") — over the
 * private store of store.h ($NIXSIM_STORE presented as /nix/store, state in
 * $NIXSIM_STATE), with every event in $LAZYKITE_LOG (eventlog.h).
 *   nix-store --realise|-r P[!OUT,…]… [--add-root L [--indirect]]
 *   nix-store -q|--query --outputs|--references|--requisites|-R|--deriver|-d P…
 *   nix-store --check-validity P…      nix-store --delete P…
 *   nix-build [FILE|DIR] -A ATTR | -E EXPR [-A ATTR]
 *             [--out-link|-o L | --no-out-link] [--show-trace]
 *   nix-instantiate --eval --strict --json --read-write-mode FILE --arg depot DIR
 *                   [--argstr targetsAttr ATTR]   (the target manifest, JSON without
 *                                                  a final newline, as Nix prints it)
 *                   [--arg shard I --arg shards N] (shard I of N: the targets whose
 *                                                  index is I modulo N, and before
 *                                                  them the `trace: lazykite-shard …`
 *                                                  line, as core/nix/manifest.nix)
 *   nix-instantiate [FILE|DIR] -A ATTR | -E EXPR  (prints the .drv path, `!OUT`
 *                                                  appended when OUT is not out)
 *   nix-instantiate --eval -E null                 (opens the store, prints null)
 * Evaluation writes the `.drv` files of the closure (an `instantiate` event
 * for each one that was not yet valid) and builds a derivation's declared
 * IFD first (events with cause "ifd while evaluating <key>"). The manifest
 * call instantiates what the manifest names: every target, extra-step
 * command and parentOverride, with their closures (a shard's: only its
 * targets').
 * A depot is a directory with depot.yaml (sim/nix/depot.h); `import ./. {}`
 * is the depot of the current directory. `--option NAME VALUE` is accepted
 * and ignored everywhere. Unknown options are rejected (exit 1). */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "eventlog.h"
#include "nix/depot.h"
#include "nix/nixexpr.h"
#include "nix/realise.h"
#include "nix/store.h"
#include "strbuf.h"
#include "version.h"
#include "xalloc.h"

static void print_error(const struct lk_error *err)
{
    char *line = lk_error_format(err);
    fprintf(stderr, "error: %s\n", line);
    free(line);
}

static int usage_error(struct lk_error *err, const char *fmt, const char *arg)
{
    return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, fmt, arg);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_drv(const char *p)
{
    size_t n = strlen(p);
    return n > 4 && !strcmp(p + n - 4, ".drv");
}

static void gc_warning(void)
{
    static int warned;
    if (!warned)
        fprintf(stderr,
                "warning: you did not specify '--add-root'; the result might be removed by "
                "the garbage collector\n");
    warned = 1;
}

/* ------------------------------------------------------------ nix-store */

static int store_realise_cmd(struct store *s, char **args, size_t n, const char *root,
                             struct lk_error *err)
{
    char **paths = xcalloc(n ? n : 1, sizeof *paths);
    char **wanted = xcalloc(n ? n : 1, sizeof *wanted); /* "!o1,o2" selections */
    size_t np = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *arg = xstrdup(args[i]);
        char *bang = strchr(arg, '!');
        if (bang) {
            *bang = '\0';
            /* "P!" names no output: Nix 2.8 then builds and prints them all */
            if (bang[1])
                wanted[np] = xasprintf(",%s,", bang + 1);
        }
        if ((rc = store_follow_arg(s, arg, &paths[np], err)) == 0)
            np++;
        else
            free(wanted[np]), wanted[np] = NULL;
        free(arg);
    }
    const char **drvs = xcalloc(np ? np : 1, sizeof *drvs);
    size_t nd = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        if (is_drv(paths[i]) && wanted[i] && store_is_valid(s, paths[i])) {
            /* every selected output must exist (checked before building) */
            struct drv d = DRV_INIT;
            if ((rc = realise_read_drv(s, paths[i], &d, err)) != 0)
                break;
            struct strbuf missing = STRBUF_INIT;
            char *list = xstrdup(wanted[i] + 1), *save = NULL;
            for (char *o = strtok_r(list, ",", &save); o; o = strtok_r(NULL, ",", &save))
                if (!drv_get_output(&d, o))
                    sb_addf(&missing, "%s%s", missing.len ? ", " : "", o);
            if (missing.len)
                rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                             "derivation '%s' does not have wanted outputs '%s'", paths[i],
                             sb_str(&missing));
            free(list);
            sb_release(&missing);
            drv_free(&d);
        }
        if (rc != 0)
            break;
        if (is_drv(paths[i]))
            drvs[nd++] = paths[i];
        else if (!store_is_valid(s, paths[i]))
            rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                         "path '%s' does not exist and cannot be created", paths[i]);
    }
    struct realise_opts opts = { NULL, stderr };
    if (rc == 0 && nd)
        rc = realise(s, drvs, nd, &opts, err);
    struct strbuf outb = STRBUF_INIT;
    int root_nr = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        char **lines = NULL;
        size_t nl = 0, alloc = 0;
        if (is_drv(paths[i])) {
            struct drv d = DRV_INIT;
            if ((rc = realise_read_drv(s, paths[i], &d, err)) != 0)
                break;
            root_nr++;
            for (size_t k = 0; k < d.n_outputs && rc == 0; k++) {
                if (wanted[i]) {
                    char *needle = xasprintf(",%s,", d.outputs[k].name);
                    int sel = strstr(wanted[i], needle) != NULL;
                    free(needle);
                    if (!sel)
                        continue;
                }
                XGROW(lines, alloc, nl + 1);
                if (!root) {
                    gc_warning();
                    lines[nl++] = xstrdup(d.outputs[k].path);
                    continue;
                }
                struct strbuf name = STRBUF_INIT;
                sb_adds(&name, root);
                if (root_nr > 1)
                    sb_addf(&name, "-%d", root_nr);
                if (strcmp(d.outputs[k].name, "out"))
                    sb_addf(&name, "-%s", d.outputs[k].name);
                char *abs;
                rc = store_add_root(s, d.outputs[k].path, sb_str(&name), &abs, err);
                sb_release(&name);
                if (rc == 0)
                    lines[nl++] = abs;
            }
            drv_free(&d);
        } else {
            XGROW(lines, alloc, 1);
            if (!root) {
                lines[nl++] = xstrdup(paths[i]);
            } else {
                root_nr++;
                char *name = root_nr > 1 ? xasprintf("%s-%d", root, root_nr) : xstrdup(root);
                char *abs;
                rc = store_add_root(s, paths[i], name, &abs, err);
                free(name);
                if (rc == 0)
                    lines[nl++] = abs;
            }
        }
        if (nl) /* (no output selected: lines is NULL) */
            qsort(lines, nl, sizeof *lines, cmp_str);
        for (size_t k = 0; k < nl; k++)
            if (k == 0 || strcmp(lines[k], lines[k - 1]))
                sb_addf(&outb, "%s\n", lines[k]);
        store_paths_free(lines, nl);
    }
    if (rc == 0)
        fputs(sb_str(&outb), stdout);
    sb_release(&outb);
    free(drvs);
    store_paths_free(paths, np);
    store_paths_free(wanted, n);
    return rc;
}

enum query { Q_NONE, Q_OUTPUTS, Q_REFERENCES, Q_REQUISITES, Q_DERIVER };

static int store_query_cmd(struct store *s, enum query q, char **args, size_t n,
                           struct lk_error *err)
{
    char **paths = xcalloc(n ? n : 1, sizeof *paths);
    size_t np = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = store_follow_arg(s, args[i], &paths[np], err)) == 0)
            np++;
    struct strbuf outb = STRBUF_INIT;
    if (rc == 0 && q == Q_REQUISITES) {
        for (size_t i = 0; i < np && rc == 0; i++)
            if (!store_is_valid(s, paths[i]))
                rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not valid", paths[i]);
        char **cl = NULL;
        size_t nc = 0;
        if (rc == 0)
            rc = store_closure(s, (const char *const *)paths, np, &cl, &nc, err);
        if (rc == 0)
            rc = store_topo_order(s, cl, nc, err);
        for (size_t i = 0; i < nc && rc == 0; i++)
            sb_addf(&outb, "%s\n", cl[i]);
        store_paths_free(cl, nc);
    }
    for (size_t i = 0; i < np && rc == 0 && q != Q_REQUISITES; i++) {
        if (q == Q_OUTPUTS && is_drv(paths[i])) {
            struct drv d = DRV_INIT;
            if ((rc = realise_read_drv(s, paths[i], &d, err)) != 0)
                break;
            char **outs = xcalloc(d.n_outputs ? d.n_outputs : 1, sizeof *outs);
            for (size_t k = 0; k < d.n_outputs; k++)
                outs[k] = d.outputs[k].path;
            qsort(outs, d.n_outputs, sizeof *outs, cmp_str);
            for (size_t k = 0; k < d.n_outputs; k++)
                sb_addf(&outb, "%s\n", outs[k]);
            free(outs);
            drv_free(&d);
            continue;
        }
        struct store_info info;
        if ((rc = store_query(s, paths[i], &info, err)) != 0)
            break;
        if (q == Q_OUTPUTS)
            sb_addf(&outb, "%s\n", paths[i]);
        else if (q == Q_DERIVER)
            sb_addf(&outb, "%s\n", info.deriver ? info.deriver : "unknown-deriver");
        else
            for (size_t k = 0; k < info.n_refs; k++)
                sb_addf(&outb, "%s\n", info.refs[k]);
        store_info_free(&info);
    }
    if (rc == 0)
        fputs(sb_str(&outb), stdout);
    sb_release(&outb);
    store_paths_free(paths, np);
    return rc;
}

static int nix_store_main(int argc, char **argv, struct lk_error *err)
{
    enum { OP_NONE, OP_REALISE, OP_QUERY, OP_CHECK, OP_DELETE } op = OP_NONE;
    enum query q = Q_NONE;
    const char *root = NULL;
    char **args = xcalloc((size_t)argc + 1, sizeof *args);
    size_t n = 0;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--realise") || !strcmp(a, "-r"))
            op = OP_REALISE;
        else if (!strcmp(a, "--query") || !strcmp(a, "-q"))
            op = OP_QUERY;
        else if (!strcmp(a, "--check-validity"))
            op = OP_CHECK;
        else if (!strcmp(a, "--delete"))
            op = OP_DELETE;
        else if (!strcmp(a, "--outputs"))
            q = Q_OUTPUTS;
        else if (!strcmp(a, "--references"))
            q = Q_REFERENCES;
        else if (!strcmp(a, "--requisites") || !strcmp(a, "-R"))
            q = Q_REQUISITES;
        else if (!strcmp(a, "--deriver") || !strcmp(a, "-d"))
            q = Q_DERIVER;
        else if (!strcmp(a, "--indirect"))
            ; /* every root nixsim makes is indirect */
        else if (!strcmp(a, "--add-root")) {
            if (i + 1 >= argc)
                rc = usage_error(err, "flag '%s' requires 1 argument", a);
            else
                root = argv[++i];
        } else if (!strcmp(a, "--option")) {
            if (i + 2 >= argc)
                rc = usage_error(err, "flag '%s' requires 2 arguments", a);
            i += 2;
        } else if (a[0] == '-' && a[1])
            rc = usage_error(err, "unrecognised flag '%s'", a);
        else
            args[n++] = argv[i];
    }
    struct store s = { 0 };
    if (rc == 0 && op == OP_NONE)
        rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "no operation specified");
    if (rc == 0 && op == OP_QUERY && q == Q_NONE)
        rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                     "nixsim supports nix-store -q with --outputs, --references, --requisites, "
                     "--deriver");
    if (rc == 0)
        rc = store_open_env(&s, err);
    if (rc == 0) {
        switch (op) {
        case OP_REALISE:
            rc = store_realise_cmd(&s, args, n, root, err);
            break;
        case OP_QUERY:
            rc = store_query_cmd(&s, q, args, n, err);
            break;
        case OP_CHECK:
            for (size_t i = 0; i < n && rc == 0; i++) {
                char *p;
                if ((rc = store_follow_arg(&s, args[i], &p, err)) != 0)
                    break;
                if (!store_is_valid(&s, p))
                    rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not valid", p);
                free(p);
            }
            break;
        case OP_DELETE: {
            char **paths = xcalloc(n ? n : 1, sizeof *paths);
            size_t np = 0;
            for (size_t i = 0; i < n && rc == 0; i++)
                if ((rc = store_follow_arg(&s, args[i], &paths[np], err)) == 0)
                    np++;
            size_t deleted = 0;
            unsigned long long bytes = 0;
            if (rc == 0)
                rc = store_delete(&s, (const char *const *)paths, np, stderr, &deleted, &bytes,
                                  err);
            printf("%zu store paths deleted, %.2f MiB freed\n", deleted,
                   (double)bytes / (1024.0 * 1024.0));
            store_paths_free(paths, np);
            break;
        }
        case OP_NONE:
            break;
        }
        store_close(&s);
    }
    free(args);
    return rc;
}

/* ------------------------------------------------- evaluation of a depot */

struct evalctx {
    struct store *s;
    struct depot *d;
    unsigned char *done; /* per depot drv: its .drv is in the store */
};

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
static int instantiate(struct evalctx *c, size_t idx, struct lk_error *err)
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
                rc = instantiate(c, y, err);
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
    char *yaml = xasprintf("%s/depot.yaml", dir);
    struct stat st;
    bool has_yaml = stat(yaml, &st) == 0;
    free(yaml);
    if (!has_yaml)
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                       "nixsim: no depot.yaml in '%s' (nixsim evaluates fixture depots only)",
                       dir);
    if (depot_open(dir, &c->d, err) != 0)
        return -1;
    c->done = xcalloc(depot_n_drvs(c->d) + 1, 1);
    return 0;
}

/* Open the store and the depot in `dir` for evaluating. On an error
 * nothing stays open. */
static int open_eval(struct evalctx *c, struct store *s, const char *dir, struct lk_error *err)
{
    if (store_open_env(s, err) != 0)
        return -1;
    if (open_depot(c, s, dir, err) != 0) {
        store_close(s);
        return -1;
    }
    return 0;
}

static void close_depot(struct evalctx *c)
{
    depot_free(c->d);
    free(c->done);
}

/* The directory of a FILE argument (a directory stands for its default.nix). */
static char *depot_dir_of(const char *file)
{
    struct stat st;
    if (!file)
        return xstrdup(".");
    if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
        return xstrdup(file);
    char *copy = xstrdup(file);
    char *dir = xstrdup(dirname(copy));
    free(copy);
    return dir;
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
                struct strbuf sel = STRBUF_INIT;
                for (size_t i = 0; i < out->n; i++)
                    sb_addf(&sel, "%s%s", i ? "." : "", out->path[i]);
                lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                        "attribute '%s' in selection path '%s' not found", e->name,
                        sb_str(&sel));
                sb_release(&sel);
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
static int eval_selection(struct evalctx *c, const char *expr, const char *attr,
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
        char **names = split_attr(attr, &na);
        for (size_t i = 0; i < na; i++) {
            struct nixexpr *g = xcalloc(1, sizeof *g);
            g->kind = NIXEXPR_GETATTR;
            g->name = names[i];
            g->arg = e;
            e = g;
        }
        free(names);
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

/* ------------------------------------------------------------ nix-build */

static int nix_build_main(int argc, char **argv, struct lk_error *err)
{
    const char *expr = NULL, *attr = NULL, *file = NULL, *out_link = "result";
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-E") || !strcmp(a, "--expr")) && i + 1 < argc)
            expr = argv[++i];
        else if ((!strcmp(a, "-A") || !strcmp(a, "--attr")) && i + 1 < argc)
            attr = argv[++i];
        else if ((!strcmp(a, "-o") || !strcmp(a, "--out-link")) && i + 1 < argc)
            out_link = argv[++i];
        else if (!strcmp(a, "--no-out-link"))
            out_link = NULL;
        else if (!strcmp(a, "--show-trace") || !strcmp(a, "--quiet") || !strcmp(a, "-Q"))
            ;
        else if (!strcmp(a, "--option") && i + 2 < argc)
            i += 2;
        else if (a[0] == '-' && a[1])
            rc = usage_error(err, "unrecognised flag '%s'", a);
        else if (!file)
            file = a;
        else
            rc = usage_error(err, "nixsim: nix-build takes one file, got another: '%s'", a);
    }
    if (rc != 0)
        return rc;
    if (expr && file)
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                       "nixsim: nix-build -E takes no file argument");
    char *dir = depot_dir_of(expr ? "." : file);
    struct store s;
    struct evalctx c;
    rc = open_eval(&c, &s, dir, err);
    free(dir);
    if (rc != 0)
        return -1;
    struct evalue v = { 0 };
    rc = eval_selection(&c, expr, attr, &v.v, err);
    if (rc == 0)
        rc = instantiate(&c, v.v.drv, err);
    const struct depot_drv *dd = rc == 0 ? depot_drv_at(c.d, v.v.drv) : NULL;
    if (rc == 0) {
        struct realise_opts o = { NULL, stderr };
        rc = realise(&s, &dd->drv_path, 1, &o, err);
    }
    if (rc == 0) {
        const char *output = v.v.output ? v.v.output : "out";
        const char *path = depot_output_path(c.d, v.v.drv, output);
        if (!path)
            rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                         "derivation '%s' does not have an output named '%s'", dd->drv_path,
                         output);
        if (rc == 0 && out_link) {
            char *link = strcmp(output, "out") ? xasprintf("%s-%s", out_link, output)
                                               : xstrdup(out_link);
            char *abs = NULL;
            rc = store_add_root(&s, path, link, &abs, err);
            free(abs);
            free(link);
        }
        if (rc == 0)
            printf("%s\n", path);
    }
    close_depot(&c);
    store_close(&s);
    return rc;
}

/* ------------------------------------------------------- nix-instantiate */

static void collect_manifest_drvs(struct evalctx *c, json_t *manifest, size_t **out, size_t *n)
{
    size_t *v = NULL, len = 0, alloc = 0;
    json_t *targets = json_object_get(manifest, "targets"), *t;
    size_t i;
    json_array_foreach(targets, i, t)
    {
        const char *paths[64];
        size_t np = 0;
        paths[np++] = json_string_value(json_object_get(t, "drvPath"));
        json_t *steps = json_object_get(json_object_get(json_object_get(t, "meta"), "ci"),
                                        "extraSteps");
        const char *key;
        json_t *st;
        json_object_foreach(steps, key, st)
        {
            if (np + 2 > sizeof paths / sizeof *paths)
                break;
            paths[np++] = json_string_value(
                json_object_get(json_object_get(st, "command"), "drvPath"));
            paths[np++] = json_string_value(
                json_object_get(json_object_get(st, "parentOverride"), "drvPath"));
        }
        for (size_t k = 0; k < np; k++) {
            size_t idx;
            if (paths[k] && depot_find_drv_path(c->d, paths[k], &idx) == 0) {
                XGROW(v, alloc, len + 1);
                v[len++] = idx;
            }
        }
    }
    *out = v;
    *n = len;
}

/* A `--arg shard`/`--arg shards` value: an integer literal (what lazykite
 * passes), else -1. */
static long shard_arg(const char *text)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    return errno || end == text || *end || v < 0 ? -1 : v;
}

/* Keep the targets of shard `shard` of `shards` (index modulo shards), and
 * say so on stderr as manifest.nix's builtins.trace does. */
static void shard_manifest(json_t *m, long shard, long shards)
{
    json_t *all = json_object_get(m, "targets");
    size_t total = json_array_size(all);
    json_t *mine = json_array();
    for (size_t i = (size_t)shard; i < total; i += (size_t)shards)
        json_array_append(mine, json_array_get(all, i));
    json_t *info = json_pack("{s:I,s:I,s:I,s:I}", "count", (json_int_t)json_array_size(mine),
                             "shard", (json_int_t)shard, "shards", (json_int_t)shards, "total",
                             (json_int_t)total);
    if (json_array_size(mine) == 1) {
        json_t *t = json_array_get(mine, 0), *named = json_object();
        json_object_set_new(named, "index", json_integer(shard));
        json_object_set(named, "attrPath", json_object_get(t, "attrPath"));
        if (json_object_get(t, "subtarget"))
            json_object_set(named, "subtarget", json_object_get(t, "subtarget"));
        json_object_set_new(info, "target", named);
    }
    char *text = json_dumps(info, JSON_COMPACT | JSON_SORT_KEYS);
    fprintf(stderr, "trace: lazykite-shard %s\n", text);
    free(text);
    json_decref(info);
    json_object_set_new(m, "targets", mine);
}

static int nix_instantiate_main(int argc, char **argv, struct lk_error *err)
{
    int eval = 0, json = 0;
    const char *attr = NULL, *file = NULL, *depot_arg = NULL, *expr = NULL;
    const char *shard_text = NULL, *shards_text = NULL;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--eval"))
            eval = 1;
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--strict") || !strcmp(a, "--read-write-mode") ||
                 !strcmp(a, "--show-trace"))
            ;
        else if ((!strcmp(a, "-A") || !strcmp(a, "--attr")) && i + 1 < argc)
            attr = argv[++i];
        else if ((!strcmp(a, "-E") || !strcmp(a, "--expr")) && i + 1 < argc)
            expr = argv[++i];
        else if ((!strcmp(a, "--arg") || !strcmp(a, "--argstr")) && i + 2 < argc) {
            if (!strcmp(argv[i + 1], "depot"))
                depot_arg = argv[i + 2];
            else if (!strcmp(a, "--arg") && !strcmp(argv[i + 1], "shard"))
                shard_text = argv[i + 2];
            else if (!strcmp(a, "--arg") && !strcmp(argv[i + 1], "shards"))
                shards_text = argv[i + 2];
            i += 2;
        } else if (!strcmp(a, "--option") && i + 2 < argc)
            i += 2;
        else if (a[0] == '-' && a[1])
            rc = usage_error(err, "unrecognised flag '%s'", a);
        else if (!file)
            file = a;
        else
            rc = usage_error(err, "nixsim: nix-instantiate takes one file, got another: '%s'", a);
    }
    if (rc != 0)
        return rc;
    /* The call that opens the store before sharded evaluations. */
    if (eval && !depot_arg && expr && !strcmp(expr, "null") && !attr && !file) {
        struct store s;
        if (store_open_env(&s, err) != 0)
            return -1;
        store_close(&s);
        puts("null");
        return 0;
    }
    if (eval && (!json || !depot_arg))
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                       "nixsim: nix-instantiate --eval is supported only as the manifest "
                       "call (--eval --strict --json --read-write-mode FILE --arg depot DIR)");
    long shard = shard_text ? shard_arg(shard_text) : 0;
    long shards = shards_text ? shard_arg(shards_text) : 0;
    if (eval && shards_text && (shards < 1 || shard < 0 || shard >= shards))
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                       "lazykite manifest: 'shard' and 'shards' must be integers with 0 <= shard "
                       "< shards");
    char *dir = NULL;
    if (eval && nixexpr_path(depot_arg, &dir, err) != 0)
        return -1;
    if (!eval)
        dir = depot_dir_of(expr ? "." : file);
    struct store s;
    struct evalctx c;
    rc = open_eval(&c, &s, dir, err);
    free(dir);
    if (rc != 0)
        return -1;
    if (eval) {
        json_t *m = depot_manifest(c.d, err);
        if (!m)
            rc = -1;
        size_t *idx = NULL, n = 0;
        if (rc == 0 && shards_text)
            shard_manifest(m, shard, shards);
        if (rc == 0)
            collect_manifest_drvs(&c, m, &idx, &n);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = instantiate(&c, idx[i], err);
        free(idx);
        if (rc == 0) {
            /* Nix 2.8 prints --eval --json output without a final newline. */
            char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
            fputs(text, stdout);
            free(text);
        }
        json_decref(m);
    } else {
        struct depot_value v;
        rc = eval_selection(&c, expr, attr, &v, err);
        if (rc == 0)
            rc = instantiate(&c, v.drv, err);
        if (rc == 0) {
            /* Nix prints drvPath!output when the selected output is not out. */
            gc_warning();
            const char *o = v.output ? v.output : "out";
            if (strcmp(o, "out"))
                printf("%s!%s\n", depot_drv_at(c.d, v.drv)->drv_path, o);
            else
                printf("%s\n", depot_drv_at(c.d, v.drv)->drv_path);
        }
    }
    close_depot(&c);
    store_close(&s);
    return rc;
}

int main(int argc, char **argv)
{
    char *copy = xstrdup(argv[0]);
    const char *tool = basename(copy);
    if (!strcmp(tool, "nixsim") && argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "--version")) {
        argv++;
        argc--;
        tool = argv[0];
    }
    /* --help and --version first, as every lazykite program (Nix's own
     * --help opens a manual page; nixsim's says what it is and names its
     * page, nixsim(1)). */
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "--version"))) {
        if (!strcmp(argv[1], "--version"))
            printf("%s (nixsim, lazykite %s; the forms of Nix 2.8 that a pipeline uses)\n", tool,
                   LAZYKITE_VERSION);
        else
            printf("usage: nix-store|nix-build|nix-instantiate ARGS... (or nixsim TOOL ARGS...)\n"
                   "The simulated Nix of lazykite-sim. nixsim(1) lists the forms each tool\n"
                   "implements and says how to run them outside the harness.\n");
        int status = lk_finish_stdout(tool, 0);
        free(copy);
        return status;
    }
    struct lk_error err = LK_ERROR_INIT;
    int rc;
    if (!strcmp(tool, "nix-store"))
        rc = nix_store_main(argc, argv, &err);
    else if (!strcmp(tool, "nix-build"))
        rc = nix_build_main(argc, argv, &err);
    else if (!strcmp(tool, "nix-instantiate"))
        rc = nix_instantiate_main(argc, argv, &err);
    else
        rc = lk_fail(&err, LK_EXIT_FAIL, NULL, NULL,
                     "nixsim: run as nix-store, nix-build or nix-instantiate (or `nixsim <tool> "
                     "ARGS…`), not as '%s'",
                     tool);
    eventlog_close();
    int status = 0;
    if (rc != 0) {
        print_error(&err);
        status = err.status;
        lk_error_clear(&err);
    }
    status = lk_finish_stdout(tool, status);
    free(copy);
    return status;
}
