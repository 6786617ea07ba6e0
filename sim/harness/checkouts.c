/* checkouts — the agents' git checkouts of a fixture's depot (see
 * checkouts.h): making them, and the tree-clean check after each step. */
#include "harness/checkouts.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "harness/proc.h"
#include "nix/exportnix.h"
#include "strbuf.h"
#include "xalloc.h"

static const char *const gitignore =
    "result\nresult-*\n/" CHECKOUT_SCRIPT_LINK "\n/" CHECKOUT_SCRIPT_LINK "-*\n/pipeline\n";

static int git(const char *dir, const char *const *args, char **out, struct lk_error *err)
{
    static const char *const env[] = {
        "GIT_AUTHOR_NAME=lazykite-sim", "GIT_AUTHOR_EMAIL=sim@lazykite.invalid",
        "GIT_AUTHOR_DATE=2000-01-01T00:00:00Z", "GIT_COMMITTER_NAME=lazykite-sim",
        "GIT_COMMITTER_EMAIL=sim@lazykite.invalid", "GIT_COMMITTER_DATE=2000-01-01T00:00:00Z",
        "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", NULL,
    };
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
static int git_status(const char *checkout, char **raw, struct lk_error *err)
{
    static const char *const status[] = { "status", "--porcelain", "-z", "--ignored", NULL };
    *raw = NULL;
    return git(checkout, status, raw, err);
}

/* The agent's clean snapshot := its checkout now (NULL if it cannot be
 * taken: git then runs after every step until one can). */
static void remember_clean(struct checkouts *c, size_t agent, const char *checkout)
{
    struct lk_error err = LK_ERROR_INIT;
    tree_snap_free(c->clean[agent]);
    c->clean[agent] = NULL;
    if (tree_snap_take(checkout, &c->clean[agent], &err) < 0)
        c->clean[agent] = NULL;
    lk_error_clear(&err);
}

/* tree-clean by git: its report (the status lines of what is not ignored),
 * then the agent's clean checkout for its next job, as `git clean -ffxdq`
 * and `git checkout -f` before every job would leave it: the untracked and
 * ignored paths git lists are removed, modified files checked out again.
 * If git listed anything, it is asked again afterwards; the checkout is
 * remembered as clean once git lists nothing. */
static char *git_tree_check(struct checkouts *c, size_t agent, const char *checkout)
{
    struct lk_error gerr = LK_ERROR_INIT;
    char *raw = NULL, *tree;
    tree_snap_free(c->clean[agent]);
    c->clean[agent] = NULL;
    if (git_status(checkout, &raw, &gerr) == 0) {
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
            git(checkout, reset, NULL, &gerr);
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
            if (git_status(checkout, &raw, &gerr) < 0)
                listed = true;
            else
                listed = *raw != '\0';
            lk_error_clear(&gerr);
        }
        if (!listed)
            remember_clean(c, agent, checkout);
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
char *checkouts_check_tree(struct checkouts *c, size_t agent, bool *by_git)
{
    const char *checkout = c->dirs[agent];
    struct tree_snap *now = NULL;
    struct lk_error err = LK_ERROR_INIT;
    char **added = NULL;
    size_t n_added = 0;
    bool fast = c->clean[agent] && tree_snap_take(checkout, &now, &err) == 0 &&
                tree_snap_compare(c->clean[agent], now, &added, &n_added);
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
    return fast ? xstrdup("") : git_tree_check(c, agent, checkout);
}

int checkouts_make(struct checkouts *c, const struct fixture *f, const char *work, size_t nagents,
                   struct lk_error *err)
{
    *c = (struct checkouts){ 0 };
    c->n = nagents;
    char *src = xasprintf("%s/src", work);
    char *gi = xasprintf("%s/.gitignore", src);
    int rc = exportnix_write(f, src, err);
    if (rc == 0)
        rc = file_write_atomic(gi, gitignore, strlen(gitignore), err);
    static const char *const init[] = { "-c", "init.defaultBranch=canon", "init", "-q", NULL };
    static const char *const add[] = { "add", "-A", NULL };
    static const char *const commit[] = { "commit", "-q", "-m", CHECKOUT_COMMIT_MESSAGE, NULL };
    static const char *const head[] = { "rev-parse", "HEAD", NULL };
    if (rc == 0)
        rc = git(src, init, NULL, err);
    if (rc == 0)
        rc = git(src, add, NULL, err);
    if (rc == 0)
        rc = git(src, commit, NULL, err);
    if (rc == 0)
        rc = git(src, head, &c->commit, err);
    if (rc == 0) {
        c->commit[strcspn(c->commit, "\n")] = '\0';
        c->dirs = xcalloc(nagents + 1, sizeof(char *));
        c->clean = xcalloc(nagents ? nagents : 1, sizeof(*c->clean));
        for (size_t i = 0; i < nagents && rc == 0; i++) {
            c->dirs[i] = xasprintf("%s/agent-%zu", work, i + 1);
            const char *clone[] = { "clone", "-q", src, c->dirs[i], NULL };
            rc = git(work, clone, NULL, err);
            /* its first snapshot, if git finds the fresh clone clean */
            char *raw = NULL;
            struct lk_error serr = LK_ERROR_INIT;
            if (rc == 0 && git_status(c->dirs[i], &raw, &serr) == 0 && !*raw)
                remember_clean(c, i, c->dirs[i]);
            lk_error_clear(&serr);
            free(raw);
        }
    }
    free(src);
    free(gi);
    return rc;
}

void checkouts_free(struct checkouts *c)
{
    for (size_t i = 0; c->dirs && i < c->n; i++) {
        free(c->dirs[i]);
        tree_snap_free(c->clean[i]);
    }
    free(c->dirs);
    free(c->clean);
    free(c->commit);
    *c = (struct checkouts){ 0 };
}
