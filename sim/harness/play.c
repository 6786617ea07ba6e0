/* play — one fixture played end to end (see play.h). */
#include "harness/play.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buildkite/env.h"
#include "buildkite/executor.h"
#include "buildkite/bkpipeline.h"
#include "fileio.h"
#include "harness/proc.h"
#include "harness/treesnap.h"
#include "nix/eventlog.h"
#include "nix/exportnix.h"
#include "strbuf.h"
#include "xalloc.h"

#define GEN_KEY "pipeline-gen"
#define DUCK_KEY ":duck:"
#define RELEASE_KEY "release-upload"
#define BUILD_ID "00000000-0000-4000-8000-000000000001"
#define SCRIPT_LINK "nix-buildkite-extra-step-command-script"

static const char *const gitignore =
    "result\nresult-*\n/" SCRIPT_LINK "\n/" SCRIPT_LINK "-*\n";

/* What the callbacks record per scheduler node. */
struct node_state {
    char *step_name;
    bool tree_checked, tree_by_git;
    char *tree;
    char *result_link, *script_link;
    bool reached_build, reached_run;
    bool log_lost;
    char *log_tail;
};

struct play {
    const struct sim_play_options *opt;
    struct sim_play_result *res;
    struct bk_sched *sched;
    char *work, *artifacts, *store, *state, *log, *bin;
    char **checkouts;
    struct tree_snap **clean; /* per agent: its checkout when git last found it clean, or NULL */
    size_t nagents;
    char *commit, *branch;
    int gen_id, duck_id, release_id;
    size_t count_at_gen_start, count_after_gen;
    bool gen_started;
    struct node_state *nodes;
    size_t n_nodes;
    const char **phases; /* phase order for chunks */
    size_t n_phases;
    bool gc_drvs;
    struct bk_env upload_env;
};

static struct node_state *node(struct play *p, int id)
{
    if ((size_t)id >= p->n_nodes) {
        size_t n = (size_t)id + 64;
        p->nodes = xrealloc(p->nodes, n * sizeof(*p->nodes));
        memset(p->nodes + p->n_nodes, 0, (n - p->n_nodes) * sizeof(*p->nodes));
        p->n_nodes = n;
    }
    return &p->nodes[id];
}

int sim_locate(char **root, char **build, struct lk_error *err)
{
    const char *r = getenv("LAZYKITE_ROOT"), *b = getenv("LAZYKITE_BUILD");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, "/proc/self/exe", "readlink");
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    *slash = '\0';
    char *build_dir = b && *b ? xstrdup(b) : xstrdup(exe);
    char *root_dir;
    if (r && *r)
        root_dir = xstrdup(r);
    else {
        slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        root_dir = xstrdup(*exe ? exe : "/");
    }
    char *rr = realpath(root_dir, NULL), *bb = realpath(build_dir, NULL);
    free(root_dir);
    free(build_dir);
    if (!rr || !bb) {
        free(rr);
        free(bb);
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                       "cannot find the source root and build directory (set LAZYKITE_ROOT and LAZYKITE_BUILD)");
    }
    *root = rr;
    *build = bb;
    return 0;
}

static int mkdir_one(const char *path, struct lk_error *err)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return lk_fail_errno(err, LK_EXIT_FAIL, path, "mkdir");
    return 0;
}

static int git(struct play *p, const char *dir, const char *const *args, char **out, struct lk_error *err)
{
    static const char *const env[] = {
        "GIT_AUTHOR_NAME=lazykite-sim", "GIT_AUTHOR_EMAIL=sim@lazykite.invalid",
        "GIT_AUTHOR_DATE=2000-01-01T00:00:00Z", "GIT_COMMITTER_NAME=lazykite-sim",
        "GIT_COMMITTER_EMAIL=sim@lazykite.invalid", "GIT_COMMITTER_DATE=2000-01-01T00:00:00Z",
        "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", NULL,
    };
    (void)p;
    const char *argv[16] = { "git", "-C", dir };
    size_t n = 3;
    for (; args[n - 3] && n < 15; n++)
        argv[n] = args[n - 3];
    argv[n] = NULL;
    char *o = NULL;
    int st = proc_run(argv, NULL, env, &o, err);
    if (st > 0) {
        lk_fail(err, LK_EXIT_FAIL, dir, NULL, "git %s failed: %s", args[0], o ? o : "");
        st = -1;
    }
    if (st == 0 && out)
        *out = o;
    else
        free(o);
    return st;
}

static int write_text(const char *path, const char *text, struct lk_error *err)
{
    return file_write_atomic(path, text, strlen(text), err);
}

/* true iff the checkout's .gitignore (the `gitignore` text above, which
 * the harness writes and commits at the top of the depot) makes git ignore
 * a top-level entry `name` that is not a directory. Patterns are matched
 * as git matches plain ones (no '!' negation in the text: otherwise
 * nothing is taken as ignored); patterns with a slash inside or a trailing
 * one never match such an entry. */
