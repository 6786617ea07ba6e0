/* evalpool — see evalpool.h. */
#include "evalpool.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "strbuf.h"
#include "xalloc.h"

#define TRACE_PREFIX "trace: lazykite-shard "
#define LINE_MAX_KEPT 65536  /* a longer stderr line goes through in pieces */
#define ERROR_LINE_MAX 4096  /* of the first `error:` line, this much is kept */

struct worker {
    pid_t pid;               /* 0: the slot is free */
    bool opener;             /* the call that opens the store first */
    size_t index, count;     /* the shard (0 of 0: unsharded) */
    char **argv;             /* the call with the shard's arguments */
    int fd[2];               /* stdout, stderr; -1 once at end of file */
    int read_errno;
    struct strbuf out, line;
    bool line_spilled;       /* part of the current line already went through */
    char *first_error;
    long info_count;         /* targets in the shard (its trace line), -1 before */
    char *info_target;       /* the one target, named, or NULL */
    bool info_new;           /* the trace line has just come */
    unsigned long info_kib;  /* its peak resident set then (with a bound) */
    unsigned long seen_kib;  /* the highest peak a poll read */
    unsigned long fork_kib;  /* this process's resident set when it forked */
};

struct shard_ref {
    size_t index, count;
    bool opener;
};

struct pool {
    const struct evalpool_options *o;
    struct worker *w;
    size_t n_slots, running;
    struct shard_ref *queue;
    size_t q_head, q_len, q_alloc;
    struct evalpool_shard *done;
    size_t n_done, done_alloc;
};

static char *command_line(char *const argv[])
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; argv[i]; i++)
        sb_addf(&sb, "%s%s", i ? " " : "", argv[i]);
    return sb_detach(&sb);
}

static void close_fds(struct worker *w)
{
    for (int k = 0; k < 2; k++)
        if (w->fd[k] >= 0) {
            close(w->fd[k]);
            w->fd[k] = -1;
        }
}

static void worker_release(struct worker *w)
{
    close_fds(w);
    if (w->argv) {
        for (size_t i = 0; w->argv[i]; i++)
            free(w->argv[i]);
        free(w->argv);
    }
    sb_release(&w->out);
    sb_release(&w->line);
    free(w->first_error);
    free(w->info_target);
    memset(w, 0, sizeof *w);
    w->fd[0] = w->fd[1] = -1;
}

/* The highest resident set `pid` has had since it was started or last
 * exec'd (VmHWM), or with pid 0 this process's current one (VmRSS), in
 * KiB; 0 when it cannot be read. */
static unsigned long rss_kib(pid_t pid)
{
    char path[64], buf[4096];
    if (pid)
        snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *key = pid ? "\nVmHWM:" : "\nVmRSS:";
    const char *at = strstr(buf, key);
    unsigned long kib;
    return at && sscanf(at + strlen(key), " %lu", &kib) == 1 ? kib : 0;
}

static void enqueue(struct pool *p, size_t index, size_t count, bool opener)
{
    if (p->q_head + p->q_len == p->q_alloc && p->q_head) {
        memmove(p->queue, p->queue + p->q_head, p->q_len * sizeof *p->queue);
        p->q_head = 0;
    }
    XGROW(p->queue, p->q_alloc, p->q_head + p->q_len + 1);
    p->queue[p->q_head + p->q_len++] = (struct shard_ref){ index, count, opener };
}

/* ---- the shard's trace line ---- */

/* "web/site:docs (ci.targets[2])" from the trace line's "target". */
static char *target_name(json_t *t, const char *targets_attr)
{
    struct strbuf sb = STRBUF_INIT;
    json_t *path = json_object_get(t, "attrPath"), *v;
    size_t i;
    json_array_foreach(path, i, v)
        sb_addf(&sb, "%s%s", i ? "/" : "", json_string_value(v) ? json_string_value(v) : "?");
    const char *sub = json_string_value(json_object_get(t, "subtarget"));
    if (sub)
        sb_addf(&sb, ":%s", sub);
    sb_addf(&sb, "%s%s[%lld]%s", sb.len ? " (" : "", targets_attr,
            (long long)json_integer_value(json_object_get(t, "index")), sb.len ? ")" : "");
    return sb_detach(&sb);
}

