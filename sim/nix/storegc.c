/* storegc — what keeps a nixsim store path alive, and deleting what
 * nothing does: closures, topological order, GC roots, `--delete`
 * (see store.h). */
#include "nix/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eventlog.h"
#include "fileio.h"
#include "nix/journal.h"
#include "nix/temproots.h"
#include "strbuf.h"
#include "strindex.h"
#include "xalloc.h"

/* ---- closures ---- */

/* A set of strings owning copies of them: the array, in the order they
 * were added, and a strindex over it. */
struct strset {
    char **v;
    size_t n, alloc;
    struct strindex index;
};

static bool strset_has(const struct strset *set, const char *s)
{
    return strindex_get(&set->index, s) != STRINDEX_NONE;
}

/* 1 if inserted (a copy of s), 0 if present. */
static int strset_add(struct strset *set, const char *s)
{
    if (strset_has(set, s))
        return 0;
    XGROW(set->v, set->alloc, set->n + 1);
    set->v[set->n] = xstrdup(s);
    strindex_put(&set->index, set->v[set->n], set->n);
    set->n++;
    return 1;
}

/* Hand the strings to the caller, sorted; the set is empty again. */
static char **strset_take_sorted(struct strset *set, size_t *n)
{
    char **v = set->v;
    *n = set->n;
    if (set->n > 1)
        qsort(v, set->n, sizeof *v, strv_cmp);
    strindex_release(&set->index);
    *set = (struct strset){ 0 };
    return v;
}

static void strset_free(struct strset *set)
{
    strv_free(set->v, set->n);
    strindex_release(&set->index);
    *set = (struct strset){ 0 };
}

/* An index over an array of strings the caller keeps: string -> position. */
static void index_paths(struct strindex *idx, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strindex_get(idx, v[i]) == STRINDEX_NONE)
            strindex_put(idx, v[i], i);
}

int store_closure(const struct store *s, const char *const *paths, size_t n, char ***out,
                  size_t *n_out, struct lk_error *err)
{
    struct strset set = { 0 };
    char **stack = NULL;
    size_t sn = 0, salloc = 0;
    for (size_t i = 0; i < n; i++)
        if (strset_add(&set, paths[i])) {
            XGROW(stack, salloc, sn + 1);
            stack[sn++] = xstrdup(paths[i]);
        }
    int rc = 0;
    while (sn) {
        char *p = stack[--sn];
        struct store_info info;
        if (store_query(s, p, &info, err) != 0) {
            free(p);
            rc = -1;
            break;
        }
        for (size_t i = 0; i < info.n_refs; i++)
            if (strset_add(&set, info.refs[i])) {
                XGROW(stack, salloc, sn + 1);
                stack[sn++] = xstrdup(info.refs[i]);
            }
        store_info_free(&info);
        free(p);
    }
    for (size_t i = 0; i < sn; i++)
        free(stack[i]);
    free(stack);
    if (rc != 0) {
        strset_free(&set);
        return -1;
    }
    *out = strset_take_sorted(&set, n_out);
    return 0;
}

struct topo_node {
    char **refs;
    size_t n_refs;
    size_t next;   /* next reference to visit */
    int state;     /* 0 new, 1 on stack, 2 done */
};

int store_topo_order(const struct store *s, char **paths, size_t n, struct lk_error *err)
{
    qsort(paths, n, sizeof *paths, strv_cmp);
    struct strindex set = STRINDEX_INIT;
    index_paths(&set, paths, n);
    struct topo_node *nodes = xcalloc(n ? n : 1, sizeof *nodes);
    for (size_t i = 0; i < n; i++) {
        struct store_info info;
        if (store_query(s, paths[i], &info, err) != 0) {
            for (size_t j = 0; j < i; j++)
                strv_free(nodes[j].refs, nodes[j].n_refs);
            free(nodes);
            strindex_release(&set);
            return -1;
        }
        nodes[i].refs = info.refs;
        nodes[i].n_refs = info.n_refs;
        info.refs = NULL;
        info.n_refs = 0;
        store_info_free(&info);
    }
    char **order = xcalloc(n ? n : 1, sizeof *order);
    size_t no = 0;
    size_t *stack = xcalloc(n ? n : 1, sizeof *stack);
    for (size_t root = 0; root < n; root++) {
        if (nodes[root].state)
            continue;
        size_t sp = 0;
        stack[sp++] = root;
        nodes[root].state = 1;
        while (sp) {
            struct topo_node *t = &nodes[stack[sp - 1]];
            if (t->next < t->n_refs) {
                const char *r = t->refs[t->next++];
                size_t pos = strindex_get(&set, r);
                if (pos != STRINDEX_NONE && pos != stack[sp - 1] && nodes[pos].state == 0) {
                    nodes[pos].state = 1;
                    stack[sp++] = pos;
                }
                /* state 1 (a cycle) cannot happen for valid store paths; skip it. */
            } else {
                t->state = 2;
                order[no++] = paths[stack[--sp]];
            }
        }
    }
    memcpy(paths, order, n * sizeof *paths);
    for (size_t i = 0; i < n; i++)
        strv_free(nodes[i].refs, nodes[i].n_refs);
    free(nodes);
    free(order);
    free(stack);
    strindex_release(&set);
    return 0;
}