static bool ignored_top_level_file(const char *name)
{
    if (strchr(gitignore, '!'))
        return false;
    bool ignored = false;
    for (const char *line = gitignore; *line && !ignored;) {
        size_t len = strcspn(line, "\n");
        char *pat = xstrndup(line, len);
        line += len + (line[len] == '\n');
        const char *q = pat[0] == '/' ? pat + 1 : pat;
        if (*q && *q != '#' && !strchr(q, '/') && !strchr(q, '\\'))
            ignored = fnmatch(q, name, 0) == 0;
        free(pat);
    }
    return ignored;
}

/* `git status --porcelain -z --ignored` in the checkout: 0 with its
 * NUL-separated entries in *raw (the caller frees), or -1 with err. */
static int git_status(struct play *p, const char *checkout, char **raw, struct lk_error *err)
{
    static const char *const status[] = { "status", "--porcelain", "-z", "--ignored", NULL };
    *raw = NULL;
    return git(p, checkout, status, raw, err);
}

/* The agent's clean snapshot := its checkout now (NULL if it cannot be
 * taken: git then runs after every step until one can). */
static void remember_clean(struct play *p, size_t agent, const char *checkout)
{
    struct lk_error err = LK_ERROR_INIT;
    tree_snap_free(p->clean[agent]);
    p->clean[agent] = NULL;
    if (tree_snap_take(checkout, &p->clean[agent], &err) < 0)
        p->clean[agent] = NULL;
    lk_error_clear(&err);
}

/* tree-clean by git: its report (the status lines of what is not ignored),
 * then the agent's clean checkout for its next job, as `git clean -ffxdq`
 * and `git checkout -f` before every job would leave it: the untracked and
 * ignored paths git lists are removed, modified files checked out again.
 * If git listed anything, it is asked again afterwards; the checkout is
 * remembered as clean once git lists nothing. */
static char *git_tree_check(struct play *p, size_t agent, const char *checkout)
{
    struct lk_error gerr = LK_ERROR_INIT;
    char *raw = NULL, *tree;
    tree_snap_free(p->clean[agent]);
    p->clean[agent] = NULL;
    if (git_status(p, checkout, &raw, &gerr) == 0) {
        bool modified = false;
        for (char *e = raw; *e; e += strlen(e) + 1) {
            if (strncmp(e, "!! ", 3) && strncmp(e, "?? ", 3))
                modified = true;
            if (!strncmp(e, "!! ", 3) || !strncmp(e, "?? ", 3)) {
                char *path = xasprintf("%s/%s", checkout, e + 3);
                size_t pl = strlen(path);
                if (pl && path[pl - 1] == '/')
                    path[pl - 1] = '\0';
                file_remove_tree(path);
                free(path);
            } else if (e[0] == 'R' || e[1] == 'R' || e[0] == 'C' || e[1] == 'C') {
                e += strlen(e) + 1; /* -z: the source path follows */
            }
        }
        if (modified) { /* `git checkout -f` of the job's commit */
            static const char *const reset[] = { "checkout", "-f", "-q", "HEAD", NULL };
            git(p, checkout, reset, NULL, &gerr);
            lk_error_clear(&gerr);
        }
        /* what tree-clean reports: everything but the ignored paths */
        struct strbuf shown = STRBUF_INIT;
        for (char *e = raw; *e; e += strlen(e) + 1)
            if (strncmp(e, "!! ", 3))
                sb_addf(&shown, "%s\n", e);
        tree = sb_detach(&shown);
        bool listed = *raw != '\0';
        if (listed) { /* did the cleaning leave the checkout clean? */
            free(raw);
            raw = NULL;
            if (git_status(p, checkout, &raw, &gerr) < 0)
                listed = true;
            else
                listed = *raw != '\0';
            lk_error_clear(&gerr);
        }
        if (!listed)
            remember_clean(p, agent, checkout);
    } else {
        tree = lk_error_format(&gerr);
    }
    free(raw);
    lk_error_clear(&gerr);
    return tree;
}

/* What tree-clean reports for the step that just ended in the agent's
 * checkout ("" when clean), the checkout made clean for the agent's next
 * job. git runs only when the checkout differs from its snapshot of the
 * last time git found it clean by more than new top-level files or links
 * that the checkout's .gitignore ignores (a :nix: step's `result`, an
 * extra step's script link): exactly what `git status --porcelain
 * --ignored` would then list, all as "!! NAME", and nothing else. Those
 * are removed without asking git, which leaves the checkout as its
 * snapshot (the top directory's own times aside, which git ignores). */