/* Is `line` the shard's trace line? Then note what it says. */
static bool read_trace_line(struct worker *w, const char *line, const char *targets_attr)
{
    if (strncmp(line, TRACE_PREFIX, strlen(TRACE_PREFIX)) != 0)
        return false;
    json_t *info = json_loads(line + strlen(TRACE_PREFIX), 0, NULL);
    json_t *count = json_object_get(info, "count");
    if (!json_is_integer(count)) {
        json_decref(info);
        return false;
    }
    w->info_count = (long)json_integer_value(count);
    w->info_new = true;
    json_t *t = json_object_get(info, "target");
    free(w->info_target);
    w->info_target = json_is_object(t) ? target_name(t, targets_attr) : NULL;
    json_decref(info);
    return true;
}

/* ---- standard error, a line at a time ---- */

static void pass_through(const char *data, size_t n)
{
    while (n > 0) {
        ssize_t k = write(STDERR_FILENO, data, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return;
        data += k;
        n -= (size_t)k;
    }
}

/* Keep the current line if it is the first `error:` line (and none of it
 * went through yet). */
static void note_error(struct worker *w)
{
    const char *line = sb_str(&w->line);
    if (!w->line_spilled && !w->first_error && !strncmp(line, "error:", 6))
        w->first_error = xstrndup(line, strnlen(line, ERROR_LINE_MAX));
}

/* The end of the current line: at its newline (`newline`), or at end of
 * file, where an unfinished last line goes through as it is. */
static void end_line(struct worker *w, const char *targets_attr, bool newline)
{
    note_error(w);
    if (w->line_spilled || !read_trace_line(w, sb_str(&w->line), targets_attr)) {
        if (newline)
            sb_addc(&w->line, '\n');
        pass_through(w->line.buf, w->line.len);
    }
    sb_reset(&w->line);
    w->line_spilled = false;
}

static void feed_stderr(struct worker *w, const char *data, size_t n, const char *targets_attr)
{
    for (size_t i = 0; i < n; i++) {
        if (data[i] == '\n') {
            end_line(w, targets_attr, true);
            continue;
        }
        sb_addc(&w->line, data[i]);
        if (w->line.len >= LINE_MAX_KEPT) {
            note_error(w);
            pass_through(w->line.buf, w->line.len);
            sb_reset(&w->line);
            w->line_spilled = true;
        }
    }
}

/* ---- processes ---- */

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };

/* waitpid() for `pid`; with `peak_kib`, its highest resident set (and
 * that of the children it waited for) — at least the parent's when it
 * forked, since the kernel counts the image exec replaced. */
static int wait_exit(pid_t pid, int *status, int flags, unsigned long *peak_kib)
{
    struct rusage ru;
    pid_t r;
    while ((r = wait4(pid, status, flags, &ru)) < 0 && errno == EINTR)
        ;
    if (peak_kib)
        *peak_kib = r > 0 && ru.ru_maxrss > 0 ? (unsigned long)ru.ru_maxrss : 0;
    return r;
}

/* Start `argv` with stdout and stderr into pipes; -1 with err when it
 * cannot be run (as posix_spawnp would say). */
static int start_process(struct worker *w, struct lk_error *err, const char *file)
{
    int out[2], errp[2], st[2], *pipes[] = { out, errp, st };
    for (int i = 0; i < 3; i++)
        if (pipe2(pipes[i], O_CLOEXEC) != 0) {
            while (i-- > 0)
                close(pipes[i][0]), close(pipes[i][1]);
            return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot create a pipe");
        }
    /* No signal handler of ours may run in the child (outdir's removes the
     * output's temporary directory). */
    sigset_t all, saved;
    sigfillset(&all);
    /* (a forked child's peak, as wait4 tells it, starts at this) */
    w->fork_kib = rss_kib(0);
    sigprocmask(SIG_SETMASK, &all, &saved);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++)
            signal(stop_signals[i], SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0 && null != STDIN_FILENO)
            dup2(null, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(errp[1], STDERR_FILENO);
        execvp(w->argv[0], w->argv);
        int e = errno;
        (void)!write(st[1], &e, sizeof e);
        _exit(127);
    }
    int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    close(out[1]), close(errp[1]), close(st[1]);
    if (pid < 0) {
        close(out[0]), close(errp[0]), close(st[0]);
        errno = fork_errno;
        return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot start nix-instantiate");
    }
    int e = 0;
    ssize_t k;
    while ((k = read(st[0], &e, sizeof e)) < 0 && errno == EINTR)
        ;
    close(st[0]);
    if (k == (ssize_t)sizeof e) {
        wait_exit(pid, NULL, 0, NULL);
        close(out[0]), close(errp[0]);
        return lk_fail(err, LK_EXIT_FAIL, file, NULL, "cannot run %s: %s", w->argv[0], strerror(e));
    }
    w->pid = pid;
    w->fd[0] = out[0];
    w->fd[1] = errp[0];
    return 0;
}

