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
    static const struct { const char *pattern, *text; bool want; } cases[] = {
        { "", "", true }, { "", "a", false }, { "*", "", true }, { "*", "anything/at/all", true },
        { "abc", "abc", true }, { "abc", "abcd", false }, { "abc", "ab", false },
        { "abc", "ABC", false }, /* case matters */
        { "a*c", "ac", true }, { "a*c", "abbbc", true }, { "a*c", "abbbd", false },
        { "*a*b*c*", "xxaxxbxxcxx", true }, { "*a*b*c*", "xxcxxbxxaxx", false }, { "**", "x", true },
        { "a**b", "ab", true },
        { "*ab", "aab", true }, /* needs backtracking */
        { "*aab", "aaab", true }, { "*aab", "aaba", false },
        { "refs/heads/*", "refs/heads/feature/x", true }, /* '*' crosses '/' */
        { "refs/heads/*", "refs/tags/v1", false },
        { "?", "?", true }, /* only '*' is special */
        { "?", "a", false }, { "[ab]", "a", false }, { "[ab]", "[ab]", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (glob(cases[i].pattern, cases[i].text) != cases[i].want)
            fail_msg("glob \"%s\" on \"%s\": want %s", cases[i].pattern, cases[i].text,
                     cases[i].want ? "a match" : "no match");
    /* pathological backtracking stays fast */
    char text[4001];
    memset(text, 'a', 4000);
    text[4000] = '\0';
    assert_false(glob("*a*a*a*a*a*a*a*a*b", text));
}

static void test_filters(void **state)
{
    (void)state;
#define CANON "refs/heads/canon"
    static const struct { const char *filter, *branch; bool want; } cases[] = {
        { NULL, CANON, true }, { "", CANON, true }, { "  \t\n ", CANON, true }, { "refs/heads/canon", CANON, true },
        { "canon", CANON, false }, /* whole-name match */
        { "*canon", CANON, true }, { "main refs/heads/canon", CANON, true },
        { "  main\trefs/heads/canon  ", CANON, true }, { "main develop", CANON, false },
        { "refs/heads/*", CANON, true }, { "refs/*/canon", CANON, true }, { "*/*/*", CANON, true },
        { "*/*/*/*", CANON, false },
        /* negations */
        { "!refs/heads/canon", CANON, false },
        { "!refs/heads/main", CANON, true }, /* only negations */
        { "!main !develop", CANON, true }, { "!main !refs/heads/*", CANON, false },
        { "refs/heads/* !*canon", CANON, false }, /* negation wins */
        { "!*canon refs/heads/*", CANON, false }, /* in any order */
        { "refs/heads/* !*main", CANON, true },
        { "main !develop", CANON, false }, /* positive required */
        { "!*", CANON, false },
        { "!", CANON, true }, /* "!" excludes only the empty name */
        { "!", "", false }, { "*", "", true }, { "a", "", false },
        { "feature/*-wip !feature/x-wip", "feature/y-wip", true },
        { "feature/*-wip !feature/x-wip", "feature/x-wip", false },
    };
#undef CANON
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (bk_branches_match(cases[i].filter, cases[i].branch) != cases[i].want)
            fail_msg("branches \"%s\" on \"%s\": want %s", cases[i].filter ? cases[i].filter : "(null)",
                     cases[i].branch, cases[i].want ? "a match" : "no match");
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_glob), cmocka_unit_test(test_filters) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
