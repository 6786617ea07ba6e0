/* executor — see executor.h. One process, no threads. The run loop sleeps
 * in poll() until a sandbox exits or a deadline passes: each running
 * sandbox is in the poll set through a pidfd (readable once the process has
 * exited: Linux >= 5.3), or, where pidfd_open() is missing, through a
 * self-pipe that the executor's own SIGCHLD handler writes (installed for
 * the duration of bk_executor_run() only, the previous handler restored).
 * bwrap's status pipes are in the set too (drained as they speak). A free
 * agent takes the next runnable step as soon as a step's result is in. */
#include "buildkite/executor.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buildkite/agentserver.h"
#include "buildkite/sandbox.h"
#include "clock.h"
#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

struct agent {
    char *checkout;
    char *name;
    int id; /* running node, or -1 */
    struct bk_sandbox_proc proc;
    int pidfd; /* readable when the sandbox exits, or -1 (self-pipe mode) */
    struct bk_env env; /* the running step's environment (for uploads) */
    double start, deadline; /* deadline 0: none */
};

struct bk_executor {
    struct bk_sched *sched;
    struct agent *agents;
    size_t nagents;
    char *store_dir, *store_at, *state_dir, *bin_dir, *work_dir, *agent_dir;
    struct bk_agent_server *agent;
    struct bk_rest_api *api;
    char **ro_paths, **rw_paths;
    struct bk_env extra_env;
    bool no_interpolation;
    double minute_seconds;
    char *bwrap;
    void (*step_env)(void *ctx, const struct bk_step *step, int id, size_t agent, struct bk_env *env);
    int (*step_done)(void *ctx, struct bk_executor *ex, int id, const struct bk_step_result *r,
                     struct lk_error *err);
    void (*step_ended)(void *ctx, int id);
    void *ctx;
    struct bk_step_result *results;
    size_t nresults;
    bool force_self_pipe; /* config: no pidfds */
    bool self_pipe;       /* this run hears of exits through the SIGCHLD self-pipe */
    struct sigaction old_sigchld;
};

static char **dup_list(const char *const *l)
{
    size_t n = 0;
    while (l && l[n])
        n++;
    char **r = xcalloc(n + 1, sizeof(*r));
    for (size_t i = 0; i < n; i++)
        r[i] = xstrdup(l[i]);
    return r;
}

struct bk_executor *bk_executor_new(const struct bk_executor_config *cfg, struct bk_sched *sched)
{
    struct bk_executor *ex = xcalloc(1, sizeof(*ex));
    ex->sched = sched;
    ex->nagents = cfg->nagents ? cfg->nagents : 1;
    ex->agents = xcalloc(ex->nagents, sizeof(*ex->agents));
    for (size_t i = 0; i < ex->nagents; i++) {
        ex->agents[i].checkout = xstrdup(cfg->checkouts[i]);
        ex->agents[i].name = xasprintf("agent-%zu", i + 1);
        ex->agents[i].id = -1;
        ex->agents[i].proc.pid = -1;
        ex->agents[i].proc.status_fd = -1;
        ex->agents[i].pidfd = -1;
    }
    ex->store_dir = xstrdup_or_null(cfg->store_dir);
    ex->store_at = xstrdup_or_null(cfg->store_at);
    ex->state_dir = xstrdup_or_null(cfg->state_dir);
    ex->bin_dir = xstrdup_or_null(cfg->bin_dir);
    ex->work_dir = xstrdup(cfg->work_dir);
    ex->agent = cfg->agent;
    if (ex->agent) { /* the socket's directory, bound into every sandbox */
        ex->agent_dir = xstrdup(bk_agent_server_socket(ex->agent));
        *strrchr(ex->agent_dir, '/') = '\0';
    }
    ex->ro_paths = dup_list(cfg->ro_paths);
    ex->rw_paths = dup_list(cfg->rw_paths);
    ex->api = cfg->api;
    bk_env_merge(&ex->extra_env, cfg->extra_env);
    ex->no_interpolation = cfg->no_interpolation;
    ex->minute_seconds = cfg->minute_seconds > 0 ? cfg->minute_seconds : 60.0;
    ex->bwrap = xstrdup_or_null(cfg->bwrap);
    ex->step_env = cfg->step_env;
    ex->step_done = cfg->step_done;
    ex->step_ended = cfg->step_ended;
    ex->ctx = cfg->ctx;
    ex->force_self_pipe = cfg->no_pidfd;
    return ex;
}

