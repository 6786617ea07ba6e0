/* interpolate — see interpolate.h. A recursive-descent parser over the
 * grammar of buildkite/interpolate; it runs twice over the input: once to
 * check the syntax of everything, then to expand (words that are not
 * needed are only parsed), which gives the library's error precedence. */
#include "buildkite/interpolate.h"

#include <locale.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "strbuf.h"
#include "xalloc.h"

#define EOF_RUNE (-1)
#define RUNE_ERROR 0xFFFD

struct parser {
    const char *in;
    size_t len;
    size_t pos;
    const struct bk_env *env;
    char *error; /* the first error message */
};

/* Decode one rune at s[0..n) as Go's utf8.DecodeRuneInString does:
 * invalid or overlong sequences and surrogates give (RUNE_ERROR, 1). */
static int32_t decode_rune(const unsigned char *s, size_t n, size_t *size)
{
    *size = 1;
    if (n == 0)
        return EOF_RUNE;
    unsigned c = s[0];
    if (c < 0x80)
        return (int32_t)c;
    int need;
    uint32_t r, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, r = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, r = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, r = c & 0x07, min = 0x10000;
    } else {
        return RUNE_ERROR;
    }
    if (n < (size_t)need + 1)
        return RUNE_ERROR;
    for (int i = 1; i <= need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return RUNE_ERROR;
        r = (r << 6) | (s[i] & 0x3F);
    }
    if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
        return RUNE_ERROR;
    *size = (size_t)need + 1;
    return (int32_t)r;
}

static void encode_rune(struct strbuf *sb, int32_t r)
{
    uint32_t u = (r < 0 || r > 0x10FFFF) ? RUNE_ERROR : (uint32_t)r;
    if (u < 0x80) {
        sb_addc(sb, (char)u);
    } else if (u < 0x800) {
        sb_addc(sb, (char)(0xC0 | (u >> 6)));
        sb_addc(sb, (char)(0x80 | (u & 0x3F)));
    } else if (u < 0x10000) {
        sb_addc(sb, (char)(0xE0 | (u >> 12)));
        sb_addc(sb, (char)(0x80 | ((u >> 6) & 0x3F)));
        sb_addc(sb, (char)(0x80 | (u & 0x3F)));
    } else {
        sb_addc(sb, (char)(0xF0 | (u >> 18)));
        sb_addc(sb, (char)(0x80 | ((u >> 12) & 0x3F)));
        sb_addc(sb, (char)(0x80 | ((u >> 6) & 0x3F)));
        sb_addc(sb, (char)(0x80 | (u & 0x3F)));
    }
}

static locale_t utf8_locale(void)
{
    static int tried;
    static locale_t loc;
    if (!tried) {
        tried = 1;
        loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    }
    return loc;
}

static bool is_letter(int32_t r)
{
    if (r < 0)
        return false;
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    if (r == RUNE_ERROR)
        return false;
    locale_t loc = utf8_locale();
    return loc && iswalpha_l((wint_t)r, loc);
}

static bool is_number(int32_t r)
{
    if (r >= '0' && r <= '9')
        return true;
    return false;
}

static int32_t peek(const struct parser *p)
{
    size_t size;
    return decode_rune((const unsigned char *)p->in + p->pos, p->len - p->pos, &size);
}

static int32_t next(struct parser *p)
{
    size_t size;
    int32_t r = decode_rune((const unsigned char *)p->in + p->pos, p->len - p->pos, &size);
    if (r != EOF_RUNE)
        p->pos += size;
    return r;
}

static bool starts_with(const struct parser *p, const char *s)
{
    size_t n = strlen(s);
    return p->len - p->pos >= n && memcmp(p->in + p->pos, s, n) == 0;
}

static int fail(struct parser *p, const char *fmt, int32_t r, const char *s)
{
    if (!p->error) {
        struct strbuf rune = STRBUF_INIT;
        encode_rune(&rune, r);
        /* fmt has one %s for the rune (Go's %c) and maybe one for s. */
        p->error = s ? xasprintf(fmt, s) : xasprintf(fmt, sb_str(&rune));
        sb_release(&rune);
    }
    return -1;
}

