/* realise — see realise.h. */
#include "realise.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eventlog.h"
#include "fileio.h"
#include "nix/builder.h"
#include "nix/refscan.h"
#include "nix/temproots.h"
#include "program.h"
#include "storepath.h"
#include "strbuf.h"
#include "strindex.h"
#include "xalloc.h"

extern char **environ;

/* ---- the derivation graph being realised ---- */

struct node {
    char *path;
    struct drv d;
    int visited;
    int needs_build;
    int failed;          /* the builder failed, or an input did */
    int own_failure;     /* the builder itself failed */
    size_t n_failed_inputs;
    size_t next_input;   /* DFS cursor */
};

struct graph {
    struct node *nodes;
    size_t n, alloc;
    struct strindex by_path; /* node path -> node index */
};

/* Index of `path`, adding a node when absent (then *added is set; `added`
 * may be NULL). */
static size_t graph_get(struct graph *g, const char *path, int *added)
{
    size_t i = strindex_get(&g->by_path, path);
    if (added)
        *added = i == STRINDEX_NONE;
    if (i != STRINDEX_NONE)
        return i;
    XGROW(g->nodes, g->alloc, g->n + 1);
    struct node *nd = &g->nodes[g->n];
    memset(nd, 0, sizeof *nd);
    nd->path = xstrdup(path);
    struct drv empty = DRV_INIT;
    nd->d = empty;
    strindex_put(&g->by_path, nd->path, g->n);
    return g->n++;
}

static void graph_free(struct graph *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->nodes[i].path);
        drv_free(&g->nodes[i].d);
    }
    free(g->nodes);
    strindex_release(&g->by_path);
}

int realise_read_drv(const struct store *s, const char *drv_path, struct drv *out,
                     struct lk_error *err)
{
    if (!store_is_valid(s, drv_path))
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not valid", drv_path);
    char *host = store_host(s, drv_path);
    int rc = drv_read(host, out, err);
    free(host);
    return rc;
}

static int outputs_valid(const struct store *s, const struct drv *d)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        if (!store_is_valid(s, d->outputs[i].path))
            return 0;
    return 1;
}

/* Log `event` about `nd`. The log is what the harness judges the run by: a
 * line that cannot be written fails the command (-1, `err` names the log). */
static int log_event(const char *event, const struct node *nd, const char *cause,
                     struct lk_error *err)
{
    const char **names = xcalloc(nd->d.n_outputs + 1, sizeof *names);
    const char **paths = xcalloc(nd->d.n_outputs + 1, sizeof *paths);
    for (size_t i = 0; i < nd->d.n_outputs; i++) {
        names[i] = nd->d.outputs[i].name;
        paths[i] = nd->d.outputs[i].path;
    }
    struct eventlog_event ev = { .event = event, .drv = nd->path, .out_names = names,
                                 .out_paths = paths, .n_outputs = nd->d.n_outputs,
                                 .cause = cause };
    int rc = eventlog_write(&ev, err);
    free(names);
    free(paths);
    return rc;
}

/* Walk the closure of `roots`: post-order list of the nodes to build. */
static int plan(const struct store *s, struct graph *g, const char *const *roots, size_t n,
                size_t **order, size_t *n_order, FILE *log, struct lk_error *err)
{
    size_t *stack = NULL, sn = 0, salloc = 0;
    size_t *out = NULL, no = 0, oalloc = 0;
    for (size_t r = 0; r < n; r++) {
        int added;
        size_t root = graph_get(g, roots[r], &added);
        if (!added)
            continue;
        XGROW(stack, salloc, sn + 1);
        stack[sn++] = root;
        while (sn) {
            size_t i = stack[sn - 1];
            struct node *nd = &g->nodes[i];
            if (!nd->visited) {
                nd->visited = 1;
                if (!store_is_valid(s, nd->path)) {
                    if (log)
                        fprintf(log, "don't know how to build these paths:\n  %s\n", nd->path);
                    lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                            "cannot build missing derivation '%s'", nd->path);
                    goto fail;
                }
                if (realise_read_drv(s, nd->path, &nd->d, err) != 0)
                    goto fail;
                nd->needs_build = !outputs_valid(s, &nd->d);
                if (!nd->needs_build) {
                    sn--;
                    continue;
                }
            }
            if (nd->next_input < nd->d.n_inputs) {
                const char *in = nd->d.inputs[nd->next_input++].path;
                int fresh;
                size_t j = graph_get(g, in, &fresh);
                nd = &g->nodes[i]; /* graph_get may move the array */
                if (fresh) { /* a node seen before is done or on the stack */
                    XGROW(stack, salloc, sn + 1);
                    stack[sn++] = j;
                }
                continue;
            }
            XGROW(out, oalloc, no + 1);
            out[no++] = i;
            sn--;
        }
    }
    free(stack);
    *order = out;
    *n_order = no;
    return 0;
