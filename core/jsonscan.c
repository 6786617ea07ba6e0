/* jsonscan — see jsonscan.h. */
#include "jsonscan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The bytes that matter inside a container: quotes and brackets. */
static const bool structural[256] = {
    ['"'] = true, ['['] = true, [']'] = true, ['{'] = true, ['}'] = true,
};

static size_t skip_space(const char *text, size_t len, size_t pos)
{
    while (pos < len && is_space(text[pos]))
        pos++;
    return pos;
}

/* The end of the string whose opening quote is at `pos`, or 0. */
static size_t string_end(const char *text, size_t len, size_t pos)
{
    for (pos++; pos < len; pos++) {
        const char *quote = memchr(text + pos, '"', len - pos);
        if (!quote)
            return 0;
        size_t q = (size_t)(quote - text), slashes = 0;
        while (q - slashes > pos && text[q - slashes - 1] == '\\')
            slashes++;
        if (slashes % 2 == 0)
            return q + 1;
        pos = q; /* an escaped quote: go on after it */
    }
    return 0;
}

/* The span of the value starting at `pos` (no whitespace before it). */
static int value_span(const char *text, size_t len, size_t pos, struct json_span *span)
{
    size_t end;
    if (pos >= len)
        return -1;
    char c = text[pos];
    if (c == '"') {
        end = string_end(text, len, pos);
        if (!end)
            return -1;
    } else if (c == '[' || c == '{') {
        size_t depth = 0;
        for (end = pos; end < len; end++) {
            while (end < len && !structural[(unsigned char)text[end]])
                end++;
            if (end == len)
                break;
            char d = text[end];
            if (d == '"') {
                size_t e = string_end(text, len, end);
                if (!e)
                    return -1;
                end = e - 1;
            } else if (d == '[' || d == '{') {
                if (++depth > JSONSCAN_MAX_DEPTH)
                    return -1;
            } else if ((d == ']' || d == '}') && --depth == 0) {
                break;
            }
        }
        if (end == len)
            return -1;
        end++;
    } else {
        for (end = pos; end < len; end++) {
            char d = text[end];
            if (is_space(d) || d == ',' || d == ':' || d == '[' || d == ']' || d == '{' ||
                d == '}' || d == '"')
                break;
        }
        if (end == pos)
            return -1;
    }
    span->off = pos;
    span->len = end - pos;
    return 0;
}

/* Items of the container whose opening bracket is at text[pos]; each item
 * is a value, or (objects) a string key, ':' and a value. */
static int scan_items(const char *text, size_t len, size_t pos, bool object,
                      struct json_member_span **out, size_t *n, size_t *end)
{
    size_t alloc = 0;
    *out = NULL;
    *n = 0;
    char close = object ? '}' : ']';
    pos = skip_space(text, len, pos + 1);
    if (pos < len && text[pos] == close) {
        *end = pos + 1;
        return 0;
    }
    for (;;) {
        struct json_member_span item = { { 0, 0 }, { 0, 0 } };
        if (object) {
            if (pos >= len || text[pos] != '"' || value_span(text, len, pos, &item.key) != 0)
                goto bad;
            pos = skip_space(text, len, item.key.off + item.key.len);
            if (pos >= len || text[pos] != ':')
                goto bad;
            pos = skip_space(text, len, pos + 1);
        }
        if (value_span(text, len, pos, &item.value) != 0)
            goto bad;
        XGROW(*out, alloc, *n + 1);
        (*out)[(*n)++] = item;
        pos = skip_space(text, len, item.value.off + item.value.len);
        if (pos < len && text[pos] == ',') {
            pos = skip_space(text, len, pos + 1);
            continue;
        }
        if (pos < len && text[pos] == close) {
            *end = pos + 1;
            return 0;
        }
        goto bad;
    }
bad:
    free(*out);
    *out = NULL;
    *n = 0;
    return -1;
}

int jsonscan_object(const char *text, size_t len, struct json_member_span **out, size_t *n)
{
    size_t pos = skip_space(text, len, 0), end;
    *out = NULL;
    *n = 0;
    if (pos >= len || text[pos] != '{' || scan_items(text, len, pos, true, out, n, &end) != 0)
        return -1;
    if (skip_space(text, len, end) != len) {
        free(*out);
        *out = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int jsonscan_array(const char *text, struct json_span array, struct json_span **out, size_t *n)
{
    struct json_member_span *items;
    size_t end, len = array.off + array.len;
    *out = NULL;
    *n = 0;
    if (array.len == 0 || text[array.off] != '[' ||
        scan_items(text, len, array.off, false, &items, n, &end) != 0)
        return -1;
    if (end != len) {
        free(items);
        *n = 0;
        return -1;
    }
    *out = xcalloc(*n ? *n : 1, sizeof(**out));
    for (size_t i = 0; i < *n; i++)
        (*out)[i] = items[i].value;
    free(items);
    return 0;
}
