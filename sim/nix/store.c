/* store — a nixsim store: opening it, paths, validity records, locks (see
 * store.h; the validity journal is journal.c, roots and deletion storegc.c). */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "nix/journal.h"
#include "parallel.h"
#include "strbuf.h"
#include "xalloc.h"

static int mkdir_p(const char *path, struct lk_error *err)
{
    /* the directory itself first: it usually exists already */
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return 0;
    char *p = xstrdup(path);
    for (char *q = p + 1;; q++) {
        if (*q == '/' || *q == '\0') {
            char c = *q;
            *q = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                lk_fail_errno(err, LK_EXIT_FAIL, p, "cannot create directory");
                free(p);
                return -1;
            }
            *q = c;
            if (!c)
                break;
        }
    }
    free(p);
    return 0;
}

static char *absolute(const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return xstrdup(path);
    return xasprintf("%s/%s", strcmp(cwd, "/") ? cwd : "", path);
}

/* Nix's canonPath without following links: drop "." and "//", resolve "..". */
static char *canon(const char *abs)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p = abs;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0)
            break;
        if (n == 1 && p[0] == '.') {
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            char *slash = sb.len ? strrchr(sb.buf, '/') : NULL;
            if (slash)
                sb_truncate(&sb, (size_t)(slash - sb.buf));
        } else {
            sb_addc(&sb, '/');
            sb_add(&sb, p, n);
        }
        p += n;
    }
    if (!sb.len)
        sb_addc(&sb, '/');
    return sb_detach(&sb);
}

char *store_abs_path(const char *path)
{
    char *a = absolute(path);
    char *c = canon(a);
    free(a);
    return c;
}

int store_open(struct store *s, const char *dir, const char *state, struct lk_error *err)
{
    memset(s, 0, sizeof *s);
    s->dir = store_abs_path(dir);
    s->state = store_abs_path(state);
    static const char *const subdirs[] = { "roots", "locks", "tmp" };
    if (mkdir_p(s->dir, err) != 0)
        goto fail;
    for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
        char *p = xasprintf("%s/%s", s->state, subdirs[i]);
        int rc = mkdir_p(p, err);
        free(p);
        if (rc != 0)
            goto fail;
    }
    struct stat a, b;
    s->in_place = strcmp(s->dir, STORE_DIR) == 0 ||
                  (stat(s->dir, &a) == 0 && stat(STORE_DIR, &b) == 0 && a.st_dev == b.st_dev &&
                   a.st_ino == b.st_ino);
    return 0;
fail:
    store_close(s);
    return -1;
}

int store_open_env(struct store *s, struct lk_error *err)
{
    const char *dir = getenv("NIXSIM_STORE"), *state = getenv("NIXSIM_STATE");
    if (!dir || !*dir)
        return lk_fail(err, LK_EXIT_INPUT, NULL, NULL,
                       "NIXSIM_STORE is not set (the host directory presented as /nix/store)");
    if (!state || !*state)
        return lk_fail(err, LK_EXIT_INPUT, NULL, NULL,
                       "NIXSIM_STATE is not set (the directory for validity, roots and locks)");
    return store_open(s, dir, state, err);
}

void store_close(struct store *s)
{
    if (s->journal) {
        struct lk_error ignore = LK_ERROR_INIT;
        store_sync(s, &ignore);
        lk_error_clear(&ignore);
        journal_free(s->journal);
        s->journal = NULL;
    }
    free(s->dir);
    free(s->state);
    s->dir = s->state = NULL;
}

static int is_base32(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z' && c != 'e' && c != 'o' && c != 'u' &&
                                      c != 't');
}

int store_is_store_path(const char *path)
{
    if (strncmp(path, STORE_PREFIX, STORE_PREFIX_LEN) != 0)
        return 0;
    const char *b = path + STORE_PREFIX_LEN;
    for (int i = 0; i < 32; i++)
        if (!is_base32(b[i]))
            return 0;
    if (b[32] != '-' || !b[33])
        return 0;
    const char *name = b + 33;
    if (name[0] == '.')
        return 0;
    size_t n = 0;
    for (const char *c = name; *c; c++, n++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              strchr("+-._?=", *c)))
            return 0;
    return n <= 211;
}

