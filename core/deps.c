/* deps — see deps.h.
 *
 * Every derivation met is a node (store path, known id, parsed inputs,
 * memoised answer), found by path in a strindex. An
 * answer is computed by an explicit-stack depth-first walk that mirrors the
 * state-monad recursion of TVL's analyzer: when a node's walk starts, its
 * inputs are split into the settled ones (known, or answered already) and
 * the pending ones; the pending ones are walked in order, each to the end,
 * and the node's answer is settled ones ++ pending answers, deduplicated. */
#include "deps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drv.h"
#include "parallel.h"
#include "strbuf.h"
#include "strindex.h"
#include "xalloc.h"

#define STORE_PREFIX "/nix/store/"
#define STORE_PREFIX_LEN (sizeof STORE_PREFIX - 1)
#define NONE SIZE_MAX

enum node_state { NODE_NEW, NODE_WALKING, NODE_DONE };

struct node {
    char *path;         /* /nix/store path of the .drv */
    size_t id;          /* caller's id when known */
    unsigned known : 1;
    unsigned parsed : 1;
    unsigned state : 2; /* enum node_state */
    unsigned queued : 1; /* met by deps_read_ahead() */
    size_t *inputs;     /* node indices of the inputDrvs, in .drv order */
    size_t n_inputs;
    size_t *answer;     /* node indices of the closest known deps (walking: the settled part) */
    size_t n_answer;
    size_t answer_alloc;
    size_t pending;     /* walking: offset of the pending inputs in deps.pending */
    size_t n_pending;
    size_t *ids;        /* the answer as caller ids, made on first request */
    size_t n_ids;
};

struct frame {
    size_t node;
    size_t cursor; /* next pending input to walk */
};

struct deps {
    char *store_dir;
    struct node *nodes;
    size_t n_nodes, nodes_alloc;
    struct strindex by_path; /* node path -> node index */
    size_t *pending; /* pending inputs of the nodes being walked */
    size_t n_pending, pending_alloc;
    struct frame *stack;
    size_t n_stack, stack_alloc;
    uint64_t *stamp; /* per node: the dedup round that last saw it */
    size_t stamp_alloc;
    uint64_t round;
    size_t files_read;
    struct strbuf text; /* the .drv file being parsed */
    int store_fd;       /* the store directory, opened on first use; -1 before */
    int answered; /* some answer was computed */
    size_t **stale; /* id arrays of discarded answers, freed at deps_free */
    size_t n_stale, stale_alloc;
};

static size_t node_get(struct deps *d, const char *path)
{
    size_t idx = strindex_get(&d->by_path, path);
    if (idx != STRINDEX_NONE)
        return idx;
    XGROW(d->nodes, d->nodes_alloc, d->n_nodes + 1);
    idx = d->n_nodes++;
    memset(&d->nodes[idx], 0, sizeof d->nodes[idx]);
    d->nodes[idx].path = xstrdup(path);
    strindex_put(&d->by_path, d->nodes[idx].path, idx);
    return idx;
}

struct deps *deps_new(const char *store_dir)
{
    struct deps *d = xcalloc(1, sizeof *d);
    d->store_dir = store_dir ? xstrdup(store_dir) : NULL;
    d->store_fd = -1;
    return d;
}

static void forget_answers(struct deps *d)
{
    for (size_t i = 0; i < d->n_nodes; i++) {
        struct node *n = &d->nodes[i];
        free(n->answer);
        n->answer = NULL;
        n->n_answer = n->answer_alloc = 0;
        n->state = NODE_NEW;
        if (n->ids) {
            XGROW(d->stale, d->stale_alloc, d->n_stale + 1);
            d->stale[d->n_stale++] = n->ids;
            n->ids = NULL;
            n->n_ids = 0;
        }
    }
    d->answered = 0;
}

void deps_add_known(struct deps *d, const char *drv_path, size_t id)
{
    size_t idx = node_get(d, drv_path);
    if (d->nodes[idx].known)
        return;
    if (d->answered)
        forget_answers(d);
    d->nodes[idx].known = 1;
    d->nodes[idx].id = id;
}

