/* store — see store.h. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eventlog.h"
#include "fileio.h"
#include "nix/temproots.h"
#include "parallel.h"
#include "strbuf.h"
#include "strindex.h"
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

int store_open(struct store *s, const char *dir, const char *state, struct lk_error *err)
{
    memset(s, 0, sizeof *s);
    char *d = absolute(dir), *st = absolute(state);
    s->dir = canon(d);
    s->state = canon(st);
    free(d);
    free(st);
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

static void journal_free(struct store_journal *j);

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

/* The store path (first component under the store) of an in-store path. */
static char *strip_subpath(const char *logical)
{
    const char *b = logical + STORE_PREFIX_LEN;
    const char *slash = strchr(b, '/');
    return slash ? xstrndup(logical, (size_t)(slash - logical)) : xstrdup(logical);
}

int store_follow_arg(const struct store *s, const char *arg, char **store_path,
                     struct lk_error *err)
{
    char *a = absolute(arg);
    char *path = canon(a);
    free(a);
    for (int hops = 0;; hops++) {
        char *logical = store_logical(s, path);
        if (logical) {
            free(path);
            *store_path = strip_subpath(logical);
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

/* ---- the validity journal (see store.h) ---- */

#define JOURNAL_WRITE_MAX (1u << 20)

struct store_journal {
    int fd;               /* valid.journal, O_RDWR|O_APPEND; -1 before first use */
    struct strbuf file;   /* bytes read from the file so far */
    size_t parsed;        /* complete lines of `file` indexed */
    struct strbuf own;    /* lines this process added */
    size_t own_written;   /* prefix of `own` appended to the file */
    size_t *slots;        /* open addressing: (offset << 1 | in_own) + 1; 0 empty */
    size_t *hashes;       /* the key hash of each occupied slot */
    size_t cap, count;
};

static const char *journal_line(const struct store_journal *j, size_t v)
{
    return (v & 1 ? j->own.buf : j->file.buf) + (v >> 1);
}

/* Length of the basename of the line at `line` ("+name json\n" / "-name\n"). */
static size_t journal_key_len(const char *line)
{
    const char *p = line + 1;
    while (*p != ' ' && *p != '\n' && *p)
        p++;
    return (size_t)(p - (line + 1));
}

/* Whether the line at `line` is about basename `key` (n bytes). */
static int journal_line_is(const char *line, const char *key, size_t n)
{
    return journal_key_len(line) == n && memcmp(line + 1, key, n) == 0;
}

/* A hash of the key (n bytes), a word at a time: a process indexes every
 * line of the journal, tens of thousands for a large depot. */
static size_t journal_hash(const char *k, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, k + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, k + i, n - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return (size_t)h;
}

/* The slot of `key` (n bytes, hash h): where it is, or the empty slot for it. */
static size_t journal_slot(const struct store_journal *j, const char *key, size_t n, size_t h)
{
    size_t i = h & (j->cap - 1);
    while (j->slots[i]) {
        if (j->hashes[i] == h && journal_line_is(journal_line(j, j->slots[i] - 1), key, n))
            break;
        i = (i + 1) & (j->cap - 1);
    }
    return i;
}

/* Make room for `more` keys (load factor at most 1/2). */
static void journal_reserve(struct store_journal *j, size_t more)
{
    if (2 * (j->count + more) <= j->cap)
        return;
    size_t old_cap = j->cap, *old = j->slots, *old_h = j->hashes;
    size_t cap = j->cap ? j->cap : 1024;
    while (2 * (j->count + more) > cap)
        cap *= 2;
    j->cap = cap;
    j->slots = xcalloc(cap, sizeof *j->slots);
    j->hashes = xcalloc(cap, sizeof *j->hashes);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i]) {
            size_t k = old_h[i] & (cap - 1);
            while (j->slots[k])
                k = (k + 1) & (cap - 1);
            j->slots[k] = old[i];
            j->hashes[k] = old_h[i];
        }
    free(old);
    free(old_h);
}

/* Index the line at value `v`, whose key is `key` (n bytes): it replaces an
 * earlier line of its basename. */
static void journal_index_key(struct store_journal *j, size_t v, const char *key, size_t n)
{
    journal_reserve(j, 1);
    size_t h = journal_hash(key, n);
    size_t i = journal_slot(j, key, n, h);
    if (!j->slots[i])
        j->count++;
    j->slots[i] = v + 1;
    j->hashes[i] = h;
}

static void journal_index(struct store_journal *j, size_t v)
{
    const char *line = journal_line(j, v);
    journal_index_key(j, v, line + 1, journal_key_len(line));
}

static struct store_journal *journal_get(const struct store *s)
{
    struct store_journal **jp = (struct store_journal **)&s->journal;
    if (!*jp) {
        struct store_journal *j = xcalloc(1, sizeof *j);
        j->fd = -1; /* the strbufs are empty when zeroed (STRBUF_INIT) */
        *jp = j;
    }
    return *jp;
}

static char *journal_file(const struct store *s)
{
    return xasprintf("%s/valid.journal", s->state);
}

static int journal_open(const struct store *s, struct store_journal *j, struct lk_error *err)
{
    if (j->fd >= 0)
        return 0;
    char *f = journal_file(s);
    j->fd = open(f, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (j->fd < 0) {
        lk_fail_errno(err, LK_EXIT_FAIL, f, "cannot open the validity journal");
        free(f);
        return -1;
    }
    free(f);
    return 0;
}

static int journal_read(const struct store *s, struct store_journal *j, struct lk_error *err)
{
    if (journal_open(s, j, err) != 0)
        return -1;
    struct stat st;
    if (fstat(j->fd, &st) != 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, "valid.journal", "cannot stat");
    while ((off_t)j->file.len < st.st_size) {
        size_t want = (size_t)st.st_size - j->file.len;
        sb_grow(&j->file, want);
        ssize_t n = pread(j->fd, j->file.buf + j->file.len, want, (off_t)j->file.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return lk_fail_errno(err, LK_EXIT_FAIL, "valid.journal", "cannot read");
        if (n == 0)
            break;
        j->file.len += (size_t)n;
        j->file.buf[j->file.len] = '\0';
    }
    /* Keep whole lines only: an unfinished last record is being written, or
     * was torn by a writer that failed, and the next writer cuts it off;
     * the next read starts after the last whole line either way. */
    size_t whole = j->parsed;
    char *nl = j->file.len > whole ? memrchr(j->file.buf + whole, '\n', j->file.len - whole)
                                   : NULL;
    if (nl)
        whole = (size_t)(nl + 1 - j->file.buf);
    sb_truncate(&j->file, whole);
    return 0;
}

/* Index the whole lines of the file read so far. */
static void journal_index_file(struct store_journal *j)
{
    if (j->parsed < j->file.len)
        journal_reserve(j, (j->file.len - j->parsed) / 128); /* lines are longer */
    while (j->parsed < j->file.len) {
        char *start = j->file.buf + j->parsed;
        char *nl = memchr(start, '\n', j->file.len - j->parsed);
        if (!nl)
            break; /* an unfinished line: its writer is still writing */
        if ((*start == '+' || *start == '-') && nl > start + 1) {
            char *sp = memchr(start + 1, ' ', (size_t)(nl - start - 1));
            char *kend = sp ? sp : nl;
            journal_index_key(j, j->parsed << 1, start + 1, (size_t)(kend - start - 1));
        }
        j->parsed = (size_t)(nl + 1 - j->file.buf);
    }
}

/* Read what other processes appended since the last call; index whole lines. */
static int journal_refresh(const struct store *s, struct store_journal *j, struct lk_error *err)
{
    if (journal_read(s, j, err) != 0)
        return -1;
    journal_index_file(j);
    return 0;
}

/* The journal's last line about `key` (n bytes) among the lines read. */
static const char *journal_lookup(struct store_journal *j, const char *key, size_t n)
{
    journal_index_file(j);
    if (!j->cap)
        return NULL;
    size_t i = journal_slot(j, key, n, journal_hash(key, n));
    return j->slots[i] ? journal_line(j, j->slots[i] - 1) : NULL;
}

/* The journal's last line for `path`, or NULL. Re-reads the tail of the
 * file first when the loaded part does not say "valid". */
static const char *journal_find_from(const struct store *s, const char *path, int first_pass)
{
    struct store_journal *j = journal_get(s);
    const char *key = store_basename(path);
    size_t n = strlen(key);
    for (int pass = first_pass; pass < 2; pass++) {
        if (pass == 1 || j->fd < 0) {
            struct lk_error ignore = LK_ERROR_INIT;
            int rc = journal_read(s, j, &ignore);
            lk_error_clear(&ignore);
            if (rc != 0)
                return NULL;
        }
        const char *line = journal_lookup(j, key, n);
        if (line && (*line == '+' || pass == 1))
            return line;
    }
    return NULL;
}

static const char *journal_find(const struct store *s, const char *path)
{
    return journal_find_from(s, path, 0);
}

static void journal_add(const struct store *s, char sign, const char *path, const char *json)
{
    struct store_journal *j = journal_get(s);
    size_t off = j->own.len;
    sb_addc(&j->own, sign);
    sb_adds(&j->own, store_basename(path));
    if (json) {
        sb_addc(&j->own, ' ');
        sb_adds(&j->own, json);
    }
    sb_addc(&j->own, '\n');
    journal_index(j, off << 1 | 1);
}

/* Cut an unfinished last record (a writer that failed or died mid-write)
 * off the journal, so that the next record is not glued to it. Called with
 * the journal's flock held: no other writer is appending. *size gets the
 * journal's size after the repair. */
static int journal_repair_tail(int fd, off_t *size, struct lk_error *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, "valid.journal", "cannot stat");
    off_t end = st.st_size, cut = end;
    char buf[4096];
    while (cut > 0) {
        size_t want = cut < (off_t)sizeof buf ? (size_t)cut : sizeof buf;
        ssize_t n = pread(fd, buf, want, cut - (off_t)want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)want)
            return lk_fail_errno(err, LK_EXIT_FAIL, "valid.journal", "cannot read");
        char *nl = memrchr(buf, '\n', want);
        if (nl) {
            cut -= (off_t)want - (off_t)(nl - buf) - 1;
            break;
        }
        cut -= (off_t)want;
    }
    if (cut < end && ftruncate(fd, cut) != 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, "valid.journal",
                             "cannot cut an unfinished record off");
    *size = cut;
    return 0;
}

/* Append the unwritten lines of `own`, all or nothing: on a failed or short
 * write what was written is cut off again. Writers take turns (flock). */
static int journal_append(struct store_journal *j, struct lk_error *err)
{
    while (flock(j->fd, LOCK_EX) != 0)
        if (errno != EINTR)
            return lk_fail_errno(err, LK_EXIT_FAIL, "valid.journal", "cannot lock");
    off_t start;
    int rc = journal_repair_tail(j->fd, &start, err);
    size_t done = j->own_written;
    while (rc == 0 && done < j->own.len) {
        size_t len = whole_lines_prefix(j->own.buf + done, j->own.len - done,
                                        JOURNAL_WRITE_MAX);
        ssize_t n = write(j->fd, j->own.buf + done, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)len) {
            rc = n < 0 ? lk_fail_errno(err, LK_EXIT_FAIL, "valid.journal", "cannot write")
                       : lk_fail(err, LK_EXIT_FAIL, "valid.journal", NULL,
                                 "short write to the validity journal (is the disk full?)");
            if (ftruncate(j->fd, start) != 0) {
                /* the next writer cuts the unfinished record off */
            }
            break;
        }
        done += len;
    }
    if (rc == 0)
        j->own_written = done;
    flock(j->fd, LOCK_UN);
    return rc;
}

