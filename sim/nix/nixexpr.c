/* nixexpr — see nixexpr.h. A hand-written recursive-descent parser; the
 * nesting depth is bounded so that hostile input cannot exhaust the stack. */
#include "nixexpr.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

#define MAX_DEPTH 1000

struct parser {
    const char *s;
    size_t len, pos;
    int depth;
    struct lk_error *err;
    /* The line and column of `seen_pos`: positions are asked for in
     * (mostly) increasing order, so each is counted from the last one. */
    size_t seen_pos;
    int seen_line, seen_col;
};

static void where(struct parser *p, size_t pos, int *line, int *col)
{
    if (pos < p->seen_pos) {
        p->seen_pos = 0;
        p->seen_line = p->seen_col = 1;
    }
    for (size_t i = p->seen_pos; i < pos && i < p->len; i++) {
        if (p->s[i] == '\n') {
            p->seen_line++;
            p->seen_col = 1;
        } else {
            p->seen_col++;
        }
    }
    p->seen_pos = pos;
    *line = p->seen_line;
    *col = p->seen_col;
}

static int fail_at(struct parser *p, size_t pos, const char *msg)
{
    int line, col;
    where(p, pos, &line, &col);
    char place[48];
    snprintf(place, sizeof place, "%d:%d", line, col);
    return lk_bad_input(p->err, "(string)", place, "%s", msg);
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            p->pos++;
        } else if (c == '#') {
            while (p->pos < p->len && p->s[p->pos] != '\n')
                p->pos++;
        } else if (c == '/' && p->pos + 1 < p->len && p->s[p->pos + 1] == '*') {
            size_t end = p->pos + 2;
            while (end + 1 < p->len && !(p->s[end] == '*' && p->s[end + 1] == '/'))
                end++;
            p->pos = end + 1 < p->len ? end + 2 : p->len;
        } else {
            break;
        }
    }
}

/* Consume `word` if it is next and is not followed by an identifier char. */
static int accept_word(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return 0;
    if (p->pos + n < p->len) {
        char c = p->s[p->pos + n];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '\'' || c == '-' || (c == '.' && word[n - 1] != '.'))
            return 0;
    }
    p->pos += n;
    return 1;
}

static int accept_char(struct parser *p, char c)
{
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == c) {
        p->pos++;
        return 1;
    }
    return 0;
}

static struct nixexpr *node(enum nixexpr_kind kind, struct parser *p, size_t pos)
{
    struct nixexpr *e = xcalloc(1, sizeof *e);
    e->kind = kind;
    where(p, pos, &e->line, &e->column);
    return e;
}

static int parse_string(struct parser *p, char **out)
{
    size_t start = p->pos;
    if (p->pos >= p->len || p->s[p->pos] != '"')
        return fail_at(p, p->pos, "expected a string literal (\"…\")");
    p->pos++;
    struct strbuf sb = STRBUF_INIT;
    for (;;) {
        if (p->pos >= p->len) {
            sb_release(&sb);
            return fail_at(p, start, "unterminated string literal");
        }
        char c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c == '\\') {
            if (p->pos + 1 >= p->len) {
                sb_release(&sb);
                return fail_at(p, start, "unterminated string literal");
            }
            char e = p->s[p->pos + 1];
            sb_addc(&sb, e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e);
            p->pos += 2;
            continue;
        }
        if (c == '$') {
            char next = p->pos + 1 < p->len ? p->s[p->pos + 1] : '\0';
            if (next == '{') {
                sb_release(&sb);
                return fail_at(p, p->pos,
                               "string interpolation (${…}) is not supported by nixsim");
            }
            sb_addc(&sb, '$');
            p->pos++;
            if (next == '"' || next == '\\' || next == '\0')
                continue; /* handled by the cases above */
            sb_addc(&sb, next); /* `$x`: the pair is literal (so `$${` is "$${") */
            p->pos++;
            continue;
        }
        if (c == '\0') {
            sb_release(&sb);
            return fail_at(p, p->pos, "NUL byte in string literal");
        }
        sb_addc(&sb, c);
        p->pos++;
    }
    *out = sb_detach(&sb);
    return 0;
}

static struct nixexpr *parse_expr(struct parser *p);

