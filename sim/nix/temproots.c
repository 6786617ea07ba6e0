/* temproots — see temproots.h. */
#include "nix/temproots.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

/* This process's roots file (one per process, as Nix has). */
static int own_fd = -1;

static char *own_file(const struct store *s)
{
    return xasprintf("%s/temproots/%ld", s->state, (long)getpid());
}

static int flock_retry(int fd, int op)
{
    int rc;
    while ((rc = flock(fd, op)) != 0 && errno == EINTR)
        ;
    return rc;
}

int temproots_lock(const struct store *s, int exclusive, int *fd, struct lk_error *err)
{
    char *f = xasprintf("%s/gc.lock", s->state);
    int rc = store_lock_file(f, exclusive, fd, err);
    free(f);
    return rc;
}

void temproots_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

int temproots_add(const struct store *s, const char *const *paths, size_t n,
                  struct lk_error *err)
{
    if (own_fd < 0) {
        char *dir = xasprintf("%s/temproots", s->state);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            lk_fail_errno(err, LK_EXIT_FAIL, dir, "cannot create directory");
            free(dir);
            return -1;
        }
        free(dir);
        char *f = own_file(s);
        own_fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (own_fd < 0 || flock_retry(own_fd, LOCK_EX) != 0) {
            lk_fail_errno(err, LK_EXIT_FAIL, f, "cannot open the temporary roots");
            if (own_fd >= 0)
                close(own_fd);
            own_fd = -1;
            free(f);
            return -1;
        }
        free(f);
    }
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++)
        sb_addf(&sb, "%s\n", paths[i]);
    int rc = file_write_all(own_fd, sb_str(&sb), sb.len);
    sb_release(&sb);
    if (rc != 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, "temproots", "cannot write the temporary roots");
    return 0;
}

void temproots_release(const struct store *s)
{
    if (own_fd < 0)
        return;
    char *f = own_file(s);
    unlink(f);
    free(f);
    close(own_fd);
    own_fd = -1;
}

int temproots_read(const struct store *s, char ***paths, size_t *n, struct lk_error *err)
{
    *paths = NULL;
    *n = 0;
    char *dir = xasprintf("%s/temproots", s->state);
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return 0; /* no process has made one */
    }
    char **v = NULL;
    size_t len = 0, alloc = 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *f = xasprintf("%s/%s", dir, e->d_name);
        int fd = open(f, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) == 0) {
            unlink(f); /* its process is gone */
        } else if (fd >= 0) {
            char *text;
            size_t tl;
            if (file_read(f, &text, &tl, err) != 0) {
                rc = -1;
            } else {
                for (char *p = text, *end = text + tl; p < end;) {
                    char *nl = memchr(p, '\n', (size_t)(end - p));
                    if (!nl)
                        break;
                    XGROW(v, alloc, len + 1);
                    v[len++] = xstrndup(p, (size_t)(nl - p));
                    p = nl + 1;
                }
                free(text);
            }
        }
        if (fd >= 0)
            close(fd);
        free(f);
    }
    closedir(d);
    free(dir);
    if (rc != 0) {
        strv_free(v, len);
        return -1;
    }
    if (len)
        qsort(v, len, sizeof *v, strv_cmp);
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (k && !strcmp(v[k - 1], v[i]))
            free(v[i]);
        else
            v[k++] = v[i];
    }
    *paths = v;
    *n = k;
    return 0;
}
