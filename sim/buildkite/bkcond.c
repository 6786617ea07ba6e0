/* bkcond — see bkcond.h. One recursive-descent pass parses and evaluates
 * (every operand is evaluated, so a wrong name or type is an error even
 * where `&&`/`||` would not need it; the result is what the short-circuit
 * gives). Precedence, loosest first: `||`, `&&`, the comparisons and
 * `includes` (not chained), prefix `!`, operands. Regular expressions are
 * PCRE2's. The if_changed globs are bkcondglob.c's. */
#include "buildkite/bkcond.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

enum vtype { V_NULL, V_BOOL, V_INT, V_STRING, V_ARRAY, V_REGEX };

struct val {
    enum vtype t;
    bool b;
    long long i;
    char *s;             /* string; the source of a regex */
    struct val *items;   /* array */
    size_t n;
    pcre2_code *re;
};

struct parser {
    const char *src, *p;
    const struct bk_build_info *b;
    struct lk_error *err;
    int depth;
};

static const char *type_name(enum vtype t)
{
    static const char *const names[] = { "null", "a boolean", "an integer", "a string", "an array",
                                         "a regular expression" };
    return names[t];
}

static void val_free(struct val *v)
{
    free(v->s);
    for (size_t i = 0; i < v->n; i++)
        val_free(&v->items[i]);
    free(v->items);
    if (v->re)
        pcre2_code_free(v->re);
    memset(v, 0, sizeof(*v));
}

static int fail_at(struct parser *P, const char *at, const char *fmt, const char *arg)
{
    char *m = xasprintf(fmt, arg ? arg : "");
    lk_bad_input(P->err, NULL, NULL, "condition \"%s\", column %zu: %s", P->src, (size_t)(at - P->src) + 1, m);
    free(m);
    return -1;
}

static void skip_space(struct parser *P)
{
    for (;;) {
        while (*P->p == ' ' || *P->p == '\t' || *P->p == '\n' || *P->p == '\r')
            P->p++;
        if (P->p[0] == '/' && P->p[1] == '/') {
            while (*P->p && *P->p != '\n')
                P->p++;
            continue;
        }
        return;
    }
}

static bool take(struct parser *P, const char *tok)
{
    skip_space(P);
    size_t n = strlen(tok);
    if (strncmp(P->p, tok, n))
        return false;
    P->p += n;
    return true;
}

static int parse_or(struct parser *P, struct val *out);

static int str_val(struct val *v, const char *s)
{
    if (s) {
        v->t = V_STRING;
        v->s = xstrdup(s);
    } else {
        v->t = V_NULL;
    }
    return 0;
}

/* Names Buildkite documents that the simulated build does not have. */
static const char *const NOT_SIMULATED[] = {
    "build.author.email", "build.author.id", "build.author.name", "build.author.teams",
    "build.creator.email", "build.creator.id", "build.creator.name", "build.creator.teams",
    "build.state", "build.source_event", "build.source_action", "build.merge_queue.base_branch",
    "build.merge_queue.base_commit", "build.pull_request.repository.fork",
    "build.pull_request.using_merge_refspec", "build.pull_request.label", "build.rebuilt_from.id",
    "build.triggered_from.build_id", "pipeline.id", "pipeline.repository", "pipeline.started_passing",
    "pipeline.started_failing", "organization.id", "organization.slug", "step.id", "step.key",
    "step.label", "step.type", "step.state", "step.outcome", NULL,
};

