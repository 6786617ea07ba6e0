/* builder — run one builder process, tied to the realiser that runs it.
 *
 * Contract: builder_run() starts `exe` with `argv` and exactly `envp`, cwd
 * `dir`, stdin /dev/null, stdout on our stderr, SIGPIPE at its default, in
 * a process group of its own, and waits for it; *wstatus is its wait
 * status. The builder never outlives its realiser:
 *   - it gets PR_SET_PDEATHSIG = SIGKILL: it dies when this process dies,
 *     however it dies (SIGKILL included);
 *   - its process group is killed (SIGKILL) on every way out of
 *     builder_run(), and by the handler builder_run() installs for SIGTERM,
 *     SIGINT, SIGHUP and SIGQUIT (where they are not ignored) before this
 *     process dies of that signal;
 *   - the descriptors `keep[0..n_keep)` (the output locks) are inherited by
 *     it, so a process it left behind (in another process group) still
 *     holds them: a rebuild of the same outputs waits for it.
 * It is started as posix_spawn() starts a process (clone(CLONE_VM |
 * CLONE_VFORK): nothing is copied from a large parent). Returns 0 when the
 * builder ran (whatever its status); when it could not be executed, 0 with
 * *exec_errno set and *wstatus 127 << 8; -1 (err) for an error of ours. */
#ifndef LAZYKITE_SIM_BUILDER_H
#define LAZYKITE_SIM_BUILDER_H

#include <stddef.h>

#include "error.h"

int builder_run(const char *exe, char *const argv[], char *const envp[], const char *dir,
                const int *keep, size_t n_keep, int *wstatus, int *exec_errno,
                struct lk_error *err);

#endif