void bk_executor_free(struct bk_executor *ex)
{
    if (!ex)
        return;
    for (size_t i = 0; i < ex->nagents; i++) {
        struct agent *a = &ex->agents[i];
        if (a->id >= 0 && a->proc.pid > 0) {
            int st;
            bk_sandbox_kill(&a->proc);
            waitpid(a->proc.pid, &st, 0);
            int ignored;
            bk_sandbox_finish(&a->proc, st, true, &ignored, NULL);
        }
        if (a->pidfd >= 0)
            close(a->pidfd);
        free(a->checkout);
        free(a->name);
        bk_env_release(&a->env);
    }
    free(ex->agents);
    for (size_t i = 0; i < ex->nresults; i++) {
        free(ex->results[i].agent_name);
        free(ex->results[i].log_path);
    }
    free(ex->results);
    free(ex->store_dir);
    free(ex->store_at);
    free(ex->state_dir);
    free(ex->bin_dir);
    free(ex->work_dir);
    free(ex->agent_dir);
    strv_free_null(ex->ro_paths);
    strv_free_null(ex->rw_paths);
    bk_env_release(&ex->extra_env);
    free(ex->bwrap);
    free(ex);
}

struct bk_sched *bk_executor_sched(const struct bk_executor *ex) { return ex->sched; }

const struct bk_step_result *bk_executor_result(const struct bk_executor *ex, int id)
{
    if (id < 0 || (size_t)id >= ex->nresults || !ex->results[id].ran)
        return NULL;
    return &ex->results[id];
}

int bk_executor_upload(struct bk_executor *ex, int after, const char *name, const char *text,
                       size_t len, const struct bk_env *env, struct lk_error *err)
{
    struct bk_load_options o = { !ex->no_interpolation, env };
    struct bk_pipeline *p = bk_pipeline_load(name, text, len, &o, err);
    if (!p)
        return -1;
    return bk_sched_upload(ex->sched, after, p, NULL, NULL, err);
}

static int setup_dirs(struct bk_executor *ex, struct lk_error *err)
{
    char *logs = xasprintf("%s/logs", ex->work_dir);
    int rc = file_mkdir(logs, "mkdir", err);
    free(logs);
    return rc;
}

static struct bk_step_result *result_slot(struct bk_executor *ex, int id)
{
    size_t need = bk_sched_count(ex->sched);
    if (need > ex->nresults) {
        ex->results = xrealloc(ex->results, need * sizeof(*ex->results));
        memset(ex->results + ex->nresults, 0, (need - ex->nresults) * sizeof(*ex->results));
        ex->nresults = need;
    }
    return &ex->results[id];
}