/* ---- roots ---- */

/* roots/<32 hex digits>: a 128-bit hash of the absolute link path (two
 * FNV-1a 64 passes with different offset bases; seen once per process, a
 * name, not a security property). Not SHA-1 through libcrypto: OpenSSL's
 * first digest initialises the library, 3-10 ms here, a quarter of a
 * `nix-store --realise --add-root` of a built path. */
static char *root_file(const struct store *s, const char *abs_link)
{
    unsigned long long h1 = 14695981039346656037ull, h2 = 0x84222325cbf29ce4ull;
    for (const unsigned char *p = (const unsigned char *)abs_link; *p; p++) {
        h1 = (h1 ^ *p) * 1099511628211ull;
        h2 = (h2 ^ *p) * 0x100000001b3ull;
        h2 ^= h2 >> 29;
    }
    return xasprintf("%s/roots/%016llx%016llx", s->state, h1, h2);
}

/* Replace `link` by a symlink to `target`, atomically: made in place when
 * there is nothing to replace, else made beside it and renamed over it. */
static int symlink_replace(const char *target, const char *link, struct lk_error *err)
{
    if (symlink(target, link) == 0)
        return 0;
    char *tmp = xasprintf("%s.tmp-%ld", link, (long)getpid());
    unlink(tmp);
    if (symlink(target, tmp) != 0) {
        lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "creating symlink '%s': %s", link,
                strerror(errno));
        free(tmp);
        return -1;
    }
    if (rename(tmp, link) != 0) {
        lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "renaming '%s' to '%s': %s", tmp, link,
                strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

/* Nix's addPermRoot: an existing `link` is replaced only when it is a
 * symlink into the store; anything else there (a file, a directory, a link
 * elsewhere) is kept and the root refused. */
static int check_root_link(const struct store *s, const char *link, struct lk_error *err)
{
    struct stat st;
    if (lstat(link, &st) != 0)
        return 0;
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n >= 0) {
            target[n] = '\0';
            char *logical = store_logical(s, target);
            int in_store = logical != NULL;
            free(logical);
            if (in_store)
                return 0;
        }
    }
    return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "cannot create symlink '%s'; already exists",
                   link);
}

int store_add_root(const struct store *s, const char *path, const char *link, char **abs_link,
                   struct lk_error *err)
{
    char *abs = store_abs_path(link);
    char *host = store_host(s, path);
    if (!host) {
        free(abs);
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not in the Nix store", path);
    }
    int rc = check_root_link(s, abs, err);
    if (rc == 0)
        rc = symlink_replace(host, abs, err);
    free(host);
    if (rc == 0) {
        char *rf = root_file(s, abs);
        rc = symlink_replace(abs, rf, err);
        free(rf);
    }
    if (rc == 0) {
        struct eventlog_event ev = { .event = "root", .root = abs, .path = path };
        rc = eventlog_write(&ev, err);
    }
    if (rc != 0) {
        free(abs);
        return -1;
    }
    *abs_link = abs;
    return 0;
}

int store_roots(const struct store *s, char ***paths, size_t *n, struct lk_error *err)
{
    char *dir = xasprintf("%s/roots", s->state);
    DIR *d = opendir(dir);
    if (!d) {
        lk_fail_errno(err, LK_EXIT_FAIL, dir, "cannot read directory");
        free(dir);
        return -1;
    }
    struct strset set = { 0 };
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *rf = xasprintf("%s/%s", dir, e->d_name);
        char link[PATH_MAX], target[PATH_MAX];
        ssize_t n1 = readlink(rf, link, sizeof link - 1);
        ssize_t n2 = -1;
        if (n1 >= 0) {
            link[n1] = '\0';
            n2 = readlink(link, target, sizeof target - 1);
        }
        char *logical = NULL, *sp = NULL;
        if (n2 >= 0) {
            target[n2] = '\0';
            logical = store_logical(s, target);
            if (logical)
                sp = store_path_of(logical);
        }
        if (sp && store_is_store_path(sp))
            strset_add(&set, sp);
        else
            unlink(rf); /* stale: the out-link is gone or points elsewhere */
        free(sp);
        free(logical);
        free(rf);
    }
    closedir(d);
    free(dir);
    *paths = strset_take_sorted(&set, n);
    return 0;
}

/* ---- deletion ---- */