fail:
    free(stack);
    free(out);
    return -1;
}

/* ---- running a builder ---- */

struct envv {
    char **kv;
    size_t n, alloc;
};

static void env_set(struct envv *e, const char *key, const char *value)
{
    size_t kl = strlen(key);
    char *entry = xasprintf("%s=%s", key, value);
    for (size_t i = 0; i < e->n; i++)
        if (strncmp(e->kv[i], key, kl) == 0 && e->kv[i][kl] == '=') {
            free(e->kv[i]);
            e->kv[i] = entry;
            return;
        }
    XGROW(e->kv, e->alloc, e->n + 2);
    e->kv[e->n++] = entry;
    e->kv[e->n] = NULL;
}

static void env_free(struct envv *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->kv[i]);
    free(e->kv);
}

/* bwrap's path, looked up once per process; NULL when it is not found. */
static const char *bwrap_path(void)
{
    static char *found;
    if (!found)
        program_find("bwrap", &found);
    return found;
}

static char *tmp_base(void)
{
    const char *t = getenv("TMPDIR");
    return xstrdup(t && *t ? t : "/tmp");
}

/* Run the builder of `nd` in `build_dir` (builder.h), the output locks
 * `locks[0..n_locks)` inherited; *wstatus is its wait status. */
static int run_builder(const struct store *s, const struct node *nd, const char *build_dir,
                       const int *locks, size_t n_locks, int *wstatus, struct lk_error *err)
{
    const struct drv *d = &nd->d;
    struct envv env = { 0 };
    char cores[32];
    long nc = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(cores, sizeof cores, "%ld", nc > 0 ? nc : 1);
    env_set(&env, "PATH", "/path-not-set");
    env_set(&env, "HOME", "/homeless-shelter");
    env_set(&env, "NIX_STORE", STORE_DIR);
    env_set(&env, "NIX_BUILD_CORES", cores);
    for (size_t i = 0; i < d->n_env; i++)
        env_set(&env, d->env[i].key, d->env[i].value);
    static const char *const tmpvars[] = { "NIX_BUILD_TOP", "TMPDIR", "TEMPDIR", "TMP",
                                           "TEMP", "PWD" };
    for (size_t i = 0; i < sizeof tmpvars / sizeof *tmpvars; i++)
        env_set(&env, tmpvars[i], build_dir);
    if (d->n_outputs == 1 && d->outputs[0].hash && *d->outputs[0].hash)
        env_set(&env, "NIX_OUTPUT_CHECKED", "1");
    env_set(&env, "NIX_LOG_FD", "2");
    env_set(&env, "TERM", "xterm-256color");

    /* argv: [bwrap …  --] builder args… */
    size_t max = d->n_args + 16;
    char **argv = xcalloc(max, sizeof *argv);
    size_t ac = 0;
    const char *exe = d->builder;
    if (!s->in_place) {
        exe = bwrap_path();
        if (!exe) {
            env_free(&env);
            free(argv);
            return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                           "bwrap not found on PATH (needed to show the store at /nix/store "
                           "to builders)");
        }
        const char *const bw[] = { "bwrap", "--die-with-parent", "--dev-bind", "/", "/", "--bind",
                                   s->dir, STORE_DIR, "--chdir", build_dir, "--" };
        for (size_t i = 0; i < sizeof bw / sizeof *bw; i++)
            argv[ac++] = (char *)bw[i];
    }
    argv[ac++] = d->builder;
    for (size_t i = 0; i < d->n_args; i++)
        argv[ac++] = d->args[i];
    argv[ac] = NULL;

    /* stdin /dev/null, stdout onto stderr, cwd the build directory, in its
     * own process group, dying with us; it holds the output locks too. The
     * umask (022, as Nix sets it) is the parent's, set in realise(). */
    fflush(NULL);
    int exec_errno = 0;
    int rc = builder_run(exe, argv, env.kv, build_dir, locks, n_locks, wstatus, &exec_errno,
                         err);
    if (rc == 0 && exec_errno) /* Nix reports an unrunnable builder as a failed build */
        fprintf(stderr, "error: executing '%s': %s\n", exe, strerror(exec_errno));
    env_free(&env);
    free(argv);
    return rc;
}

