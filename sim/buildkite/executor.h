/* executor — plays a Buildkite build: asks the scheduler for steps, runs
 * each command step in a sandbox on a free agent, reports results, and
 * applies pipeline uploads.
 *
 * Contract: bk_executor_new() borrows the scheduler (the caller frees it
 * after the executor) and copies the configuration's strings. It creates
 * `work_dir`/logs (work_dir must exist). bk_executor_run()
 * runs until the scheduler says the build is done: up to `nagents` steps at
 * once, agent i working in `checkouts[i]` (one shared store). Each command
 * step's environment, in increasing precedence: the step's `env`; the
 * job's own variables BUILDKITE_JOB_ID (the node id), BUILDKITE_STEP_KEY
 * (the step's key, a job's its step's, or ""), BUILDKITE_RETRY_COUNT (0,
 * or which retry the job is), BUILDKITE_LABEL (label or ""),
 * BUILDKITE_COMMAND, BUILDKITE_AGENT_NAME, BUILDKITE_BUILD_CHECKOUT_PATH;
 * `extra_env`, where the caller gives the build's variables (BUILDKITE,
 * CI, BUILDKITE_BRANCH, BUILDKITE_COMMIT, BUILDKITE_BUILD_ID, …: the
 * harness's come from harness/buildinfo.h) and any others; whatever the
 * `step_env` callback sets; then the sandbox's
 * PATH/HOME/TMPDIR (see sandbox.h). `timeout_in_minutes` is enforced
 * (the sandbox is killed: outcome timed-out). Output goes to
 * work_dir/logs/<id>.log.
 * The agent: with an agent server (agentserver.h), every job's
 * environment also has BUILDKITE_AGENT_ENDPOINT ("unix:" and the server's
 * socket, whose directory is bound read-only into the sandbox) and its own
 * BUILDKITE_AGENT_ACCESS_TOKEN, and the run loop answers the job's
 * `buildkite-agent` calls as they come (a pipeline upload inserts its steps
 * at once, right after the job, as on Buildkite); after a job with
 * `artifact_paths` its files are uploaded to the build's artifact store
 * (agentserver.h), the upload's lines appended to its output. bk_executor_upload()
 * uploads a pipeline from outside the build (the static pipeline).
 * With a REST API (restapi.h), the run loop answers its requests too, as
 * they come (a job's `lazykite parent-map` waits for them).
 * bk_executor_run() fails (status 1) only when a sandbox cannot be set up
 * (bwrap's message) or the system fails, or (128+N) when stopped by signal
 * N (bk_executor_request_stop()); step failures are outcomes. On every
 * failure the running sandboxes are killed and waited for first.
 * Latency: bk_executor_run() sleeps until a sandbox exits (a pidfd per
 * sandbox; without pidfd_open(), a SIGCHLD handler of its own, installed
 * only while it runs and writing a self-pipe, the caller's handler
 * restored after) or a timeout is due; a free agent starts the next
 * runnable step at once, so N agents keep N steps running while the
 * scheduler has that many. step_done runs in the loop: its time delays
 * the next step of that agent (only). */
#ifndef LAZYKITE_BK_EXECUTOR_H
#define LAZYKITE_BK_EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "buildkite/agentserver.h"
#include "buildkite/restapi.h"
#include "buildkite/scheduler.h"

struct bk_executor;

struct bk_step_result {
    bool ran;
    size_t agent;
    char *agent_name;
    int exit_status;   /* -1 when timed out */
    bool timed_out;
    double start;      /* when it started: CLOCK_MONOTONIC seconds */
    double seconds;
    char *log_path;
};

struct bk_executor_config {
    size_t nagents;
    const char *const *checkouts;   /* nagents absolute directories */
    const char *store_dir;          /* bound at store_at (or NULL) */
    const char *store_at;           /* NULL: /nix/store; "/nix" for a real Nix tree */
    const char *state_dir;          /* or NULL */
    const char *bin_dir;            /* first on PATH (or NULL) */
    const char *const *ro_paths;    /* extra read-only binds (NULL-terminated) or NULL */
    const char *const *rw_paths;    /* extra read-write binds or NULL */
    const char *work_dir;           /* absolute; the step logs */
    struct bk_agent_server *agent;  /* borrowed, or NULL: no buildkite-agent */
    struct bk_rest_api *api;        /* borrowed, or NULL: none served */
    const struct bk_env *extra_env; /* the build's variables and others, or NULL */
    bool no_interpolation;          /* uploads are not interpolated */
    const char *bwrap;              /* NULL: "bwrap" */
    double minute_seconds;          /* length of a timeout minute; 0: 60 (tests shorten it) */
    bool no_pidfd;                  /* hear of exits through a SIGCHLD self-pipe even where
                                       pidfd_open() works (tests of the fallback) */
    /* Optional: add per-step variables (e.g. LAZYKITE_STEP). */
    void (*step_env)(void *ctx, const struct bk_step *step, int id, size_t agent, struct bk_env *env);
    /* Optional: a step exited; may call bk_executor_upload(ex, id, ...).
     * Returning -1 (with err set) stops the run with that error. */
    int (*step_done)(void *ctx, struct bk_executor *ex, int id, const struct bk_step_result *r,
                     struct lk_error *err);
    /* Optional: the scheduler has the outcome of a step that ran (for
     * live progress). */
    void (*step_ended)(void *ctx, int id);
    void *ctx;
};

struct bk_executor *bk_executor_new(const struct bk_executor_config *cfg, struct bk_sched *sched);
void bk_executor_free(struct bk_executor *ex);

/* Load `text` (a pipeline named `name` for messages) and insert its steps
 * right after node `after` (-1: at the end), interpolated with `env` unless
 * the configuration says no_interpolation. Errors are bad input. */
int bk_executor_upload(struct bk_executor *ex, int after, const char *name, const char *text,
                       size_t len, const struct bk_env *env, struct lk_error *err);

int bk_executor_run(struct bk_executor *ex, struct lk_error *err);

/* Async-signal-safe (for a SIGINT/SIGTERM handler): every running and
 * later bk_executor_run() kills its sandboxes (and waits for them) and
 * fails with "stopped by signal N" (status 128+N). */
void bk_executor_request_stop(int sig);
/* The signal bk_executor_request_stop() was given, or 0. */
int bk_executor_stop_signal(void);

/* The result of node `id`, or NULL if it never ran. */
const struct bk_step_result *bk_executor_result(const struct bk_executor *ex, int id);
struct bk_sched *bk_executor_sched(const struct bk_executor *ex);

#endif