int store_sync(const struct store *s, struct lk_error *err)
{
    struct store_journal *j = s->journal;
    if (!j || j->own_written == j->own.len)
        return 0;
    if (journal_open(s, j, err) != 0)
        return -1;
    return journal_append(j, err);
}

static void journal_free(struct store_journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    sb_release(&j->file);
    sb_release(&j->own);
    free(j->slots);
    free(j->hashes);
    free(j);
}

/* ---- validity ---- */

int store_is_valid(const struct store *s, const char *path)
{
    if (!store_is_store_path(path))
        return 0;
    /* the journal as read so far (read on first use: no system call once it
     * is), then its new tail */
    struct store_journal *j = journal_get(s);
    if (j->fd < 0) {
        struct lk_error ignore = LK_ERROR_INIT;
        journal_read(s, j, &ignore);
        lk_error_clear(&ignore);
    }
    const char *key = store_basename(path);
    const char *line = journal_lookup(j, key, strlen(key));
    if (line && *line == '+')
        return 1;
    line = journal_find_from(s, path, 1);
    return line && *line == '+';
}

void store_info_free(struct store_info *info)
{
    free(info->deriver);
    store_paths_free(info->refs, info->n_refs);
    memset(info, 0, sizeof *info);
}

void store_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

int store_query(const struct store *s, const char *path, struct store_info *info,
                struct lk_error *err)
{
    memset(info, 0, sizeof *info);
    if (!store_is_store_path(path))
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not valid", path);
    /* the journal's record */
    const char *line = journal_find(s, path);
    if (!line || *line != '+')
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not valid", path);
    json_error_t jerr;
    char *f = journal_file(s);
    const char *json = line + 1 + journal_key_len(line);
    json_t *j = json_loadb(json, strcspn(json, "\n"), 0, &jerr);
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

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
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
    qsort(sorted, n_refs, sizeof *sorted, cmp_str);
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
    char **v = NULL;
    size_t len = 0, alloc = 0;
    struct store_journal *j = journal_get(s);
    if (journal_refresh(s, j, err) != 0) {
        store_paths_free(v, len);
        return -1;
    }
    for (size_t i = 0; i < j->cap; i++) {
        if (!j->slots[i])
            continue;
        const char *line = journal_line(j, j->slots[i] - 1);
        if (*line != '+')
            continue;
        char *p = xasprintf(STORE_PREFIX "%.*s", (int)journal_key_len(line), line + 1);
        XGROW(v, alloc, len + 1);
        v[len++] = p;
    }
    if (len)
        qsort(v, len, sizeof *v, cmp_str); /* the index holds each path once */
    *paths = v;
    *n = len;
    return 0;
}

