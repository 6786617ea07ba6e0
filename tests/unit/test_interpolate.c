/* Unit tests: Buildkite upload interpolation (the semantics of the
 * buildkite/interpolate library's README and test cases). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/interpolate.h"

static struct bk_env env;

static void expect_ok(const char *in, const char *want)
{
    struct lk_error err = LK_ERROR_INIT;
    char *out = NULL;
    if (bk_interpolate(&env, in, &out, &err) != 0)
        fail_msg("%s: unexpected error: %s", in, err.msg);
    if (strcmp(out, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", in, out, want);
    free(out);
}

static void expect_err(const char *in, const char *want)
{
    struct lk_error err = LK_ERROR_INIT;
    char *out = (char *)1;
    if (bk_interpolate(&env, in, &out, &err) == 0)
        fail_msg("%s: expected an error, got \"%s\"", in, out);
    assert_null(out);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    if (strcmp(err.msg, want) != 0)
        fail_msg("%s: error \"%s\", want \"%s\"", in, err.msg, want);
    lk_error_clear(&err);
}

static int setup(void **state)
{
    (void)state;
    bk_env_set(&env, "TEST1", "A test");
    bk_env_set(&env, "TEST2", "Another");
    bk_env_set(&env, "TEST3", "Llamas");
    bk_env_set(&env, "TEST4", "Only one level of $TEST3 interpolation");
    bk_env_set(&env, "DAY", "Blarghday");
    bk_env_set(&env, "EMPTY_DAY", "");
    bk_env_set(&env, "BUILDKITE_COMMIT", "1adf998e39f647b4b25842f107c6ed9d30a3a7c7");
    bk_env_set(&env, "BUILDKITE_PARALLEL_JOB", "456");
    bk_env_set(&env, "HELLO_WORLD", "\xf0\x9f\xa6\x80");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    bk_env_release(&env);
    return 0;
}

static void test_basic(void **state)
{
    (void)state;
    expect_ok("", "");
    expect_ok("foo", "foo");
    expect_ok("TEST1", "TEST1");
    expect_ok("$TEST1", "A test");
    expect_ok("${TEST1}", "A test");
    expect_ok("$TEST1, $TEST2, $TEST3", "A test, Another, Llamas");
    expect_ok("$Test1, $Test2, $TeST3", ", , ");
    expect_ok("${TEST1}, ${Test2}, ${tEST3}", "A test, , ");
    expect_ok("my$TEST1", "myA test");
    expect_ok("$TEST4", "Only one level of $TEST3 interpolation");
    expect_ok("${TEST4}", "Only one level of $TEST3 interpolation");
    expect_ok("Buildkite... ${HELLO_WORLD} ${ANOTHER_VAR:-\xf0\x9f\x8f\x96}",
              "Buildkite... \xf0\x9f\xa6\x80 \xf0\x9f\x8f\x96");
}

static void test_nested(void **state)
{
    (void)state;
    expect_ok("${TEST5:-${TEST6:-$TEST1}}", "A test");
    expect_ok("${TEST5:-${TEST2:-$TEST1}}", "Another");
    expect_ok("${TEST5:-Some text ${TEST2:-$TEST1} with $TEST3}", "Some text Another with Llamas");
}

static void test_literals(void **state)
{
    (void)state;
    expect_ok("$(echo hello world)", "$(echo hello world)");
    expect_ok("testing $(echo hello world)", "testing $(echo hello world)");
    expect_ok("$(", "$(");
    expect_ok("This $ is not a variable", "This $ is not a variable");
    expect_ok("$", "$");
    expect_ok("a$", "a$");
    expect_ok("$1 $_X $-", "$1 $_X $-");    /* names start with a letter */
    expect_ok("${TEST1}}", "A test}");
    expect_ok("\\n \\x", "\\n \\x");          /* other backslashes stay */
    expect_ok("a\\", "a\\");
    expect_ok("\\\\$TEST1", "\\\\A test");    /* \\ is kept as a pair */
    expect_ok("\\\\\\$TEST1", "\\\\$TEST1");  /* \\ then \$ */
    expect_ok("\\$", "$");
    expect_ok("$$", "$");
    expect_ok("$$$TEST1", "$A test");
    expect_ok("$$$$", "$$");
    expect_ok("\xff" "abc", "\xef\xbf\xbd" "abc");  /* invalid UTF-8 -> U+FFFD, as Go */
}

