/* realnix — the real-Nix backend of lazykite-sim (`--nix real`): Debian's
 * Nix 2.8 over a private store of the run, and what the harness derives
 * from that store where real Nix logs less than nixsim.
 *
 * Contract: realnix_init() makes <dir>/nix-root/nix (dir: where the run's
 * builds share their stores, parent builds included; what the store
 * already holds is taken as seen), the tree every
 * sandbox gets at /nix (store, database, roots: nothing is read from or
 * written to the machine's own /nix), and looks for the Nix programs
 * (`nix-store` on PATH, else an error naming what is missing: status 2).
 * realnix_config() is the NIX_CONFIG text of every step: no substituters,
 * no Nix sandbox, no build-users group, and the post-build-hook
 * (sim/nix/post-build-hook) that writes nixsim's `build` lines to
 * $LAZYKITE_LOG. realnix_step_done() appends to the realisation log what a
 * step did that real Nix does not log, each line's "cause" saying how it
 * was obtained: an `instantiate` event for every .drv file that appeared
 * in the store during the step (a listing of the store after each step),
 * and a `valid` event for each derivation of the depot whose output the
 * step's `result` or script link points at (the step realised it, built
 * or found valid). realnix_delete() runs real `nix-store --delete` on the
 * paths, against the run's store (a chroot store of Nix's own: `store =
 * <root>`), outside any sandbox. realnix_free() releases everything. */
#ifndef LAZYKITE_SIM_REALNIX_H
#define LAZYKITE_SIM_REALNIX_H

#include <stddef.h>

#include "error.h"
#include "nix/depot.h"
#include "strindex.h"

struct realnix {
    char *root;           /* <work>/nix-root */
    char *nix_dir;        /* <root>/nix: bound at /nix */
    char *store;          /* <root>/nix/store */
    char *nix_store;      /* the nix-store program */
    char **seen;          /* store entries seen so far */
    size_t n_seen, alloc_seen;
    struct strindex seen_idx;
    struct strindex out_idx; /* depot output path -> drv index */
    const struct depot *depot;
};

int realnix_init(struct realnix *rn, const char *dir, const struct depot *d, struct lk_error *err);
char *realnix_config(const char *hook);
/* phase, step: the step's LAZYKITE_PHASE and LAZYKITE_STEP; links: the
 * /nix/store paths its `result` and script links point at (or NULL). */
void realnix_step_done(struct realnix *rn, const char *log, const char *phase, const char *step,
                       const char *const *links, size_t n_links);
int realnix_delete(struct realnix *rn, const char *const *paths, size_t n, char **output,
                   struct lk_error *err);
void realnix_free(struct realnix *rn);

#endif