/* ---- closures ---- */

/* A set of strings owning copies of them: the array, in the order they
 * were added, and a strindex over it. */
struct strset {
    char **v;
    size_t n, alloc;
    struct strindex index;
};

static bool strset_has(const struct strset *set, const char *s)
{
    return strindex_get(&set->index, s) != STRINDEX_NONE;
}

/* 1 if inserted (a copy of s), 0 if present. */
static int strset_add(struct strset *set, const char *s)
{
    if (strset_has(set, s))
        return 0;
    XGROW(set->v, set->alloc, set->n + 1);
    set->v[set->n] = xstrdup(s);
    strindex_put(&set->index, set->v[set->n], set->n);
    set->n++;
    return 1;
}

/* Hand the strings to the caller, sorted; the set is empty again. */
static char **strset_take_sorted(struct strset *set, size_t *n)
{
    char **v = set->v;
    *n = set->n;
    if (set->n > 1)
        qsort(v, set->n, sizeof *v, cmp_str);
    strindex_release(&set->index);
    *set = (struct strset){ 0 };
    return v;
}

static void strset_free(struct strset *set)
{
    store_paths_free(set->v, set->n);
    strindex_release(&set->index);
    *set = (struct strset){ 0 };
}

/* An index over an array of strings the caller keeps: string -> position. */
static void index_paths(struct strindex *idx, char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strindex_get(idx, v[i]) == STRINDEX_NONE)
            strindex_put(idx, v[i], i);
}