static unsigned long long tree_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    unsigned long long total = S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return total;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *c = xasprintf("%s/%s", path, e->d_name);
            total += tree_bytes(c);
            free(c);
        }
        closedir(d);
    }
    return total;
}

static void make_writable(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return;
    chmod(path, st.st_mode | 0700);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *c = xasprintf("%s/%s", path, e->d_name);
        make_writable(c);
        free(c);
    }
    closedir(d);
}

int store_remove_tree(const char *host)
{
    make_writable(host);
    return file_remove_tree(host);
}

int store_delete(const struct store *s, const char *const *paths, size_t n, FILE *log,
                 size_t *n_deleted, unsigned long long *bytes, struct lk_error *err)
{
    *n_deleted = 0;
    *bytes = 0;
    if (log)
        fprintf(log, "finding garbage collector roots...\n");
    char **roots = NULL, **live = NULL, **valid = NULL, **temp = NULL;
    size_t n_roots = 0, n_live = 0, n_valid = 0, n_temp = 0;
    int rc = -1;
    /* No process makes a path a temporary root while this runs. */
    int gc_fd;
    if (temproots_lock(s, 1, &gc_fd, err) != 0)
        return -1;
    if (store_roots(s, &roots, &n_roots, err) != 0 ||
        temproots_read(s, &temp, &n_temp, err) != 0)
        goto out;
    /* Temporary roots (the paths of running builds) are roots too. */
    roots = xrealloc(roots, (n_roots + n_temp + 1) * sizeof *roots);
    for (size_t i = 0; i < n_temp; i++)
        roots[n_roots++] = xstrdup(temp[i]);
    /* Roots whose target is not valid keep nothing alive beyond themselves. */
    size_t k = 0;
    for (size_t i = 0; i < n_roots; i++) {
        if (store_is_valid(s, roots[i]))
            roots[k++] = roots[i];
        else
            free(roots[i]);
    }
    n_roots = k;
    if (store_closure(s, (const char *const *)roots, n_roots, &live, &n_live, err) != 0)
        goto out;
    if (store_list_valid(s, &valid, &n_valid, err) != 0)
        goto out;
    struct strindex keep = STRINDEX_INIT; /* live paths and temporary roots */
    index_paths(&keep, live, n_live);
    index_paths(&keep, temp, n_temp);
    struct strset deleting = { 0 };
    for (size_t i = 0; i < n; i++)
        strset_add(&deleting, paths[i]);
    /* Referrers: valid paths, not themselves being deleted, that refer to a path. */
    struct strset referenced = { 0 };
    for (size_t i = 0; i < n_valid; i++) {
        if (strset_has(&deleting, valid[i]))
            continue;
        struct store_info info;
        if (store_query(s, valid[i], &info, err) != 0) {
            strset_free(&deleting);
            strset_free(&referenced);
            strindex_release(&keep);
            goto out;
        }
        for (size_t j = 0; j < info.n_refs; j++)
            if (strcmp(info.refs[j], valid[i]) != 0)
                strset_add(&referenced, info.refs[j]);
        store_info_free(&info);
    }
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *p = paths[i];
        if (strindex_get(&keep, p) != STRINDEX_NONE || strset_has(&referenced, p)) {
            rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                         "Cannot delete path '%s' since it is still alive. To find out why, "
                         "use: nix-store --query --roots",
                         p);
            break;
        }
        char *host = store_host(s, p);
        struct stat st;
        int exists = host && lstat(host, &st) == 0;
        int was_valid = store_is_valid(s, p);
        if (!exists && !was_valid) {
            free(host);
            continue;
        }
        int lfd;
        if (store_lock(s, p, &lfd, err) != 0) {
            free(host);
            rc = -1;
            break;
        }
        if (log)
            fprintf(log, "deleting '%s'\n", p);
        /* Invalidate first: a path is never valid while partly deleted. */
        if (journal_is_valid(s, p)) {
            journal_add(s, '-', p, NULL);
            rc = store_sync(s, err);
        }
        if (exists) {
            *bytes += tree_bytes(host);
            if (store_remove_tree(host) != 0)
                rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "cannot delete '%s': %s", p,
                             strerror(errno));
        }
        store_unlock(lfd);
        free(host);
        if (rc == 0) {
            (*n_deleted)++;
            struct eventlog_event ev = { .event = "delete", .path = p };
            rc = eventlog_write(&ev, err);
        }
    }
    if (log && rc == 0)
        fprintf(log, "deleting unused links...\n");
    strset_free(&deleting);
    strset_free(&referenced);
    strindex_release(&keep);
out:
    temproots_unlock(gc_fd);
    strv_free(roots, n_roots);
    strv_free(temp, n_temp);
    strv_free(live, n_live);
    strv_free(valid, n_valid);
    return rc;
}
