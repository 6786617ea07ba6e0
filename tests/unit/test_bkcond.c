/* Unit tests: Buildkite's conditional expressions (bkcond.h) — every
 * operator, literal, name and function, the null and type rules, errors
 * (never a guess) — and the if_changed globs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkcond.h"

static const char *const LABELS[] = { "ci:full", "docs" };
static struct bk_env build_env = BK_ENV_INIT;

/* A pull-request build of branch "feature/x" with a tag; or, with !pr, a
 * plain build of "main" without tag. */
static struct bk_build_info info(bool pr)
{
    struct bk_build_info b;
    memset(&b, 0, sizeof b);
    b.id = "00000000-0000-4000-8000-000000000001";
    b.branch = pr ? "feature/x" : "main";
    b.tag = pr ? "v1.2.3" : NULL;
    b.message = "Fix the [skip tests] thing";
    b.commit = "0123456789abcdef";
    b.source = "webhook";
    b.number = 42;
    b.pipeline_slug = "depot";
    b.default_branch = "main";
    b.pr_draft = -1;
    if (pr) {
        b.pr_id = "123";
        b.pr_base_branch = "main";
        b.pr_repository = "https://example.com/fork.git";
        b.pr_draft = 1;
        b.pr_labels = LABELS;
        b.n_pr_labels = 2;
    }
    b.env = &build_env;
    return b;
}

static void is(bool pr, const char *expr, bool want)
{
    struct bk_build_info b = info(pr);
    struct lk_error err = LK_ERROR_INIT;
    bool got = !want;
    if (bk_cond_eval(expr, &b, &got, &err) < 0)
        fail_msg("%s: unexpected error: %s", expr, err.msg);
    if (got != want)
        fail_msg("%s: %s, expected %s", expr, got ? "true" : "false", want ? "true" : "false");
}

static void bad(const char *expr, const char *want)
{
    struct bk_build_info b = info(true);
    struct lk_error err = LK_ERROR_INIT;
    bool got;
    if (bk_cond_eval(expr, &b, &got, &err) == 0)
        fail_msg("%s: expected an error (%s), got %s", expr, want, got ? "true" : "false");
    assert_int_equal(err.status, LK_EXIT_INPUT);
    if (!strstr(err.msg, want))
        fail_msg("%s: error \"%s\" lacks \"%s\"", expr, err.msg, want);
    lk_error_clear(&err);
}

static void test_literals_and_comparisons(void **state)
{
    (void)state;
    is(false, "true", true);
    is(false, "false", false);
    is(false, "null", false); /* null as a result is false */
    is(false, "1 == 1", true);
    is(false, "1 != 2", true);
    is(false, "-3 == -3", true);
    is(false, "'a' == \"a\"", true);
    is(false, "'it\\'s' == \"it's\"", true);
    is(false, "\"a\\\"b\" != 'a\"c'", true);
    is(false, "true == true", true);
    is(false, "true != false", true);
    is(false, "null == null", true);
    is(false, "'x' == null", false);
    is(false, "null != 1", true);
    is(false, "[1, 'a'] == [1, 'a']", true);
    is(false, "[] != [1]", true);
}

static void test_logic(void **state)
{
    (void)state;
    is(false, "true && true", true);
    is(false, "true && false", false);
    is(false, "false || true", true);
    is(false, "false || false || false", false);
    is(false, "true || false && false", true); /* && binds tighter */
    is(false, "(true || false) && false", false);
    is(false, "!false", true);
    is(false, "!!true", true);
    is(false, "!(1 == 2)", true);
    is(false, "!null", true);
    is(false, "null || true", true);
    is(false, "null && true", false);
    is(false, "!build.pull_request.draft", true);  /* not a pull request: null */
    is(true, "!build.pull_request.draft", false);
    is(false, "true // a comment\n && true", true);
    is(false, "// only a comment first\ntrue", true);
}

static void test_names(void **state)
{
    (void)state;
    is(false, "build.branch == 'main'", true);
    is(false, "build.branch == pipeline.default_branch", true);
    is(true, "build.branch == pipeline.default_branch", false);
    is(false, "build.tag == null", true);
    is(true, "build.tag =~ /^v1\\./", true);
    is(true, "build.tag != null", true);
    is(false, "build.message =~ /\\[skip tests\\]/", true);
    is(false, "build.message !~ /skip tests/", false);
    is(false, "build.message =~ /FIX THE/i", true);
    is(false, "build.message =~ /FIX THE/", false);
    is(false, "build.commit =~ /^[0-9a-f]+$/", true);
    is(false, "build.id == '00000000-0000-4000-8000-000000000001'", true);
    is(false, "build.number == 42", true);
    is(false, "build.source == 'webhook'", true);
    is(false, "pipeline.slug == 'depot'", true);
    is(true, "build.pull_request.id == '123'", true);
    is(false, "build.pull_request.id == null", true);
    is(true, "build.pull_request.base_branch == 'main'", true);
    is(true, "build.pull_request.repository =~ /fork/", true);
    is(true, "build.pull_request.draft", true);
    is(true, "build.pull_request.labels includes 'docs'", true);
    is(true, "build.pull_request.labels includes 'nope'", false);
    is(false, "build.pull_request.labels includes 'docs'", false);
    is(false, "['main', 'staging'] includes build.branch", true);
    is(false, "[1, 2] includes 2", true);
    is(false, "[1, 2] includes 'x'", false);  /* elements of another type: not equal */
    is(false, "build.tag =~ /x/", false);     /* null matches nothing */
    is(false, "build.tag !~ /x/", true);
    is(false, "build.message =~ /a\\/b/ || true", true); /* an escaped slash */
}