static int start_worker(struct pool *p, struct worker *w, struct shard_ref s, struct lk_error *err)
{
    const struct evalpool_options *o = p->o;
    char *const *argv = s.opener ? o->open_argv : o->argv;
    size_t n = 0;
    while (argv[n])
        n++;
    w->argv = xcalloc(n + 7, sizeof *w->argv);
    for (size_t i = 0; i < n; i++)
        w->argv[i] = xstrdup(argv[i]);
    w->opener = s.opener;
    if (o->workers && !s.opener) {
        w->argv[n++] = xstrdup("--arg");
        w->argv[n++] = xstrdup("shard");
        w->argv[n++] = xasprintf("%zu", s.index);
        w->argv[n++] = xstrdup("--arg");
        w->argv[n++] = xstrdup("shards");
        w->argv[n++] = xasprintf("%zu", s.count);
    }
    w->index = s.index;
    w->count = s.count;
    w->info_count = -1;
    if (start_process(w, err, o->file) != 0) {
        worker_release(w);
        return -1;
    }
    p->running++;
    return 0;
}

/* Stop every running worker: SIGTERM, SIGKILL after the grace period;
 * each waited for, its output dropped. */
static void stop_all(struct pool *p)
{
    for (size_t i = 0; i < p->n_slots; i++)
        if (p->w[i].pid > 0) {
            kill(p->w[i].pid, SIGTERM);
            close_fds(&p->w[i]);
        }
    double deadline = lk_clock_seconds() * 1e3 + EVALPOOL_GRACE_MS;
    for (size_t left = 1; left;) {
        bool late = lk_clock_seconds() * 1e3 >= deadline;
        left = 0;
        for (size_t i = 0; i < p->n_slots; i++) {
            struct worker *w = &p->w[i];
            if (w->pid > 0 && late)
                kill(w->pid, SIGKILL);
            if (w->pid > 0 && wait_exit(w->pid, NULL, late ? 0 : WNOHANG, NULL) == 0)
                left++;
            else if (w->pid > 0)
                worker_release(w);
        }
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        if (left)
            nanosleep(&ts, NULL);
    }
    p->running = 0;
}

/* The end of a worker: its slot freed; on an error (rc), every other one
 * stopped. Returns rc. */
static int ended(struct pool *p, struct worker *w, int rc)
{
    worker_release(w);
    p->running--;
    if (rc != 0)
        stop_all(p);
    return rc;
}

/* A worker above the memory bound (killed, or ended: its output is
 * dropped either way): its shard split in two, or the error when it cannot
 * be. */
static int over_bound(struct pool *p, struct worker *w, unsigned long kib, struct lk_error *err)
{
    const struct evalpool_options *o = p->o;
    if (w->fd[0] >= 0 || w->fd[1] >= 0) {
        kill(w->pid, SIGKILL);
        close_fds(w);
        wait_exit(w->pid, NULL, 0, NULL);
    }
    int rc = 0;
    /* Splitting helps only when the targets, not the depot, take it. */
    bool depot = w->info_count < 1 || w->info_kib > o->max_rss_kib;
    if (!depot && w->info_count >= 2) {
        enqueue(p, w->index, w->count * 2, false);
        enqueue(p, w->index + w->count, w->count * 2, false);
        if (o->notice) {
            char *line = xasprintf("shard %zu of %zu (%ld targets) passed --eval-max-memory %s "
                                   "MiB (%lu MiB): evaluating it again as shards %zu and %zu of %zu",
                                   w->index, w->count, w->info_count, o->bound_text, kib / 1024,
                                   w->index, w->index + w->count, w->count * 2);
            o->notice(o->notice_ctx, line);
            free(line);
        }
    } else if (!depot) {
        rc = lk_bad_input(err, o->file, NULL,
                          "evaluating %s: target %s alone exceeds --eval-max-memory %s MiB "
                          "(its nix-instantiate reached %lu MiB)",
                          o->what, w->info_target ? w->info_target : "(unnamed)", o->bound_text,
                          kib / 1024);
    } else {
        unsigned long at = w->info_kib > kib ? w->info_kib : kib;
        rc = lk_bad_input(err, o->file, NULL,
                          "evaluating %s: the depot exceeds --eval-max-memory %s MiB before any "
                          "target is evaluated (nix-instantiate reached %lu MiB)",
                          o->what, o->bound_text, at / 1024);
    }
    return ended(p, w, rc);
}