static int lookup(struct parser *P, const char *name, const char *at, struct val *v)
{
    const struct bk_build_info *b = P->b;
    static const char *const simple[] = { "build.branch", "build.tag", "build.message", "build.commit",
                                          "build.id", "build.source", "pipeline.slug",
                                          "pipeline.default_branch", "build.pull_request.id",
                                          "build.pull_request.base_branch",
                                          "build.pull_request.repository", NULL };
    const char *values[] = { b->branch, b->tag, b->message, b->commit, b->id, b->source, b->pipeline_slug,
                             b->default_branch, b->pr_id, b->pr_base_branch, b->pr_repository };
    for (size_t i = 0; simple[i]; i++)
        if (!strcmp(name, simple[i]))
            return str_val(v, values[i]);
    if (!strcmp(name, "build.number")) {
        v->t = V_INT;
        v->i = b->number;
        return 0;
    }
    if (!strcmp(name, "build.pull_request.draft")) {
        v->t = b->pr_draft < 0 ? V_NULL : V_BOOL;
        v->b = b->pr_draft > 0;
        return 0;
    }
    if (!strcmp(name, "build.pull_request.labels")) {
        v->t = V_ARRAY;
        v->n = b->n_pr_labels;
        v->items = xcalloc(v->n + 1, sizeof(*v->items));
        for (size_t i = 0; i < v->n; i++)
            str_val(&v->items[i], b->pr_labels[i]);
        return 0;
    }
    for (size_t i = 0; NOT_SIMULATED[i]; i++)
        if (!strcmp(name, NOT_SIMULATED[i]))
            return fail_at(P, at, "%s is not simulated (the simulated build has no such value)", name);
    return fail_at(P, at, "unknown name %s", name);
}

static int parse_string(struct parser *P, struct val *v)
{
    char q = *P->p;
    const char *start = P->p++;
    struct strbuf sb = STRBUF_INIT;
    for (;;) {
        char c = *P->p;
        if (!c) {
            sb_release(&sb);
            return fail_at(P, start, "expected the closing quote of this string%s", NULL);
        }
        P->p++;
        if (c == q)
            break;
        if (c == '\\' && *P->p) {
            char e = *P->p++;
            sb_addc(&sb, e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e);
            continue;
        }
        sb_addc(&sb, c);
    }
    v->t = V_STRING;
    v->s = sb_detach(&sb);
    return 0;
}

static int parse_regex(struct parser *P, struct val *v)
{
    const char *start = P->p++;
    struct strbuf sb = STRBUF_INIT;
    for (;;) {
        char c = *P->p;
        if (!c || c == '\n') {
            sb_release(&sb);
            return fail_at(P, start, "expected the closing / of this regular expression%s", NULL);
        }
        P->p++;
        if (c == '/')
            break;
        if (c == '\\' && *P->p == '/') {
            sb_addc(&sb, '/');
            P->p++;
            continue;
        }
        sb_addc(&sb, c);
        if (c == '\\' && *P->p)
            sb_addc(&sb, *P->p++);
    }
    uint32_t opts = PCRE2_UTF;
    while ((*P->p >= 'a' && *P->p <= 'z') || (*P->p >= 'A' && *P->p <= 'Z')) {
        if (*P->p != 'i') {
            char f[2] = { *P->p, 0 };
            sb_release(&sb);
            return fail_at(P, P->p, "unknown regular expression flag '%s' (the flag Buildkite takes is i)", f);
        }
        opts |= PCRE2_CASELESS;
        P->p++;
    }
    int code;
    PCRE2_SIZE off;
    v->re = pcre2_compile((PCRE2_SPTR)sb.buf, sb.len, opts, &code, &off, NULL);
    if (!v->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        sb_release(&sb);
        return fail_at(P, start, "invalid regular expression: %s", (const char *)msg);
    }
    v->t = V_REGEX;
    v->s = sb_detach(&sb);
    return 0;
}

static int parse_array(struct parser *P, struct val *v)
{
    P->p++;
    v->t = V_ARRAY;
    size_t alloc = 0;
    if (take(P, "]"))
        return 0;
    for (;;) {
        XGROW(v->items, alloc, v->n + 1);
        memset(&v->items[v->n], 0, sizeof(*v->items));
        if (parse_or(P, &v->items[v->n++]) < 0)
            return -1;
        if (take(P, "]"))
            return 0;
        if (!take(P, ","))
            return fail_at(P, P->p, "expected , or ] in the array%s", NULL);
    }
}

static bool is_name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* A dotted name: one or more identifiers joined by ".". */
static char *take_name(struct parser *P)
{
    const char *s = P->p;
    for (;;) {
        if (!is_name_char(*P->p, true))
            return NULL;
        while (is_name_char(*P->p, false))
            P->p++;
        if (*P->p != '.')
            break;
        P->p++;
    }
    return xstrndup(s, (size_t)(P->p - s));
}

