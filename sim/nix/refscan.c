/* refscan — see refscan.h. */
#include "nix/refscan.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "nix/store.h"
#include "xalloc.h"

struct refscan {
    char (*hashes)[32]; /* sorted hash parts of the candidates */
    const char **paths; /* the candidate paths, in the same order */
    int *found;
    size_t n;
};

static int is_b32(unsigned char c)
{
    return (c >= '0' && c <= '9') ||
           (c >= 'a' && c <= 'z' && c != 'e' && c != 'o' && c != 'u' && c != 't');
}

static void scan_bytes(struct refscan *rs, const unsigned char *p, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_b32(p[i])) {
            run = 0;
            continue;
        }
        if (++run < 32)
            continue;
        const unsigned char *w = p + i - 31;
        size_t lo = 0, hi = rs->n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = memcmp(rs->hashes[mid], w, 32);
            if (c == 0) {
                rs->found[mid] = 1;
                break;
            }
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
}

static int scan_tree(struct refscan *rs, const char *path, struct lk_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, path, "getting status");
    if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t n = readlink(path, buf, sizeof buf);
        if (n > 0)
            scan_bytes(rs, (unsigned char *)buf, (size_t)n);
    } else if (S_ISREG(st.st_mode)) {
        char *data;
        size_t len;
        if (file_read(path, &data, &len, err) != 0)
            return -1;
        scan_bytes(rs, (unsigned char *)data, len);
        free(data);
    } else if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot read directory");
        struct dirent *e;
        int rc = 0;
        while (rc == 0 && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            scan_bytes(rs, (unsigned char *)e->d_name, strlen(e->d_name));
            char *c = xasprintf("%s/%s", path, e->d_name);
            rc = scan_tree(rs, c, err);
            free(c);
        }
        closedir(d);
        return rc;
    }
    return 0;
}

static int cmp_hash_idx(const void *a, const void *b, void *ctx)
{
    const char *const *paths = ctx;
    return memcmp(paths[*(const size_t *)a] + STORE_PREFIX_LEN,
                  paths[*(const size_t *)b] + STORE_PREFIX_LEN, 32);
}


struct refscan *refscan_new(const char *const *cands, size_t n)
{
    size_t *idx = xcalloc(n ? n : 1, sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_hash_idx, (void *)cands);
    struct refscan *rs = xcalloc(1, sizeof *rs);
    rs->hashes = xcalloc(n ? n : 1, 32);
    rs->paths = xcalloc(n ? n : 1, sizeof(char *));
    rs->found = xcalloc(n ? n : 1, sizeof(int));
    rs->n = n;
    for (size_t i = 0; i < n; i++) {
        memcpy(rs->hashes[i], cands[idx[i]] + STORE_PREFIX_LEN, 32);
        rs->paths[i] = cands[idx[i]];
    }
    free(idx);
    return rs;
}

int refscan_tree(struct refscan *rs, const char *host_path, char ***found, size_t *n_found,
                 struct lk_error *err)
{
    memset(rs->found, 0, (rs->n ? rs->n : 1) * sizeof(int));
    int rc = scan_tree(rs, host_path, err);
    size_t nf = 0;
    char **out = xcalloc(rs->n ? rs->n : 1, sizeof *out);
    for (size_t i = 0; i < rs->n && rc == 0; i++)
        if (rs->found[i])
            out[nf++] = xstrdup(rs->paths[i]);
    *found = out;
    *n_found = nf;
    return rc;
}

void refscan_free(struct refscan *rs)
{
    if (!rs)
        return;
    free(rs->hashes);
    free(rs->paths);
    free(rs->found);
    free(rs);
}
