/* strbuf — a growable byte string, always NUL-terminated.
 *
 * Contract: a `struct strbuf` initialised with STRBUF_INIT has a `buf`
 * that is never NULL: until its first growth it points at a shared empty
 * string it does not own (`alloc` 0, never written), as git's strbuf does;
 * after that it owns `buf`. A zeroed struct strbuf (inside a calloc'ed
 * struct) is accepted everywhere too and reads as "" (sb_str). sb_release()
 * frees what it owns and makes it empty again; sb_detach() hands the string
 * to the caller (never NULL; a fresh "" for an empty one). `buf` may contain NUL bytes; `len` counts
 * them. Functions never fail (allocation aborts, see xalloc.h).
 *
 * Also the string vectors every module shares: a `char **` of strings the
 * vector owns, its count beside it (or NULL-terminated, for strv_free_null). */
#ifndef LAZYKITE_STRBUF_H
#define LAZYKITE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *buf;
    size_t len;
    size_t alloc;
};
extern char strbuf_empty[1]; /* the shared "" of empty strbufs */
#define STRBUF_INIT { strbuf_empty, 0, 0 }
/* A strbuf released when it goes out of scope: `AUTO_STRBUF struct strbuf
 * sb = STRBUF_INIT;` (sb_detach() first hands its string on). */
#define AUTO_STRBUF __attribute__((cleanup(sb_release)))

void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* The contents as a C string ("" when empty); valid until the next change. */
const char *sb_str(const struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_truncate(struct strbuf *sb, size_t len);
char *sb_detach(struct strbuf *sb);
void sb_release(struct strbuf *sb);

/* A copy of s appended to the vector *v of *n strings (grown by one). */
void strv_add(char ***v, size_t *n, const char *s);
/* The same, unless s is already there. */
void strv_add_once(char ***v, size_t *n, const char *s);
/* Frees v[0..n) and v. */
void strv_free(char **v, size_t n);
/* Frees each string of the NULL-terminated v (v may be NULL), then v. */
void strv_free_null(char **v);
/* A qsort comparator of `char *` elements: strcmp. */
int strv_cmp(const void *a, const void *b);

#endif
