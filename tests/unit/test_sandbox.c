/* Unit tests with real bubblewrap: the step sandbox and the executor
 * (environment, mounts, no network, private /tmp, exit statuses, timeouts,
 * parallel agents with their own checkouts, uploads from a step, no idle
 * time between steps in both ways of hearing of exits). */
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buildkite/artifacts.h"
#include "buildkite/executor.h"
#include "buildkite/sandbox.h"
#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

static char root[256];
static bool no_pidfd; /* run_pipeline(): the executor's SIGCHLD self-pipe mode */

static char *path(const char *rel) { return xasprintf("%s/%s", root, rel); }

static char *slurp(const char *rel)
{
    char *p = path(rel), *data = NULL;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    if (file_read(p, &data, &len, &err) < 0)
        fail_msg("cannot read %s: %s", p, err.msg);
    free(p);
    return data;
}

/* The file `rel` holds exactly `want`. */
static void expect_file(const char *rel, const char *want)
{
    char *s = slurp(rel);
    if (strcmp(s, want))
        fail_msg("%s holds \"%s\", want \"%s\"", rel, s, want);
    free(s);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/lk-sandbox-test-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    const char *dirs[] = { "co1", "co2", "store", "state", "bin", "work", "agent", "artifacts", NULL };
    for (const char **d = dirs; *d; d++) {
        char *p = path(*d);
        mkdir(p, 0755);
        free(p);
    }
    char *tool = path("bin/hello-tool");
    FILE *f = fopen(tool, "w");
    fputs("#!/bin/sh\necho tool-ran\n", f);
    fclose(f);
    chmod(tool, 0755);
    free(tool);
    char *host = path("host-secret");
    f = fopen(host, "w");
    fputs("secret\n", f);
    fclose(f);
    free(host);
    setenv("LK_HOST_ONLY", "leak", 1);
    /* the simulated buildkite-agent, built beside the unit tests
     * (build/tests/ or build/san/tests/) */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        return -1;
    exe[n] = '\0';
    char *agent = NULL;
    for (int up = 1; up <= 2 && !agent; up++) {
        *strrchr(exe, '/') = '\0';
        char *cand = xasprintf("%s/../buildkite-agent", exe);
        if (access(cand, X_OK) == 0)
            agent = cand;
        else
            free(cand);
    }
    /* a copy: the build directory is not in the sandbox */
    char *copy = path("bin/buildkite-agent"), *data = NULL;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    int rc = agent && file_read(agent, &data, &len, &err) == 0 &&
             file_write_atomic(copy, data, len, &err) == 0 && chmod(copy, 0755) == 0 ? 0 : -1;
    lk_error_clear(&err);
    free(data);
    free(agent);
    free(copy);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    file_remove_tree(root);
    return 0;
}

struct run {
    struct bk_sched *sched;
    struct bk_executor *ex;
    struct bk_artifacts *arts;
    struct bk_agent_server *agent;
    int rc;
    struct lk_error err;
    double seconds;
};

static int upload_hook(void *ctx, struct bk_executor *ex, int id, const struct bk_step_result *r,
                       struct lk_error *err)
{
    (void)ctx;
    (void)r;
    const struct bk_step *st = bk_sched_step(bk_executor_sched(ex), id);
    if (st->key && !strcmp(st->key, "api-upload")) {
        struct bk_env env = BK_ENV_INIT;
        bk_env_set(&env, "WHO", "api");
        const char *text = "steps:\n  - key: from-api\n    command: echo \"from $WHO $$HOME\" > from-api.txt\n";
        int rc = bk_executor_upload(ex, id, "chunk.yml", text, strlen(text), &env, err);
        bk_env_release(&env);
        return rc;
    }
    return 0;
}

static void step_env(void *ctx, const struct bk_step *st, int id, size_t agent, struct bk_env *env)
{
    (void)ctx;
    (void)id;
    (void)agent;
    bk_env_set(env, "LAZYKITE_STEP", st->key ? st->key : "");
    bk_env_set(env, "LAZYKITE_PHASE", "execution");
}

