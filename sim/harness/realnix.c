/* realnix — see realnix.h. */
#include "harness/realnix.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "harness/proc.h"
#include "program.h"
#include "storepath.h"
#include "strbuf.h"
#include "xalloc.h"

int realnix_init(struct realnix *rn, const char *dir, const struct depot *d, struct lk_error *err)
{
    memset(rn, 0, sizeof(*rn));
    rn->depot = d;
    char *other = NULL, *third = NULL;
    int missing = program_find("nix-store", &rn->nix_store) != 0 || program_find("nix-instantiate", &other) != 0 ||
                  program_find("nix-build", &third) != 0;
    free(other);
    free(third);
    if (missing)
        return lk_fail(err, LK_EXIT_INPUT, NULL, NULL,
                       "--nix real: Nix is not installed (nix-store, nix-instantiate and nix-build on "
                       "PATH; Debian's nix-bin)");
    rn->root = xasprintf("%s/nix-root", dir);
    rn->nix_dir = xasprintf("%s/nix", rn->root);
    rn->store = xasprintf("%s/store", rn->nix_dir);
    if (file_mkdir(rn->root, "cannot make the real Nix store directory", err) < 0 || file_mkdir(rn->nix_dir, "cannot make the real Nix store directory", err) < 0 || file_mkdir(rn->store, "cannot make the real Nix store directory", err) < 0)
        return -1;
    /* what the store already holds (a parent build's) is not this run's */
    DIR *dh = opendir(rn->store);
    struct dirent *de;
    while (dh && (de = readdir(dh))) {
        if (de->d_name[0] == '.')
            continue;
        XGROW(rn->seen, rn->alloc_seen, rn->n_seen + 1);
        rn->seen[rn->n_seen] = xstrdup(de->d_name);
        strindex_put(&rn->seen_idx, rn->seen[rn->n_seen], rn->n_seen);
        rn->n_seen++;
    }
    if (dh)
        closedir(dh);
    for (size_t i = 0; i < depot_n_drvs(d); i++) {
        const struct depot_drv *dd = depot_drv_at(d, i);
        for (size_t k = 0; k < dd->n_outputs; k++)
            if (strindex_get(&rn->out_idx, dd->out_paths[k]) == STRINDEX_NONE)
                strindex_put(&rn->out_idx, dd->out_paths[k], i);
    }
    return 0;
}

char *realnix_config(const char *hook)
{
    return xasprintf("substituters =\nsandbox = false\nbuild-users-group =\nfsync-metadata = false\n"
                     "post-build-hook = %s\n",
                     hook);
}

/* One line of the realisation log (eventlog.h's format), appended. */
static void log_line(const char *log, const char *event, const char *drv, const char *phase,
                     const char *step, const char *cause)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *o = json_pack("{s:s, s:s, s:{}, s:s?, s:s?, s:s, s:i, s:f}", "event", event, "drv", drv,
                          "outputs", "phase", phase, "step", step, "cause", cause, "pid", (int)getpid(),
                          "time", (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    size_t len = strlen(text);
    text[len] = '\n';
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (file_write_all(fd, text, len + 1) < 0) {
            /* the log is read back: a missing line shows there */
        }
        close(fd);
    }
    free(text);
}

void realnix_step_done(struct realnix *rn, const char *log, const char *phase, const char *step,
                       const char *const *links, size_t n_links)
{
    DIR *dh = opendir(rn->store);
    char **fresh = NULL;
    size_t n = 0, alloc = 0;
    struct dirent *de;
    while (dh && (de = readdir(dh))) {
        if (de->d_name[0] == '.' || strindex_get(&rn->seen_idx, de->d_name) != STRINDEX_NONE)
            continue;
        XGROW(rn->seen, rn->alloc_seen, rn->n_seen + 1);
        char *name = rn->seen[rn->n_seen] = xstrdup(de->d_name);
        strindex_put(&rn->seen_idx, name, rn->n_seen++);
        XGROW(fresh, alloc, n + 1);
        fresh[n++] = name;
    }
    if (dh)
        closedir(dh);
    if (n > 1)
        qsort(fresh, n, sizeof(*fresh), strv_cmp);
    for (size_t i = 0; i < n; i++) {
        if (storepath_is_drv(fresh[i])) {
            char *drv = xasprintf("/nix/store/%s", fresh[i]);
            log_line(log, "instantiate", drv, phase, step,
                     "derived: the .drv file appeared in the store during the step");
            free(drv);
        }
    }
    free(fresh);
    for (size_t i = 0; i < n_links; i++) {
        if (!links[i])
            continue;
        size_t di = strindex_get(&rn->out_idx, links[i]);
        char *host = xasprintf("%s/%s", rn->store, links[i] + 11);
        struct stat sb;
        if (di != STRINDEX_NONE && lstat(host, &sb) == 0)
            log_line(log, "valid", depot_drv_at(rn->depot, di)->drv_path, phase, step,
                     "derived: a link the step left in its checkout points at its output");
        free(host);
    }
}

int realnix_delete(struct realnix *rn, const char *const *paths, size_t n, char **output,
                   struct lk_error *err)
{
    const char **argv = xcalloc(n + 3, sizeof(char *));
    argv[0] = rn->nix_store;
    argv[1] = "--delete";
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = paths[i];
    char *conf = xasprintf("NIX_CONFIG=store = %s\nsubstituters =\nsandbox = false\nbuild-users-group =",
                           rn->root);
    const char *env[] = { conf, NULL };
    int st = proc_run(argv, NULL, env, output, err);
    free(conf);
    free(argv);
    return st;
}

void realnix_free(struct realnix *rn)
{
    for (size_t i = 0; i < rn->n_seen; i++)
        free(rn->seen[i]);
    free(rn->seen);
    strindex_release(&rn->seen_idx);
    strindex_release(&rn->out_idx);
    free(rn->root);
    free(rn->nix_dir);
    free(rn->store);
    free(rn->nix_store);
    memset(rn, 0, sizeof(*rn));
}
