/* artifacts — see artifacts.h. */
#include "buildkite/artifacts.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "fileio.h"
#include "xalloc.h"

struct bk_artifacts {
    char *dir;
    struct bk_artifact *items;
    size_t n, alloc;
    size_t seq; /* the next file's number */
};

struct bk_artifacts *bk_artifacts_new(const char *dir)
{
    struct bk_artifacts *a = xcalloc(1, sizeof(*a));
    a->dir = xstrdup(dir);
    return a;
}

static void item_free(struct bk_artifact *it)
{
    free(it->build_id);
    free(it->job_id);
    free(it->step_key);
    free(it->label);
    free(it->path);
    free(it->file);
}

void bk_artifacts_free(struct bk_artifacts *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        item_free(&a->items[i]);
    free(a->items);
    free(a->dir);
    free(a);
}

static bool path_ok(const char *path)
{
    if (!*path || *path == '/')
        return false;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += n;
        if (*p == '/')
            p++;
        if (!*p && p[-1] == '/')
            return false;
    }
    return true;
}

int bk_artifacts_add(struct bk_artifacts *a, const char *build_id, const char *job_id,
                     const char *step_key, const char *label, const char *path, const char *data,
                     size_t len, struct lk_error *err)
{
    if (!path_ok(path))
        return lk_fail(err, LK_EXIT_INPUT, path, NULL,
                       "an artifact path must be relative, with no empty, '.' or '..' part");
    size_t number = a->seq;
    char *file = xasprintf("%s/%zu", a->dir, number);
    if (file_write_atomic(file, data, len, err) < 0) {
        free(file);
        return -1;
    }
    a->seq++;
    for (size_t i = 0; i < a->n; i++) {
        struct bk_artifact *it = &a->items[i];
        if (!strcmp(it->build_id, build_id) && !strcmp(it->job_id, job_id) && !strcmp(it->path, path)) {
            item_free(it);
            memmove(it, it + 1, (a->n - i - 1) * sizeof(*it));
            a->n--;
            break;
        }
    }
    XGROW(a->items, a->alloc, a->n + 1);
    struct bk_artifact *it = &a->items[a->n++];
    *it = (struct bk_artifact){ xstrdup(build_id), xstrdup(job_id), xstrdup_or_null(step_key),
                                xstrdup_or_null(label), xstrdup(path), file, len, number, "" };
    sha1_hex(data, len, it->sha1);
    return 0;
}

static bool step_matches(const struct bk_artifact *it, const char *step)
{
    return !strcmp(it->job_id, step) || (it->step_key && !strcmp(it->step_key, step)) ||
           (it->label && !strcmp(it->label, step));
}

const struct bk_artifact **bk_artifacts_find(const struct bk_artifacts *a, const char *build_id,
                                             const char *step, const char *query, size_t *n)
{
    const struct bk_artifact **out = xcalloc(a->n + 1, sizeof(*out));
    size_t k = 0;
    for (size_t i = a->n; i-- > 0;) { /* latest first, so a path is taken once */
        const struct bk_artifact *it = &a->items[i];
        if (strcmp(it->build_id, build_id) || (step && !step_matches(it, step)) ||
            fnmatch(query, it->path, 0) != 0)
            continue;
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(out[j]->path, it->path);
        if (!seen)
            out[k++] = it;
    }
    for (size_t i = 0; i < k / 2; i++) { /* back to upload order */
        const struct bk_artifact *t = out[i];
        out[i] = out[k - 1 - i];
        out[k - 1 - i] = t;
    }
    *n = k;
    return out;
}

const struct bk_artifact *bk_artifacts_by_number(const struct bk_artifacts *a, size_t number)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->items[i].number == number)
            return &a->items[i];
    return NULL;
}

const struct bk_artifact *bk_artifacts_all(const struct bk_artifacts *a, size_t *n)
{
    *n = a->n;
    return a->items;
}
