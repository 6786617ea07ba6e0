/* bkcondglob — `if_changed` (see bkcond.h): Buildkite's globs over the
 * files a build's commit changes. Braces are expanded first (depth-first,
 * each alternative matched on its own); then `**` matches any run of
 * characters, `*` and `?` stay within a path segment, `[…]` is a class,
 * `\\` escapes. */
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkcond.h"
#include "xalloc.h"

/* ---- if_changed globs ------------------------------------------------------ */

/* Match pattern[0..plen) against the whole of text (no braces left). */
static bool glob_here(const char *p, const char *pe, const char *t)
{
    while (p < pe) {
        if (p[0] == '*' && p + 1 < pe && p[1] == '*') {
            p += 2;
            for (const char *s = t;; s++) {
                if (glob_here(p, pe, s))
                    return true;
                if (!*s)
                    return false;
            }
        }
        if (*p == '*') {
            p++;
            for (const char *s = t;; s++) {
                if (glob_here(p, pe, s))
                    return true;
                if (!*s || *s == '/')
                    return false;
            }
        }
        if (!*t)
            return false;
        if (*p == '?') {
            if (*t == '/')
                return false;
        } else if (*p == '[') {
            const char *q = p + 1;
            bool neg = *q == '!' || *q == '^', hit = false;
            if (neg)
                q++;
            for (bool firstc = true; q < pe && (*q != ']' || firstc); q++, firstc = false) {
                if (q + 1 >= pe)
                    return false; /* (unclosed: glob_braces refuses it first) */
                if (q + 2 < pe && q[1] == '-' && q[2] != ']') {
                    hit |= (unsigned char)*t >= (unsigned char)q[0] && (unsigned char)*t <= (unsigned char)q[2];
                    q += 2;
                } else {
                    hit |= *q == *t;
                }
            }
            if (hit == neg || *t == '/')
                return false;
            p = q;
        } else {
            if (*p == '\\' && p + 1 < pe)
                p++;
            if (*p != *t)
                return false;
        }
        p++;
        t++;
    }
    return !*t;
}

/* Expand the first {…} group of `g` and match each alternative; depth-first. */
static int glob_braces(const char *g, const char *path, int depth, bool *out, struct lk_error *err)
{
    const char *open = NULL;
    for (const char *s = g; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            continue;
        }
        if (*s == '[') {
            const char *c = s[1] && s[2] ? strchr(s + 2, ']') : NULL;
            if (!c)
                return lk_bad_input(err, NULL, NULL, "glob \"%s\": expected ] to close the character class", g);
            s = c;
            continue;
        }
        if (*s == '{') {
            open = s;
            break;
        }
    }
    if (!open) {
        *out = glob_here(g, g + strlen(g), path);
        return 0;
    }
    if (depth > 20)
        return lk_bad_input(err, NULL, NULL, "glob \"%s\": expected at most 20 nested {…}", g);
    /* the matching close and the top-level commas */
    int level = 0;
    const char *close = NULL;
    for (const char *s = open; *s && !close; s++) {
        if (*s == '\\' && s[1])
            s++;
        else if (*s == '{')
            level++;
        else if (*s == '}' && --level == 0)
            close = s;
    }
    if (!close)
        return lk_bad_input(err, NULL, NULL, "glob \"%s\": expected } to close {", g);
    const char *alt = open + 1;
    level = 0;
    for (const char *s = open + 1; s <= close; s++) {
        if (*s == '\\' && s < close) {
            s++;
            continue;
        }
        if (*s == '{')
            level++;
        else if (*s == '}' && level > 0)
            level--;
        else if ((*s == ',' && level == 0) || s == close) {
            char *one = xasprintf("%.*s%.*s%s", (int)(open - g), g, (int)(s - alt), alt, close + 1);
            int rc = glob_braces(one, path, depth + 1, out, err);
            free(one);
            if (rc < 0 || *out)
                return rc;
            alt = s + 1;
        }
    }
    *out = false;
    return 0;
}

int bk_changed_glob(const char *glob, const char *path, bool *out, struct lk_error *err)
{
    *out = false;
    return glob_braces(glob, path, 0, out, err);
}

int bk_changed_match(const char *const *include, size_t n_include, const char *const *exclude,
                     size_t n_exclude, const struct bk_build_info *b, bool *out, struct lk_error *err)
{
    *out = false;
    for (size_t f = 0; f < b->n_changed_files && !*out; f++) {
        bool in = false, ex = false;
        for (size_t i = 0; i < n_include && !in; i++)
            if (bk_changed_glob(include[i], b->changed_files[f], &in, err) < 0)
                return -1;
        for (size_t i = 0; in && i < n_exclude && !ex; i++)
            if (bk_changed_glob(exclude[i], b->changed_files[f], &ex, err) < 0)
                return -1;
        *out = in && !ex;
    }
    return 0;
}
