/* outdir — see outdir.h. */
#include "outdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "xalloc.h"

#define TMP_SUFFIX ".tmp-XXXXXX"
#define MARKER_TEXT \
    "This directory is an output of lazykite. The next run writing it replaces it whole.\n"

/* ---- removal on a signal ------------------------------------------------- */

/* The temporary directories a signal must remove (one per live outdir). */
enum { CLEANUP_SLOTS = 4 };
static char cleanup_path[CLEANUP_SLOTS][PATH_MAX];
static volatile sig_atomic_t cleanup_used[CLEANUP_SLOTS];

static int cleanup_register(const char *path)
{
    size_t n = strlen(path);
    for (int i = 0; i < CLEANUP_SLOTS && n < PATH_MAX; i++) {
        if (cleanup_used[i])
            continue;
        memcpy(cleanup_path[i], path, n + 1);
        atomic_signal_fence(memory_order_seq_cst); /* the path before the flag */
        cleanup_used[i] = 1;
        return i;
    }
    return -1;
}

static void cleanup_unregister(int slot)
{
    if (slot >= 0)
        cleanup_used[slot] = 0;
}

static bool is_dot_or_dotdot(const char *name)
{
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* Remove a directory of files (what an outdir holds) with async-signal-safe
 * calls only: entries are unlinked pass by pass until a pass finds none. */
static void remove_flat_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        char buf[4096] __attribute__((aligned(8)));
        for (int found = 1; found;) {
            found = 0;
            lseek(fd, 0, SEEK_SET);
            ssize_t n;
            while ((n = getdents64(fd, buf, sizeof buf)) > 0) {
                for (ssize_t off = 0; off < n;) {
                    struct dirent64 *de = (struct dirent64 *)(void *)(buf + off);
                    off += de->d_reclen;
                    if (is_dot_or_dotdot(de->d_name))
                        continue;
                    if (unlinkat(fd, de->d_name, 0) == 0 || unlinkat(fd, de->d_name, AT_REMOVEDIR) == 0)
                        found = 1;
                }
            }
        }
        close(fd);
    }
    rmdir(path);
}

static void on_fatal_signal(int sig)
{
    for (int i = 0; i < CLEANUP_SLOTS; i++)
        if (cleanup_used[i])
            remove_flat_dir(cleanup_path[i]);
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns: the process dies of it */
}

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP };
enum { N_FATAL = sizeof fatal_signals / sizeof fatal_signals[0] };

void outdir_cleanup_on_signals(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < N_FATAL; i++) {
        struct sigaction old;
        /* A signal the caller's parent chose to ignore (nohup) stays ignored. */
        if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(fatal_signals[i], &sa, NULL);
    }
}

static void block_fatal_signals(sigset_t *saved)
{
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < N_FATAL; i++)
        sigaddset(&set, fatal_signals[i]);
    sigprocmask(SIG_BLOCK, &set, saved);
}

/* ---- begin ---------------------------------------------------------------- */

