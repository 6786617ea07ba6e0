/* sandbox — see sandbox.h. */
#include "buildkite/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "program.h"
#include "strbuf.h"
#include "xalloc.h"

struct argv {
    char **v;
    size_t n, alloc;
};

static void arg(struct argv *a, const char *s)
{
    XGROW(a->v, a->alloc, a->n + 2);
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

static void args3(struct argv *a, const char *x, const char *y, const char *z)
{
    arg(a, x);
    arg(a, y);
    if (z)
        arg(a, z);
}

static void argv_free(struct argv *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

/* /bin, /lib... : bind directories, recreate symlinks (merged /usr). */
static void system_dir(struct argv *a, const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            args3(a, "--symlink", target, path);
        }
    } else if (S_ISDIR(st.st_mode)) {
        args3(a, "--ro-bind", path, path);
    }
}

/* true iff `path` is strictly below one of the `n` entries of `dirs`
 * (NULL entries skipped): a read-only bind of it inside a read-only bind of
 * that directory shows nothing new. */
static bool below_any(const char *path, const char *const *dirs, size_t n)
{
    size_t pl = strlen(path);
    for (size_t i = 0; i < n; i++) {
        size_t l = dirs[i] ? strlen(dirs[i]) : 0;
        if (l && pl > l && !strncmp(path, dirs[i], l) && (path[l] == '/' || dirs[i][l - 1] == '/'))
            return true;
    }
    return false;
}

int bk_sandbox_start(const struct bk_sandbox_spec *spec, struct bk_sandbox_proc *proc,
                     struct lk_error *err)
{
    memset(proc, 0, sizeof(*proc));
    proc->pid = -1;
    proc->status_fd = -1;
    if (!spec->checkout || spec->checkout[0] != '/')
        return lk_fail(err, LK_EXIT_FAIL, spec->checkout, NULL, "the checkout must be an absolute path");
    struct argv a = { NULL, 0, 0 };
    arg(&a, spec->bwrap ? spec->bwrap : "bwrap");
    arg(&a, "--unshare-all");
    arg(&a, "--die-with-parent");
    arg(&a, "--new-session");
    /* bash is the PID namespace's init: no extra reaper process (bash reaps
     * its children; when it exits the kernel ends whatever is left) */
    arg(&a, "--as-pid-1");
    args3(&a, "--proc", "/proc", NULL);
    args3(&a, "--dev", "/dev", NULL);
    args3(&a, "--tmpfs", "/tmp", NULL);
    args3(&a, "--ro-bind", "/usr", "/usr");
    args3(&a, "--ro-bind", "/etc", "/etc");
    static const char *const sysdirs[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL };
    for (const char *const *d = sysdirs; *d; d++)
        system_dir(&a, *d);
    if (spec->store_dir)
        args3(&a, "--bind", spec->store_dir, spec->store_at ? spec->store_at : "/nix/store");
    if (spec->state_dir)
        args3(&a, "--bind", spec->state_dir, spec->state_dir);
    /* the read-only binds, each but those inside another (a bind mount
     * costs the sandbox two mount calls and a read of its mount table) */
    size_t nro = 1;
    while (spec->ro_paths && spec->ro_paths[nro - 1])
        nro++;
    const char **ro = xcalloc(nro, sizeof(*ro));
    ro[0] = spec->bin_dir;
    for (size_t i = 1; i < nro; i++)
        ro[i] = spec->ro_paths[i - 1];
    for (size_t i = 0; i < nro; i++)
        if (ro[i] && !below_any(ro[i], ro, nro))
            args3(&a, "--ro-bind", ro[i], ro[i]);
    free(ro);
    for (const char *const *p = spec->rw_paths; p && *p; p++)
        args3(&a, "--bind", *p, *p);
    args3(&a, "--bind", spec->checkout, spec->checkout);
    args3(&a, "--chdir", spec->checkout, NULL);
    args3(&a, "--json-status-fd", "3", NULL);
    arg(&a, "--");
    arg(&a, "/bin/bash");
    arg(&a, "-e");
    arg(&a, "-c");
    arg(&a, spec->command);

    struct bk_env env = BK_ENV_INIT;
    bk_env_merge(&env, spec->env);
    struct strbuf path = STRBUF_INIT;
    if (spec->bin_dir)
        sb_addf(&path, "%s:", spec->bin_dir);
    if (spec->path_extra && *spec->path_extra)
        sb_addf(&path, "%s:", spec->path_extra);
    sb_adds(&path, "/usr/local/bin:/usr/bin:/bin");
    bk_env_set(&env, "PATH", sb_str(&path));
    sb_release(&path);
    bk_env_set(&env, "HOME", "/tmp");
    bk_env_set(&env, "TMPDIR", "/tmp");
    char **envp = bk_env_to_envp(&env);
    bk_env_release(&env);