const char *store_basename(const char *path)
{
    if (strncmp(path, STORE_PREFIX, STORE_PREFIX_LEN) == 0)
        return path + STORE_PREFIX_LEN;
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

char *store_host(const struct store *s, const char *path)
{
    if (strncmp(path, STORE_PREFIX, STORE_PREFIX_LEN) != 0)
        return NULL;
    return xasprintf("%s/%s", s->dir, path + STORE_PREFIX_LEN);
}

char *store_logical(const struct store *s, const char *host_path)
{
    size_t n = strlen(s->dir);
    if (strncmp(host_path, s->dir, n) == 0 && host_path[n] == '/' && host_path[n + 1])
        return xasprintf(STORE_PREFIX "%s", host_path + n + 1);
    if (strncmp(host_path, STORE_PREFIX, STORE_PREFIX_LEN) == 0 && host_path[STORE_PREFIX_LEN])
        return xstrdup(host_path);
    return NULL;
}

char *store_path_of(const char *logical)
{
    const char *b = logical + STORE_PREFIX_LEN;
    const char *slash = strchr(b, '/');
    return slash ? xstrndup(logical, (size_t)(slash - logical)) : xstrdup(logical);
}

int store_follow_arg(const struct store *s, const char *arg, char **store_path,
                     struct lk_error *err)
{
    char *path = store_abs_path(arg);
    for (int hops = 0;; hops++) {
        char *logical = store_logical(s, path);
        if (logical) {
            free(path);
            *store_path = store_path_of(logical);
            free(logical);
            if (!store_is_store_path(*store_path)) {
                lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not a valid store path",
                        *store_path);
                free(*store_path);
                *store_path = NULL;
                return -1;
            }
            return 0;
        }
        struct stat st;
        if (lstat(path, &st) != 0) {
            lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "getting status of '%s': %s", path,
                    strerror(errno));
            free(path);
            return -1;
        }
        if (!S_ISLNK(st.st_mode) || hops > 40)
            break;
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0) {
            lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "reading symbolic link '%s': %s", path,
                    strerror(errno));
            free(path);
            return -1;
        }
        target[n] = '\0';
        char *next;
        if (target[0] == '/') {
            next = canon(target);
        } else {
            char *dir = xstrdup(path);
            *strrchr(dir, '/') = '\0';
            char *joined = xasprintf("%s/%s", dir, target);
            next = canon(joined);
            free(joined);
            free(dir);
        }
        free(path);
        path = next;
    }
    lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not in the Nix store", path);
    free(path);
    return -1;
}

/* ---- validity ---- */

int store_is_valid(const struct store *s, const char *path)
{
    return store_is_store_path(path) && journal_is_valid(s, path);
}

void store_info_free(struct store_info *info)
{
    free(info->deriver);
    strv_free(info->refs, info->n_refs);
    memset(info, 0, sizeof *info);
}

int store_query(const struct store *s, const char *path, struct store_info *info,
                struct lk_error *err)
{
    memset(info, 0, sizeof *info);
    if (!store_is_store_path(path))
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not valid", path);
    size_t len;
    const char *json = journal_record(s, path, &len);
    if (!json)
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not valid", path);
    json_error_t jerr;
    char *f = journal_file(s);
    json_t *j = json_loadb(json, len, 0, &jerr);
    if (!j) {
        lk_fail(err, LK_EXIT_INPUT, f, NULL, "corrupt validity record of '%s': %s", path, jerr.text);
        free(f);
        return -1;
    }
    json_t *d = json_object_get(j, "deriver"), *r = json_object_get(j, "references");
    if (!json_is_array(r) || !(json_is_string(d) || json_is_null(d))) {
        json_decref(j);
        lk_fail(err, LK_EXIT_INPUT, f, NULL,
                "corrupt validity record: expected {\"deriver\", \"references\"}");
        free(f);
        return -1;
    }
    free(f);
    info->deriver = json_is_string(d) ? xstrdup(json_string_value(d)) : NULL;
    info->n_refs = json_array_size(r);
    info->refs = xcalloc(info->n_refs ? info->n_refs : 1, sizeof *info->refs);
    for (size_t i = 0; i < info->n_refs; i++) {
        const char *v = json_string_value(json_array_get(r, i));
        info->refs[i] = xstrdup(v ? v : "");
    }
    json_decref(j);
    return 0;
}

