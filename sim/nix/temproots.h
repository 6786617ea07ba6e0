/* temproots — temporary GC roots of running builds, and the GC lock.
 *
 * Contract: as Nix protects what a build uses, a realising process
 * registers temporary roots, and `nix-store --delete` keeps them alive:
 *   state/gc.lock           taken shared (temproots_lock(s, 0)) while a
 *                           process checks paths and makes them temporary
 *                           roots, exclusive (temproots_lock(s, 1)) for the
 *                           whole of a deletion: no path a deletion judged
 *                           dead becomes a temporary root meanwhile, and no
 *                           path a realiser found valid is deleted before
 *                           it is a root;
 *   state/temproots/<pid>   the process's roots, one store path a line,
 *                           flock'ed exclusively by its process as long as
 *                           it lives; a file whose lock can be taken is
 *                           stale (its process died) and is removed.
 * temproots_add() appends to this process's file (created on first use);
 * temproots_release() removes it. temproots_read() returns every live
 * process's roots (sorted, unique; the caller frees them with
 * strv_free()); call it holding the exclusive lock. */
#ifndef LAZYKITE_SIM_TEMPROOTS_H
#define LAZYKITE_SIM_TEMPROOTS_H

#include <stddef.h>

#include "error.h"
#include "nix/store.h"

int temproots_lock(const struct store *s, int exclusive, int *fd, struct lk_error *err);
void temproots_unlock(int fd);
int temproots_add(const struct store *s, const char *const *paths, size_t n,
                  struct lk_error *err);
void temproots_release(const struct store *s);
int temproots_read(const struct store *s, char ***paths, size_t *n, struct lk_error *err);

#endif
