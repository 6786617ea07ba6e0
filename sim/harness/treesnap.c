/* treesnap — see treesnap.h. Entries are kept in walk order: depth first,
 * each directory's names sorted by strcmp(), a directory right before its
 * contents. That is the order of path_cmp() (bytewise, '/' below every
 * other byte), so two snapshots are compared in one merge. */
#include "harness/treesnap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "xalloc.h"

struct entry {
    char *path; /* relative to the root */
    mode_t mode;
    dev_t dev;
    ino_t ino;
    off_t size;
    nlink_t nlink;
    uid_t uid;
    gid_t gid;
    struct timespec mtime, ctime;
};

struct tree_snap {
    struct entry *e;
    size_t n, alloc;
};

/* Walk order: "a" < "a/x" < "a-b" ('/' sorts below every other byte). */
static int path_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca == cb) {
            if (!ca)
                return 0;
            continue;
        }
        if (!ca || !cb)
            return ca ? 1 : -1;
        ca = ca == '/' ? 1 : ca + 1;
        cb = cb == '/' ? 1 : cb + 1;
        return ca < cb ? -1 : 1;
    }
}

static bool same_status(const struct entry *x, const struct entry *y)
{
    return x->mode == y->mode && x->dev == y->dev && x->ino == y->ino && x->size == y->size &&
           x->nlink == y->nlink && x->uid == y->uid && x->gid == y->gid &&
           x->mtime.tv_sec == y->mtime.tv_sec && x->mtime.tv_nsec == y->mtime.tv_nsec &&
           x->ctime.tv_sec == y->ctime.tv_sec && x->ctime.tv_nsec == y->ctime.tv_nsec;
}

/* -1 with "ROOT: WHAT REL: strerror(errno)" in err. */
static int fail_at(struct lk_error *err, const char *root, const char *what, const char *rel)
{
    int e = errno;
    return lk_fail(err, LK_EXIT_FAIL, root, NULL, "%s %s: %s", what, *rel ? rel : ".", strerror(e));
}

/* Records the entries of the directory open as `dfd` (taken over), whose
 * path relative to the root is `rel` ("" for the root itself). */
static int walk(struct tree_snap *s, int dfd, const char *rel, const char *root, struct lk_error *err)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return fail_at(err, root, "cannot read the directory", rel);
    }
    char **names = NULL;
    size_t n = 0, alloc = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        XGROW(names, alloc, n + 1);
        names[n++] = xstrdup(de->d_name);
    }
    int rc = 0;
    if (errno)
        rc = fail_at(err, root, "cannot read the directory", rel);
    if (n > 1)
        qsort(names, n, sizeof(*names), strv_cmp);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat st;
        char *path = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
        if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = fail_at(err, root, "cannot stat", path);
            free(path);
            break;
        }
        XGROW(s->e, s->alloc, s->n + 1);
        s->e[s->n++] = (struct entry){ path, st.st_mode, st.st_dev, st.st_ino, st.st_size, st.st_nlink,
                                       st.st_uid, st.st_gid, st.st_mtim, st.st_ctim };
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                rc = fail_at(err, root, "cannot open the directory", path);
            else
                rc = walk(s, sub, path, root, err);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int tree_snap_take(const char *root, struct tree_snap **out, struct lk_error *err)
{
    *out = NULL;
    int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, root, "cannot open the directory");
    struct tree_snap *s = xcalloc(1, sizeof(*s));
    if (walk(s, dfd, "", root, err) < 0) {
        tree_snap_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void tree_snap_free(struct tree_snap *snap)
{
    if (!snap)
        return;
    for (size_t i = 0; i < snap->n; i++)
        free(snap->e[i].path);
    free(snap->e);
    free(snap);
}

size_t tree_snap_count(const struct tree_snap *snap) { return snap->n; }

bool tree_snap_compare(const struct tree_snap *before, const struct tree_snap *after, char ***added,
                       size_t *n_added)
{
    char **names = NULL;
    size_t n = 0, alloc = 0, i = 0, j = 0;
    bool same = true;
    while (same && (i < before->n || j < after->n)) {
        int c = i == before->n ? 1 : j == after->n ? -1 : path_cmp(before->e[i].path, after->e[j].path);
        if (c == 0) {
            same = same_status(&before->e[i], &after->e[j]);
            i++, j++;
        } else if (c < 0) { /* gone from `after` */
            same = false;
        } else { /* new in `after`: only a top-level non-directory */
            const struct entry *e = &after->e[j++];
            same = !strchr(e->path, '/') && !S_ISDIR(e->mode);
            if (same) {
                XGROW(names, alloc, n + 1);
                names[n++] = xstrdup(e->path);
            }
        }
    }
    if (!same) {
        for (size_t k = 0; k < n; k++)
            free(names[k]);
        free(names);
        names = NULL;
        n = 0;
    }
    *added = names;
    *n_added = n;
    return same;
}
