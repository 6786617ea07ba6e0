/* realise — build derivations of the store, closure first, as Nix does.
 *
 * Contract: realise() makes every output of each requested `.drv` (a valid
 * store path) valid. The closure is walked first: an input derivation whose
 * outputs are all valid is not entered; the derivations that need building
 * are built inputs-first. The walk runs under the shared GC lock, and every
 * derivation it reaches, with its outputs and input sources, is a temporary
 * root (temproots.h) until realise() returns. Each build:
 *   - takes the flock of every output (sorted, blocking) and re-checks
 *     validity: another process may have built it meanwhile (`valid` event);
 *   - removes stale unregistered output paths, makes a fresh build directory
 *     under $TMPDIR (default /tmp), and runs the builder with its args and
 *     exactly the derivation's environment plus Nix 2.8's fixed variables
 *     (PATH=/path-not-set unless set, HOME=/homeless-shelter,
 *     NIX_STORE=/nix/store, NIX_BUILD_CORES, NIX_BUILD_TOP, TMPDIR, TEMPDIR,
 *     TMP, TEMP, PWD = the build directory, NIX_LOG_FD=2,
 *     TERM=xterm-256color), cwd the build directory, stdin /dev/null, its
 *     stdout and stderr on our stderr, umask 022. When the store is not at
 *     /nix/store itself the builder runs under bwrap with the store directory
 *     bound at /nix/store. It never outlives the realiser, and anything it
 *     leaves behind holds the output locks (builder.h);
 *   - on success scans the outputs for references (hash parts of the
 *     input closure and of its own outputs, as Nix does) and registers each
 *     output valid (deriver = the `.drv`), then logs a `build` event;
 *   - on failure removes the outputs (nothing becomes valid), logs `fail`.
 * Events carry `cause` from the options. Requested derivations that were
 * valid from the start log `valid`. An event that cannot be written to the
 * realisation log is an error (-1, `err` names the log; a build already
 * made stays valid): the log is what a run is judged by.
 *
 * Errors: Nix 2.8's messages and exit status — a failed build is status 100
 * ("builder for '…' failed with exit code N", or "N dependencies of
 * derivation '…' failed to build" with the builder line in the log); a
 * missing `.drv` is status 1 ("cannot build missing derivation '…'").
 * Progress lines ("these N derivations will be built:", "building '…'...")
 * go to opts->log when it is not NULL. Arguments are borrowed. */
#ifndef LAZYKITE_REALISE_H
#define LAZYKITE_REALISE_H

#include <stddef.h>
#include <stdio.h>

#include "drv.h"
#include "error.h"
#include "store.h"

#define REALISE_EXIT_BUILD_FAILED 100

struct realise_opts {
    const char *cause; /* recorded in the events, e.g. "ifd while evaluating web/site" */
    FILE *log;         /* Nix's progress lines; NULL: silent */
};

int realise(const struct store *s, const char *const *drv_paths, size_t n,
            const struct realise_opts *opts, struct lk_error *err);

/* Read the `.drv` at store path `drv_path` from the store (it must be
 * valid: else "path '…' is not valid"). */
int realise_read_drv(const struct store *s, const char *drv_path, struct drv *out,
                     struct lk_error *err);

#endif