int store_closure(const struct store *s, const char *const *paths, size_t n, char ***out,
                  size_t *n_out, struct lk_error *err)
{
    struct strset set = { 0 };
    char **stack = NULL;
    size_t sn = 0, salloc = 0;
    for (size_t i = 0; i < n; i++)
        if (strset_add(&set, paths[i])) {
            XGROW(stack, salloc, sn + 1);
            stack[sn++] = xstrdup(paths[i]);
        }
    int rc = 0;
    while (sn) {
        char *p = stack[--sn];
        struct store_info info;
        if (store_query(s, p, &info, err) != 0) {
            free(p);
            rc = -1;
            break;
        }
        for (size_t i = 0; i < info.n_refs; i++)
            if (strset_add(&set, info.refs[i])) {
                XGROW(stack, salloc, sn + 1);
                stack[sn++] = xstrdup(info.refs[i]);
            }
        store_info_free(&info);
        free(p);
    }
    for (size_t i = 0; i < sn; i++)
        free(stack[i]);
    free(stack);
    if (rc != 0) {
        strset_free(&set);
        return -1;
    }
    *out = strset_take_sorted(&set, n_out);
    return 0;
}

struct topo_node {
    char **refs;
    size_t n_refs;
    size_t next;   /* next reference to visit */
    int state;     /* 0 new, 1 on stack, 2 done */
};