static struct nixexpr *parse_term(struct parser *p)
{
    skip_ws(p);
    size_t start = p->pos;
    if (++p->depth > MAX_DEPTH) {
        fail_at(p, start, "expression nested too deeply");
        return NULL;
    }
    struct nixexpr *e = NULL;
    if (accept_char(p, '(')) {
        e = parse_expr(p);
        if (e && !accept_char(p, ')')) {
            fail_at(p, p->pos, "expected ')'");
            nixexpr_free(e);
            e = NULL;
        }
    } else if (accept_word(p, "import")) {
        skip_ws(p);
        if (!accept_word(p, "./.")) {
            fail_at(p, p->pos, "expected './.' after 'import' (only `import ./. {}` is supported)");
        } else if (!accept_char(p, '{') || !accept_char(p, '}')) {
            fail_at(p, p->pos, "expected '{}' after 'import ./.'");
        } else {
            e = node(NIXEXPR_DEPOT, p, start);
        }
    } else if (accept_word(p, "builtins.getAttr")) {
        skip_ws(p);
        char *name = NULL;
        if (parse_string(p, &name) == 0) {
            struct nixexpr *arg = parse_term(p);
            if (!arg) {
                free(name);
            } else {
                e = node(NIXEXPR_GETATTR, p, start);
                e->name = name;
                e->arg = arg;
            }
        }
    } else if (p->pos >= p->len) {
        fail_at(p, p->pos, "unexpected end of expression");
    } else {
        fail_at(p, p->pos,
                "unsupported expression: nixsim accepts `import ./. {}`, "
                "`builtins.getAttr \"name\" (…)` and `(…) (…)`");
    }
    p->depth--;
    return e;
}

static int starts_term(struct parser *p)
{
    skip_ws(p);
    if (p->pos >= p->len)
        return 0;
    char c = p->s[p->pos];
    return c == '(' || c == 'i' || c == 'b';
}

static struct nixexpr *parse_expr(struct parser *p)
{
    skip_ws(p);
    int line, col; /* every application in the chain starts where its first term does */
    where(p, p->pos, &line, &col);
    struct nixexpr *e = parse_term(p);
    while (e && starts_term(p)) {
        struct nixexpr *arg = parse_term(p);
        if (!arg) {
            nixexpr_free(e);
            return NULL;
        }
        struct nixexpr *app = xcalloc(1, sizeof *app);
        app->kind = NIXEXPR_APPLY;
        app->line = line;
        app->column = col;
        app->fn = e;
        app->arg = arg;
        e = app;
    }
    return e;
}

int nixexpr_parse(const char *text, size_t len, struct nixexpr **out, struct lk_error *err)
{
    struct parser p = { text, len, 0, 0, err, 0, 1, 1 };
    *out = NULL;
    struct nixexpr *e = parse_expr(&p);
    if (!e)
        return -1;
    skip_ws(&p);
    if (p.pos < p.len) {
        nixexpr_free(e);
        return fail_at(&p, p.pos, "unexpected text after the expression");
    }
    *out = e;
    return 0;
}

int nixexpr_path(const char *text, char **path, struct lk_error *err)
{
    size_t len = strlen(text);
    struct parser p = { text, len, 0, 0, err, 0, 1, 1 };
    *path = NULL;
    skip_ws(&p);
    if (p.pos < len && text[p.pos] == '/' && !(p.pos + 1 < len && text[p.pos + 1] == '.')) {
        *path = xstrdup(text + p.pos); /* a path literal */
        return 0;
    }
    if (!(accept_word(&p, "/.") && accept_char(&p, '+'))) {
        return fail_at(&p, p.pos, "expected a path: /abs/path or /. + \"/abs path\"");
    }
    skip_ws(&p);
    char *s = NULL;
    if (parse_string(&p, &s) != 0)
        return -1;
    skip_ws(&p);
    if (p.pos < len || s[0] != '/') {
        free(s);
        return fail_at(&p, p.pos, "expected /. + \"/abs path\" and nothing else");
    }
    *path = s;
    return 0;
}

void nixexpr_free(struct nixexpr *e)
{
    /* An explicit stack: application chains can be as long as the input. */
    struct nixexpr **stack = NULL;
    size_t n = 0, alloc = 0;
    if (e) {
        XGROW(stack, alloc, 1);
        stack[n++] = e;
    }
    while (n) {
        struct nixexpr *x = stack[--n];
        XGROW(stack, alloc, n + 2);
        if (x->fn)
            stack[n++] = x->fn;
        if (x->arg)
            stack[n++] = x->arg;
        free(x->name);
        free(x);
    }
    free(stack);
}

int nixexpr_attr_path(const struct nixexpr *e, const char ***attrs, size_t *n)
{
    size_t depth = 0;
    const struct nixexpr *x = e;
    while (x && x->kind == NIXEXPR_GETATTR) {
        depth++;
        x = x->arg;
    }
    if (!x || x->kind != NIXEXPR_DEPOT)
        return 0;
    const char **v = depth ? xcalloc(depth, sizeof *v) : NULL;
    x = e;
    for (size_t i = depth; i > 0; i--) {
        v[i - 1] = x->name;
        x = x->arg;
    }
    *attrs = v;
    *n = depth;
    return 1;
}