static int start_step(struct bk_executor *ex, size_t ai, int id, struct lk_error *err)
{
    struct agent *a = &ex->agents[ai];
    const struct bk_step *st = bk_sched_step(ex->sched, id);
    bk_env_release(&a->env);
    bk_env_merge(&a->env, &st->env);
    char *jid = xasprintf("%d", id);
    bk_env_set(&a->env, "BUILDKITE_JOB_ID", jid);
    int head = bk_sched_parent(ex->sched, id); /* a job's key is its step's */
    const char *key = st->key ? st->key : head >= 0 && bk_sched_step(ex->sched, head)->type == BK_STEP_COMMAND
                                              ? bk_sched_step(ex->sched, head)->key : NULL;
    bk_env_set(&a->env, "BUILDKITE_STEP_KEY", key ? key : "");
    char *retry = xasprintf("%d", bk_sched_attempt(ex->sched, id));
    bk_env_set(&a->env, "BUILDKITE_RETRY_COUNT", retry);
    free(retry);
    bk_env_set(&a->env, "BUILDKITE_LABEL", st->label ? st->label : "");
    bk_env_set(&a->env, "BUILDKITE_COMMAND", st->command);
    bk_env_set(&a->env, "BUILDKITE_AGENT_NAME", a->name);
    bk_env_set(&a->env, "BUILDKITE_BUILD_CHECKOUT_PATH", a->checkout);
    if (ex->agent) { /* how its buildkite-agent reaches this build */
        char *ep = xasprintf("unix:%s", bk_agent_server_socket(ex->agent));
        bk_env_set(&a->env, "BUILDKITE_AGENT_ENDPOINT", ep);
        bk_env_set(&a->env, "BUILDKITE_AGENT_ACCESS_TOKEN", bk_agent_server_job_begin(ex->agent, id));
        free(ep);
    }
    bk_env_merge(&a->env, &ex->extra_env);
    if (ex->step_env)
        ex->step_env(ex->ctx, st, id, ai, &a->env);
    char *log = xasprintf("%s/logs/%d.log", ex->work_dir, id);
    const char *rw[64];
    size_t nrw = 0;
    for (size_t i = 0; ex->rw_paths[i] && nrw < 62; i++)
        rw[nrw++] = ex->rw_paths[i];
    rw[nrw] = NULL;
    const char **ro = xcalloc(2 + 1024, sizeof(char *));
    size_t nro = 0;
    if (ex->agent_dir)
        ro[nro++] = ex->agent_dir;
    for (size_t i = 0; ex->ro_paths[i] && nro < 1024; i++)
        ro[nro++] = ex->ro_paths[i];
    struct bk_sandbox_spec spec = {
        st->command, a->checkout, ex->store_dir, ex->store_at, ex->state_dir, ex->bin_dir, NULL,
        ro, rw, &a->env, log, ex->bwrap,
    };
    int rc = bk_sandbox_start(&spec, &a->proc, err);
    free(ro);
    struct bk_step_result *r = result_slot(ex, id);
    r->ran = true;
    r->agent = ai;
    free(r->agent_name);
    r->agent_name = xstrdup(a->name);
    free(r->log_path);
    r->log_path = log;
    r->exit_status = -1;
    free(jid);
    if (rc < 0)
        return -1;
    a->id = id;
    a->start = lk_clock_seconds();
    r->start = a->start;
    a->deadline = st->timeout_in_minutes ? a->start + ex->minute_seconds * (double)st->timeout_in_minutes : 0;
    return 0;
}

static int finish_step(struct bk_executor *ex, struct agent *a, int wait_status, bool timed_out,
                       struct lk_error *err)
{
    int id = a->id;
    int exit_status = -1;
    if (bk_sandbox_finish(&a->proc, wait_status, timed_out, &exit_status, err) < 0) {
        lk_error_prefix(err, "step %d (%s)", id,
                        bk_sched_step(ex->sched, id)->label ? bk_sched_step(ex->sched, id)->label : "?");
        bk_sched_report(ex->sched, id, BK_FAILED, "the sandbox could not be set up");
        a->id = -1;
        return -1;
    }
    struct bk_step_result *r = result_slot(ex, id);
    r->timed_out = timed_out;
    r->exit_status = timed_out ? -1 : exit_status;
    r->seconds = lk_clock_seconds() - a->start;
    const struct bk_step *st = bk_sched_step(ex->sched, id);
    if (ex->agent && st->artifact_paths) { /* uploaded after the command, as the agent does */
        struct strbuf log = STRBUF_INIT;
        sb_adds(&log, "~~~ Uploading artifacts\n");
        bk_agent_server_artifact_paths(ex->agent, id, a->checkout, st->artifact_paths, &log);
        FILE *f = fopen(r->log_path, "a");
        if (f) {
            fwrite(log.buf, 1, log.len, f);
            fclose(f);
        }
        sb_release(&log);
    }
    if (ex->agent)
        bk_agent_server_job_end(ex->agent, id);
    int rc = 0;
    if (ex->step_done)
        rc = ex->step_done(ex->ctx, ex, id, r, err);
    bk_sched_report_exit(ex->sched, id, timed_out ? -1 : exit_status, timed_out);
    a->id = -1;
    if (ex->step_ended)
        ex->step_ended(ex->ctx, id);
    return rc;
}