static void run_pipeline(struct run *r, const char *json, size_t agents, const char *bwrap,
                         const char *store)
{
    struct bk_sched_options so = { "refs/heads/canon", BK_UNBLOCK_NONE, NULL, NULL };
    r->sched = bk_sched_new(&so);
    memset(&r->err, 0, sizeof(r->err));
    char *co1 = path("co1"), *co2 = path("co2"), *st = store ? xstrdup(store) : path("store");
    char *state = path("state"), *bin = path("bin"), *work = path("work");
    const char *cos[] = { co1, co2 };
    struct bk_env extra = BK_ENV_INIT;
    bk_env_set(&extra, "NIXSIM_STORE", st);
    /* the build's variables, as the harness's buildinfo gives them */
    const char *build_vars[][2] = { { "BUILDKITE", "true" }, { "CI", "true" },
                                    { "BUILDKITE_BRANCH", "refs/heads/canon" },
                                    { "BUILDKITE_COMMIT", "0123abcd" }, { "BUILDKITE_BUILD_ID", "b-1" } };
    for (size_t i = 0; i < 5; i++)
        bk_env_set(&extra, build_vars[i][0], build_vars[i][1]);
    char *arts = path("artifacts"), *sock = path("agent/agent.sock");
    unlink(sock);
    r->arts = bk_artifacts_new(arts);
    struct lk_error aerr = LK_ERROR_INIT;
    r->agent = bk_agent_server_new(sock, "b-1", r->sched, r->arts, &aerr);
    if (!r->agent)
        fail_msg("agent server: %s", aerr.msg);
    free(arts);
    free(sock);
    struct bk_executor_config cfg = {
        .nagents = agents, .checkouts = cos, .store_dir = st, .state_dir = state, .bin_dir = bin,
        .work_dir = work, .extra_env = &extra, .bwrap = bwrap, .minute_seconds = 1.0, .step_env = step_env,
        .step_done = upload_hook, .no_pidfd = no_pidfd, .agent = r->agent,
    };
    r->ex = bk_executor_new(&cfg, r->sched);
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(bk_executor_upload(r->ex, -1, "static.json", json, strlen(json), NULL, &err), 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    r->rc = bk_executor_run(r->ex, &r->err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    r->seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    bk_env_release(&extra);
    free(co1), free(co2), free(st), free(state), free(bin), free(work);
}

static void run_free(struct run *r)
{
    bk_executor_free(r->ex);
    bk_agent_server_free(r->agent);
    bk_artifacts_free(r->arts);
    bk_sched_free(r->sched);
    lk_error_clear(&r->err);
}

static enum bk_outcome outcome(struct run *r, const char *key)
{
    int id = bk_sched_find(r->sched, key);
    assert_true(id >= 0);
    return bk_sched_outcome(r->sched, id);
}

static void test_environment_and_mounts(void **state)
{
    (void)state;
    struct run r;
    char *secret = path("host-secret");
    char *json = xasprintf(
        "[{\"key\": \"probe\", \"label\": \":nix: probe\", \"env\": {\"READTREE_TARGET\": \"web/site\"},"
        "  \"command\": \"env | sort > env.txt; pwd > pwd.txt; touch /nix/store/made-in-step;"
        " echo x > /tmp/private; ls /tmp > tmp.txt; hello-tool > tool.txt;"
        " (cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort) > ifaces.txt;"
        " (test -e %s && echo visible || echo hidden) > host.txt;"
        " (touch /usr/lk-probe 2>/dev/null && echo writable || echo readonly) > usr.txt;"
        " touch $$NIXSIM_STORE/../state/x 2>/dev/null || true\"},"
        " {\"key\": \"tmp2\", \"depends_on\": \"probe\", \"command\": \"test -e /tmp/private && echo kept > tmp2.txt || echo fresh > tmp2.txt\"}]",
        secret);
    free(secret);
    run_pipeline(&r, json, 1, NULL, NULL);
    free(json);
    if (r.rc)
        fail_msg("run failed: %s", r.err.msg);
    assert_int_equal(outcome(&r, "probe"), BK_PASSED);
    char *env = slurp("co1/env.txt");
    const char *want[] = { "BUILDKITE=true\n", "CI=true\n", "BUILDKITE_BRANCH=refs/heads/canon\n",
                           "BUILDKITE_COMMIT=0123abcd\n", "BUILDKITE_BUILD_ID=b-1\n",
                           "BUILDKITE_STEP_KEY=probe\n", "BUILDKITE_LABEL=:nix: probe\n",
                           "BUILDKITE_AGENT_NAME=agent-1\n", "READTREE_TARGET=web/site\n",
                           "LAZYKITE_STEP=probe\n", "LAZYKITE_PHASE=execution\n", "HOME=/tmp\n", NULL };
    for (const char **w = want; *w; w++)
        if (!strstr(env, *w))
            fail_msg("step environment lacks %s", *w);
    assert_null(strstr(env, "LK_HOST_ONLY"));          /* nothing from the host */
    char *bin = path("bin");
    char *pathline = xasprintf("\nPATH=%s:", bin);
    assert_non_null(strstr(env, pathline));             /* bin dir first on PATH */
    free(pathline);
    free(bin);
    free(env);
    char *pwd = slurp("co1/pwd.txt"), *co1 = path("co1");
    assert_int_equal(strncmp(pwd, co1, strlen(co1)), 0);
    free(pwd);
    free(co1);
    char *made = path("store/made-in-step");
    assert_int_equal(access(made, F_OK), 0);            /* /nix/store is the store dir, rw */
    free(made);
    /* /tmp is a private tmpfs: only the mount point of the checkout is there */
    char *s = slurp("co1/tmp.txt");
    char *want_tmp = xasprintf("%s\nprivate\n", root + strlen("/tmp/"));
    assert_string_equal(s, want_tmp);
    free(want_tmp);
    free(s);
    expect_file("co1/tmp2.txt", "fresh\n"); /* the next step's /tmp is fresh */
    expect_file("co1/ifaces.txt", "lo\n"); /* no network: loopback only */
    expect_file("co1/tool.txt", "tool-ran\n");
    expect_file("co1/host.txt", "hidden\n");
    expect_file("co1/usr.txt", "readonly\n");
    const struct bk_step_result *res = bk_executor_result(r.ex, bk_sched_find(r.sched, "probe"));
    assert_non_null(res);
    assert_string_equal(res->agent_name, "agent-1");
    assert_int_equal(res->exit_status, 0);
    run_free(&r);
}

/* bk_sandbox_start() directly: a read-only path inside another read-only
 * path stays visible and read-only (and is not bound again), and whatever
 * the command leaves running in the background ends with it. */
static void test_nested_ro_and_leftovers(void **state)
{
    (void)state;
    char *ro = path("ro"), *inner = path("ro/inner"), *co = path("co1"), *log = path("nested.log");
    mkdir(ro, 0755);
    mkdir(inner, 0755);
    char *f = path("ro/inner/f");
    FILE *fh = fopen(f, "w");
    fputs("inner\n", fh);
    fclose(fh);
    char *cmd = xasprintf("cat %s/f > nested.txt; (touch %s/g 2>/dev/null && echo writable || echo readonly) >> nested.txt;"
                          " awk -v p=%s '$5 == p' /proc/self/mountinfo | wc -l >> nested.txt;"
                          " (sleep 1; touch late.txt) & echo started",
                          inner, inner, inner);
    const char *ro_paths[] = { inner, ro, inner, NULL };
    struct bk_env env = BK_ENV_INIT;
    struct bk_sandbox_spec spec = { cmd, co, NULL, NULL, NULL, NULL, NULL, ro_paths, NULL, &env, log, NULL };
    struct bk_sandbox_proc proc;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(bk_sandbox_start(&spec, &proc, &err), 0);
    int st, exit_status = -1;
    assert_int_equal(waitpid(proc.pid, &st, 0), proc.pid);
    assert_int_equal(bk_sandbox_finish(&proc, st, false, &exit_status, &err), 0);
    assert_int_equal(exit_status, 0);
    expect_file("co1/nested.txt", "inner\nreadonly\n0\n"); /* not a mount point of its own */
    struct timespec pause = { 1, 500000000 };
    nanosleep(&pause, NULL);
    char *late = path("co1/late.txt");
    assert_int_equal(access(late, F_OK), -1);  /* the background job ended with the step */
    free(late);
    free(cmd), free(f), free(ro), free(inner), free(co), free(log);
}

static void test_exit_statuses_and_timeout(void **state)
{
    (void)state;
    struct run r;
    run_pipeline(&r,
        "[{\"key\": \"fail\", \"command\": \"echo before; exit 3\"},"
        " {\"key\": \"errexit\", \"command\": \"false; echo not reached > reached.txt\"},"
        " {\"key\": \"soft\", \"command\": \"exit 7\", \"soft_fail\": [{\"exit_status\": 7}]},"
        " {\"key\": \"slow\", \"command\": \"sleep 30 & sleep 30\", \"timeout_in_minutes\": 1},"
        " {\"key\": \"blocked\", \"depends_on\": \"fail\", \"command\": \"true\"}]",
        1, NULL, NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(outcome(&r, "fail"), BK_FAILED);
    assert_int_equal(bk_executor_result(r.ex, bk_sched_find(r.sched, "fail"))->exit_status, 3);
    assert_int_equal(outcome(&r, "errexit"), BK_FAILED); /* bash -e */
    char *reached = path("co1/reached.txt");
    assert_int_not_equal(access(reached, F_OK), 0);
    free(reached);
    assert_int_equal(outcome(&r, "soft"), BK_SOFT_FAILED);
    assert_int_equal(outcome(&r, "slow"), BK_TIMED_OUT);
    assert_true(bk_executor_result(r.ex, bk_sched_find(r.sched, "slow"))->timed_out);
    assert_int_equal(outcome(&r, "blocked"), BK_WAITING_FAILED);
    assert_true(r.seconds < 10);                        /* the sleeps were killed */
    char *log = xstrdup(bk_executor_result(r.ex, bk_sched_find(r.sched, "fail"))->log_path);
    char *data;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(file_read(log, &data, &len, &err), 0);
    assert_string_equal(data, "before\n");
    free(data);
    free(log);
    run_free(&r);
}

static void test_agents_in_parallel(void **state)
{
    (void)state;
    struct run r;
    run_pipeline(&r,
        "[{\"key\": \"a\", \"command\": \"sleep 1; echo $$BUILDKITE_AGENT_NAME > who-a.txt\"},"
        " {\"key\": \"b\", \"command\": \"sleep 1; echo $$BUILDKITE_AGENT_NAME > who-b.txt\"}]",
        2, NULL, NULL);
    assert_int_equal(r.rc, 0);
    assert_int_equal(outcome(&r, "a"), BK_PASSED);
    assert_int_equal(outcome(&r, "b"), BK_PASSED);
    assert_true(r.seconds < 1.9); /* both at once */
    char *a = slurp("co1/who-a.txt"), *b = slurp("co2/who-b.txt"); /* own checkouts */
    assert_string_equal(a, "agent-1\n");
    assert_string_equal(b, "agent-2\n");
    free(a);
    free(b);
    run_free(&r);
}

static void test_uploads(void **state)
{
    (void)state;
    struct run r;
    run_pipeline(&r,
        "[{\"key\": \"gen\", \"command\": \"printf 'steps:\\\\n  - key: c2\\\\n    command: echo $$BUILDKITE_BRANCH > c2.txt\\\\n' > c2.yml;"
        " printf '[{\\\"key\\\": \\\"c1\\\", \\\"command\\\": \\\"echo $$$$HOME > c1.txt\\\"}]' > c1.json;"
        " buildkite-agent pipeline upload c2.yml; buildkite-agent pipeline upload c1.json; rm c1.json c2.yml\"},"
        " {\"key\": \"api-upload\", \"command\": \"true\"},"
        " {\"key\": \"bad-upload\", \"command\": \"echo '[{\\\"command\\\": 3}]' | buildkite-agent pipeline upload\"},"
        " \"wait\", {\"key\": \"last\", \"command\": \"true\"}]",
        1, NULL, NULL);
    if (r.rc)
        fail_msg("run failed: %s", r.err.msg);
    assert_int_equal(outcome(&r, "gen"), BK_PASSED);
    assert_int_equal(outcome(&r, "c1"), BK_PASSED);
    assert_int_equal(outcome(&r, "c2"), BK_PASSED);
    assert_int_equal(outcome(&r, "from-api"), BK_PASSED);
    /* later uploads go first: c1 then c2, both right after gen */
    size_t n;
    const int *order = bk_sched_order(r.sched, &n);
    assert_string_equal(bk_sched_step(r.sched, order[1])->key, "c1");
    assert_string_equal(bk_sched_step(r.sched, order[2])->key, "c2");
    expect_file("co1/c2.txt", "refs/heads/canon\n"); /* $BUILDKITE_BRANCH interpolated at upload */
    expect_file("co1/c1.txt", "/tmp\n"); /* $$HOME reached the shell as $HOME */
    expect_file("co1/from-api.txt", "from api /tmp\n");
    int bad = bk_sched_find(r.sched, "bad-upload");
    assert_int_equal(bk_sched_outcome(r.sched, bad), BK_FAILED); /* the agent exited 1 */
    char *log = xstrdup(bk_executor_result(r.ex, bad)->log_path), *text;
    size_t len;
    struct lk_error e = LK_ERROR_INIT;
    assert_int_equal(file_read(log, &text, &len, &e), 0);
    assert_non_null(strstr(text, "fatal: Pipeline parsing of \"(stdin)\" failed ((stdin): /0/command"));
    free(text);
    free(log);
    assert_int_equal(outcome(&r, "last"), BK_WAITING_FAILED);
    run_free(&r);
}

static void test_bwrap_failures(void **state)
{
    (void)state;
    struct run r;
    run_pipeline(&r, "[{\"key\": \"x\", \"command\": \"true\"}]", 1, "/nonexistent/bwrap", NULL);
    assert_int_equal(r.rc, -1);
    assert_non_null(strstr(r.err.msg, "the sandbox could not be set up: bwrap: cannot execute /nonexistent/bwrap"));
    run_free(&r);
    char *missing = path("no-such-store");
    run_pipeline(&r, "[{\"key\": \"x\", \"command\": \"true\"}]", 1, NULL, missing);
    free(missing);
    assert_int_equal(r.rc, -1);
    if (!strstr(r.err.msg, "could not be set up: bwrap:"))
        fail_msg("unexpected error: %s", r.err.msg);
    run_free(&r);
}


static double median8(double *secs)
{
    for (int i = 1; i < 8; i++) /* insertion sort */
        for (int j = i; j > 0 && secs[j - 1] > secs[j]; j--) {
            double t = secs[j];
            secs[j] = secs[j - 1];
            secs[j - 1] = t;
        }
    return (secs[3] + secs[4]) / 2;
}

/* How long the executor takes to hear that a sandbox exited: 8 steps on one
 * agent, run by a stand-in for bwrap that reports the command's exit on
 * its status pipe, closes the pipe, and exits 50 ms later. The median step
 * duration the executor records is that 50 ms plus process start-up plus
 * its latency; a loop that waits for pipe activity, or sleeps in a poll
 * timeout, records about 200 ms. Compared with the stand-in run directly. */
static double median_step_seconds(void)
{
    char *fake = path("fake-bwrap");
    FILE *f = fopen(fake, "w");
    fputs("#!/bin/sh\necho '{\"child-pid\": 1}' >&3\necho '{\"exit-code\": 0}' >&3\n"
          "exec 3>&-\nsleep 0.05\nexit 0\n", f);
    fclose(f);
    chmod(fake, 0755);
    struct run r;
    struct strbuf json = STRBUF_INIT;
    sb_adds(&json, "[");
    for (int i = 0; i < 8; i++)
        sb_addf(&json, "%s{\"key\": \"t%d\", \"command\": \"true\"}", i ? "," : "", i);
    sb_adds(&json, "]");
    run_pipeline(&r, sb_str(&json), 1, fake, NULL);
    sb_release(&json);
    free(fake);
    if (r.rc)
        fail_msg("run failed: %s", r.err.msg);
    double secs[8];
    for (int i = 0; i < 8; i++) {
        char key[16]; /* room for any int (gcc -O1 -fsanitize= checks) */
        snprintf(key, sizeof key, "t%d", i);
        assert_int_equal(outcome(&r, key), BK_PASSED);
        secs[i] = bk_executor_result(r.ex, bk_sched_find(r.sched, key))->seconds;
    }
    run_free(&r);
    return median8(secs);
}

/* The same stand-in run directly (fork, exec, waitpid): what a step of it
 * costs without the executor. */
static double median_direct_seconds(void)
{
    char *fake = path("fake-bwrap");
    double secs[8];
    for (int i = 0; i < 8; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open("/dev/null", O_WRONLY);
            dup2(fd, 3);
            execl(fake, fake, (char *)NULL);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        secs[i] = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    }
    free(fake);
    return median8(secs);
}

static void on_test_sigchld(int sig) { (void)sig; }

static void test_no_idle_time_between_steps(void **state)
{
    (void)state;
    no_pidfd = false;
    double with_pidfd = median_step_seconds();
    /* the self-pipe fallback: same latency, and the caller's handler back after */
    struct sigaction mine, before, after;
    memset(&mine, 0, sizeof mine);
    mine.sa_handler = on_test_sigchld;
    sigemptyset(&mine.sa_mask);
    sigaction(SIGCHLD, &mine, &before);
    no_pidfd = true;
    double with_pipe = median_step_seconds();
    no_pidfd = false;
    sigaction(SIGCHLD, &before, &after);
    assert_ptr_equal(after.sa_handler, on_test_sigchld);
    double direct = median_direct_seconds();
    print_message("median step: %.1f ms (pidfd), %.1f ms (self-pipe), %.1f ms (run directly)\n",
                  with_pidfd * 1000, with_pipe * 1000, direct * 1000);
    assert_true(with_pidfd < direct + 0.06);
    assert_true(with_pipe < direct + 0.06);
}

/* Two agents stay busy: while agent-1 runs the long step, agent-2 takes
 * the three short ones one after another. */
static void test_free_agent_takes_next_step(void **state)
{
    (void)state;
    struct run r;
    run_pipeline(&r,
        "[{\"key\": \"long\", \"command\": \"sleep 1.5\"},"
        " {\"key\": \"s1\", \"command\": \"sleep 0.2\"},"
        " {\"key\": \"s2\", \"command\": \"sleep 0.2\"},"
        " {\"key\": \"s3\", \"command\": \"sleep 0.2\"}]",
        2, NULL, NULL);
    if (r.rc)
        fail_msg("run failed: %s", r.err.msg);
    const char *keys[] = { "s1", "s2", "s3" };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(outcome(&r, keys[i]), BK_PASSED);
        assert_string_equal(bk_executor_result(r.ex, bk_sched_find(r.sched, keys[i]))->agent_name, "agent-2");
    }
    assert_string_equal(bk_executor_result(r.ex, bk_sched_find(r.sched, "long"))->agent_name, "agent-1");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_environment_and_mounts), cmocka_unit_test(test_exit_statuses_and_timeout),
        cmocka_unit_test(test_agents_in_parallel),     cmocka_unit_test(test_uploads),
        cmocka_unit_test(test_bwrap_failures),         cmocka_unit_test(test_no_idle_time_between_steps),
        cmocka_unit_test(test_free_agent_takes_next_step),    cmocka_unit_test(test_nested_ro_and_leftovers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
