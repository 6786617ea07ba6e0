/* fileio — see fileio.h. */
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "xalloc.h"

int file_read(const char *path, char **data, size_t *len, struct lk_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lk_fail_errno(err, LK_EXIT_INPUT, path, "cannot open");
    struct strbuf sb = STRBUF_INIT;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        lk_fail_errno(err, LK_EXIT_INPUT, path, "cannot stat");
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return lk_fail(err, LK_EXIT_INPUT, path, NULL, "expected a file, found a directory");
    }
    /* The size is known for regular files: one allocation, and a final
     * read that returns 0. Other files grow as they are read. */
    sb_grow(&sb, st.st_size > 0 ? (size_t)st.st_size : 0);
    for (;;) {
        if (sb.alloc - sb.len < 2)
            sb_grow(&sb, 65536);
        ssize_t n = read(fd, sb.buf + sb.len, sb.alloc - sb.len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            lk_fail_errno(err, LK_EXIT_INPUT, path, "cannot read");
            close(fd);
            sb_release(&sb);
            return -1;
        }
        if (n == 0)
            break;
        sb.len += (size_t)n;
        sb.buf[sb.len] = '\0';
    }
    close(fd);
    sb.buf[sb.len] = '\0';
    *len = sb.len;
    *data = sb_detach(&sb);
    return 0;
}

int file_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

size_t whole_lines_prefix(const char *text, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    while (cut > 0 && text[cut - 1] != '\n')
        cut--;
    if (cut > 0)
        return cut;
    const char *nl = memchr(text, '\n', len);
    return nl ? (size_t)(nl - text) + 1 : len;
}

int file_map(const char *path, struct mapped_file *out, struct lk_error *err)
{
    memset(out, 0, sizeof(*out));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return lk_fail_errno(err, LK_EXIT_INPUT, path, "cannot open");
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        /* MAP_POPULATE: the pages in one go rather than one fault each. */
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (map != MAP_FAILED) {
            close(fd);
            out->map = map;
            out->data = map;
            out->len = (size_t)st.st_size;
            return 0;
        }
    }
    close(fd);
    size_t len;
    if (file_read(path, &out->copy, &len, err) != 0)
        return -1;
    out->data = out->copy;
    out->len = len;
    return 0;
}

void file_unmap(struct mapped_file *f)
{
    if (f->map)
        munmap(f->map, f->len);
    free(f->copy);
    memset(f, 0, sizeof(*f));
}

int file_write_atomic(const char *path, const void *data, size_t len, struct lk_error *err)
{
    char *tmp = xasprintf("%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot create temporary file");
        free(tmp);
        return -1;
    }
    int rc = 0;
    if (file_write_all(fd, data, len) != 0 || fchmod(fd, 0644) != 0) {
        rc = lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot write");
    }
    if (close(fd) != 0 && rc == 0)
        rc = lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot write");
    if (rc == 0 && rename(tmp, path) != 0)
        rc = lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot rename into place");
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

int file_mkdir(const char *path, const char *what, struct lk_error *err)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return lk_fail_errno(err, LK_EXIT_FAIL, path, what);
    return 0;
}

int file_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *child = xasprintf("%s/%s", path, de->d_name);
        if (file_remove_tree(child) != 0)
            rc = -1;
        free(child);
    }
    closedir(d);
    if (rmdir(path) != 0)
        rc = -1;
    return rc;
}