static char *check_tree(struct play *p, size_t agent, const char *checkout, bool *by_git)
{
    struct tree_snap *now = NULL;
    struct lk_error err = LK_ERROR_INIT;
    char **added = NULL;
    size_t n_added = 0;
    bool fast = p->clean[agent] && tree_snap_take(checkout, &now, &err) == 0 &&
                tree_snap_compare(p->clean[agent], now, &added, &n_added);
    for (size_t i = 0; i < n_added && fast; i++)
        fast = ignored_top_level_file(added[i]);
    for (size_t i = 0; i < n_added && fast; i++) {
        char *path = xasprintf("%s/%s", checkout, added[i]);
        fast = unlink(path) == 0;
        free(path);
    }
    for (size_t i = 0; i < n_added; i++)
        free(added[i]);
    free(added);
    tree_snap_free(now);
    lk_error_clear(&err);
    *by_git = !fast;
    return fast ? xstrdup("") : git_tree_check(p, agent, checkout);
}

static int make_checkouts(struct play *p, struct lk_error *err)
{
    const struct fixture *f = p->res->fixture;
    char *src = xasprintf("%s/src", p->work);
    char *gi = xasprintf("%s/.gitignore", src);
    int rc = exportnix_write(f, src, err);
    if (rc == 0)
        rc = write_text(gi, gitignore, err);
    static const char *const init[] = { "-c", "init.defaultBranch=canon", "init", "-q", NULL };
    static const char *const add[] = { "add", "-A", NULL };
    static const char *const commit[] = { "commit", "-q", "-m", "fixture depot", NULL };
    static const char *const head[] = { "rev-parse", "HEAD", NULL };
    if (rc == 0)
        rc = git(p, src, init, NULL, err);
    if (rc == 0)
        rc = git(p, src, add, NULL, err);
    if (rc == 0)
        rc = git(p, src, commit, NULL, err);
    if (rc == 0)
        rc = git(p, src, head, &p->commit, err);
    if (rc == 0) {
        p->commit[strcspn(p->commit, "\n")] = '\0';
        p->checkouts = xcalloc(p->nagents + 1, sizeof(char *));
        p->clean = xcalloc(p->nagents, sizeof(*p->clean));
        for (size_t i = 0; i < p->nagents && rc == 0; i++) {
            p->checkouts[i] = xasprintf("%s/agent-%zu", p->work, i + 1);
            const char *clone[] = { "clone", "-q", src, p->checkouts[i], NULL };
            rc = git(p, p->work, clone, NULL, err);
            /* its first snapshot, if git finds the fresh clone clean */
            char *raw = NULL;
            struct lk_error serr = LK_ERROR_INIT;
            if (rc == 0 && git_status(p, p->checkouts[i], &raw, &serr) == 0 && !*raw)
                remember_clean(p, i, p->checkouts[i]);
            lk_error_clear(&serr);
            free(raw);
        }
    }
    free(src);
    free(gi);
    return rc;
}

