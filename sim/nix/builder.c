/* builder — see builder.h. */
#include "nix/builder.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xalloc.h"

/* The process group of the builder running now (0: none). */
static volatile sig_atomic_t running_group;

static const int fatal_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
#define N_FATAL (sizeof fatal_signals / sizeof *fatal_signals)

static void on_fatal_signal(int sig)
{
    pid_t g = (pid_t)running_group;
    if (g > 0)
        kill(-g, SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig); /* delivered when the handler returns: we die of it */
}

/* Install on_fatal_signal for the signals that are not ignored (once). */
static void install_handlers(void)
{
    static int installed;
    if (installed)
        return;
    installed = 1;
    for (size_t i = 0; i < N_FATAL; i++) {
        struct sigaction old;
        if (sigaction(fatal_signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue;
        struct sigaction sa = { 0 };
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(fatal_signals[i], &sa, NULL);
    }
}

struct child {
    const char *exe, *dir;
    char *const *argv, *const *envp;
    const int *keep;
    size_t n_keep;
    pid_t parent;
    sigset_t mask;   /* the parent's signal mask, restored before execve */
    int exec_errno;  /* set by the child when it cannot exec (shared memory) */
};

/* The child, on the parent's memory until it execs (CLONE_VM|CLONE_VFORK):
 * system calls only. */
static int child_main(void *arg)
{
    struct child *c = arg;
    struct sigaction dfl = { 0 };
    dfl.sa_handler = SIG_DFL;
    for (size_t i = 0; i < N_FATAL; i++)
        sigaction(fatal_signals[i], &dfl, NULL);
    sigaction(SIGPIPE, &dfl, NULL);
    setpgid(0, 0);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != c->parent)
        _exit(127); /* the realiser is gone already */
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0 || dup2(fd, 0) < 0 || dup2(2, 1) < 0)
        goto fail;
    if (fd > 0)
        close(fd);
    for (size_t i = 0; i < c->n_keep; i++)
        if (c->keep[i] >= 0)
            fcntl(c->keep[i], F_SETFD, 0); /* this process's table only */
    if (chdir(c->dir) != 0)
        goto fail;
    sigprocmask(SIG_SETMASK, &c->mask, NULL);
    execve(c->exe, c->argv, c->envp);
fail:
    c->exec_errno = errno ? errno : ENOEXEC;
    _exit(127);
}

#define CHILD_STACK (64 * 1024)

int builder_run(const char *exe, char *const argv[], char *const envp[], const char *dir,
                const int *keep, size_t n_keep, int *wstatus, int *exec_errno,
                struct lk_error *err)
{
    install_handlers();
    struct child c = { .exe = exe, .dir = dir, .argv = argv, .envp = envp, .keep = keep,
                       .n_keep = n_keep, .parent = getpid() };
    char *stack = xmalloc(CHILD_STACK);
    sigset_t all;
    sigfillset(&all);
    /* No handler runs in the child before it resets them. */
    sigprocmask(SIG_BLOCK, &all, &c.mask);
    pid_t pid = clone(child_main, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
    int clone_errno = errno;
    if (pid > 0)
        running_group = pid;
    sigprocmask(SIG_SETMASK, &c.mask, NULL);
    free(stack);
    if (pid < 0) {
        errno = clone_errno;
        return lk_fail_errno(err, LK_EXIT_FAIL, NULL, "cannot start the builder");
    }
    int st, rc = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            rc = lk_fail_errno(err, LK_EXIT_FAIL, NULL, "waitpid");
            break;
        }
    }
    kill(-pid, SIGKILL); /* what it left running in its group */
    running_group = 0;
    if (rc != 0)
        return -1;
    *exec_errno = c.exec_errno;
    *wstatus = c.exec_errno ? 127 << 8 : st;
    return 0;
}
