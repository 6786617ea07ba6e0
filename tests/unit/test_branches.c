/* Unit tests: Buildkite branch filters and the "*" glob. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "buildkite/branches.h"

static bool glob(const char *p, const char *t) { return bk_glob_match(p, strlen(p), t); }

static void test_glob(void **state)
{
    (void)state;
    assert_true(glob("", ""));
    assert_false(glob("", "a"));
    assert_true(glob("*", ""));
    assert_true(glob("*", "anything/at/all"));
    assert_true(glob("abc", "abc"));
    assert_false(glob("abc", "abcd"));
    assert_false(glob("abc", "ab"));
    assert_false(glob("abc", "ABC"));             /* case matters */
    assert_true(glob("a*c", "ac"));
    assert_true(glob("a*c", "abbbc"));
    assert_false(glob("a*c", "abbbd"));
    assert_true(glob("*a*b*c*", "xxaxxbxxcxx"));
    assert_false(glob("*a*b*c*", "xxcxxbxxaxx"));
    assert_true(glob("**", "x"));
    assert_true(glob("a**b", "ab"));
    assert_true(glob("*ab", "aab"));              /* needs backtracking */
    assert_true(glob("*aab", "aaab"));
    assert_false(glob("*aab", "aaba"));
    assert_true(glob("refs/heads/*", "refs/heads/feature/x"));   /* '*' crosses '/' */
    assert_false(glob("refs/heads/*", "refs/tags/v1"));
    assert_true(glob("?", "?"));                  /* only '*' is special */
    assert_false(glob("?", "a"));
    assert_false(glob("[ab]", "a"));
    assert_true(glob("[ab]", "[ab]"));
    /* pathological backtracking stays fast */
    char text[4001];
    memset(text, 'a', 4000);
    text[4000] = '\0';
    assert_false(glob("*a*a*a*a*a*a*a*a*b", text));
}

static void test_filters(void **state)
{
    (void)state;
    const char *canon = "refs/heads/canon";
    assert_true(bk_branches_match(NULL, canon));
    assert_true(bk_branches_match("", canon));
    assert_true(bk_branches_match("  \t\n ", canon));
    assert_true(bk_branches_match("refs/heads/canon", canon));
    assert_false(bk_branches_match("canon", canon));          /* whole-name match */
    assert_true(bk_branches_match("*canon", canon));
    assert_true(bk_branches_match("main refs/heads/canon", canon));
    assert_true(bk_branches_match("  main\trefs/heads/canon  ", canon));
    assert_false(bk_branches_match("main develop", canon));
    assert_true(bk_branches_match("refs/heads/*", canon));
    assert_true(bk_branches_match("refs/*/canon", canon));
    assert_true(bk_branches_match("*/*/*", canon));
    assert_false(bk_branches_match("*/*/*/*", canon));
    /* negations */
    assert_false(bk_branches_match("!refs/heads/canon", canon));
    assert_true(bk_branches_match("!refs/heads/main", canon));     /* only negations */
    assert_true(bk_branches_match("!main !develop", canon));
    assert_false(bk_branches_match("!main !refs/heads/*", canon));
    assert_false(bk_branches_match("refs/heads/* !*canon", canon)); /* negation wins */
    assert_false(bk_branches_match("!*canon refs/heads/*", canon)); /* in any order */
    assert_true(bk_branches_match("refs/heads/* !*main", canon));
    assert_false(bk_branches_match("main !develop", canon));        /* positive required */
    assert_false(bk_branches_match("!*", canon));
    assert_true(bk_branches_match("!", canon));   /* "!" excludes only the empty name */
    assert_false(bk_branches_match("!", ""));
    assert_true(bk_branches_match("*", ""));
    assert_false(bk_branches_match("a", ""));
    assert_true(bk_branches_match("feature/*-wip !feature/x-wip", "feature/y-wip"));
    assert_false(bk_branches_match("feature/*-wip !feature/x-wip", "feature/x-wip"));
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_glob), cmocka_unit_test(test_filters) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
