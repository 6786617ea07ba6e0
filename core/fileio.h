/* fileio — whole-file reads and all-or-nothing writes.
 *
 * Contract: file_read() returns the bytes of a file NUL-terminated (the
 * caller frees); file_map() gives the bytes of a large input without
 * copying them (a read-only mapping of a non-empty regular file, file_read()
 * for anything else; not NUL-terminated; file_unmap() releases it; the file
 * must not shrink while it is mapped); file_write_atomic() writes to a
 * temporary file in the same directory and renames it over `path`, so
 * readers see the old or the new file, never a partial one (a whole output
 * directory: outdir.h). Errors name the path and the failed operation
 * (status LK_EXIT_INPUT for unreadable inputs, LK_EXIT_FAIL for writes). */
#ifndef LAZYKITE_FILEIO_H
#define LAZYKITE_FILEIO_H

#include <stddef.h>

#include "error.h"

int file_read(const char *path, char **data, size_t *len, struct lk_error *err);
struct mapped_file {
    const char *data;
    size_t len;
    void *map;      /* the mapping, or NULL */
    char *copy;     /* the bytes read instead, or NULL */
};
int file_map(const char *path, struct mapped_file *out, struct lk_error *err);
void file_unmap(struct mapped_file *f);
int file_write_atomic(const char *path, const void *data, size_t len, struct lk_error *err);
/* Write `len` bytes to fd, retrying on EINTR and short writes; 0 or -1 (errno set). */
int file_write_all(int fd, const void *data, size_t len);
/* For appenders that must never split a line between two write(2)s: the
 * length of the longest prefix of text[0..len) that is whole lines and at
 * most `max` bytes; when the first line alone is longer, that line (all of
 * `len` if it has no newline). */
size_t whole_lines_prefix(const char *text, size_t len, size_t max);

/* mkdir with mode 0755, a directory already there being fine; 0, or -1
 * with err (LK_EXIT_FAIL, the path, `what`: the failed operation). */
int file_mkdir(const char *path, const char *what, struct lk_error *err);

/* rm -rf; returns 0 or -1 (errno set). */
int file_remove_tree(const char *path);

#endif