static void test_missing_empty(void **state)
{
    (void)state;
    expect_ok("$UNSET_COMMIT", "");
    expect_ok("${UNSET_COMMIT}", "");
    expect_ok("${UNSET_COMMIT:0:7}", "");
    expect_ok("${UNSET_COMMIT:7}", "");
    expect_ok("${UNSET_COMMIT:7:14}", "");
}

static void test_substrings(void **state)
{
    (void)state;
    expect_ok("${BUILDKITE_COMMIT:0}", "1adf998e39f647b4b25842f107c6ed9d30a3a7c7");
    expect_ok("${BUILDKITE_COMMIT:7}", "e39f647b4b25842f107c6ed9d30a3a7c7");
    expect_ok("${BUILDKITE_COMMIT: -7}", "0a3a7c7");
    expect_ok("${BUILDKITE_COMMIT: -128}", "1adf998e39f647b4b25842f107c6ed9d30a3a7c7");
    expect_ok("${BUILDKITE_COMMIT:128}", "");
    expect_ok("${BUILDKITE_COMMIT:0:7}", "1adf998");
    expect_ok("${BUILDKITE_COMMIT:7:7}", "e39f647");
    expect_ok("${BUILDKITE_COMMIT:7:-7}", "e39f647b4b25842f107c6ed9d3");
    expect_ok("${BUILDKITE_COMMIT:0:0}", "");
    expect_ok("${BUILDKITE_COMMIT:7:0}", "");
    expect_ok("${BUILDKITE_COMMIT:0:128}", "1adf998e39f647b4b25842f107c6ed9d30a3a7c7");
    expect_ok("${BUILDKITE_COMMIT:7:128}", "e39f647b4b25842f107c6ed9d30a3a7c7");
    expect_ok("${BUILDKITE_COMMIT:0:-128}", "");
    expect_ok("${BUILDKITE_COMMIT:7:-128}", "");
    expect_ok("${BUILDKITE_COMMIT:+3: 2 }", "f9");
    expect_ok("${BUILDKITE_COMMIT:1:9223372036854775807}", "adf998e39f647b4b25842f107c6ed9d30a3a7c7");
    expect_err("${BUILDKITE_COMMIT:x}", "Unable to parse offset: strconv.Atoi: parsing \"x\": invalid syntax");
    expect_err("${BUILDKITE_COMMIT:1:}", "Unable to parse length: strconv.Atoi: parsing \"\": invalid syntax");
    expect_err("${BUILDKITE_COMMIT:99999999999999999999}",
               "Unable to parse offset: strconv.Atoi: parsing \"99999999999999999999\": value out of range");
    /* There is no ":?" form in the library: it is a substring with a bad offset. */
    expect_err("${TEST1:?oops}", "Unable to parse offset: strconv.Atoi: parsing \"?oops\": invalid syntax");
}

static void test_not_greedy(void **state)
{
    (void)state;
    bk_env_set(&env, "BUILDKITE_COMMIT", "cfeeee3fa7fa1a6311723f5cbff95b738ec6e683");
    expect_ok("echo \"ENV_1=test_$BUILDKITE_COMMIT_$BUILDKITE_PARALLEL_JOB\"", "echo \"ENV_1=test_456\"");
    expect_ok("echo \"ENV_1=test-$BUILDKITE_COMMIT-$BUILDKITE_PARALLEL_JOB\"",
              "echo \"ENV_1=test-cfeeee3fa7fa1a6311723f5cbff95b738ec6e683-456\"");
    expect_ok("echo \"ENV_1=test_${BUILDKITE_COMMIT}_${BUILDKITE_PARALLEL_JOB}\"",
              "echo \"ENV_1=test_cfeeee3fa7fa1a6311723f5cbff95b738ec6e683_456\"");
    bk_env_set(&env, "BUILDKITE_COMMIT", "1adf998e39f647b4b25842f107c6ed9d30a3a7c7");
}

