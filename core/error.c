/* error — see error.h. */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

int lk_fail(struct lk_error *err, int status, const char *file, const char *place,
            const char *fmt, ...)
{
    if (!err)
        return -1;
    lk_error_clear(err);
    err->status = status ? status : LK_EXIT_FAIL;
    err->file = file ? xstrdup(file) : NULL;
    err->place = place ? xstrdup(place) : NULL;
    va_list ap;
    va_start(ap, fmt);
    err->msg = xvasprintf(fmt, ap);
    va_end(ap);
    return -1;
}

int lk_fail_errno(struct lk_error *err, int status, const char *file, const char *what)
{
    int e = errno;
    return lk_fail(err, status, file, NULL, "%s: %s", what, strerror(e));
}

void lk_error_prefix(struct lk_error *err, const char *fmt, ...)
{
    if (!err || !err->status)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *pre = xvasprintf(fmt, ap);
    va_end(ap);
    char *msg = xasprintf("%s: %s", pre, err->msg ? err->msg : "");
    free(pre);
    free(err->msg);
    err->msg = msg;
}

void lk_error_default_place(struct lk_error *err, const char *place)
{
    if (err && err->status && !err->place && place)
        err->place = xstrdup(place);
}

void lk_error_default_file(struct lk_error *err, const char *file)
{
    if (err && err->status && !err->file && file)
        err->file = xstrdup(file);
}

/* Append `s` with newlines escaped (the line stays one line), cut in the
 * middle to LK_ERROR_PART_MAX bytes: the first and the last
 * LK_ERROR_PART_MAX / 2 bytes, not splitting a UTF-8 sequence, around "…". */
static void add_part(struct strbuf *sb, const char *s)
{
    size_t n = strlen(s), head = n, tail = n;
    if (n > LK_ERROR_PART_MAX) {
        head = LK_ERROR_PART_MAX / 2;
        while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80)
            head--;
        tail = n - LK_ERROR_PART_MAX / 2;
        while (tail < n && ((unsigned char)s[tail] & 0xC0) == 0x80)
            tail++;
    }
    for (size_t i = 0; i < n; i++) {
        if (i == head) {
            sb_adds(sb, "\xe2\x80\xa6"); /* U+2026, the ellipsis */
            i = tail - 1;
            continue;
        }
        if (s[i] == '\n')
            sb_adds(sb, "\\n");
        else
            sb_addc(sb, s[i]);
    }
}

char *lk_error_format(const struct lk_error *err)
{
    struct strbuf sb = STRBUF_INIT;
    if (err->file) {
        add_part(&sb, err->file);
        sb_adds(&sb, ": ");
    }
    if (err->place) {
        /* "" is the JSON pointer of the whole document. */
        add_part(&sb, *err->place ? err->place : "(root)");
        sb_adds(&sb, ": ");
    }
    add_part(&sb, err->msg ? err->msg : "unknown error");
    return sb_detach(&sb);
}

void lk_error_print(const struct lk_error *err, const char *prog, FILE *to)
{
    char *line = lk_error_format(err);
    fprintf(to, "%s: %s\n", prog, line);
    free(line);
}

void lk_error_clear(struct lk_error *err)
{
    if (!err)
        return;
    free(err->file);
    free(err->place);
    free(err->msg);
    err->status = 0;
    err->file = err->place = err->msg = NULL;
}

/* The length of `base` + "/" + escaped `token`, and the text itself (out
 * NULL: only the length). */
static size_t pointer_text(char *out, const char *base, const char *token)
{
    size_t n = base ? strlen(base) : 0;
    if (out && n)
        memcpy(out, base, n);
    if (out)
        out[n] = '/';
    n++;
    for (const char *p = token; *p; p++) {
        const char *esc = *p == '~' ? "~0" : *p == '/' ? "~1" : NULL;
        if (out && esc)
            memcpy(out + n, esc, 2);
        else if (out)
            out[n] = *p;
        n += esc ? 2 : 1;
    }
    if (out)
        out[n] = '\0';
    return n;
}

char *lk_pointer_join(const char *base, const char *token)
{
    char *out = xmalloc(pointer_text(NULL, base, token) + 1);
    pointer_text(out, base, token);
    return out;
}

const char *lk_pointer_join_buf(char *buf, size_t size, const char *base, const char *token,
                                  char **heap)
{
    *heap = NULL;
    if (pointer_text(NULL, base, token) < size) {
        pointer_text(buf, base, token);
        return buf;
    }
    return *heap = lk_pointer_join(base, token);
}

char *lk_pointer_index(const char *base, size_t index)
{
    return xasprintf("%s/%zu", base ? base : "", index);
}

int lk_finish_stdout(const char *prog, int status)
{
    int failed = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    if (!failed)
        return status;
    fprintf(stderr, "%s: cannot write standard output: %s\n", prog, e ? strerror(e) : "write error");
    return status ? status : LK_EXIT_FAIL;
}