size_t deps_files_read(const struct deps *d)
{
    return d->files_read;
}

/* The name part of a /nix/store path, or NULL if it is not one. */
static const char *store_name(const char *path)
{
    if (strncmp(path, STORE_PREFIX, STORE_PREFIX_LEN) != 0)
        return NULL;
    const char *name = path + STORE_PREFIX_LEN;
    if (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return NULL;
    return name;
}

/* The host file of a node's .drv (caller frees); NULL if not a store path. */
static char *host_path(const struct deps *d, size_t idx)
{
    const char *name = store_name(d->nodes[idx].path);
    if (!name)
        return NULL;
    return d->store_dir ? xasprintf("%s/%s", d->store_dir, name) : xstrdup(d->nodes[idx].path);
}

static int cycle_error(const struct deps *d, size_t from, size_t to, struct lk_error *err)
{
    char *host = host_path(d, from);
    /* The place: the input's position in the .drv's inputDrvs, from 0. */
    size_t at = 0;
    while (at < d->nodes[from].n_inputs && d->nodes[from].inputs[at] != to)
        at++;
    char place[48];
    snprintf(place, sizeof place, "inputDrvs[%zu]", at);
    lk_bad_input(err, host, place, "dependency cycle: derivation %s has input %s, which depends on it",
                 d->nodes[from].path, d->nodes[to].path);
    free(host);
    return -1;
}

/* Describe where node `idx` came from, for error messages. */
static void error_context(struct deps *d, size_t idx, size_t referrer, struct lk_error *err)
{
    if (referrer == NONE)
        lk_error_prefix(err, "derivation %s", d->nodes[idx].path);
    else
        lk_error_prefix(err, "derivation %s (input of %s)", d->nodes[idx].path,
                        d->nodes[referrer].path);
}

/* The store directory, opened once for the openat() of every .drv file. */
static int open_store(struct deps *d, struct lk_error *err)
{
    if (d->store_fd < 0) {
        const char *dir = d->store_dir ? d->store_dir : "/nix/store";
        d->store_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d->store_fd < 0)
            return lk_fail_errno(err, LK_EXIT_INPUT, dir, "cannot open the store directory");
    }
    return 0;
}

/* Read the .drv file `name` of the store directory `store_fd` (host path
 * `host`, for errors) into `text`. Reading 200k small files is dominated by
 * system calls, so: openat() relative to the store directory (no full path
 * walk per file), then read() into one reused buffer until end of file —
 * open, read, read (0), close; fstat() only when a file fills the buffer, to
 * grow it to the file's size at once. Errors as file_read(). */
static int read_drv_file(int store_fd, struct strbuf *text, const char *name, const char *host,
                         struct lk_error *err)
{
    /* O_NONBLOCK: something other than a regular file must not block. */
    int fd = openat(store_fd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return lk_fail_errno(err, LK_EXIT_INPUT, host, "cannot open");
    sb_reset(text);
    if (text->alloc < 16384)
        sb_grow(text, 16384);
    for (;;) {
        if (text->alloc - text->len < 2) {
            struct stat st;
            size_t want = 65536;
            if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= text->len)
                want = (size_t)st.st_size - text->len + 1;
            sb_grow(text, want);
        }
        ssize_t n = read(fd, text->buf + text->len, text->alloc - text->len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            if (e == EISDIR || e == EAGAIN || e == EINVAL)
                return lk_fail(err, LK_EXIT_INPUT, host, NULL, "expected a regular file");
            errno = e;
            return lk_fail_errno(err, LK_EXIT_INPUT, host, "cannot read");
        }
        if (n == 0)
            break;
        text->len += (size_t)n;
        text->buf[text->len] = '\0';
    }
    close(fd);
    return 0;
}

/* Make `paths` (the inputDrvs of node `idx`'s .drv, in order) the input
 * nodes of node `idx` (parsed now). Returns NULL, or the first path that
 * is not a store path (the node then stays unparsed). */
