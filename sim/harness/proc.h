/* proc — run a helper program (git, nixsim, python3) and capture its output.
 *
 * Contract: proc_run() starts argv[0] with posix_spawnp() (PATH is searched when it has
 * no '/') in `cwd` (NULL: the current directory) with the caller's
 * environment plus `env` ("NAME=VALUE" strings, NULL-terminated, or NULL),
 * stdin /dev/null, stdout and stderr together into *output (NUL-terminated;
 * the caller frees; output may be NULL to discard). Returns the exit status
 * (128+N when killed by signal N), or -1 with `err` when the program could
 * not be started. */
#ifndef LAZYKITE_SIM_PROC_H
#define LAZYKITE_SIM_PROC_H

#include "error.h"

int proc_run(const char *const *argv, const char *cwd, const char *const *env, char **output,
             struct lk_error *err);

#endif