static int make_bin(struct play *p, struct lk_error *err)
{
    const char *names[] = { "nix-store", "nix-build", "nix-instantiate", "lazykite" };
    const char *targets[] = { "nixsim", "nixsim", "nixsim", "lazykite" };
    if (mkdir_one(p->bin, err) < 0)
        return -1;
    for (size_t i = 0; i < 4; i++) {
        char *target = xasprintf("%s/%s", p->opt->build, targets[i]);
        char *link = xasprintf("%s/%s", p->bin, names[i]);
        int rc = 0;
        if (access(target, X_OK) < 0)
            rc = lk_fail(err, LK_EXIT_FAIL, target, NULL, "not built (run make)");
        else if (symlink(target, link) < 0)
            rc = lk_fail_errno(err, LK_EXIT_FAIL, link, "symlink");
        free(target);
        free(link);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int write_parent_map(struct play *p, const char *path, struct lk_error *err)
{
    const struct fixture *f = p->res->fixture;
    const struct depot *d = p->res->depot;
    json_t *map = json_object();
    for (size_t i = 0; i < f->n_unchanged; i++) {
        const struct fixture_target *t = &f->targets[f->unchanged[i]];
        json_t *attr = json_array();
        for (size_t k = 0; k < t->n_attr_path; k++)
            json_array_append_new(attr, json_string(t->attr_path[k]));
        if (t->subtarget)
            json_array_append_new(attr, json_string(t->subtarget));
        const struct depot_drv *dd = depot_drv_at(d, depot_index_of_fixture_drv(d, t->drv));
        json_object_set_new(map, t->label, json_pack("{s:s, s:o}", "drvPath", dd->drv_path, "attrPath", attr));
    }
    char *text = json_dumps(map, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(map);
    int rc = write_text(path, text, err);
    free(text);
    return rc;
}

/* "/nix/store/…" for a link in the checkout, or NULL. */
static char *read_link(struct play *p, const char *checkout, const char *name)
{
    char *path = xasprintf("%s/%s", checkout, name);
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    free(path);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    size_t sl = strlen(p->store);
    if (!strncmp(buf, p->store, sl) && buf[sl] == '/')
        return xasprintf("/nix/store%s", buf + sl);
    return xstrdup(buf);
}

static int phase_pos(const struct play *p, const char *phase)
{
    for (size_t i = 0; i < p->n_phases; i++)
        if (!strcmp(p->phases[i], phase))
            return (int)i;
    return (int)p->n_phases;
}

static const struct play *sort_ctx;
static int cmp_chunk(const void *a, const void *b)
{
    const struct obs_chunk *x = a, *y = b;
    int px = phase_pos(sort_ctx, x->phase), py = phase_pos(sort_ctx, y->phase);
    if (px != py)
        return px < py ? -1 : 1;
    int c = strcmp(x->phase, y->phase);
    if (c)
        return c;
    return x->number < y->number ? -1 : x->number > y->number;
}

/* Read <artifacts>/pipeline/<phase>-chunk-<n>.json into obs.chunks. */
static void collect_chunks(struct play *p)
{
    char *dir = xasprintf("%s/pipeline", p->artifacts);
    DIR *dh = opendir(dir);
    if (dh) {
        struct dirent *de;
        while ((de = readdir(dh))) {
            const char *name = de->d_name, *mark = strstr(name, "-chunk-");
            size_t len = strlen(name);
            if (!mark || len < 5 || strcmp(name + len - 5, ".json"))
                continue;
            const char *num = mark + 7;
            size_t ndig = strspn(num, "0123456789");
            if (ndig == 0 || num + ndig != name + len - 5)
                continue;
            char *phase = xstrndup(name, (size_t)(mark - name));
            char *path = xasprintf("%s/%s", dir, name);
            json_t *doc = json_load_file(path, 0, NULL);
            obs_chunk_add(&p->res->obs, name, phase, strtol(num, NULL, 10), doc, path);
            free(phase);
            free(path);
        }
        closedir(dh);
    }
    free(dir);
    sort_ctx = p;
    if (p->res->obs.n_chunks > 1)
        qsort(p->res->obs.chunks, p->res->obs.n_chunks, sizeof(struct obs_chunk), cmp_chunk);
}

/* Upload chunks whose phase is (build) or is not (release) "build", last-first, after `id`. */
static void upload_chunks(struct play *p, struct bk_executor *ex, int id, bool build)
{
    struct sim_observed *o = &p->res->obs;
    for (size_t k = o->n_chunks; k-- > 0;) {
        const struct obs_chunk *c = &o->chunks[k];
        if (!strcmp(c->phase, "build") != build)
            continue;
        char *text;
        size_t len;
        struct lk_error err = LK_ERROR_INIT;
        if (file_read(c->path, &text, &len, &err) == 0) {
            bk_executor_upload(ex, id, c->name, text, len, &p->upload_env, &err);
            free(text);
        }
        if (err.status) {
            char *m = lk_error_format(&err);
            obs_strv_add(&o->upload_errors, &o->n_upload_errors, m);
            free(m);
        }
        lk_error_clear(&err);
    }
}

/* nix-store --delete every .drv of the depot that the store holds. */
static void delete_drvs(struct play *p)
{
    const struct depot *d = p->res->depot;
    struct sim_observed *o = &p->res->obs;
    size_t n = depot_n_drvs(d), k = 0;
    const char **argv = xcalloc(n + 3, sizeof(char *));
    char *prog = xasprintf("%s/nix-store", p->bin);
    argv[k++] = prog;
    argv[k++] = "--delete";
    for (size_t i = n; i-- > 0;) { /* dependants first */
        const char *path = depot_drv_at(d, i)->drv_path;
        char *host = xasprintf("%s/%s", p->store, path + 11);
        if (access(host, F_OK) == 0)
            argv[k++] = path;
        free(host);
    }
    o->gc_drvs = true;
    o->gc_deleted = k - 2;
    char *e1 = xasprintf("NIXSIM_STORE=%s", p->store), *e2 = xasprintf("NIXSIM_STATE=%s", p->state),
         *e3 = xasprintf("LAZYKITE_LOG=%s", p->log);
    const char *env[] = { e1, e2, e3, "LAZYKITE_PHASE=gc", NULL };
    char *out = NULL;
    struct lk_error err = LK_ERROR_INIT;
    if (k > 2) {
        int st = proc_run(argv, p->work, env, &out, &err);
        if (st != 0) {
            free(o->gc_error);
            o->gc_error = st < 0 ? lk_error_format(&err) : xstrdup(out ? out : "");
        }
    }
    lk_error_clear(&err);
    free(out);
    free(e1);
    free(e2);
    free(e3);
    free(prog);
    free(argv);
}

static void on_step_env(void *ctx, const struct bk_step *step, int id, size_t agent, struct bk_env *env)
{
    struct play *p = ctx;
    (void)agent;
    struct node_state *ns = node(p, id);
    free(ns->step_name);
    ns->step_name = xstrdup(step->key ? step->key : step->label ? step->label : "step");
    bk_env_set(env, "LAZYKITE_STEP", ns->step_name);
    bk_env_set(env, "LAZYKITE_PHASE", id == p->gen_id ? "construction" : "execution");
    if (id == p->gen_id) {
        p->gen_started = true;
        p->count_at_gen_start = bk_sched_count(p->sched);
    }
    if (id == p->duck_id) {
        size_t failed = 0, n = bk_sched_count(p->sched);
        for (size_t i = 0; i < n; i++)
            failed += bk_outcome_is_failure(bk_sched_outcome(p->sched, (int)i));
        char num[32];
        snprintf(num, sizeof num, "%zu", failed);
        bk_env_set(env, "LAZYKITE_FAILED_JOBS", num);
    }
}

/* Whether a step's output (len bytes) has an "error: " line of a nixsim
 * command that could not write its realisation log line. */
static bool output_log_lost(const char *text, size_t len)
{
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (n > 7 && !memcmp(p, "error: ", 7) &&
            memmem(p, n, EVENTLOG_ERROR_TEXT, sizeof EVENTLOG_ERROR_TEXT - 1))
            return true;
        p += n + 1;
    }
    return false;
}

static int on_step_done(void *ctx, struct bk_executor *ex, int id, const struct bk_step_result *r,
                        struct lk_error *err)
{
    struct play *p = ctx;
    struct sim_observed *o = &p->res->obs;
    struct node_state *ns = node(p, id);
    const char *checkout = p->checkouts[r->agent];
    (void)err;
    char *text = NULL;
    size_t len = 0;
    struct lk_error ignore = LK_ERROR_INIT;
    if (r->log_path && file_read(r->log_path, &text, &len, &ignore) == 0) {
        /* (by length: file_read() leaves an empty file's buffer unterminated) */
        static const char built[] = "--- Building extra step script", run[] = "+++ Running extra step script";
        ns->reached_build = memmem(text, len, built, sizeof built - 1) != NULL;
        ns->reached_run = memmem(text, len, run, sizeof run - 1) != NULL;
        ns->log_lost = output_log_lost(text, len);
        free(ns->log_tail);
        ns->log_tail = NULL;
        if (r->exit_status != 0) { /* the last lines, for the report */
            size_t from = len > 1500 ? len - 1500 : 0;
            while (from > 0 && from < len && text[from - 1] != '\n')
                from++;
            ns->log_tail = xstrndup(text + from, len - from);
        }
    }
    lk_error_clear(&ignore);
    if (id == p->gen_id) {
        o->gen_ran = true;
        o->gen_exit = r->exit_status;
        free(o->gen_output);
        o->gen_output = text ? xstrndup(text, len) : NULL;
        /* the step's artifact: pipeline/ leaves the checkout */
        char *from = xasprintf("%s/pipeline", checkout), *to = xasprintf("%s/pipeline", p->artifacts);
        file_remove_tree(to);
        struct stat sb;
        if (lstat(from, &sb) == 0 && rename(from, to) < 0) {
            char *m = xasprintf("cannot keep %s: %s", from, strerror(errno));
            obs_strv_add(&o->upload_errors, &o->n_upload_errors, m);
            free(m);
        }
        free(from);
        free(to);
        collect_chunks(p);
        o->generator_uploaded = bk_sched_count(p->sched) > p->count_at_gen_start;
        if (r->exit_status == 0 && !o->generator_uploaded)
            upload_chunks(p, ex, id, true);
        p->count_after_gen = bk_sched_count(p->sched);
        if (p->gc_drvs)
            delete_drvs(p);
    }
    if (id == p->release_id && o->gen_exit == 0)
        upload_chunks(p, ex, id, false);
    free(text);
    free(ns->result_link);
    free(ns->script_link);
    ns->result_link = read_link(p, checkout, "result");
    ns->script_link = read_link(p, checkout, SCRIPT_LINK);
    ns->tree_checked = true;
    free(ns->tree);
    ns->tree = check_tree(p, r->agent, checkout, &ns->tree_by_git);
    return 0;
}

/* The static pipeline, interpolated, with the generator command in place. */
static struct bk_pipeline *load_static(struct play *p, struct lk_error *err)
{
    char *path = xasprintf("%s/ci/static-pipeline.yml", p->opt->root);
    struct bk_load_options lo = { true, &p->upload_env };
    struct bk_pipeline *pl = bk_pipeline_load_file(path, &lo, err);
    if (pl) {
        struct bk_step *gen = NULL;
        for (size_t i = 0; i < pl->nsteps; i++)
            if (pl->steps[i].key && !strcmp(pl->steps[i].key, GEN_KEY))
                gen = &pl->steps[i];
        if (!gen || gen->type != BK_STEP_COMMAND) {
            lk_bad_input(err, path, NULL, "expected a command step with key \"" GEN_KEY "\"");
            bk_pipeline_free(pl);
            pl = NULL;
        } else {
            p->res->obs.static_pipeline = json_deep_copy(pl->raw);
            if (p->opt->generator) {
                free(gen->command);
                gen->command = xstrdup(p->opt->generator);
            }
        }
    }
    free(path);
    return pl;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The build as observed: every node in order, with what the callbacks saw. */
static void observe(struct play *p, struct bk_executor *ex)
{
    struct sim_observed *o = &p->res->obs;
    size_t n;
    const int *order = bk_sched_order(p->sched, &n);
    int *index_of = xcalloc(bk_sched_count(p->sched) + 1, sizeof(int));
    for (size_t i = 0; i < n; i++) {
        int id = order[i];
        const struct bk_step *st = bk_sched_step(p->sched, id);
        struct obs_step *s = obs_step_add(o, id, st->type, st->key, st->label);
        index_of[id] = (int)i;
        int parent = bk_sched_parent(p->sched, id);
        s->group = parent >= 0 ? index_of[parent] : -1;
        s->skip = st->skip;
        s->outcome = bk_sched_outcome(p->sched, id);
        const char *reason = bk_sched_reason(p->sched, id);
        s->reason = reason ? xstrdup(reason) : NULL;
        const struct bk_step_result *r = bk_executor_result(ex, id);
        if (r && r->ran) {
            s->ran = true;
            s->agent = r->agent_name ? xstrdup(r->agent_name) : NULL;
            s->seconds = r->seconds;
            s->exit_status = r->exit_status;
            s->log_path = r->log_path ? xstrdup(r->log_path) : NULL;
        }
        if ((size_t)id < p->n_nodes) {
            struct node_state *ns = &p->nodes[id];
            s->step_name = ns->step_name ? xstrdup(ns->step_name) : NULL;
            s->tree_checked = ns->tree_checked;
            s->tree_by_git = ns->tree_by_git;
            s->tree_status = ns->tree ? xstrdup(ns->tree) : NULL;
            s->result_link = ns->result_link ? xstrdup(ns->result_link) : NULL;
            s->script_link = ns->script_link ? xstrdup(ns->script_link) : NULL;
            s->reached_build_script = ns->reached_build;
            s->reached_run_script = ns->reached_run;
            s->log_lost = ns->log_lost;
            s->log_tail = ns->log_tail ? xstrdup(ns->log_tail) : NULL;
        }
        if (id == p->gen_id)
            o->gen_step = (int)i;
        if (id >= (int)p->count_at_gen_start && (size_t)id < p->count_after_gen && parent < 0) {
            char *ident = obs_step_identity(s);
            obs_strv_add(&o->uploaded_ids, &o->n_uploaded_ids, ident);
            free(ident);
        }
    }
    free(index_of);
}

static void validate_schema(struct play *p)
{
    struct sim_observed *o = &p->res->obs;
    /* $LAZYKITE_SCHEMA, else ../shared/buildkite/schema.json beside the tree */
    const char *env = getenv("LAZYKITE_SCHEMA");
    char *schema = env && *env ? xstrdup(env) : xasprintf("%s/../shared/buildkite/schema.json", p->opt->root);
    char *real = realpath(schema, NULL);
    if (!real) {
        o->schema_note = xasprintf("the Buildkite schema %s is absent (set LAZYKITE_SCHEMA)", schema);
        free(schema);
        return;
    }
    free(schema);
    p->res->schema_path = xstrdup(real);
    if (o->n_chunks == 0) {
        o->schema_note = xstrdup("no chunks were generated");
        free(real);
        return;
    }
    if (access("/usr/bin/python3", X_OK) < 0) {
        o->schema_note = xstrdup("/usr/bin/python3 is absent");
        free(real);
        return;
    }
    const char **argv = xcalloc(o->n_chunks + 5, sizeof(char *));
    char *script = xasprintf("%s/sim/harness/schemacheck.py", p->opt->root);
    size_t k = 0;
    argv[k++] = "/usr/bin/python3";
    argv[k++] = script;
    argv[k++] = real;
    for (size_t i = 0; i < o->n_chunks; i++)
        argv[k++] = o->chunks[i].path;
    char *out = NULL;
    struct lk_error err = LK_ERROR_INIT;
    int st = proc_run(argv, NULL, NULL, &out, &err);
    if (st != 0) {
        o->schema_note = st < 0 ? lk_error_format(&err) : xasprintf("python3 failed: %s", out ? out : "");
    } else if (!strncmp(out, "UNAVAILABLE: ", 13)) {
        out[strcspn(out, "\n")] = '\0';
        o->schema_note = xstrdup(out + 13);
    } else {
        o->schema_state = 0;
        for (char *line = out; *line;) {
            size_t l = strcspn(line, "\n");
            char c = line[l];
            line[l] = '\0';
            if (l)
                obs_strv_add(&o->schema_errors, &o->n_schema_errors, line);
            line += l + (c ? 1 : 0);
        }
        if (o->n_schema_errors)
            o->schema_state = 1;
        o->schema_note = xasprintf("validated against %s", real);
    }
    lk_error_clear(&err);
    free(out);
    free(argv);
    free(script);
    free(real);
}

static int make_work_dir(struct play *p, struct lk_error *err)
{
    if (p->opt->keep) {
        if (mkdir(p->opt->keep, 0755) < 0) {
            DIR *dh = errno == EEXIST ? opendir(p->opt->keep) : NULL;
            int empty = dh != NULL;
            struct dirent *de;
            while (dh && (de = readdir(dh)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                    empty = 0;
            if (dh)
                closedir(dh);
            if (!empty)
                return lk_bad_input(err, p->opt->keep, NULL, "--keep: expected a new or empty directory");
        }
        p->work = realpath(p->opt->keep, NULL);
        if (!p->work)
            return lk_fail_errno(err, LK_EXIT_FAIL, p->opt->keep, "realpath");
    } else {
        const char *tmp = getenv("TMPDIR");
        char *templ = xasprintf("%s/lazykite-sim.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(templ)) {
            int rc = lk_fail_errno(err, LK_EXIT_FAIL, templ, "mkdtemp");
            free(templ);
            return rc;
        }
        p->work = realpath(templ, NULL);
        free(templ);
    }
    p->res->work_dir = xstrdup(p->work);
    return 0;
}

int sim_play(const struct sim_play_options *opt, struct sim_play_result *res, struct lk_error *err)
{
    memset(res, 0, sizeof(*res));
    obs_init(&res->obs);
    if (fixture_load(opt->fixture_path, &res->fixture, err) < 0)
        return -1;
    if (depot_from_fixture(res->fixture, &res->depot, err) < 0)
        return -1;
    const struct fixture *f = res->fixture;
    struct play p;
    memset(&p, 0, sizeof p);
    p.opt = opt;
    p.res = res;
    p.gen_id = p.duck_id = p.release_id = -1;
    p.nagents = (size_t)(opt->agents > 0 ? opt->agents : f->run.agents > 0 ? f->run.agents : 1);
    p.gc_drvs = opt->gc_drvs >= 0 ? opt->gc_drvs : f->run.gc_drvs > 0;
    res->agents = (int)p.nagents;
    p.branch = xstrdup(opt->branch ? opt->branch : f->branch ? f->branch : "refs/heads/canon");
    res->branch = xstrdup(p.branch);
    static const char *const default_phases[] = { "build", "release" };
    json_t *phases = json_object_get(f->pipeline, "phases");
    if (json_is_array(phases) && json_array_size(phases)) {
        p.phases = xcalloc(json_array_size(phases), sizeof(char *));
        for (size_t i = 0; i < json_array_size(phases); i++)
            if (json_is_string(json_array_get(phases, i)))
                p.phases[p.n_phases++] = json_string_value(json_array_get(phases, i));
    } else {
        p.phases = xcalloc(2, sizeof(char *));
        p.phases[0] = default_phases[0];
        p.phases[1] = default_phases[1];
        p.n_phases = 2;
    }
    int rc = make_work_dir(&p, err);
    char *inputs = NULL, *parent_map = NULL, *execdir = NULL, *rundir = NULL;
    if (rc == 0) {
        p.store = xasprintf("%s/store", p.work);
        p.state = xasprintf("%s/state", p.work);
        p.bin = xasprintf("%s/bin", p.work);
        p.artifacts = xasprintf("%s/artifacts", p.work);
        rundir = xasprintf("%s/run", p.work);
        p.log = xasprintf("%s/realisations.jsonl", rundir);
        inputs = xasprintf("%s/inputs", p.work);
        execdir = xasprintf("%s/exec", p.work);
        const char *dirs[] = { p.store, p.state, p.artifacts, rundir, inputs, execdir };
        for (size_t i = 0; i < 6 && rc == 0; i++)
            rc = mkdir_one(dirs[i], err);
    }
    if (rc == 0)
        rc = make_bin(&p, err);
    if (rc == 0)
        rc = make_checkouts(&p, err);
    if (rc == 0 && f->n_unchanged) {
        parent_map = xasprintf("%s/parent-map.json", inputs);
        rc = write_parent_map(&p, parent_map, err);
    }
    struct bk_env extra = BK_ENV_INIT;
    bk_env_set(&p.upload_env, "BUILDKITE", "true");
    bk_env_set(&p.upload_env, "CI", "true");
    bk_env_set(&p.upload_env, "BUILDKITE_BRANCH", p.branch);
    bk_env_set(&p.upload_env, "BUILDKITE_COMMIT", p.commit ? p.commit : "");
    bk_env_set(&p.upload_env, "BUILDKITE_BUILD_ID", BUILD_ID);
    struct bk_executor *ex = NULL;
    if (rc == 0) {
        struct bk_sched_options so = { p.branch, BK_UNBLOCK_NONE, NULL };
        int unblock = opt->unblock >= 0 ? opt->unblock : f->run.unblock > 0 ? BK_UNBLOCK_ALL : BK_UNBLOCK_NONE;
        so.unblock = (enum bk_unblock)unblock;
        so.unblock_glob = opt->unblock_glob;
        p.sched = bk_sched_new(&so);
        bk_env_set(&extra, "NIXSIM_STORE", "/nix/store");
        bk_env_set(&extra, "NIXSIM_STATE", p.state);
        bk_env_set(&extra, "LAZYKITE_LOG", p.log);
        if (parent_map)
            bk_env_set(&extra, "LAZYKITE_PARENT_MAP", parent_map);
        /* the source tree (manifest.nix, generators under test) and the
         * build directory (lazykite, nixsim) read-only */
        const char *ro[] = { opt->root, opt->build, inputs, NULL };
        const char *rw[] = { rundir, NULL };
        struct bk_executor_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.nagents = p.nagents;
        cfg.checkouts = (const char *const *)p.checkouts;
        cfg.store_dir = p.store;
        cfg.state_dir = p.state;
        cfg.bin_dir = p.bin;
        cfg.ro_paths = ro;
        cfg.rw_paths = rw;
        cfg.work_dir = execdir;
        cfg.branch = p.branch;
        cfg.commit = p.commit;
        cfg.build_id = BUILD_ID;
        cfg.extra_env = &extra;
        cfg.step_env = on_step_env;
        cfg.step_done = on_step_done;
        cfg.ctx = &p;
        ex = bk_executor_new(&cfg, p.sched);
        struct bk_pipeline *pl = load_static(&p, err);
        rc = pl ? 0 : -1;
        int first = -1;
        size_t count = 0;
        if (rc == 0)
            rc = bk_sched_upload(p.sched, -1, pl, &first, &count, err);
        if (rc == 0) {
            p.gen_id = bk_sched_find(p.sched, GEN_KEY);
            p.duck_id = bk_sched_find(p.sched, DUCK_KEY);
            p.release_id = bk_sched_find(p.sched, RELEASE_KEY);
            double t0 = now();
            rc = bk_executor_run(ex, err);
            res->seconds = now() - t0;
        }
    }
    if (rc == 0) {
        observe(&p, ex);
        rc = obs_read_log(&res->obs, p.log, err);
    }
    if (rc == 0) {
        validate_schema(&p);
        inv_fill_built(&res->obs, res->depot);
        inv_check_all(f, res->depot, &res->obs, &res->inv);
        inv_expectations(f, res->depot, &res->obs, &res->inv);
        res->ok = inv_report_ok(f, &res->inv);
    }
    bk_executor_free(ex);
    bk_sched_free(p.sched);
    bk_env_release(&extra);
    bk_env_release(&p.upload_env);
    if (p.work && !opt->keep) {
        file_remove_tree(p.work);
        free(res->work_dir);
        res->work_dir = NULL;
        /* the chunks' paths pointed into the work dir */
    }
    for (size_t i = 0; i < p.n_nodes; i++) {
        free(p.nodes[i].step_name);
        free(p.nodes[i].tree);
        free(p.nodes[i].result_link);
        free(p.nodes[i].script_link);
        free(p.nodes[i].log_tail);
    }
    free(p.nodes);
    for (size_t i = 0; p.checkouts && i < p.nagents; i++) {
        free(p.checkouts[i]);
        tree_snap_free(p.clean[i]);
    }
    free(p.clean);
    free(p.checkouts);
    free(p.phases);
    free(p.work);
    free(p.store);
    free(p.state);
    free(p.bin);
    free(p.artifacts);
    free(p.log);
    free(p.commit);
    free(p.branch);
    free(inputs);
    free(parent_map);
    free(execdir);
    free(rundir);
    return rc;
}

void sim_play_result_free(struct sim_play_result *res)
{
    inv_report_free(&res->inv);
    obs_free(&res->obs);
    depot_free(res->depot);
    fixture_free(res->fixture);
    free(res->branch);
    free(res->work_dir);
    free(res->schema_path);
    memset(res, 0, sizeof(*res));
}
