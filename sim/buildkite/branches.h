/* branches — Buildkite's step branch filters.
 *
 * Contract: a filter is a string of patterns separated by white space
 * (spaces, tabs, newlines). A pattern is matched against the whole branch
 * name exactly as BUILDKITE_BRANCH gives it (e.g. "refs/heads/canon"); "*"
 * matches any run of characters, "/" included; every other character is
 * literal and case matters. A pattern starting with "!" excludes. A branch
 * passes when it matches no excluding pattern and either matches an
 * including pattern or the filter has no including patterns. A filter with
 * no patterns at all (NULL, "" or blanks) lets every branch pass.
 * Pure functions; nothing is allocated. */
#ifndef LAZYKITE_BK_BRANCHES_H
#define LAZYKITE_BK_BRANCHES_H

#include <stdbool.h>
#include <stddef.h>

/* Does `text` match glob `pattern` ("*" only, n/len-delimited pattern)? */
bool bk_glob_match(const char *pattern, size_t pattern_len, const char *text);
bool bk_branches_match(const char *filter, const char *branch);

#endif