static void kill_all(struct bk_executor *ex)
{
    for (size_t i = 0; i < ex->nagents; i++) {
        struct agent *a = &ex->agents[i];
        if (a->id < 0)
            continue;
        int st;
        bk_sandbox_read_status(&a->proc); /* bwrap's child-pid, for the kill */
        bk_sandbox_kill(&a->proc);
        waitpid(a->proc.pid, &st, 0);
        int ignored;
        struct lk_error e = LK_ERROR_INIT;
        bk_sandbox_finish(&a->proc, st, true, &ignored, &e);
        lk_error_clear(&e);
        bk_sched_report(ex->sched, a->id, BK_CANCELED, "the build was stopped");
        if (ex->agent)
            bk_agent_server_job_end(ex->agent, a->id);
        if (a->pidfd >= 0)
            close(a->pidfd);
        a->pidfd = -1;
        a->id = -1;
    }
}

/* The self-pipe the SIGCHLD handler writes (self-pipe mode only; one
 * executor runs at a time in a process). */
static int sigchld_pipe[2] = { -1, -1 };

static void on_sigchld(int sig)
{
    int saved = errno;
    (void)sig;
    if (sigchld_pipe[1] >= 0) {
        ssize_t w = write(sigchld_pipe[1], "", 1);
        (void)w; /* a full pipe already wakes the loop */
    }
    errno = saved;
}

static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0); /* always close-on-exec */
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Choose how the loop hears of exits: pidfds when the kernel has them,
 * else the self-pipe with the executor's SIGCHLD handler. */
static int wakeup_begin(struct bk_executor *ex, struct lk_error *err)
{
    ex->self_pipe = ex->force_self_pipe;
    if (!ex->self_pipe) {
        int fd = open_pidfd(getpid());
        if (fd >= 0)
            close(fd);
        else
            ex->self_pipe = true;
    }
    if (!ex->self_pipe)
        return 0;
    if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        sigchld_pipe[0] = sigchld_pipe[1] = -1;
        return lk_fail_errno(err, LK_EXIT_FAIL, NULL, "pipe");
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &ex->old_sigchld);
    return 0;
}

static void wakeup_end(struct bk_executor *ex)
{
    if (!ex->self_pipe)
        return;
    sigaction(SIGCHLD, &ex->old_sigchld, NULL);
    close(sigchld_pipe[0]);
    close(sigchld_pipe[1]);
    sigchld_pipe[0] = sigchld_pipe[1] = -1;
}

static void drain_self_pipe(void)
{
    char buf[64];
    while (sigchld_pipe[0] >= 0 && read(sigchld_pipe[0], buf, sizeof buf) > 0)
        ;
}

static volatile sig_atomic_t stop_sig;
static int stop_pipe[2] = { -1, -1 };

void bk_executor_request_stop(int sig)
{
    int saved = errno;
    stop_sig = sig;
    if (stop_pipe[1] >= 0 && write(stop_pipe[1], "", 1) < 0) {
        /* full: the loop wakes anyway */
    }
    errno = saved;
}

int bk_executor_stop_signal(void)
{
    return stop_sig;
}

static int stopped(struct bk_executor *ex, struct lk_error *err)
{
    kill_all(ex);
    return lk_fail(err, 128 + stop_sig, NULL, NULL, "stopped by signal %d", (int)stop_sig);
}