int store_topo_order(const struct store *s, char **paths, size_t n, struct lk_error *err)
{
    qsort(paths, n, sizeof *paths, cmp_str);
    struct strindex set = STRINDEX_INIT;
    index_paths(&set, paths, n);
    struct topo_node *nodes = xcalloc(n ? n : 1, sizeof *nodes);
    for (size_t i = 0; i < n; i++) {
        struct store_info info;
        if (store_query(s, paths[i], &info, err) != 0) {
            for (size_t j = 0; j < i; j++)
                store_paths_free(nodes[j].refs, nodes[j].n_refs);
            free(nodes);
            strindex_release(&set);
            return -1;
        }
        nodes[i].refs = info.refs;
        nodes[i].n_refs = info.n_refs;
        info.refs = NULL;
        info.n_refs = 0;
        store_info_free(&info);
    }
    char **order = xcalloc(n ? n : 1, sizeof *order);
    size_t no = 0;
    size_t *stack = xcalloc(n ? n : 1, sizeof *stack);
    for (size_t root = 0; root < n; root++) {
        if (nodes[root].state)
            continue;
        size_t sp = 0;
        stack[sp++] = root;
        nodes[root].state = 1;
        while (sp) {
            struct topo_node *t = &nodes[stack[sp - 1]];
            if (t->next < t->n_refs) {
                const char *r = t->refs[t->next++];
                size_t pos = strindex_get(&set, r);
                if (pos != STRINDEX_NONE && pos != stack[sp - 1] && nodes[pos].state == 0) {
                    nodes[pos].state = 1;
                    stack[sp++] = pos;
                }
                /* state 1 (a cycle) cannot happen for valid store paths; skip it. */
            } else {
                t->state = 2;
                order[no++] = paths[stack[--sp]];
            }
        }
    }
    memcpy(paths, order, n * sizeof *paths);
    for (size_t i = 0; i < n; i++)
        store_paths_free(nodes[i].refs, nodes[i].n_refs);
    free(nodes);
    free(order);
    free(stack);
    strindex_release(&set);
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

/* ---- roots ---- */

/* roots/<32 hex digits>: a 128-bit hash of the absolute link path (two
 * FNV-1a 64 passes with different offset bases; seen once per process, a
 * name, not a security property). Not SHA-1 through libcrypto: OpenSSL's
 * first digest initialises the library, 3-10 ms here, a quarter of a
 * `nix-store --realise --add-root` of a built path. */
static char *root_file(const struct store *s, const char *abs_link)
{
    unsigned long long h1 = 14695981039346656037ull, h2 = 0x84222325cbf29ce4ull;
    for (const unsigned char *p = (const unsigned char *)abs_link; *p; p++) {
        h1 = (h1 ^ *p) * 1099511628211ull;
        h2 = (h2 ^ *p) * 0x100000001b3ull;
        h2 ^= h2 >> 29;
    }
    return xasprintf("%s/roots/%016llx%016llx", s->state, h1, h2);
}

/* Replace `link` by a symlink to `target`, atomically: made in place when
 * there is nothing to replace, else made beside it and renamed over it. */
static int symlink_replace(const char *target, const char *link, struct lk_error *err)
{
    if (symlink(target, link) == 0)
        return 0;
    char *tmp = xasprintf("%s.tmp-%ld", link, (long)getpid());
    unlink(tmp);
    if (symlink(target, tmp) != 0) {
        lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "creating symlink '%s': %s", link,
                strerror(errno));
        free(tmp);
        return -1;
    }
    if (rename(tmp, link) != 0) {
        lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "renaming '%s' to '%s': %s", tmp, link,
                strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

/* Nix's addPermRoot: an existing `link` is replaced only when it is a
 * symlink into the store; anything else there (a file, a directory, a link
 * elsewhere) is kept and the root refused. */
static int check_root_link(const struct store *s, const char *link, struct lk_error *err)
{
    struct stat st;
    if (lstat(link, &st) != 0)
        return 0;
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n >= 0) {
            target[n] = '\0';
            char *logical = store_logical(s, target);
            int in_store = logical != NULL;
            free(logical);
            if (in_store)
                return 0;
        }
    }
    return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "cannot create symlink '%s'; already exists",
                   link);
}