static const char *set_inputs(struct deps *d, size_t idx, const char *const *paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!store_name(paths[i]))
            return paths[i];
    size_t *inputs = n ? xmalloc(n * sizeof *inputs) : NULL;
    for (size_t i = 0; i < n; i++)
        inputs[i] = node_get(d, paths[i]); /* may move d->nodes */
    struct node *node = &d->nodes[idx];
    node->inputs = inputs;
    node->n_inputs = n;
    node->parsed = 1;
    return NULL;
}

/* Reading the closure ahead of the walks, in parallel: the unparsed nodes
 * reachable from the known ones are read level by level, each level's
 * files by several threads at once (reading 200k small files is system
 * calls and page cache, which scale with processors). A file that cannot
 * be read or parsed is left unparsed: the walk reads it again when it meets
 * it and reports the error then, exactly as without reading ahead. */
struct read_ahead {
    const struct deps *d;
    const size_t *level;            /* node indices */
    /* per node of the level: the job that read it, where its input paths
     * start in that job's `paths` ("path\0path\0..."), how many (SIZE_MAX:
     * it failed) */
    struct level_entry {
        size_t job, off, n_inputs;
    } *entries;
    struct strbuf paths[PARALLEL_MAX_JOBS];
    struct strbuf texts[PARALLEL_MAX_JOBS];
};

static void read_level(void *ctx, size_t job, size_t from, size_t to)
{
    struct read_ahead *ra = ctx;
    struct strbuf *text = &ra->texts[job], *paths = &ra->paths[job];
    sb_reset(paths);
    for (size_t k = from; k < to; k++) {
        const char *name = store_name(ra->d->nodes[ra->level[k]].path);
        struct lk_error err = LK_ERROR_INIT;
        struct drv drv;
        memset(&drv, 0, sizeof drv);
        struct level_entry *e = &ra->entries[k];
        *e = (struct level_entry){ job, paths->len, SIZE_MAX };
        if (name && read_drv_file(ra->d->store_fd, text, name, name, &err) == 0 &&
            drv_parse_inputs(text->buf, text->len, name, &drv, &err) == 0) {
            for (size_t i = 0; i < drv.n_inputs; i++)
                sb_add(paths, drv.inputs[i].path, strlen(drv.inputs[i].path) + 1);
            e->n_inputs = drv.n_inputs;
        }
        drv_free(&drv); /* on the thread that made it */
        lk_error_clear(&err);
    }
}

void deps_read_ahead(struct deps *d)
{
    enum { MIN_FILES_PER_JOB = 256 };
    struct lk_error err = LK_ERROR_INIT;
    if (open_store(d, &err) != 0) { /* the walk reports it */
        lk_error_clear(&err);
        return;
    }
    size_t *level = NULL, n_level = 0, level_alloc = 0;
    for (size_t i = 0; i < d->n_nodes; i++) {
        if (d->nodes[i].known && !d->nodes[i].parsed && !d->nodes[i].queued) {
            d->nodes[i].queued = 1;
            XGROW(level, level_alloc, n_level + 1);
            level[n_level++] = i;
        }
    }
    struct read_ahead ra = { d, NULL, NULL, { STRBUF_INIT }, { STRBUF_INIT } };
    const char **paths = NULL;
    size_t paths_alloc = 0;
    while (n_level) {
        ra.level = level;
        ra.entries = xcalloc(n_level, sizeof *ra.entries);
        parallel_run(n_level, parallel_jobs(n_level, MIN_FILES_PER_JOB), read_level, &ra);
        size_t *next = NULL, n_next = 0, next_alloc = 0;
        for (size_t k = 0; k < n_level; k++) {
            const struct level_entry *e = &ra.entries[k];
            if (e->n_inputs == SIZE_MAX)
                continue;
            d->files_read++;
            XGROW(paths, paths_alloc, e->n_inputs + 1);
            /* (no inputs: the job's buffer may be empty, NULL) */
            const char *p = e->n_inputs ? ra.paths[e->job].buf + e->off : NULL;
            for (size_t i = 0; i < e->n_inputs; i++, p += strlen(p) + 1)
                paths[i] = p;
            if (set_inputs(d, level[k], paths, e->n_inputs))
                continue;
            const struct node *n = &d->nodes[level[k]];
            for (size_t i = 0; i < n->n_inputs; i++) {
                struct node *in = &d->nodes[n->inputs[i]];
                if (!in->parsed && !in->queued) {
                    in->queued = 1;
                    XGROW(next, next_alloc, n_next + 1);
                    next[n_next++] = n->inputs[i];
                }
            }
        }
        free(ra.entries);
        free(level);
        level = next;
        n_level = n_next;
        level_alloc = next_alloc;
    }
    free(level);
    free(paths);
    for (size_t j = 0; j < PARALLEL_MAX_JOBS; j++) {
        sb_release(&ra.paths[j]);
        sb_release(&ra.texts[j]);
    }
}

