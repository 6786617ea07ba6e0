/* journal — the validity journal of a nixsim store (see journal.h). */
#include "nix/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

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

char *journal_file(const struct store *s)
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

void journal_add(const struct store *s, char sign, const char *path, const char *json)
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

void journal_free(struct store_journal *j)
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

/* ---- what the store asks ---- */

int journal_is_valid(const struct store *s, const char *path)
{
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

const char *journal_record(const struct store *s, const char *path, size_t *len)
{
    const char *line = journal_find_from(s, path, 0);
    if (!line || *line != '+')
        return NULL;
    const char *json = line + 1 + journal_key_len(line);
    *len = strcspn(json, "\n");
    return json;
}

int journal_list_valid(const struct store *s, char ***paths, size_t *n, struct lk_error *err)
{
    struct store_journal *j = journal_get(s);
    if (journal_refresh(s, j, err) != 0)
        return -1;
    char **v = NULL;
    size_t len = 0, alloc = 0;
    for (size_t i = 0; i < j->cap; i++) {
        if (!j->slots[i])
            continue;
        const char *line = journal_line(j, j->slots[i] - 1);
        if (*line != '+')
            continue;
        XGROW(v, alloc, len + 1);
        v[len++] = xasprintf(STORE_PREFIX "%.*s", (int)journal_key_len(line), line + 1);
    }
    *paths = v;
    *n = len;
    return 0;
}
