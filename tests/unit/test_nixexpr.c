/* Unit tests: the nix-build -E expression subset (sim/nix/nixexpr). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buildcmd.h"
#include "nix/nixexpr.h"
#include "strbuf.h"
#include "xalloc.h"

static struct nixexpr *parse_ok(const char *text)
{
    struct nixexpr *e = NULL;
    struct lk_error err = LK_ERROR_INIT;
    int rc = nixexpr_parse(text, strlen(text), &e, &err);
    if (rc != 0)
        fail_msg("parse of <%s> failed: %s", text, err.msg);
    return e;
}

static void expect_error(const char *text, const char *place, const char *msg_part)
{
    struct nixexpr *e = NULL;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(nixexpr_parse(text, strlen(text), &e, &err), -1);
    assert_null(e);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.file, "(string)");
    assert_string_equal(err.place, place);
    if (!strstr(err.msg, msg_part))
        fail_msg("message <%s> lacks <%s>", err.msg, msg_part);
    lk_error_clear(&err);
}

static void test_depot_and_getattr(void **state)
{
    (void)state;
    struct nixexpr *e = parse_ok("import ./. {}");
    assert_int_equal(e->kind, NIXEXPR_DEPOT);
    const char **attrs;
    size_t n;
    assert_int_equal(nixexpr_attr_path(e, &attrs, &n), 1);
    assert_int_equal(n, 0);
    nixexpr_free(e);

    e = parse_ok("builtins.getAttr \"site\" (builtins.getAttr \"web\" (import ./. {}))");
    assert_int_equal(nixexpr_attr_path(e, &attrs, &n), 1);
    assert_int_equal(n, 2);
    assert_string_equal(attrs[0], "web");
    assert_string_equal(attrs[1], "site");
    free(attrs);
    nixexpr_free(e);

    /* whitespace, comments, extra parentheses */
    e = parse_ok("  ( builtins.getAttr\n\"a\"\t( ( import  ./.  { } ) ) ) # trailing\n");
    assert_int_equal(nixexpr_attr_path(e, &attrs, &n), 1);
    assert_int_equal(n, 1);
    assert_string_equal(attrs[0], "a");
    free(attrs);
    nixexpr_free(e);
}

static void test_escapes(void **state)
{
    (void)state;
    struct {
        const char *lit, *value;
    } cases[] = {
        { "\"a\\\"b\"", "a\"b" },       { "\"a\\\\b\"", "a\\b" },
        { "\"a\\nb\"", "a\nb" },        { "\"a\\tb\\r\"", "a\tb\r" },
        { "\"$\\{x}\"", "${x}" },       { "\"\\${x}\"", "${x}" },
        { "\"$${x}\"", "$${x}" },       { "\"a$\"", "a$" },
        { "\"\\q\"", "q" },             { "\"odd'name\"", "odd'name" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = xasprintf("builtins.getAttr %s (import ./. {})", cases[i].lit);
        struct nixexpr *e = parse_ok(text);
        assert_int_equal(e->kind, NIXEXPR_GETATTR);
        assert_string_equal(e->name, cases[i].value);
        nixexpr_free(e);
        free(text);
    }
}

/* Whatever core/buildcmd writes for an attribute name parses back to it. */
static void test_roundtrip_buildcmd(void **state)
{
    (void)state;
    char *names[] = { "plain", "with\"quote", "back\\slash", "dollar${brace}", "nl\nx",
                      "$", "\\$", "a$\\{b", "'single'" };
    size_t n = sizeof names / sizeof *names;
    struct strbuf sb = STRBUF_INIT;
    buildcmd_attr_expr(&sb, NULL, names, n);
    struct nixexpr *e = parse_ok(sb_str(&sb));
    const char **attrs;
    size_t got;
    assert_int_equal(nixexpr_attr_path(e, &attrs, &got), 1);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(attrs[i], names[i]);
    free(attrs);
    nixexpr_free(e);
    sb_release(&sb);

    char *target[] = { "web", "site" };
    buildcmd_override_expr(&sb, target, 2, "deploy");
    e = parse_ok(sb_str(&sb));
    assert_int_equal(e->kind, NIXEXPR_APPLY);
    assert_int_equal(nixexpr_attr_path(e, &attrs, &got), 0);
    assert_int_equal(nixexpr_attr_path(e->fn, &attrs, &got), 1);
    assert_int_equal(got, 7);
    assert_string_equal(attrs[5], "deploy");
    assert_string_equal(attrs[6], "parentOverride");
    free(attrs);
    assert_int_equal(nixexpr_attr_path(e->arg, &attrs, &got), 1);
    assert_int_equal(got, 2);
    free(attrs);
    nixexpr_free(e);
    sb_release(&sb);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("", "1:1", "unexpected end");
    expect_error("import ./x.nix {}", "1:8", "./.");
    expect_error("import ./. { x = 1; }", "1:14", "{}");
    expect_error("builtins.getAttr a (import ./. {})", "1:18", "string literal");
    expect_error("builtins.getAttr \"a${b}\" (import ./. {})", "1:20", "interpolation");
    expect_error("builtins.getAttr \"abc", "1:18", "unterminated");
    expect_error("(import ./. {}", "1:15", "expected ')'");
    expect_error("import ./. {}\n ; x", "2:2", "unexpected text after");
    expect_error("let x = 1; in x", "1:1", "unsupported");
    expect_error("builtins.getAttrs \"a\" (import ./. {})", "1:1", "unsupported");
    /* deep nesting is an error, not a stack overflow */
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 100000; i++)
        sb_addc(&sb, '(');
    struct nixexpr *e = NULL;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(nixexpr_parse(sb.buf, sb.len, &e, &err), -1);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    lk_error_clear(&err);
    sb_release(&sb);
    /* long application chains are fine (freed without recursion) */
    for (int i = 0; i < 50000; i++)
        sb_adds(&sb, "(import ./. {}) ");
    e = parse_ok(sb_str(&sb));
    assert_int_equal(e->kind, NIXEXPR_APPLY);
    nixexpr_free(e);
    sb_release(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depot_and_getattr),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_roundtrip_buildcmd),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