int store_add_root(const struct store *s, const char *path, const char *link, char **abs_link,
                   struct lk_error *err)
{
    char *a = absolute(link);
    char *abs = canon(a);
    free(a);
    char *host = store_host(s, path);
    if (!host) {
        free(abs);
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not in the Nix store", path);
    }
    int rc = check_root_link(s, abs, err);
    if (rc == 0)
        rc = symlink_replace(host, abs, err);
    free(host);
    if (rc == 0) {
        char *rf = root_file(s, abs);
        rc = symlink_replace(abs, rf, err);
        free(rf);
    }
    if (rc == 0) {
        struct eventlog_event ev = { .event = "root", .root = abs, .path = path };
        rc = eventlog_write(&ev, err);
    }
    if (rc != 0) {
        free(abs);
        return -1;
    }
    *abs_link = abs;
    return 0;
}

int store_roots(const struct store *s, char ***paths, size_t *n, struct lk_error *err)
{
    char *dir = xasprintf("%s/roots", s->state);
    DIR *d = opendir(dir);
    if (!d) {
        lk_fail_errno(err, LK_EXIT_FAIL, dir, "cannot read directory");
        free(dir);
        return -1;
    }
    struct strset set = { 0 };
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *rf = xasprintf("%s/%s", dir, e->d_name);
        char link[PATH_MAX], target[PATH_MAX];
        ssize_t n1 = readlink(rf, link, sizeof link - 1);
        ssize_t n2 = -1;
        if (n1 >= 0) {
            link[n1] = '\0';
            n2 = readlink(link, target, sizeof target - 1);
        }
        char *logical = NULL, *sp = NULL;
        if (n2 >= 0) {
            target[n2] = '\0';
            logical = store_logical(s, target);
            if (logical)
                sp = strip_subpath(logical);
        }
        if (sp && store_is_store_path(sp))
            strset_add(&set, sp);
        else
            unlink(rf); /* stale: the out-link is gone or points elsewhere */
        free(sp);
        free(logical);
        free(rf);
    }
    closedir(d);
    free(dir);
    *paths = strset_take_sorted(&set, n);
    return 0;
}

/* ---- deletion ---- */

static unsigned long long tree_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    unsigned long long total = S_ISREG(st.st_mode) ? (unsigned long long)st.st_size : 0;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return total;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *c = xasprintf("%s/%s", path, e->d_name);
            total += tree_bytes(c);
            free(c);
        }
        closedir(d);
    }
    return total;
}

static int make_writable(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    chmod(path, st.st_mode | 0700);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *c = xasprintf("%s/%s", path, e->d_name);
        make_writable(c);
        free(c);
    }
    closedir(d);
    return 0;
}

