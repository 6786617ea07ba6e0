/* branches — see branches.h. Glob matching is the classic iterative
 * algorithm (remember the last "*", retry one character further on a
 * mismatch): O(pattern x text) in the worst case, no recursion. */
#include "buildkite/branches.h"

#include <string.h>

bool bk_glob_match(const char *pattern, size_t plen, const char *text)
{
    size_t p = 0, t = 0, tlen = strlen(text);
    size_t star = (size_t)-1, star_t = 0;
    while (t < tlen) {
        if (p < plen && pattern[p] == '*') {
            star = p++;
            star_t = t;
        } else if (p < plen && pattern[p] == text[t]) {
            p++;
            t++;
        } else if (star != (size_t)-1) {
            p = star + 1;
            t = ++star_t;
        } else {
            return false;
        }
    }
    while (p < plen && pattern[p] == '*')
        p++;
    return p == plen;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool bk_branches_match(const char *filter, const char *branch)
{
    if (!filter)
        return true;
    bool any_positive = false, positive_match = false;
    const char *s = filter;
    for (;;) {
        while (*s && is_blank(*s))
            s++;
        if (!*s)
            break;
        const char *start = s;
        while (*s && !is_blank(*s))
            s++;
        size_t len = (size_t)(s - start);
        if (start[0] == '!') {
            if (bk_glob_match(start + 1, len - 1, branch))
                return false;
        } else {
            any_positive = true;
            if (!positive_match && bk_glob_match(start, len, branch))
                positive_match = true;
        }
    }
    return !any_positive || positive_match;
}