static void test_defaults(void **state)
{
    (void)state;
    expect_ok("Today is ${TODAY-Tuesday}", "Today is Tuesday");
    expect_ok("Today is ${DAY-Wednesday}", "Today is Blarghday");
    expect_ok("Today is ${EMPTY_DAY-Wednesday}", "Today is ");
    expect_ok("Today is ${EMPTY_DAY:-Wednesday}", "Today is Wednesday");
    expect_ok("${EMPTY_DAY:--:{}}", "-:{}");
    expect_ok("${EMPTY:-${LLAMAS-test}}", "test");
    expect_ok("${EMPTY:-127}", "127");
    expect_ok("${DAY:-${UNSET?never evaluated}}", "Blarghday");
    expect_ok("${EMPTY_DAY?}", "");  /* set but empty: no error for "?" */
}

static void test_required(void **state)
{
    (void)state;
    expect_err("Hello ${REQUIRED_VAR?}", "$REQUIRED_VAR: not set");
    expect_err("Hello ${REQUIRED_VAR?y u no set me? :-{}", "$REQUIRED_VAR: y u no set me? :-{");
    expect_err("Hello ${REQUIRED_VAR?{}}", "$REQUIRED_VAR: {");
    expect_err("${R?$TEST1 is $TEST2}", "$R: A test is Another");
    expect_ok("${TEST1?unused}", "A test");
}

static void test_escapes(void **state)
{
    (void)state;
    expect_ok("Do this $$ESCAPE_PARTY", "Do this $ESCAPE_PARTY");
    expect_ok("Do this \\$ESCAPE_PARTY", "Do this $ESCAPE_PARTY");
    expect_ok("Do this $${SUCH_ESCAPE}", "Do this ${SUCH_ESCAPE}");
    expect_ok("Do this \\${SUCH_ESCAPE}", "Do this ${SUCH_ESCAPE}");
    expect_ok("Do this $${SUCH_ESCAPE:-$OTHERWISE}", "Do this ${SUCH_ESCAPE:-}");
    expect_ok("Do this \\${SUCH_ESCAPE:-$OTHERWISE}", "Do this ${SUCH_ESCAPE:-}");
    expect_ok("Do this $${SUCH_ESCAPE:-$$OTHERWISE}", "Do this ${SUCH_ESCAPE:-$OTHERWISE}");
    expect_ok("Do this \\${SUCH_ESCAPE:-\\$OTHERWISE}", "Do this ${SUCH_ESCAPE:-$OTHERWISE}");
    expect_ok("echo \"my favourite mountain is cotopaxi\" | grep 'xi$$'",
              "echo \"my favourite mountain is cotopaxi\" | grep 'xi$'");
    /* what lazykite writes: "$$command_script" reaches the shell as "$command_script" */
    expect_ok("command_script=\"$$(nix-build x)\"; exec \"$$command_script\"",
              "command_script=\"$(nix-build x)\"; exec \"$command_script\"");
    expect_ok("$${", "${");  /* an escaped, unterminated brace is just text */
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_err("${", "Expected identifier to start with a letter, got \xef\xbf\xbd");
    expect_err("${}", "Expected identifier to start with a letter, got }");
    expect_err("${1A}", "Expected identifier to start with a letter, got 1");
    expect_err("${A", "Expected an operator, got \xef\xbf\xbd");
    expect_err("${A B}", "Expected an operator, got  ");
    expect_err("${A:-x", "Expected brace expansion to end with }, got \xef\xbf\xbd");
    expect_err("${A/x/y}", "Expected an operator, got /");
    /* the whole text is parsed before expanding: syntax errors win */
    expect_err("${R?} ${", "Expected identifier to start with a letter, got \xef\xbf\xbd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_literals),     cmocka_unit_test(test_missing_empty),
        cmocka_unit_test(test_substrings),   cmocka_unit_test(test_not_greedy),
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_required),
        cmocka_unit_test(test_escapes),      cmocka_unit_test(test_syntax_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