/* Scan while !stop(r) and r is a valid rune (Go's scanUntil). */
typedef bool (*rune_pred)(int32_t r);
static size_t scan_until(struct parser *p, rune_pred stop)
{
    size_t start = p->pos;
    while (p->pos < p->len) {
        size_t size;
        int32_t r = decode_rune((const unsigned char *)p->in + p->pos, p->len - p->pos, &size);
        if (r == RUNE_ERROR || stop(r))
            break;
        p->pos += size;
    }
    return start;
}

static bool not_identifier_char(int32_t r)
{
    return !(is_letter(r) || is_number(r) || r == '_');
}

/* The identifier at pos (caller checked it starts with a letter). */
static char *scan_identifier(struct parser *p)
{
    size_t start = scan_until(p, not_identifier_char);
    return xstrndup(p->in + start, p->pos - start);
}

static int parse_expression(struct parser *p, bool stop_brace, bool eval, struct strbuf *out);

static bool text_stop(int32_t r) { return r == '$' || r == '\\'; }
static bool text_stop_brace(int32_t r) { return r == '$' || r == '\\' || r == '}'; }
static bool colon_or_brace(int32_t r) { return r == ':' || r == '}'; }
static bool is_brace(int32_t r) { return r == '}'; }

/* Go's strings.TrimSpace + strconv.Atoi (64-bit int). */
static bool is_space_rune(int32_t r)
{
    switch (r) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x3000:
        return true;
    default:
        return r >= 0x2000 && r <= 0x200A;
    }
}

static int parse_int(struct parser *p, const char *s, size_t n, const char *what, long long *value)
{
    /* trim Unicode white space on both ends */
    size_t a = 0, b = n;
    while (a < b) {
        size_t size;
        int32_t r = decode_rune((const unsigned char *)s + a, b - a, &size);
        if (!is_space_rune(r))
            break;
        a += size;
    }
    while (b > a) {
        size_t back = 1;
        while (back < 4 && back < b - a && ((unsigned char)s[b - back] & 0xC0) == 0x80)
            back++;
        size_t size;
        int32_t r = decode_rune((const unsigned char *)s + b - back, back, &size);
        if (size != back || !is_space_rune(r))
            break;
        b -= back;
    }
    char *t = xstrndup(s + a, b - a);
    const char *d = t;
    bool neg = false;
    if (*d == '+' || *d == '-')
        neg = *d++ == '-';
    bool ok = *d != '\0';
    unsigned long long v = 0;
    bool range = true;
    for (const char *q = d; *q && ok; q++) {
        if (*q < '0' || *q > '9') {
            ok = false;
            break;
        }
        if (v > (ULLONG_MAX - 9) / 10) {
            range = false;
            v = ULLONG_MAX / 2;
        } else {
            v = v * 10 + (unsigned)(*q - '0');
        }
    }
    if (ok && range && (neg ? v > (unsigned long long)LLONG_MAX + 1 : v > (unsigned long long)LLONG_MAX))
        range = false;
    int rc = 0;
    if (!ok || !range) {
        struct strbuf msg = STRBUF_INIT;
        sb_addf(&msg, "Unable to parse %s: strconv.Atoi: parsing \"%s\": %s", what, t,
                ok ? "value out of range" : "invalid syntax");
        char *m = sb_detach(&msg);
        rc = fail(p, "%s", 0, m);
        free(m);
    } else {
        *value = neg ? (long long)(0 - v) : (long long)v;
    }
    free(t);
    return rc;
}

static void substring(const char *val, long long offset, bool has_length, long long length,
                      struct strbuf *out)
{
    long long n = (long long)strlen(val);
    long long from = offset;
    if (from < 0)
        from += n;
    if (from < 0)
        from = 0;
    if (from > n)
        from = n;
    long long to = n;
    if (has_length) {
        if (length >= 0) {
            to = length > n ? n : length; /* saturate: Go would overflow */
            to += from;
        } else {
            to = length + n;
            if (to < from)
                to = from;
        }
        if (to > n)
            to = n;
    }
    sb_add(out, val + from, (size_t)(to - from));
}