/* Read and parse the .drv of node `idx` once; keep only its input nodes. */
static int node_parse(struct deps *d, size_t idx, size_t referrer, struct lk_error *err)
{
    if (d->nodes[idx].parsed)
        return 0;
    const char *path = d->nodes[idx].path;
    if (!store_name(path))
        return lk_bad_input(err, NULL, NULL, "derivation path '%s' is not a file in %s", path,
                            STORE_PREFIX);
    char *host = host_path(d, idx);
    struct drv drv;
    memset(&drv, 0, sizeof drv);
    d->files_read++;
    int rc = open_store(d, err);
    if (rc == 0)
        rc = read_drv_file(d->store_fd, &d->text, store_name(path), host, err);
    if (rc == 0)
        rc = drv_parse_inputs(d->text.buf, d->text.len, host, &drv, err);
    if (rc != 0) {
        err->status = LK_EXIT_INPUT;
        error_context(d, idx, referrer, err);
        free(host);
        return -1;
    }
    const char **paths = xcalloc(drv.n_inputs ? drv.n_inputs : 1, sizeof *paths);
    for (size_t i = 0; i < drv.n_inputs; i++)
        paths[i] = drv.inputs[i].path;
    const char *bad = set_inputs(d, idx, paths, drv.n_inputs);
    if (bad) {
        lk_bad_input(err, host, NULL, "input derivation '%s' is not a path in %s", bad,
                     STORE_PREFIX);
        error_context(d, idx, referrer, err);
    }
    free(paths);
    free(host);
    drv_free(&drv);
    return bad ? -1 : 0;
}

static void answer_add(struct node *n, size_t known_node)
{
    XGROW(n->answer, n->answer_alloc, n->n_answer + 1);
    n->answer[n->n_answer++] = known_node;
}

/* Begin the walk of node `idx`: record its settled part and pending inputs,
 * push its frame. */
static int walk_begin(struct deps *d, size_t idx, size_t referrer, struct lk_error *err)
{
    if (node_parse(d, idx, referrer, err) != 0)
        return -1;
    XGROW(d->stack, d->stack_alloc, d->n_stack + 1);
    d->stack[d->n_stack++] = (struct frame){ idx, 0 };
    struct node *n = &d->nodes[idx];
    n->state = NODE_WALKING;
    n->pending = d->n_pending;
    n->n_pending = 0;
    for (size_t i = 0; i < n->n_inputs; i++) {
        size_t in = n->inputs[i];
        struct node *m = &d->nodes[in];
        if (m->state == NODE_WALKING) {
            return cycle_error(d, idx, in, err);
        } else if (m->known) {
            answer_add(n, in);
        } else if (m->state == NODE_DONE) {
            for (size_t k = 0; k < m->n_answer; k++)
                answer_add(n, m->answer[k]);
        } else {
            XGROW(d->pending, d->pending_alloc, d->n_pending + 1);
            d->pending[d->n_pending++] = in;
            n->n_pending++;
        }
    }
    return 0;
}