/* The references of the outputs of `nd`: candidates are the closure of its
 * inputs (used outputs of input derivations, input sources) and its own
 * outputs. Returns the found paths (sorted by path) per output. */
static int scan_references(const struct store *s, struct graph *g, size_t self,
                           char ***refs_out, size_t *n_refs_out, struct lk_error *err)
{
    const struct drv *d = &g->nodes[self].d;
    char **inputs = NULL;
    size_t ni = 0, ialloc = 0;
    for (size_t i = 0; i < d->n_inputs; i++) {
        /* Every input of a derivation being built was read by plan(). */
        size_t j = graph_get(g, d->inputs[i].path, NULL);
        d = &g->nodes[self].d;
        const struct drv *in = &g->nodes[j].d;
        for (size_t k = 0; k < d->inputs[i].n_outputs; k++) {
            const struct drv_output *o = drv_get_output(in, d->inputs[i].outputs[k]);
            if (o) {
                XGROW(inputs, ialloc, ni + 1);
                inputs[ni++] = xstrdup(o->path);
            }
        }
    }
    for (size_t i = 0; i < d->n_srcs; i++) {
        XGROW(inputs, ialloc, ni + 1);
        inputs[ni++] = xstrdup(d->srcs[i]);
    }
    char **closure = NULL;
    size_t nc = 0;
    if (store_closure(s, (const char *const *)inputs, ni, &closure, &nc, err) != 0)
        goto fail;
    strv_free(inputs, ni);
    inputs = NULL;
    ni = 0;
    size_t n = nc + d->n_outputs;
    char **cands = xcalloc(n ? n : 1, sizeof *cands);
    for (size_t i = 0; i < nc; i++)
        cands[i] = closure[i];
    for (size_t i = 0; i < d->n_outputs; i++)
        cands[nc + i] = d->outputs[i].path;
    struct refscan *rs = refscan_new((const char *const *)cands, n);
    int rc = 0;
    for (size_t o = 0; o < d->n_outputs && rc == 0; o++) {
        char *host = store_host(s, d->outputs[o].path);
        rc = refscan_tree(rs, host, &refs_out[o], &n_refs_out[o], err);
        free(host);
    }
    refscan_free(rs);
    free(cands);
    strv_free(closure, nc);
    return rc;
fail:
    strv_free(inputs, ni);
    return -1;
}

/* ---- building one derivation ---- */

static void remove_outputs(const struct store *s, const struct drv *d)
{
    for (size_t i = 0; i < d->n_outputs; i++) {
        if (store_is_valid(s, d->outputs[i].path))
            continue;
        char *host = store_host(s, d->outputs[i].path);
        if (host)
            store_remove_tree(host);
        free(host);
    }
}

