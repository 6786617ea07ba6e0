/* proc — run a helper program and capture its output (see proc.h). */
#include "harness/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "strbuf.h"

int proc_run(const char *const *argv, const char *cwd, const char *const *env, char **output,
             struct lk_error *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, argv[0], "pipe");
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return lk_fail_errno(err, LK_EXIT_FAIL, argv[0], "fork");
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        if (cwd && chdir(cwd) < 0)
            _exit(127);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
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
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) == 127 && output && !**output)
            return lk_fail(err, LK_EXIT_FAIL, argv[0], NULL, "cannot run the program");
        return WEXITSTATUS(status);
    }
    return 128 + WTERMSIG(status);
}