/* Settle the node of the top frame: its settled part ++ its pending inputs'
 * answers, first occurrences only. */
static void walk_finish(struct deps *d)
{
    struct frame *f = &d->stack[d->n_stack - 1];
    struct node *n = &d->nodes[f->node];
    if (d->stamp_alloc < d->n_nodes) {
        size_t old = d->stamp_alloc;
        XGROW(d->stamp, d->stamp_alloc, d->n_nodes);
        memset(d->stamp + old, 0, (d->stamp_alloc - old) * sizeof *d->stamp);
    }
    uint64_t round = ++d->round;
    size_t kept = 0;
    for (size_t k = 0; k < n->n_answer; k++) {
        size_t a = n->answer[k];
        if (d->stamp[a] != round) {
            d->stamp[a] = round;
            n->answer[kept++] = a;
        }
    }
    n->n_answer = kept;
    for (size_t p = 0; p < n->n_pending; p++) {
        const struct node *m = &d->nodes[d->pending[n->pending + p]];
        for (size_t k = 0; k < m->n_answer; k++) {
            size_t a = m->answer[k];
            if (d->stamp[a] != round) {
                d->stamp[a] = round;
                answer_add(n, a);
            }
        }
    }
    d->n_pending = n->pending; /* frames above this one were popped already */
    n->n_pending = 0;
    n->state = NODE_DONE;
    d->n_stack--;
}

static void walk_abort(struct deps *d)
{
    for (size_t i = 0; i < d->n_stack; i++) {
        struct node *n = &d->nodes[d->stack[i].node];
        n->state = NODE_NEW;
        n->n_answer = 0;
        n->n_pending = 0;
    }
    d->n_stack = 0;
    d->n_pending = 0;
}

static int walk(struct deps *d, size_t root, struct lk_error *err)
{
    if (walk_begin(d, root, NONE, err) != 0)
        goto fail;
    while (d->n_stack) {
        struct frame *f = &d->stack[d->n_stack - 1];
        struct node *n = &d->nodes[f->node];
        if (f->cursor == n->n_pending) {
            walk_finish(d);
            continue;
        }
        size_t in = d->pending[n->pending + f->cursor++];
        struct node *m = &d->nodes[in];
        if (m->state == NODE_DONE)
            continue;
        if (m->state == NODE_WALKING) {
            cycle_error(d, f->node, in, err);
            goto fail;
        }
        if (walk_begin(d, in, f->node, err) != 0)
            goto fail;
    }
    return 0;
fail:
    walk_abort(d);
    return -1;
}

int deps_closest(struct deps *d, const char *drv_path, const size_t **ids, size_t *n_ids,
                 struct lk_error *err)
{
    size_t idx = node_get(d, drv_path);
    if (d->nodes[idx].state != NODE_DONE) {
        d->answered = 1;
        if (walk(d, idx, err) != 0)
            return -1;
    }
    struct node *n = &d->nodes[idx];
    if (!n->ids && n->n_answer) {
        n->ids = xmalloc(n->n_answer * sizeof *n->ids);
        for (size_t k = 0; k < n->n_answer; k++)
            n->ids[k] = d->nodes[n->answer[k]].id;
        n->n_ids = n->n_answer;
    }
    *ids = n->ids;
    *n_ids = n->n_ids;
    return 0;
}

void deps_free(struct deps *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_nodes; i++) {
        free(d->nodes[i].path);
        free(d->nodes[i].inputs);
        free(d->nodes[i].answer);
        free(d->nodes[i].ids);
    }
    for (size_t i = 0; i < d->n_stale; i++)
        free(d->stale[i]);
    free(d->stale);
    free(d->nodes);
    strindex_release(&d->by_path);
    free(d->pending);
    free(d->stack);
    free(d->stamp);
    free(d->store_dir);
    sb_release(&d->text);
    if (d->store_fd >= 0)
        close(d->store_fd);
    free(d);
}