static char *describe_status(int st)
{
    if (WIFEXITED(st))
        return xasprintf("failed with exit code %d", WEXITSTATUS(st));
    if (WIFSIGNALED(st))
        return xasprintf("failed due to signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    return xasprintf("failed with status %d", st);
}

/* Build `nd` (its inputs are valid). 0: built or found valid; 1: the builder
 * failed (message in *failure); -1: an error that is not a build failure. */
static int build_one(const struct store *s, struct graph *g, size_t self,
                     const struct realise_opts *o, char **failure, struct lk_error *err)
{
    struct node *nd = &g->nodes[self];
    const struct drv *d = &nd->d;
    size_t n = d->n_outputs;
    int *locks = xcalloc(n ? n : 1, sizeof *locks);
    const char **paths = xcalloc(n ? n : 1, sizeof *paths);
    for (size_t i = 0; i < n; i++) {
        paths[i] = d->outputs[i].path;
        locks[i] = -1;
    }
    /* Lock in path order so that two processes never deadlock. */
    qsort(paths, n, sizeof *paths, strv_cmp);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = store_lock(s, paths[i], &locks[i], err);
    free(paths);
    char *build_dir = NULL;
    if (rc != 0)
        goto out;
    if (outputs_valid(s, d)) {
        rc = log_event("valid", nd, o->cause, err);
        goto out;
    }
    if (o->log)
        fprintf(o->log, "building '%s'...\n", nd->path);
    remove_outputs(s, d);
    char *base = tmp_base();
    char *name = drv_get_env(d, "name") ? xstrdup(drv_get_env(d, "name")) : xstrdup("drv");
    build_dir = xasprintf("%s/nix-build-%s.drv-XXXXXX", base, name);
    free(base);
    free(name);
    if (!mkdtemp(build_dir)) {
        rc = lk_fail_errno(err, LK_EXIT_FAIL, build_dir, "cannot create build directory");
        free(build_dir);
        build_dir = NULL;
        goto out;
    }
    int st;
    if (run_builder(s, nd, build_dir, locks, n, &st, err) != 0) {
        rc = -1;
        remove_outputs(s, d);
        goto out;
    }
    char *why = NULL;
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        char *how = describe_status(st);
        why = xasprintf("builder for '%s' %s", nd->path, how);
        free(how);
    }
    for (size_t i = 0; i < n && !why; i++) {
        char *host = store_host(s, d->outputs[i].path);
        struct stat sst;
        if (lstat(host, &sst) != 0)
            why = xasprintf("builder for '%s' failed to produce output path for output '%s' at '%s'",
                            nd->path, d->outputs[i].name, d->outputs[i].path);
        free(host);
    }
    if (why) {
        *failure = why;
        remove_outputs(s, d);
        rc = log_event("fail", nd, o->cause, err) != 0 ? -1 : 1;
        goto out;
    }
    char ***refs = xcalloc(n ? n : 1, sizeof *refs);
    size_t *n_refs = xcalloc(n ? n : 1, sizeof *n_refs);
    rc = scan_references(s, g, self, refs, n_refs, err);
    nd = &g->nodes[self];
    d = &nd->d;
    /* Register the outputs only when all of them are complete; "valid"
     * means every output of the derivation is registered. */
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = store_register(s, d->outputs[i].path, nd->path, (const char *const *)refs[i],
                            n_refs[i], err);
    for (size_t i = 0; i < n; i++)
        strv_free(refs[i], n_refs[i]);
    free(refs);
    free(n_refs);
    if (rc != 0) {
        remove_outputs(s, d);
        goto out;
    }
    rc = log_event("build", nd, o->cause, err);
out:
    if (build_dir) {
        if (rmdir(build_dir) != 0) /* what the builder left in it, if anything */
            store_remove_tree(build_dir);
        free(build_dir);
    }
    for (size_t i = 0; i < n; i++)
        store_unlock(locks[i]);
    free(locks);
    return rc;
}

/* Make every derivation of the plan, its outputs and its input sources
 * temporary roots: a deletion keeps them while this process builds. */
static int root_plan(const struct store *s, const struct graph *g, struct lk_error *err)
{
    const char **v = NULL;
    size_t len = 0, alloc = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct node *nd = &g->nodes[i];
        XGROW(v, alloc, len + 1 + nd->d.n_outputs + nd->d.n_srcs);
        v[len++] = nd->path;
        for (size_t k = 0; k < nd->d.n_outputs; k++)
            v[len++] = nd->d.outputs[k].path;
        for (size_t k = 0; k < nd->d.n_srcs; k++)
            v[len++] = nd->d.srcs[k];
    }
    int rc = temproots_add(s, v, len, err);
    free(v);
    return rc;
}

