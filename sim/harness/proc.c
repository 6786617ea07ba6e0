/* proc — run a helper program and capture its output (see proc.h). The
 * program is started with posix_spawnp(): the harness's page tables are not
 * copied (a fork of a large harness costs milliseconds in copy-on-write
 * faults afterwards). */
#include "harness/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strbuf.h"
#include "xalloc.h"

extern char **environ;

/* The caller's environment with `env` ("NAME=VALUE") set over it. */
static char **make_envp(const char *const *env)
{
    size_t n = 0, k = 0, m = 0;
    while (environ[n])
        n++;
    while (env && env[m])
        m++;
    char **envp = xcalloc(n + m + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const char *e = environ[i];
        size_t nl = strcspn(e, "=");
        bool replaced = false;
        for (size_t j = 0; j < m && !replaced; j++)
            replaced = !strncmp(env[j], e, nl) && env[j][nl] == '=';
        if (!replaced)
            envp[k++] = (char *)e;
    }
    for (size_t j = 0; j < m; j++)
        envp[k++] = (char *)env[j];
    envp[k] = NULL;
    return envp;
}

int proc_run(const char *const *argv, const char *cwd, const char *const *env, char **output,
             struct lk_error *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, argv[0], "pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    char **envp = make_envp(env);
    pid_t pid;
    int e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(envp);
    close(fds[1]);
    if (e) {
        close(fds[0]);
        if (output)
            *output = xstrdup("");
        return lk_fail(err, LK_EXIT_FAIL, argv[0], NULL, "cannot run the program: %s", strerror(e));
    }
    struct strbuf sb = STRBUF_INIT;
    char buf[8192];
    for (;;) {
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        sb_add(&sb, buf, (size_t)n);
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            sb_release(&sb);
            return lk_fail_errno(err, LK_EXIT_FAIL, argv[0], "waitpid");
        }
    if (output)
        *output = sb_detach(&sb);
    else
        sb_release(&sb);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}