/* Whether JSON writes `s` as it is (printable ASCII without `"` and `\`). */
static int is_plain_json(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            return 0;
    return 1;
}

/* The validity record: {"deriver": …, "references": [sorted, unique]}. */
static char *validity_json(const char *deriver, const char *const *refs, size_t n_refs)
{
    char **sorted = xcalloc(n_refs ? n_refs : 1, sizeof *sorted);
    for (size_t i = 0; i < n_refs; i++)
        sorted[i] = (char *)refs[i];
    qsort(sorted, n_refs, sizeof *sorted, strv_cmp);
    /* Store paths need no escaping: then the text is written directly (the
     * same bytes jansson writes), else jansson encodes it. */
    int plain = !deriver || is_plain_json(deriver);
    for (size_t i = 0; i < n_refs && plain; i++)
        plain = is_plain_json(sorted[i]);
    if (plain) {
        struct strbuf sb = STRBUF_INIT;
        sb_add(&sb, "{\"deriver\":", 11);
        if (deriver)
            sb_addf(&sb, "\"%s\"", deriver);
        else
            sb_add(&sb, "null", 4);
        sb_add(&sb, ",\"references\":[", 15);
        for (size_t i = 0; i < n_refs; i++)
            if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0) {
                if (i)
                    sb_addc(&sb, ',');
                sb_addc(&sb, '"');
                sb_adds(&sb, sorted[i]);
                sb_addc(&sb, '"');
            }
        sb_add(&sb, "]}", 2);
        free(sorted);
        return sb_detach(&sb);
    }
    json_t *j = json_object();
    json_object_set_new(j, "deriver", deriver ? json_string(deriver) : json_null());
    json_t *r = json_array();
    for (size_t i = 0; i < n_refs; i++)
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0)
            json_array_append_new(r, json_string(sorted[i]));
    json_object_set_new(j, "references", r);
    free(sorted);
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!text)
        abort(); /* out of memory (store paths are ASCII) */
    return text;
}

int store_register(const struct store *s, const char *path, const char *deriver,
                   const char *const *refs, size_t n_refs, struct lk_error *err)
{
    char *text = validity_json(deriver, refs, n_refs);
    journal_add(s, '+', path, text);
    free(text);
    return store_sync(s, err);
}

/* How creating one item's file went, on the creating thread. */
enum { TEXT_CREATED = 1, TEXT_EXISTS, TEXT_CANNOT_CREATE, TEXT_CANNOT_WRITE, TEXT_NOT_IN_STORE };

struct text_batch {
    int dirfd;                  /* the store directory */
    struct store_text *items;
    unsigned char *state;       /* TEXT_* per item */
    int *errnos;                /* per item, for the CANNOT_ states */
    char **validity;            /* per item: its validity record (validity_json) */
};

static void create_texts(void *ctx, size_t job, size_t from, size_t to)
{
    (void)job;
    struct text_batch *b = ctx;
    for (size_t k = from; k < to; k++) {
        const struct store_text *t = &b->items[k];
        b->validity[k] = validity_json(NULL, t->refs, t->n_refs);
        if (strncmp(t->path, STORE_PREFIX, STORE_PREFIX_LEN) != 0) {
            b->state[k] = TEXT_NOT_IN_STORE;
            continue;
        }
        /* A valid path's file exists (deletion invalidates before it
         * removes), so a path whose file can be created is not valid:
         * validity is looked up only when the file is there already. */
        const char *name = t->path + STORE_PREFIX_LEN;
        int fd = openat(b->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            b->state[k] = errno == EEXIST ? TEXT_EXISTS : TEXT_CANNOT_CREATE;
            b->errnos[k] = errno;
            continue;
        }
        int failed = file_write_all(fd, t->data, t->len) != 0;
        int saved = errno;
        if (close(fd) != 0 && !failed) {
            failed = 1;
            saved = errno;
        }
        if (failed) {
            unlinkat(b->dirfd, name, 0);
            b->errnos[k] = saved;
        }
        b->state[k] = failed ? TEXT_CANNOT_WRITE : TEXT_CREATED;
    }
}

