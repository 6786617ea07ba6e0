/* strbuf — see strbuf.h. */
#include "strbuf.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* The first allocation holds at least SB_MIN_ALLOC bytes: short strings
 * built piece by piece then need no reallocation. */
#define SB_MIN_ALLOC 64

char strbuf_empty[1];

void sb_grow(struct strbuf *sb, size_t extra)
{
    size_t need = st_add(st_add(sb->len, extra), 1);
    if (need <= sb->alloc)
        return;
    bool fresh = sb->alloc == 0; /* buf is strbuf_empty or NULL: not ours */
    if (fresh)
        sb->buf = NULL;
    XGROW(sb->buf, sb->alloc, need < SB_MIN_ALLOC ? SB_MIN_ALLOC : need);
    if (fresh)
        sb->buf[0] = '\0';
}

void sb_add(struct strbuf *sb, const void *data, size_t len)
{
    sb_grow(sb, len);
    if (len)
        memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void sb_adds(struct strbuf *sb, const char *s)
{
    sb_add(sb, s, strlen(s));
}

void sb_addc(struct strbuf *sb, char c)
{
    if (sb->len + 2 > sb->alloc) /* (len + 2 <= alloc cannot overflow) */
        sb_grow(sb, 1);
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
}

void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    /* (No format is nothing to add. Also, gcc's recoverable UBSan checks
     * that vsnprintf's format is not NULL and carries on: -Wformat-truncation
     * then sees a NULL format on that path, an error under -Werror.) */
    if (!fmt)
        return;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0)
        return;
    sb_grow(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(sb, fmt, ap);
    va_end(ap);
}

const char *sb_str(const struct strbuf *sb)
{
    return sb->buf ? sb->buf : "";
}

void sb_reset(struct strbuf *sb)
{
    sb_truncate(sb, 0);
}

void sb_truncate(struct strbuf *sb, size_t len)
{
    if (len < sb->len) {
        sb->len = len;
        sb->buf[len] = '\0';
    }
}

char *sb_detach(struct strbuf *sb)
{
    char *s = sb->alloc ? sb->buf : xstrdup("");
    sb->buf = strbuf_empty;
    sb->len = sb->alloc = 0;
    return s;
}

void sb_release(struct strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    sb->buf = strbuf_empty;
    sb->len = sb->alloc = 0;
}

void strv_add(char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, st_mult(st_add(*n, 1), sizeof(**v)));
    (*v)[(*n)++] = xstrdup(s);
}

void strv_add_once(char ***v, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], s))
            return;
    strv_add(v, n, s);
}

void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void strv_free_null(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

int strv_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}