static int parse_call(struct parser *P, const char *name, const char *at, struct val *v)
{
    bool build_env = !strcmp(name, "build.env");
    if (!build_env && strcmp(name, "env"))
        return fail_at(P, at, "unknown function %s", name);
    struct val arg = { 0 };
    if (parse_or(P, &arg) < 0) {
        val_free(&arg);
        return -1;
    }
    if (!take(P, ")")) {
        val_free(&arg);
        return fail_at(P, P->p, "expected ) after the argument%s", NULL);
    }
    if (arg.t != V_STRING) {
        const char *tn = type_name(arg.t);
        val_free(&arg);
        return fail_at(P, at, "expected a variable name string as the argument, found %s", tn);
    }
    const char *value = P->b->env ? bk_env_get(P->b->env, arg.s) : NULL;
    val_free(&arg);
    return str_val(v, value ? value : build_env ? NULL : "");
}

static int parse_operand(struct parser *P, struct val *v)
{
    if (++P->depth > 100)
        return fail_at(P, P->p, "expected at most 100 levels of nesting%s", NULL);
    skip_space(P);
    const char *at = P->p;
    int rc;
    if (*P->p == '!' && P->p[1] != '=' && P->p[1] != '~') {
        P->p++;
        struct val in = { 0 };
        rc = parse_operand(P, &in);
        if (rc == 0 && in.t != V_BOOL && in.t != V_NULL)
            rc = fail_at(P, at, "expected a boolean after !, found %s", type_name(in.t));
        if (rc == 0) {
            v->t = V_BOOL;
            v->b = !(in.t == V_BOOL && in.b);
        }
        val_free(&in);
    } else if (*P->p == '(') {
        P->p++;
        rc = parse_or(P, v);
        if (rc == 0 && !take(P, ")"))
            rc = fail_at(P, P->p, "expected )%s", NULL);
    } else if (*P->p == '\'' || *P->p == '"') {
        rc = parse_string(P, v);
    } else if (*P->p == '/') {
        rc = parse_regex(P, v);
    } else if (*P->p == '[') {
        rc = parse_array(P, v);
    } else if ((*P->p >= '0' && *P->p <= '9') || (*P->p == '-' && P->p[1] >= '0' && P->p[1] <= '9')) {
        char *end;
        v->t = V_INT;
        v->i = strtoll(P->p, &end, 10);
        P->p = end;
        rc = is_name_char(*P->p, false) ? fail_at(P, at, "expected an integer%s", NULL) : 0;
    } else {
        char *name = take_name(P);
        if (!name)
            rc = fail_at(P, at, *at ? "expected a value, a name, ( or !%s" : "expected a value at the end%s", NULL);
        else if (!strcmp(name, "true") || !strcmp(name, "false"))
            v->t = V_BOOL, v->b = name[0] == 't', rc = 0;
        else if (!strcmp(name, "null"))
            v->t = V_NULL, rc = 0;
        else if (take(P, "("))
            rc = parse_call(P, name, at, v);
        else
            rc = lookup(P, name, at, v);
        free(name);
    }
    P->depth--;
    return rc;
}

/* Equality: null equals only null; other values of different types cannot
 * be compared (an error unless `lenient`, then unequal). */
static int equal(struct parser *P, const char *at, const struct val *a, const struct val *b, bool lenient,
                 bool *out)
{
    if (a->t == V_NULL || b->t == V_NULL) {
        *out = a->t == b->t;
        return 0;
    }
    if (a->t != b->t || a->t == V_REGEX) {
        if (lenient) {
            *out = false;
            return 0;
        }
        char *what = xasprintf("%s with %s", type_name(a->t), type_name(b->t));
        int rc = fail_at(P, at, "cannot compare %s", what);
        free(what);
        return rc;
    }
    switch (a->t) {
    case V_BOOL: *out = a->b == b->b; return 0;
    case V_INT: *out = a->i == b->i; return 0;
    case V_STRING: *out = !strcmp(a->s, b->s); return 0;
    case V_ARRAY:
        *out = a->n == b->n;
        for (size_t i = 0; i < a->n && *out; i++)
            if (equal(P, at, &a->items[i], &b->items[i], true, out) < 0)
                return -1;
        return 0;
    default: *out = true; return 0;
    }
}