#define MIN_TEXTS_PER_JOB 256

/* Add item k after its file was made (or found): validity and the journal. */
static int finish_text(const struct store *s, const struct text_batch *b, size_t k,
                       struct lk_error *err)
{
    struct store_text *t = &b->items[k];
    if (b->state[k] == TEXT_NOT_IN_STORE)
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not in the Nix store",
                       t->path);
    int rc = 0;
    if (b->state[k] != TEXT_CREATED) {
        char *host = store_host(s, t->path);
        if (b->state[k] == TEXT_EXISTS) {
            if (store_is_valid(s, t->path)) {
                free(host);
                return 0;
            }
            rc = file_write_atomic(host, t->data, t->len, err);
        } else {
            errno = b->errnos[k];
            rc = lk_fail_errno(err, LK_EXIT_FAIL, host,
                               b->state[k] == TEXT_CANNOT_CREATE ? "cannot create"
                                                                 : "cannot write");
        }
        free(host);
        if (rc != 0)
            return -1;
    }
    journal_add(s, '+', t->path, b->validity[k]);
    t->added = 1;
    return 0;
}

int store_add_texts(const struct store *s, struct store_text *items, size_t n,
                    struct lk_error *err)
{
    for (size_t k = 0; k < n; k++)
        items[k].added = 0;
    struct text_batch b = { .items = items };
    b.dirfd = open(s->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (b.dirfd < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, s->dir, "cannot open the store directory");
    b.state = xcalloc(n + 1, 1);
    b.errnos = xcalloc(n + 1, sizeof *b.errnos);
    b.validity = xcalloc(n + 1, sizeof *b.validity);
    parallel_run(n, parallel_jobs(n, MIN_TEXTS_PER_JOB), create_texts, &b);
    int rc = 0;
    size_t k = 0;
    while (k < n && (rc = finish_text(s, &b, k, err)) == 0)
        k++;
    /* After a failure, the later items' new files go again. */
    for (k++; k < n; k++)
        if (b.state[k] == TEXT_CREATED)
            unlinkat(b.dirfd, items[k].path + STORE_PREFIX_LEN, 0);
    close(b.dirfd);
    for (k = 0; k < n; k++)
        free(b.validity[k]);
    free(b.validity);
    free(b.state);
    free(b.errnos);
    return rc;
}

int store_add_text(const struct store *s, const char *path, const char *data, size_t len,
                   const char *const *refs, size_t n_refs, int *added, struct lk_error *err)
{
    struct store_text t = { path, data, len, refs, n_refs, 0 };
    int rc = store_add_texts(s, &t, 1, err);
    *added = t.added;
    return rc;
}

int store_list_valid(const struct store *s, char ***paths, size_t *n, struct lk_error *err)
{
    if (journal_list_valid(s, paths, n, err) != 0)
        return -1;
    if (*n > 1)
        qsort(*paths, *n, sizeof **paths, strv_cmp); /* each path once */
    return 0;
}

/* ---- locks ---- */

int store_lock_file(const char *file, int exclusive, int *fd, struct lk_error *err)
{
    int d = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot open lock file");
    while (flock(d, exclusive ? LOCK_EX : LOCK_SH) != 0) {
        if (errno != EINTR) {
            lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot lock");
            close(d);
            return -1;
        }
    }
    *fd = d;
    return 0;
}

int store_lock(const struct store *s, const char *path, int *fd, struct lk_error *err)
{
    char *f = xasprintf("%s/locks/%s.lock", s->state, store_basename(path));
    int rc = store_lock_file(f, 1, fd, err);
    free(f);
    return rc;
}

void store_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* closing the only descriptor releases the flock */
}
