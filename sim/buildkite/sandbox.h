/* sandbox — run one step's command with bash inside bubblewrap.
 *
 * Contract: bk_sandbox_start() starts `bwrap ... /bin/bash -e -c COMMAND`
 * in its own process group and returns at once; the caller waits for the
 * pid (waitpid) and then calls bk_sandbox_finish(), or bk_sandbox_kill()s
 * it (the whole sandbox dies: bwrap's PID namespace goes with it).
 * The sandbox: --unshare-all (no network: only a loopback interface, no
 * other namespaces shared), --die-with-parent, --new-session, a fresh
 * /proc and /dev, a private tmpfs /tmp; /usr and /etc read-only, /bin,
 * /sbin, /lib* read-only (or as the same symlinks); the store directory
 * read-write at /nix/store (or `store_at`); the state directory, the checkout and every
 * `rw_paths` read-write at their own paths; the bin directory, `ro_paths`
 * read-only at their own paths (one below another is not bound again: it
 * is already there, read-only); the checkout is the working directory.
 * bash is the PID namespace's init (bwrap --as-pid-1: no reaper process of
 * bwrap's own); when it exits, whatever it left running is killed.
 * Environment: exactly `env`, plus PATH = bin dir, then `path_extra`, then
 * /usr/local/bin:/usr/bin:/bin, HOME=/tmp and TMPDIR=/tmp (nothing comes from
 * the caller's environment). stdin is /dev/null; stdout and stderr go to
 * `log_path` (created or truncated).
 * If bwrap cannot set the sandbox up, bk_sandbox_finish() fails (status 1)
 * with bwrap's own message; if the bwrap program cannot be executed,
 * bk_sandbox_start() fails at once ("bwrap: cannot execute ...", also
 * written to the log): nothing ever runs unsandboxed. bwrap is looked up
 * once and started by its path with posix_spawn() (the caller's page
 * tables are not copied: starting a sandbox costs the same in a large
 * process as in a small one). */
#ifndef LAZYKITE_BK_SANDBOX_H
#define LAZYKITE_BK_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "buildkite/env.h"
#include "error.h"

struct bk_sandbox_spec {
    const char *command;
    const char *checkout;          /* required, absolute */
    const char *store_dir;         /* bound at store_at, or NULL */
    const char *store_at;          /* NULL: /nix/store (nixsim); /nix for real Nix's whole tree */
    const char *state_dir;         /* or NULL */
    const char *bin_dir;           /* first on PATH, or NULL */
    const char *path_extra;        /* more PATH entries (":"-separated), or NULL */
    const char *const *ro_paths;   /* NULL-terminated, or NULL */
    const char *const *rw_paths;   /* NULL-terminated, or NULL */
    const struct bk_env *env;
    const char *log_path;          /* required */
    const char *bwrap;             /* the bwrap program; NULL: "bwrap" on PATH */
};

struct bk_sandbox_proc {
    pid_t pid;
    int status_fd;   /* bwrap --json-status-fd, read end */
    char *status;    /* what bwrap reported so far */
    char *log_path;
};

int bk_sandbox_start(const struct bk_sandbox_spec *spec, struct bk_sandbox_proc *proc,
                     struct lk_error *err);
/* Read what bwrap reported so far without blocking (call on POLLIN). */
void bk_sandbox_read_status(struct bk_sandbox_proc *proc);
/* After waitpid(): the command's exit status (128+N if killed by signal N)
 * or -1 with bwrap's setup error (bwrap never reported the command's exit;
 * not checked when `killed`, i.e. after bk_sandbox_kill()). Releases the
 * proc's resources. */
int bk_sandbox_finish(struct bk_sandbox_proc *proc, int wait_status, bool killed, int *exit_status,
                      struct lk_error *err);
/* SIGKILL the PID namespace's init (bwrap's "child-pid", when bwrap has
 * reported it: read the status first) and bwrap's process group. */
void bk_sandbox_kill(const struct bk_sandbox_proc *proc);

#endif