static void test_functions(void **state)
{
    (void)state;
    bk_env_set(&build_env, "DEPLOY", "yes");
    bk_env_set(&build_env, "EMPTY", "");
    is(false, "build.env('DEPLOY') == 'yes'", true);
    is(false, "build.env(\"EMPTY\") == ''", true);
    is(false, "build.env('UNSET') == null", true);
    is(false, "env('UNSET') == ''", true);
    is(false, "env('DEPLOY') == 'yes' && build.branch == 'main'", true);
    bk_env_release(&build_env);
}

/* What cannot be evaluated is an error naming what and where, never a guess. */
static void test_errors(void **state)
{
    (void)state;
    bad("build.creator.email == 'x'", "build.creator.email is not simulated");
    bad("build.state == 'failed'", "build.state is not simulated");
    bad("build.nonsense == 1", "column 1: unknown name build.nonsense");
    bad("meta_data('x') == 1", "unknown function meta_data");
    bad("build.branch == 1", "cannot compare a string with an integer");
    bad("true == 'true'", "cannot compare a boolean with a string");
    bad("build.branch =~ 'main'", "expected a regular expression /.../ on the right");
    bad("1 =~ /1/", "expected a string on the left");
    bad("'a' includes 'a'", "expected an array on the left of includes");
    bad("'a' && true", "expected a boolean operand, found a string");
    bad("true || 1", "expected a boolean operand, found an integer");
    bad("!'a'", "expected a boolean after !");
    bad("build.branch", "expected the condition to be true or false, it is a string");
    bad("/x/", "it is a regular expression");
    bad("build.message =~ /x/g", "unknown regular expression flag 'g'");
    bad("build.message =~ /(/", "invalid regular expression");
    bad("build.message =~ /x", "expected the closing / of this regular expression");
    bad("'abc", "expected the closing quote");
    bad("(true", "expected )");
    bad("true true", "column 6: unexpected text");
    bad("1 == 1 == 1", "expected parentheses around a comparison");
    bad("", "expected a value at the end");
    bad("true &&", "expected a value at the end");
    bad("build.env(1)", "expected a variable name string as the argument");
    bad("[1, 2", "expected , or ] in the array");
    bad("cond ? a : b", "unknown name cond");
    bad("12abc == 1", "expected an integer");
}

static void glob(const char *g, const char *path, bool want)
{
    struct lk_error err = LK_ERROR_INIT;
    bool got = !want;
    if (bk_changed_glob(g, path, &got, &err) < 0)
        fail_msg("%s: unexpected error %s", g, err.msg);
    if (got != want)
        fail_msg("glob %s on %s: %s", g, path, got ? "matched" : "did not match");
}

static void test_globs(void **state)
{
    (void)state;
    glob("*.txt", "a.txt", true);
    glob("*.txt", "d/a.txt", false); /* * stays in its segment */
    glob("foo/**", "foo/a/b.c", true);
    glob("foo/**", "foo", false);
    glob("foo/**", "food/a", false);
    glob("**", "anything/at/all", true);
    glob("**.go", "cmd/x/main.go", true);
    glob("**.go", "main.go", true);
    glob("internal/**.py", "internal/a/b.py", true);
    glob("internal/**.py", "internal/a/b.pyc", false);
    glob("{**.go,go.{mod,sum}}", "go.sum", true);
    glob("{**.go,go.{mod,sum}}", "go.work", false);
    glob("{**.go,go.{mod,sum}}", "a/b.go", true);
    glob("a?c", "abc", true);
    glob("a?c", "a/c", false);
    glob("[ab]x", "bx", true);
    glob("[!ab]x", "bx", false);
    glob("[a-c]x", "cx", true);
    glob("a\\*", "a*", true);
    glob("a\\*", "ab", false);
    struct lk_error err = LK_ERROR_INIT;
    bool got;
    assert_int_equal(bk_changed_glob("{a,b", "a", &got, &err), -1);
    assert_non_null(strstr(err.msg, "expected } to close {"));
    lk_error_clear(&err);
    assert_int_equal(bk_changed_glob("[ab", "a", &got, &err), -1);
    assert_non_null(strstr(err.msg, "expected ]"));
    lk_error_clear(&err);
}

static void test_changed(void **state)
{
    (void)state;
    static const char *const files[] = { "api/handler.go", "api/docs/readme.md", "spec/integration/x_spec.rb" };
    struct bk_build_info b = info(false);
    b.has_changed_files = true;
    b.changed_files = files;
    b.n_changed_files = 3;
    struct lk_error err = LK_ERROR_INIT;
    bool ok;
    const char *inc1[] = { "api/**" }, *exc1[] = { "api/docs/**" };
    assert_int_equal(bk_changed_match(inc1, 1, exc1, 1, &b, &ok, &err), 0);
    assert_true(ok); /* api/handler.go */
    const char *inc2[] = { "api/docs/**" }, *exc2[] = { "**.md" };
    assert_int_equal(bk_changed_match(inc2, 1, exc2, 1, &b, &ok, &err), 0);
    assert_false(ok);
    const char *inc3[] = { "spec/**" }, *exc3[] = { "spec/integration/**" };
    assert_int_equal(bk_changed_match(inc3, 1, exc3, 1, &b, &ok, &err), 0);
    assert_false(ok);
    const char *inc4[] = { "web/**", "**.rb" };
    assert_int_equal(bk_changed_match(inc4, 2, NULL, 0, &b, &ok, &err), 0);
    assert_true(ok);
    b.n_changed_files = 0; /* a commit that changes nothing: nothing matches */
    assert_int_equal(bk_changed_match(inc4, 2, NULL, 0, &b, &ok, &err), 0);
    assert_false(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals_and_comparisons), cmocka_unit_test(test_logic),
        cmocka_unit_test(test_names),    cmocka_unit_test(test_functions),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_globs),
        cmocka_unit_test(test_changed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