/* " (shard I of N)", or "" unsharded. */
static void shard_note(const struct worker *w, char *buf, size_t size)
{
    if (w->opener)
        snprintf(buf, size, " (opening the store)");
    else if (w->count)
        snprintf(buf, size, " (shard %zu of %zu)", w->index, w->count);
    else
        buf[0] = '\0';
}

/* A worker that ended: its output kept, or the error. One whose peak
 * resident set passed the bound counts as stopped there, even when it ended
 * before it could be: the outcome does not depend on when it was looked at. */
static int finished(struct pool *p, struct worker *w, int status, unsigned long wait_kib,
                    struct lk_error *err)
{
    const struct evalpool_options *o = p->o;
    /* Its own peak: what wait4 says when that is above the forked image
     * (exactly its own then), else what the polls saw. */
    unsigned long peak_kib = wait_kib > w->fork_kib ? wait_kib : w->seen_kib;
    if (o->max_rss_kib && o->workers && !w->opener && peak_kib > o->max_rss_kib)
        return over_bound(p, w, peak_kib, err);
    char note[64];
    shard_note(w, note, sizeof note);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !w->read_errno;
    if (ok && w->opener) {
        /* The store is there: now the shards, all at once. */
        for (size_t i = 0; i < o->workers; i++)
            enqueue(p, i, o->workers, false);
        return ended(p, w, 0);
    }
    if (ok) {
        XGROW(p->done, p->done_alloc, p->n_done + 1);
        struct evalpool_shard *d = &p->done[p->n_done++];
        d->index = w->index;
        d->count = w->count;
        d->len = w->out.len;
        d->peak_kib = peak_kib;
        d->out = sb_detach(&w->out);
        if (!d->out)
            d->out = xstrdup("");
        return ended(p, w, 0);
    }
    char *cmd = command_line(w->argv);
    const char *first = w->first_error;
    if (WIFSIGNALED(status))
        lk_fail(err, LK_EXIT_FAIL, o->file, NULL, "%s was killed by signal %d%s%s%s", cmd,
                WTERMSIG(status), note, first ? ": " : "", first ? first : "");
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && first)
        lk_bad_input(err, o->file, NULL, "evaluating %s%s: %s", o->what, note, first);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        lk_fail(err, LK_EXIT_FAIL, o->file, NULL, "%s exited with status %d%s%s%s", cmd,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1, note, first ? ": " : "",
                first ? first : "");
    else
        lk_fail(err, LK_EXIT_FAIL, o->file, NULL, "reading the output of %s: %s", cmd,
                strerror(w->read_errno));
    free(cmd);
    return ended(p, w, -1);
}

/* Read what a worker wrote; after end of file on both, wait for it. */
static int service(struct pool *p, struct worker *w, int k, struct lk_error *err)
{
    const char *targets_attr = p->o->targets_attr;
    ssize_t n;
    if (k == 0) {
        sb_grow(&w->out, 65536);
        n = read(w->fd[0], w->out.buf + w->out.len, w->out.alloc - w->out.len - 1);
        if (n > 0) {
            w->out.len += (size_t)n;
            w->out.buf[w->out.len] = '\0';
        }
    } else {
        char buf[8192];
        n = read(w->fd[1], buf, sizeof buf);
        if (n > 0)
            feed_stderr(w, buf, (size_t)n, targets_attr);
        /* What the depot alone took, before the shard's targets. */
        if (w->info_new && p->o->max_rss_kib)
            w->info_kib = rss_kib(w->pid);
        w->info_new = false;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n < 0 && !w->read_errno)
        w->read_errno = errno;
    if (n <= 0) {
        if (k == 1 && w->line.len)
            end_line(w, targets_attr, false);
        close(w->fd[k]);
        w->fd[k] = -1;
    }
    if (w->fd[0] >= 0 || w->fd[1] >= 0)
        return 0;
    int status;
    unsigned long peak_kib;
    if (wait_exit(w->pid, &status, 0, &peak_kib) < 0)
        return ended(p, w, lk_fail_errno(err, LK_EXIT_FAIL, p->o->file, "cannot wait for nix-instantiate"));
    return finished(p, w, status, peak_kib, err);
}