static int parse_compare(struct parser *P, struct val *v)
{
    if (parse_operand(P, v) < 0)
        return -1;
    skip_space(P);
    const char *at = P->p;
    static const char *const ops[] = { "==", "!=", "=~", "!~", "includes", NULL };
    int op = -1;
    for (int i = 0; ops[i] && op < 0; i++)
        if (take(P, ops[i]))
            op = i;
    if (op == 4 && is_name_char(*P->p, false)) /* "includesX" is a name */
        return fail_at(P, at, "unexpected text%s", NULL);
    if (op < 0)
        return 0;
    struct val r = { 0 };
    int rc = parse_operand(P, &r);
    bool res = false;
    if (rc == 0 && (op == 0 || op == 1)) {
        rc = equal(P, at, v, &r, false, &res);
        res = op == 0 ? res : !res;
    } else if (rc == 0 && (op == 2 || op == 3)) {
        if (r.t != V_REGEX)
            rc = fail_at(P, at, "expected a regular expression /.../ on the right of the match, found %s",
                         type_name(r.t));
        else if (v->t != V_STRING && v->t != V_NULL)
            rc = fail_at(P, at, "expected a string on the left of the match, found %s", type_name(v->t));
        else if (v->t == V_STRING) {
            pcre2_match_data *md = pcre2_match_data_create_from_pattern(r.re, NULL);
            int m = pcre2_match(r.re, (PCRE2_SPTR)v->s, strlen(v->s), 0, 0, md, NULL);
            pcre2_match_data_free(md);
            if (m < 0 && m != PCRE2_ERROR_NOMATCH)
                rc = fail_at(P, at, "the regular expression could not be matched%s", NULL);
            res = m >= 0;
        }
        if (op == 3)
            res = !res;
    } else if (rc == 0) {
        if (v->t != V_ARRAY)
            rc = fail_at(P, at, "expected an array on the left of includes, found %s", type_name(v->t));
        for (size_t i = 0; rc == 0 && i < v->n && !res; i++)
            rc = equal(P, at, &v->items[i], &r, true, &res);
    }
    val_free(&r);
    val_free(v);
    v->t = V_BOOL;
    v->b = res;
    skip_space(P);
    for (int i = 0; rc == 0 && ops[i]; i++)
        if (!strncmp(P->p, ops[i], strlen(ops[i])))
            rc = fail_at(P, P->p, "expected parentheses around a comparison of a comparison%s", NULL);
    return rc;
}

static int truth(struct parser *P, const char *at, const struct val *v, bool *out)
{
    if (v->t != V_BOOL && v->t != V_NULL)
        return fail_at(P, at, "expected a boolean operand, found %s", type_name(v->t));
    *out = v->t == V_BOOL && v->b;
    return 0;
}

static int parse_logic(struct parser *P, struct val *v, bool is_or)
{
    skip_space(P);
    const char *at = P->p;
    if ((is_or ? parse_logic(P, v, false) : parse_compare(P, v)) < 0)
        return -1;
    bool acc = false, first = true;
    while (take(P, is_or ? "||" : "&&")) {
        if (first && truth(P, at, v, &acc) < 0)
            return -1;
        first = false;
        struct val r = { 0 };
        skip_space(P);
        const char *rat = P->p;
        bool rb = false;
        int rc = is_or ? parse_logic(P, &r, false) : parse_compare(P, &r);
        if (rc == 0)
            rc = truth(P, rat, &r, &rb);
        val_free(&r);
        if (rc < 0)
            return -1;
        acc = is_or ? (acc || rb) : (acc && rb);
        val_free(v);
        v->t = V_BOOL;
        v->b = acc;
    }
    return 0;
}

static int parse_or(struct parser *P, struct val *out)
{
    return parse_logic(P, out, true);
}

int bk_cond_eval(const char *expr, const struct bk_build_info *b, bool *out, struct lk_error *err)
{
    struct parser P = { expr, expr, b, err, 0 };
    struct val v = { 0 };
    int rc = parse_or(&P, &v);
    if (rc == 0) {
        skip_space(&P);
        if (*P.p)
            rc = fail_at(&P, P.p, "unexpected text (an operator missing?)%s", NULL);
    }
    if (rc == 0 && v.t != V_BOOL && v.t != V_NULL)
        rc = fail_at(&P, expr, "expected the condition to be true or false, it is %s", type_name(v.t));
    if (rc == 0)
        *out = v.t == V_BOOL && v.b;
    val_free(&v);
    return rc;
}
