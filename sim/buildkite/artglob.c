/* artglob — see artglob.h. */
#include "buildkite/artglob.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "strbuf.h"
#include "xalloc.h"

/* One glob against one relative path. */
static bool bk_artifact_glob_match(const char *pat, const char *path)
{
    if (!strncmp(pat, "**", 2) && (pat[2] == '/' || !pat[2])) {
        const char *rest = pat[2] ? pat + 3 : pat + 2;
        for (const char *p = path;; p++) {
            if ((p == path || p[-1] == '/') && (*rest ? bk_artifact_glob_match(rest, p) : true))
                return true;
            if (!*p)
                return false;
        }
    }
    size_t pl = strcspn(pat, "/"), sl = strcspn(path, "/");
    char *ps = xstrndup(pat, pl), *ss = xstrndup(path, sl);
    bool ok = fnmatch(ps, ss, FNM_PERIOD) == 0;
    free(ps);
    free(ss);
    if (!ok)
        return false;
    if (!pat[pl] || !path[sl])
        return !pat[pl] && !path[sl];
    return bk_artifact_glob_match(pat + pl + 1, path + sl + 1);
}

/* Every regular file under dir/rel ("" for dir itself), as paths relative to dir. */
static void walk(const char *dir, const char *rel, char ***out, size_t *n, size_t *alloc, int depth)
{
    if (depth > 32) /* links to directories are followed (an out-link into the store), not forever */
        return;
    char *full = *rel ? xasprintf("%s/%s", dir, rel) : xstrdup(dir);
    DIR *d = opendir(full);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char *p = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        char *fp = xasprintf("%s/%s", full, de->d_name);
        struct stat sb;
        if (stat(fp, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            walk(dir, p, out, n, alloc, depth + 1);
            free(p);
        } else if (S_ISREG(sb.st_mode)) {
            XGROW(*out, *alloc, *n + 1);
            (*out)[(*n)++] = p;
        } else {
            free(p);
        }
        free(fp);
    }
    if (d)
        closedir(d);
    free(full);
}

int bk_artifact_glob(const char *dir, const char *patterns, char ***paths, size_t *n, struct lk_error *err)
{
    char **all = NULL, **hits = NULL;
    size_t nall = 0, aall = 0, nhits = 0, ahits = 0;
    bool walked = false;
    int rc = 0;
    char *pats = xstrdup(patterns);
    for (char *save = NULL, *pat = strtok_r(pats, ";", &save); pat && rc == 0; pat = strtok_r(NULL, ";", &save)) {
        if (pat[0] == '/') {
            rc = lk_bad_input(err, NULL, NULL, "artifact upload of an absolute path (%s) is not simulated", pat);
            break;
        }
        if (!walked) {
            walk(dir, "", &all, &nall, &aall, 0);
            qsort(all, nall, sizeof(*all), strv_cmp);
            walked = true;
        }
        for (size_t i = 0; i < nall; i++) {
            if (!all[i] || !bk_artifact_glob_match(pat, all[i]))
                continue;
            XGROW(hits, ahits, nhits + 1);
            hits[nhits++] = all[i];
            all[i] = NULL; /* taken: each path once */
        }
    }
    free(pats);
    strv_free(all, nall);
    if (rc < 0) {
        strv_free(hits, nhits);
        return -1;
    }
    *paths = hits;
    *n = nhits;
    return 0;
}