int evalpool_run(const struct evalpool_options *o, struct evalpool_shard **shards, size_t *n,
                 struct lk_error *err)
{
    *shards = NULL;
    *n = 0;
    struct pool p = { o, NULL, o->workers ? o->workers : 1, 0, NULL, 0, 0, 0, NULL, 0, 0 };
    p.w = xcalloc(p.n_slots, sizeof *p.w);
    for (size_t i = 0; i < p.n_slots; i++)
        p.w[i].fd[0] = p.w[i].fd[1] = -1;
    if (o->open_argv && o->workers > 1)
        enqueue(&p, 0, 0, true);
    else
        for (size_t i = 0; i < p.n_slots; i++)
            enqueue(&p, i, o->workers, false);
    struct pollfd *fds = xcalloc(2 * p.n_slots, sizeof *fds);
    size_t *who = xcalloc(2 * p.n_slots, sizeof *who);
    double last_check = (lk_clock_seconds() * 1e3);
    int rc = 0;
    while (rc == 0 && (p.q_len || p.running)) {
        for (size_t i = 0; i < p.n_slots && p.q_len && rc == 0; i++) {
            if (p.w[i].pid)
                continue;
            struct shard_ref s = p.queue[p.q_head];
            p.q_head++, p.q_len--;
            if (start_worker(&p, &p.w[i], s, err) != 0) {
                stop_all(&p);
                rc = -1;
            }
        }
        if (rc != 0)
            break;
        size_t nfds = 0;
        for (size_t i = 0; i < p.n_slots; i++)
            for (int k = 0; k < 2; k++)
                if (p.w[i].pid > 0 && p.w[i].fd[k] >= 0) {
                    fds[nfds] = (struct pollfd){ p.w[i].fd[k], POLLIN, 0 };
                    who[nfds++] = i * 2 + (size_t)k;
                }
        int timeout = o->max_rss_kib ? EVALPOOL_RSS_POLL_MS : -1;
        if (!nfds) /* (every running worker is waited for once its pipes end) */
            break;
        int ready = poll(fds, nfds, timeout);
        if (ready < 0 && errno != EINTR) {
            rc = lk_fail_errno(err, LK_EXIT_FAIL, o->file, "cannot wait for nix-instantiate");
            stop_all(&p);
            break;
        }
        for (size_t f = 0; ready > 0 && f < nfds && rc == 0; f++) {
            if (!(fds[f].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            struct worker *w = &p.w[who[f] / 2];
            int k = (int)(who[f] % 2);
            if (w->pid > 0 && w->fd[k] == fds[f].fd)
                rc = service(&p, w, k, err);
        }
        if (rc == 0 && o->max_rss_kib && o->workers && (lk_clock_seconds() * 1e3) - last_check >= EVALPOOL_RSS_POLL_MS) {
            last_check = (lk_clock_seconds() * 1e3);
            for (size_t i = 0; i < p.n_slots && rc == 0; i++) {
                unsigned long kib = p.w[i].pid > 0 && !p.w[i].opener ? rss_kib(p.w[i].pid) : 0;
                if (kib > p.w[i].seen_kib)
                    p.w[i].seen_kib = kib;
                if (kib > o->max_rss_kib)
                    rc = over_bound(&p, &p.w[i], kib, err);
            }
        }
    }
    free(fds);
    free(who);
    for (size_t i = 0; i < p.n_slots; i++)
        worker_release(&p.w[i]);
    free(p.w);
    free(p.queue);
    if (rc != 0)
        evalpool_free(p.done, p.n_done);
    else
        *shards = p.done, *n = p.n_done;
    return rc;
}

void evalpool_free(struct evalpool_shard *shards, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(shards[i].out);
    free(shards);
}
