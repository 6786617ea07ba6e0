/* xalloc — see xalloc.h. */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size)
{
    fprintf(stderr, "lazykite: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void xalloc_size_overflow(size_t a, size_t b, char op)
{
    fprintf(stderr, "lazykite: size overflow: %zu %c %zu\n", a, op, b);
    abort();
}

void xgrow(void **ptr, size_t *alloc, size_t need, size_t elem_size)
{
    if (need <= *alloc)
        return;
    size_t n = *alloc ? *alloc : 8;
    while (n < need)
        n = st_mult(n, 2);
    *ptr = xrealloc(*ptr, st_mult(n, elem_size));
    *alloc = n;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(st_add(n, 1));
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    /* (No format gives "". Also, gcc's recoverable UBSan checks
     * that vsnprintf's format is not NULL and carries on: -Wformat-truncation
     * then sees a NULL format on that path, an error under -Werror.) */
    if (!fmt)
        return xstrdup("");
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        out_of_memory(0);
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}