int store_delete(const struct store *s, const char *const *paths, size_t n, FILE *log,
                 size_t *n_deleted, unsigned long long *bytes, struct lk_error *err)
{
    *n_deleted = 0;
    *bytes = 0;
    if (log)
        fprintf(log, "finding garbage collector roots...\n");
    char **roots = NULL, **live = NULL, **valid = NULL, **temp = NULL;
    size_t n_roots = 0, n_live = 0, n_valid = 0, n_temp = 0;
    int rc = -1;
    /* No process makes a path a temporary root while this runs. */
    int gc_fd;
    if (temproots_lock(s, 1, &gc_fd, err) != 0)
        return -1;
    if (store_roots(s, &roots, &n_roots, err) != 0 ||
        temproots_read(s, &temp, &n_temp, err) != 0)
        goto out;
    /* Temporary roots (the paths of running builds) are roots too. */
    roots = xrealloc(roots, (n_roots + n_temp + 1) * sizeof *roots);
    for (size_t i = 0; i < n_temp; i++)
        roots[n_roots++] = xstrdup(temp[i]);
    /* Roots whose target is not valid keep nothing alive beyond themselves. */
    size_t k = 0;
    for (size_t i = 0; i < n_roots; i++) {
        if (store_is_valid(s, roots[i]))
            roots[k++] = roots[i];
        else
            free(roots[i]);
    }
    n_roots = k;
    if (store_closure(s, (const char *const *)roots, n_roots, &live, &n_live, err) != 0)
        goto out;
    if (store_list_valid(s, &valid, &n_valid, err) != 0)
        goto out;
    struct strindex keep = STRINDEX_INIT; /* live paths and temporary roots */
    index_paths(&keep, live, n_live);
    index_paths(&keep, temp, n_temp);
    struct strset deleting = { 0 };
    for (size_t i = 0; i < n; i++)
        strset_add(&deleting, paths[i]);
    /* Referrers: valid paths, not themselves being deleted, that refer to a path. */
    struct strset referenced = { 0 };
    for (size_t i = 0; i < n_valid; i++) {
        if (strset_has(&deleting, valid[i]))
            continue;
        struct store_info info;
        if (store_query(s, valid[i], &info, err) != 0) {
            strset_free(&deleting);
            strset_free(&referenced);
            strindex_release(&keep);
            goto out;
        }
        for (size_t j = 0; j < info.n_refs; j++)
            if (strcmp(info.refs[j], valid[i]) != 0)
                strset_add(&referenced, info.refs[j]);
        store_info_free(&info);
    }
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *p = paths[i];
        if (strindex_get(&keep, p) != STRINDEX_NONE || strset_has(&referenced, p)) {
            rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                         "Cannot delete path '%s' since it is still alive. To find out why, "
                         "use: nix-store --query --roots",
                         p);
            break;
        }
        char *host = store_host(s, p);
        struct stat st;
        int exists = host && lstat(host, &st) == 0;
        int was_valid = store_is_valid(s, p);
        if (!exists && !was_valid) {
            free(host);
            continue;
        }
        int lfd;
        if (store_lock(s, p, &lfd, err) != 0) {
            free(host);
            rc = -1;
            break;
        }
        if (log)
            fprintf(log, "deleting '%s'\n", p);
        /* Invalidate first: a path is never valid while partly deleted. */
        const char *jl = journal_find(s, p);
        if (jl && *jl == '+') {
            journal_add(s, '-', p, NULL);
            rc = store_sync(s, err);
        }
        if (exists) {
            *bytes += tree_bytes(host);
            make_writable(host);
            if (file_remove_tree(host) != 0)
                rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "cannot delete '%s': %s", p,
                             strerror(errno));
        }
        store_unlock(lfd);
        free(host);
        if (rc == 0) {
            (*n_deleted)++;
            struct eventlog_event ev = { .event = "delete", .path = p };
            rc = eventlog_write(&ev, err);
        }
    }
    if (log && rc == 0)
        fprintf(log, "deleting unused links...\n");
    strset_free(&deleting);
    strset_free(&referenced);
    strindex_release(&keep);
out:
    temproots_unlock(gc_fd);
    store_paths_free(roots, n_roots);
    store_paths_free(temp, n_temp);
    store_paths_free(live, n_live);
    store_paths_free(valid, n_valid);
    return rc;
}