/* An existing `final`: refuse what is not ours to replace, lock what is. */
static int claim_existing(struct outdir *od, const struct stat *st, struct lk_error *err)
{
    const char *f = od->final;
    if (S_ISLNK(st->st_mode))
        return lk_bad_input(err, f, NULL, "is a symbolic link; refusing to replace it "
                                          "(give the directory it points to)");
    if (!S_ISDIR(st->st_mode))
        return lk_bad_input(err, f, NULL, "exists and is not a directory; refusing to replace it");
    od->lock_fd = open(f, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (od->lock_fd < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, f, "cannot open the existing output");
    if (flock(od->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return lk_fail(err, LK_EXIT_FAIL, f, NULL,
                           "another lazykite run is writing this output directory; "
                           "nothing was written");
        return lk_fail_errno(err, LK_EXIT_FAIL, f, "cannot lock the existing output");
    }
    struct stat m;
    if (fstatat(od->lock_fd, OUTDIR_MARKER, &m, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(m.st_mode))
        return 0;
    int dfd = dup(od->lock_fd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return lk_fail_errno(err, LK_EXIT_FAIL, f, "cannot read the existing output");
    }
    bool empty = true;
    struct dirent *de;
    while (empty && (de = readdir(d)))
        empty = is_dot_or_dotdot(de->d_name);
    closedir(d);
    if (!empty)
        return lk_bad_input(err, f, NULL,
                            "is not empty and is not a lazykite output (it has no " OUTDIR_MARKER
                            " file); refusing to replace it");
    return 0;
}

static void outdir_release(struct outdir *od)
{
    cleanup_unregister(od->slot);
    if (od->lock_fd >= 0)
        close(od->lock_fd); /* releases the lock */
    free(od->tmp);
    free(od->final);
    *od = (struct outdir){ .lock_fd = -1, .slot = -1 };
}

int outdir_begin(struct outdir *od, const char *final, struct lk_error *err)
{
    *od = (struct outdir){ .lock_fd = -1, .slot = -1 };
    od->final = xstrdup(final);
    /* Strip trailing slashes so that the temporary sibling is a sibling. */
    size_t n = strlen(od->final);
    while (n > 1 && od->final[n - 1] == '/')
        od->final[--n] = '\0';
    const char *slash = strrchr(od->final, '/');
    const char *base = slash ? slash + 1 : od->final;
    size_t base_len = strlen(base);
    const size_t suffix = sizeof TMP_SUFFIX - 1;
    struct stat st;
    int rc = 0;
    if (base_len == 0 || is_dot_or_dotdot(base))
        rc = lk_bad_input(err, final, NULL, "give the output directory by its name (not '.', '..' or '/')");
    else if (base_len + suffix > NAME_MAX)
        rc = lk_bad_input(err, final, NULL,
                          "the name is %zu bytes long; an output directory's name may have at most "
                          "%zu (NAME_MAX %d, less %zu for the temporary directory beside it)",
                          base_len, (size_t)NAME_MAX - suffix, NAME_MAX, suffix);
    else if (lstat(od->final, &st) == 0) {
        od->existed = true;
        rc = claim_existing(od, &st, err);
    } else if (errno != ENOENT)
        rc = lk_fail_errno(err, LK_EXIT_FAIL, final, "cannot stat the output directory");
    if (rc == 0) {
        od->tmp = xasprintf("%s" TMP_SUFFIX, od->final);
        if (!mkdtemp(od->tmp)) {
            rc = lk_fail_errno(err, LK_EXIT_FAIL, final, "cannot create temporary output directory");
        } else {
            od->slot = cleanup_register(od->tmp);
            chmod(od->tmp, 0755);
            char *marker = outdir_path(od, OUTDIR_MARKER);
            rc = file_write_atomic(marker, MARKER_TEXT, sizeof MARKER_TEXT - 1, err);
            free(marker);
            if (rc != 0)
                file_remove_tree(od->tmp);
        }
    }
    if (rc != 0)
        outdir_release(od);
    return rc;
}

char *outdir_path(const struct outdir *od, const char *name)
{
    return xasprintf("%s/%s", od->tmp, name);
}

/* ---- commit --------------------------------------------------------------- */

/* Tests take the path of a file system without renameat2's flags. */
static bool rename_flags_off;
void outdir_test_without_rename_flags(bool off)
{
    rename_flags_off = off;
}

static int rename_with(const char *from, const char *to, unsigned flags)
{
    if (rename_flags_off) {
        errno = EINVAL;
        return -1;
    }
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, flags);
}

/* `final` was absent: move ours in, never over something that appeared. */
static int move_in(struct outdir *od, struct lk_error *err)
{
    if (rename_with(od->tmp, od->final, RENAME_NOREPLACE) == 0)
        return 0;
    /* Without RENAME_NOREPLACE, rename() still replaces only an empty directory. */
    if ((errno == EINVAL || errno == ENOSYS) && rename(od->tmp, od->final) == 0)
        return 0;
    if (errno == EEXIST || errno == ENOTEMPTY)
        return lk_fail(err, LK_EXIT_FAIL, od->final, NULL,
                       "appeared while this run was writing it (another lazykite run?); "
                       "it was left as it is");
    return lk_fail_errno(err, LK_EXIT_FAIL, od->final, "cannot rename output into place");
}

/* `final` existed: exchange it with ours; `*old` is then where the previous
 * output is, and `*keep_tmp` says the temporary path must not be removed. */
static int swap_in(struct outdir *od, char **old, bool *keep_tmp, struct lk_error *err)
{
    if (rename_with(od->tmp, od->final, RENAME_EXCHANGE) == 0) {
        struct stat locked, got;
        if (fstat(od->lock_fd, &locked) == 0 && lstat(od->tmp, &got) == 0 &&
            (locked.st_dev != got.st_dev || locked.st_ino != got.st_ino)) {
            /* Not the directory we checked and locked: put it back. */
            if (rename_with(od->tmp, od->final, RENAME_EXCHANGE) != 0) {
                *keep_tmp = true;
                return lk_fail(err, LK_EXIT_FAIL, od->final, NULL,
                               "was replaced by another directory during the run, and it could not "
                               "be put back: it is at %s", od->tmp);
            }
            return lk_fail(err, LK_EXIT_FAIL, od->final, NULL,
                           "was replaced by another directory during the run; it was left as it is");
        }
        *old = xstrdup(od->tmp);
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS)
        return lk_fail_errno(err, LK_EXIT_FAIL, od->final, "cannot swap the output into place");
    /* No RENAME_EXCHANGE here: two renames, each checked. */
    char *aside = xasprintf("%s.old-XXXXXX", od->final);
    if (!mkdtemp(aside)) {
        free(aside);
        return lk_fail_errno(err, LK_EXIT_FAIL, od->final, "cannot make a place for the previous output");
    }
    if (rename(od->final, aside) != 0) {
        lk_fail_errno(err, LK_EXIT_FAIL, od->final, "cannot move the previous output aside");
        rmdir(aside);
        free(aside);
        return -1;
    }
    if (rename(od->tmp, od->final) != 0) {
        int e = errno;
        if (rename(aside, od->final) != 0) {
            lk_fail(err, LK_EXIT_FAIL, od->final, NULL,
                    "cannot rename output into place (%s), nor put the previous output back: it is at %s",
                    strerror(e), aside);
        } else {
            errno = e;
            lk_fail_errno(err, LK_EXIT_FAIL, od->final, "cannot rename output into place");
        }
        free(aside);
        return -1;
    }
    *old = aside;
    return 0;
}

int outdir_commit(struct outdir *od, struct lk_error *err)
{
    sigset_t saved;
    block_fatal_signals(&saved);
    char *old = NULL;
    bool keep_tmp = false;
    int rc = od->existed ? swap_in(od, &old, &keep_tmp, err) : move_in(od, err);
    if (rc == 0 && old && file_remove_tree(old) != 0)
        rc = lk_fail(err, LK_EXIT_FAIL, od->final, NULL,
                     "the new output is in place, but the previous one could not be removed: it is at %s",
                     old);
    if (rc != 0 && !old && !keep_tmp)
        file_remove_tree(od->tmp); /* still ours */
    free(old);
    outdir_release(od);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    return rc;
}

void outdir_abort(struct outdir *od)
{
    if (od->tmp)
        file_remove_tree(od->tmp);
    outdir_release(od);
}

/* ---- inputs --------------------------------------------------------------- */

/* The absolute path `final` names, whether or not it exists yet; NULL when
 * its parent cannot be resolved. */
static char *resolve_output(const char *final)
{
    char *r = realpath(final, NULL);
    if (r)
        return r;
    char *copy = xstrdup(final);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    const char *base = slash ? slash + 1 : copy;
    char *parent = slash ? (slash == copy ? xstrdup("/") : xstrndup(copy, (size_t)(slash - copy)))
                         : xstrdup(".");
    char *rp = realpath(parent, NULL);
    if (rp)
        r = xasprintf("%s%s%s", rp, strcmp(rp, "/") ? "/" : "", base);
    free(rp);
    free(parent);
    free(copy);
    return r;
}

int outdir_check_input(const char *final, const char *what, const char *path, struct lk_error *err)
{
    char *in = realpath(path, NULL);
    char *out = in ? resolve_output(final) : NULL;
    int rc = 0;
    if (out) {
        size_t n = strlen(out);
        bool at = !strcmp(in, out);
        bool above = !at && (!strcmp(out, "/") || (!strncmp(in, out, n) && in[n] == '/'));
        if (at || above)
            rc = lk_bad_input(err, final, NULL,
                              "the output directory %s the input %s %s; refusing to replace an input",
                              at ? "is" : "holds", what, path);
    }
    free(in);
    free(out);
    return rc;
}