static int run_loop(struct bk_executor *ex, struct lk_error *err)
{
    bool done = false;
    for (;;) {
        if (stop_sig)
            return stopped(ex, err);
        /* every free agent takes the next runnable step */
        for (size_t i = 0; i < ex->nagents && !done; i++) {
            struct agent *a = &ex->agents[i];
            if (a->id >= 0)
                continue;
            int id = bk_sched_next(ex->sched);
            if (id == BK_SCHED_DONE)
                done = true;
            if (id < 0)
                break;
            if (start_step(ex, i, id, err) < 0) {
                bk_sched_report(ex->sched, id, BK_FAILED, "the step could not be started");
                kill_all(ex);
                return -1;
            }
            if (!ex->self_pipe)
                a->pidfd = open_pidfd(a->proc.pid);
        }
        size_t running = 0;
        for (size_t i = 0; i < ex->nagents; i++)
            running += ex->agents[i].id >= 0;
        if (!running) {
            if (done)
                return 0;
            continue; /* the scheduler had more to start */
        }
        /* sleep until a sandbox exits, bwrap reports, or a deadline passes */
        struct pollfd *fds = xcalloc(2 * ex->nagents + 4, sizeof(*fds));
        nfds_t nf = 0;
        if (stop_pipe[0] >= 0)
            fds[nf++] = (struct pollfd){ stop_pipe[0], POLLIN, 0 };
        nfds_t agent_fd = nf;
        if (ex->agent)
            fds[nf++] = (struct pollfd){ bk_agent_server_fd(ex->agent), POLLIN, 0 };
        double t = lk_clock_seconds(), wait_s = -1;
        if (ex->api) { /* the REST API: its socket, and how soon it must run anyway */
            fds[nf++] = (struct pollfd){ bk_rest_api_fd(ex->api), POLLIN, 0 };
            int ms = bk_rest_api_timeout_ms(ex->api);
            if (ms >= 0)
                wait_s = ms / 1000.0;
        }
        if (ex->self_pipe)
            fds[nf++] = (struct pollfd){ sigchld_pipe[0], POLLIN, 0 };
        for (size_t i = 0; i < ex->nagents; i++) {
            struct agent *a = &ex->agents[i];
            if (a->id < 0)
                continue;
            if (a->proc.status_fd >= 0)
                fds[nf++] = (struct pollfd){ a->proc.status_fd, POLLIN, 0 };
            if (a->pidfd >= 0)
                fds[nf++] = (struct pollfd){ a->pidfd, POLLIN, 0 };
            else if (!ex->self_pipe && (wait_s < 0 || wait_s > 0.02))
                wait_s = 0.02; /* no pidfd for it (fd limit?): look again soon */
            if (a->deadline > 0) {
                double left = a->deadline - t > 0 ? a->deadline - t : 0;
                if (wait_s < 0 || left < wait_s)
                    wait_s = left;
            }
        }
        /* an exit is never missed: a pidfd stays readable, and the
         * self-pipe keeps the byte of a SIGCHLD that came before poll() */
        poll(fds, nf, wait_s < 0 ? -1 : (int)(wait_s * 1000) + 1);
        bool agent_call = ex->agent && (fds[agent_fd].revents & POLLIN);
        free(fds);
        if (agent_call) /* a job's buildkite-agent: answered while the job waits */
            bk_agent_server_serve(ex->agent);
        if (ex->api) /* whatever is due: new requests, answers to write, timeouts */
            bk_rest_api_serve(ex->api);
        if (ex->self_pipe)
            drain_self_pipe();
        t = lk_clock_seconds();
        for (size_t i = 0; i < ex->nagents; i++) {
            struct agent *a = &ex->agents[i];
            if (a->id < 0)
                continue;
            bk_sandbox_read_status(&a->proc);
            bool timed_out = false;
            if (a->deadline > 0 && t >= a->deadline) {
                bk_sandbox_kill(&a->proc);
                timed_out = true;
            }
            int st;
            pid_t w = waitpid(a->proc.pid, &st, timed_out ? 0 : WNOHANG);
            if (w == a->proc.pid) {
                if (a->pidfd >= 0)
                    close(a->pidfd);
                a->pidfd = -1;
                if (finish_step(ex, a, st, timed_out, err) < 0) {
                    kill_all(ex);
                    return -1;
                }
            } else if (w < 0 && errno != EINTR) {
                lk_fail_errno(err, LK_EXIT_FAIL, NULL, "waitpid");
                kill_all(ex);
                return -1;
            }
        }
    }
}

int bk_executor_run(struct bk_executor *ex, struct lk_error *err)
{
    if (setup_dirs(ex, err) < 0)
        return -1;
    if (wakeup_begin(ex, err) < 0)
        return -1;
    if (stop_pipe[0] < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        stop_pipe[0] = stop_pipe[1] = -1; /* then a stop is seen at the next wake-up */
    int rc = run_loop(ex, err);
    wakeup_end(ex);
    return rc;
}