static int parse_brace(struct parser *p, bool eval, struct strbuf *out)
{
    next(p); /* '{' */
    if (!is_letter(peek(p)))
        return fail(p, "Expected identifier to start with a letter, got %s", peek(p), NULL);
    char *name = scan_identifier(p);
    int rc = 0;
    const char *val = eval ? bk_env_get(p->env, name) : NULL;
    if (peek(p) == '}') {
        next(p);
        if (eval && val)
            sb_adds(out, val);
        goto done;
    }
    int32_t op1 = next(p);
    if (op1 == ':' && peek(p) == '-') {
        next(p);
        bool need = eval && (!val || !*val);
        rc = parse_expression(p, true, need, out);
        if (rc == 0 && eval && !need)
            sb_adds(out, val);
    } else if (op1 == '-') {
        bool need = eval && !val;
        rc = parse_expression(p, true, need, out);
        if (rc == 0 && eval && !need)
            sb_adds(out, val);
    } else if (op1 == '?') {
        struct strbuf msg = STRBUF_INIT;
        bool need = eval && !val;
        rc = parse_expression(p, true, need, &msg);
        if (rc == 0 && need) {
            char *m = xasprintf("$%s: %s", name, msg.len ? sb_str(&msg) : "not set");
            rc = fail(p, "%s", 0, m);
            free(m);
        } else if (rc == 0 && eval) {
            sb_adds(out, val);
        }
        sb_release(&msg);
    } else if (op1 == ':') {
        size_t start = scan_until(p, colon_or_brace);
        long long offset = 0, length = 0;
        bool has_length = false;
        rc = parse_int(p, p->in + start, p->pos - start, "offset", &offset);
        if (rc == 0 && peek(p) != '}') {
            next(p);
            start = scan_until(p, is_brace);
            rc = parse_int(p, p->in + start, p->pos - start, "length", &length);
            has_length = true;
        }
        if (rc == 0 && eval)
            substring(val ? val : "", offset, has_length, length, out);
    } else {
        rc = fail(p, "Expected an operator, got %s", op1, NULL);
    }
    if (rc == 0) {
        int32_t c = next(p);
        if (c != '}')
            rc = fail(p, "Expected brace expansion to end with }, got %s", c, NULL);
    }
done:
    free(name);
    return rc;
}

static int parse_expansion(struct parser *p, bool eval, struct strbuf *out)
{
    next(p); /* '$' */
    int32_t c = peek(p);
    if (c == '{')
        return parse_brace(p, eval, out);
    if (!is_letter(c)) {
        if (eval)
            sb_addc(out, '$');
        return 0;
    }
    char *name = scan_identifier(p);
    const char *val = eval ? bk_env_get(p->env, name) : NULL;
    if (val)
        sb_adds(out, val);
    free(name);
    return 0;
}

static int parse_expression(struct parser *p, bool stop_brace, bool eval, struct strbuf *out)
{
    for (;;) {
        int32_t c = peek(p);
        if (c == EOF_RUNE || (stop_brace && c == '}'))
            return 0;
        if (starts_with(p, "\\\\")) {
            p->pos += 2;
            if (eval)
                sb_adds(out, "\\\\");
            continue;
        }
        if (starts_with(p, "\\$") || starts_with(p, "$$")) {
            /* An escaped expansion: always a literal "$"; what follows is
             * read again as ordinary input. */
            p->pos += 2;
            if (eval)
                sb_addc(out, '$');
            continue;
        }
        if (starts_with(p, "$(")) {
            p->pos += 2;
            if (eval)
                sb_adds(out, "$(");
            continue;
        }
        if (c == '$' && p->pos < p->len - 1) {
            if (parse_expansion(p, eval, out) < 0)
                return -1;
            continue;
        }
        c = next(p);
        size_t start = scan_until(p, stop_brace ? text_stop_brace : text_stop);
        if (eval) {
            encode_rune(out, c);
            sb_add(out, p->in + start, p->pos - start);
        }
    }
}

int bk_interpolate(const struct bk_env *env, const char *in, char **out, struct lk_error *err)
{
    *out = NULL;
    struct parser p = { in, strlen(in), 0, env, NULL };
    struct strbuf sb = STRBUF_INIT;
    int rc = parse_expression(&p, false, false, &sb);
    if (rc == 0) {
        p.pos = 0;
        rc = parse_expression(&p, false, true, &sb);
    }
    if (rc < 0) {
        lk_bad_input(err, NULL, NULL, "%s", p.error ? p.error : "interpolation failed");
        free(p.error);
        sb_release(&sb);
        return -1;
    }
    *out = sb_detach(&sb);
    return 0;
}