    int rc = -1;
    int pipefd[2] = { -1, -1 }, logfd = -1, statusfd = -1;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    int fd = open(spec->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        lk_fail_errno(err, LK_EXIT_FAIL, spec->log_path, "cannot create the step log");
        goto out;
    }
    /* above 3, so that the spawn's dup2() onto 1, 2 and 3 never meets them */
    logfd = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    close(fd);
    if (logfd < 0 || pipe2(pipefd, O_CLOEXEC) < 0 ||
        (statusfd = fcntl(pipefd[1], F_DUPFD_CLOEXEC, 10)) < 0) {
        lk_fail_errno(err, LK_EXIT_FAIL, NULL, "pipe");
        goto out;
    }
    /* posix_spawn (no copy of this process's page tables, unlike fork):
     * own process group, stdin /dev/null, output to the log, status on 3 */
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGCHLD);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, logfd, 1);
    posix_spawn_file_actions_adddup2(&fa, logfd, 2);
    posix_spawn_file_actions_adddup2(&fa, statusfd, 3);
    pid_t pid;
    char *prog = NULL;
    /* looked up first (see program.h), then started by that path: no
     * failed execs along PATH */
    int e = program_find(a.v[0], &prog);
    if (!e)
        e = posix_spawn(&pid, prog, &fa, &at, a.v, envp);
    free(prog);
    if (e) {
        dprintf(logfd, "bwrap: cannot execute %s: %s\n", a.v[0], strerror(e));
        lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "the sandbox could not be set up: bwrap: cannot execute %s: %s",
                a.v[0], strerror(e));
        goto out;
    }
    proc->pid = pid;
    proc->status_fd = pipefd[0];
    pipefd[0] = -1;
    fcntl(proc->status_fd, F_SETFL, O_NONBLOCK);
    proc->status = xstrdup("");
    proc->log_path = xstrdup(spec->log_path);
    rc = 0;
out:
    if (logfd >= 0)
        close(logfd);
    if (statusfd >= 0)
        close(statusfd);
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    strv_free_null(envp);
    argv_free(&a);
    return rc;
}

void bk_sandbox_read_status(struct bk_sandbox_proc *proc)
{
    if (proc->status_fd < 0)
        return;
    char buf[512];
    for (;;) {
        ssize_t n = read(proc->status_fd, buf, sizeof(buf));
        if (n > 0) {
            char *s = xasprintf("%s%.*s", proc->status, (int)n, buf);
            free(proc->status);
            proc->status = s;
            continue;
        }
        if (n == 0) {
            close(proc->status_fd);
            proc->status_fd = -1;
        }
        return;
    }
}

void bk_sandbox_kill(const struct bk_sandbox_proc *proc)
{
    if (proc->pid <= 0)
        return;
    /* the PID namespace's init first (bwrap's child, in a session of its
     * own): the kernel ends everything in the namespace with it. Not once
     * bwrap has reported its exit (bwrap reaped it: the pid may be reused). */
    const char *cp = proc->status && !strstr(proc->status, "\"exit-code\"")
                         ? strstr(proc->status, "\"child-pid\"")
                         : NULL;
    if (cp) {
        cp += strlen("\"child-pid\"");
        while (*cp == ' ' || *cp == ':')
            cp++;
        long child = strtol(cp, NULL, 10);
        if (child > 1)
            kill((pid_t)child, SIGKILL);
    }
    kill(-proc->pid, SIGKILL);
}

int bk_sandbox_finish(struct bk_sandbox_proc *proc, int wait_status, bool killed, int *exit_status,
                      struct lk_error *err)
{
    bk_sandbox_read_status(proc);
    int rc = 0;
    /* bwrap reports "exit-code" only when the command itself ran and ended
     * ("child-pid" comes before the mounts are made, so it proves nothing) */
    if (!killed && !strstr(proc->status, "\"exit-code\"")) {
        /* the sandbox never started: report bwrap's last words */
        char *log = NULL;
        size_t len = 0;
        struct lk_error ignore = LK_ERROR_INIT;
        char *msg = NULL;
        if (file_read(proc->log_path, &log, &len, &ignore) == 0) {
            char *line = strstr(log, "bwrap:");
            if (line) {
                line[strcspn(line, "\n")] = '\0';
                msg = xstrdup(line);
            }
            free(log);
        }
        lk_error_clear(&ignore);
        rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "the sandbox could not be set up: %s",
                     msg ? msg : "bwrap exited before starting the command");
        free(msg);
    } else if (WIFEXITED(wait_status)) {
        *exit_status = WEXITSTATUS(wait_status);
    } else if (WIFSIGNALED(wait_status)) {
        *exit_status = 128 + WTERMSIG(wait_status);
    } else {
        *exit_status = 255;
    }
    if (proc->status_fd >= 0)
        close(proc->status_fd);
    free(proc->status);
    free(proc->log_path);
    memset(proc, 0, sizeof(*proc));
    proc->pid = -1;
    proc->status_fd = -1;
    return rc;
}
