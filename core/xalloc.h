/* xalloc — allocation that cannot fail.
 *
 * Contract: every function returns usable memory or, when the system is out
 * of memory, prints one line to stderr and calls abort(). Running out of
 * memory is not an input error, so it is not reported as an error value.
 * The caller owns (and frees with free()) everything returned. */
#ifndef LAZYKITE_XALLOC_H
#define LAZYKITE_XALLOC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

/* (Prints the overflow and aborts.) */
void xalloc_size_overflow(size_t a, size_t b, char op) __attribute__((noreturn));
static inline size_t st_add(size_t a, size_t b)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r))
        xalloc_size_overflow(a, b, '+');
    return r;
}
static inline size_t st_mult(size_t a, size_t b)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        xalloc_size_overflow(a, b, '*');
    return r;
}
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow *ptr (an array of *alloc elements of elem_size bytes) to hold at
 * least `need` elements, doubling. */
void xgrow(void **ptr, size_t *alloc, size_t need, size_t elem_size);
#define XGROW(ptr, alloc, need) xgrow((void **)&(ptr), &(alloc), (need), sizeof(*(ptr)))
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A copy of s, or NULL for NULL. */
static inline char *xstrdup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* A pointer freed when it goes out of scope (bubblewrap's cleanup idiom):
 * `AUTOFREE char *s = xstrdup(t);`. steal_pointer(&s) hands it on (and
 * leaves NULL behind, so nothing is freed). */
static inline void xalloc_freep(void *p)
{
    free(*(void **)p);
}
#define AUTOFREE __attribute__((cleanup(xalloc_freep)))
static inline void *steal_pointer(void *pp)
{
    void **p = pp, *v = *p;
    *p = NULL;
    return v;
}

#endif