int realise(const struct store *s, const char *const *drv_paths, size_t n,
            const struct realise_opts *opts, struct lk_error *err)
{
    struct realise_opts none = { NULL, NULL };
    const struct realise_opts *o = opts ? opts : &none;
    for (size_t i = 0; i < n; i++)
        if (!storepath_is_drv(drv_paths[i]) || !store_is_store_path(drv_paths[i]))
            return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not a derivation",
                           drv_paths[i]);
    /* What this process instantiated becomes visible to other processes
     * (and to builders running nixsim) before anything is built. */
    if (store_sync(s, err) != 0)
        return -1;
    umask(022); /* builders inherit it, as Nix sets it */
    struct graph g = { 0 };
    size_t *order = NULL, n_order = 0;
    /* What the plan finds valid stays so: it is made a temporary root
     * before a deletion can look (temproots.h). */
    int gc_fd = -1;
    int rc = temproots_lock(s, 0, &gc_fd, err);
    if (rc == 0)
        rc = plan(s, &g, drv_paths, n, &order, &n_order, o->log, err);
    if (rc == 0)
        rc = root_plan(s, &g, err);
    temproots_unlock(gc_fd);
    if (rc != 0)
        goto out;
    if (o->log && n_order) {
        char **names = xcalloc(n_order, sizeof *names);
        for (size_t i = 0; i < n_order; i++)
            names[i] = g.nodes[order[i]].path;
        qsort(names, n_order, sizeof *names, strv_cmp);
        if (n_order == 1)
            fprintf(o->log, "this derivation will be built:\n");
        else
            fprintf(o->log, "these %zu derivations will be built:\n", n_order);
        for (size_t i = 0; i < n_order; i++)
            fprintf(o->log, "  %s\n", names[i]);
        free(names);
    }
    /* Requested derivations with nothing to build. */
    for (size_t i = 0; i < n; i++) {
        size_t k = graph_get(&g, drv_paths[i], NULL);
        if (!g.nodes[k].needs_build &&
            (rc = log_event("valid", &g.nodes[k], o->cause, err)) != 0)
            goto out;
    }
    char *failure = NULL;
    for (size_t i = 0; i < n_order; i++) {
        struct node *nd = &g.nodes[order[i]];
        for (size_t k = 0; k < nd->d.n_inputs; k++) {
            size_t j = graph_get(&g, nd->d.inputs[k].path, NULL);
            nd = &g.nodes[order[i]];
            if (g.nodes[j].failed)
                nd->n_failed_inputs++;
        }
        if (nd->n_failed_inputs) {
            nd->failed = 1;
            continue;
        }
        /* Stop at the first failure (Nix without --keep-going): everything
         * that depends on it is reported, nothing else is started. */
        if (failure)
            continue;
        int r = build_one(s, &g, order[i], o, &failure, err);
        nd = &g.nodes[order[i]];
        if (r < 0) {
            rc = -1;
            goto out_fail;
        }
        if (r == 1) {
            nd->failed = nd->own_failure = 1;
        }
    }
    if (failure) {
        /* The first requested derivation that failed names the error. */
        const struct node *top = NULL;
        for (size_t i = 0; i < n && !top; i++) {
            size_t k = graph_get(&g, drv_paths[i], NULL);
            if (g.nodes[k].failed)
                top = &g.nodes[k];
        }
        if (top && top->own_failure) {
            lk_fail(err, REALISE_EXIT_BUILD_FAILED, NULL, NULL, "%s", failure);
        } else {
            if (o->log)
                fprintf(o->log, "error: %s\n", failure);
            if (top)
                lk_fail(err, REALISE_EXIT_BUILD_FAILED, NULL, NULL,
                        "%zu dependencies of derivation '%s' failed to build",
                        top->n_failed_inputs, top->path);
            else
                lk_fail(err, REALISE_EXIT_BUILD_FAILED, NULL, NULL, "build of %s failed",
                        drv_paths[0]);
        }
        rc = -1;
    }
out_fail:
    free(failure);
out:
    temproots_release(s);
    free(order);
    graph_free(&g);
    return rc;
}
