/* deps — closest known dependencies of derivations, read from the store.
 *
 * Contract: a `struct deps` holds a set of *known* derivations (the targets
 * that get a pipeline step, each with the caller's id) and answers, for any
 * derivation D, which known derivations are its *closest* dependencies: the
 * input derivations of D's `.drv` file are walked, and on every path the walk
 * stops at the first known derivation. A known direct input is taken; an
 * unknown one contributes its own closest known dependencies. D itself is
 * never part of its answer (a `.drv` graph has no cycles; a cycle in
 * malformed input is reported as bad input).
 *
 * Order of an answer (the order of TVL's //nix/dependency-analyzer, which
 * works on attribute-name-sorted sets, i.e. on sorted drv paths): the input
 * derivations are taken in the order of the `.drv` text, which Nix writes
 * sorted by path. First come, in that order, the inputs whose answer is
 * already settled when D's walk starts (a known input as itself, a settled
 * unknown one as its own answer); then, in that order, the answers of the
 * remaining unknown inputs, each computed depth-first. Duplicates keep their
 * first place. Asking for the known targets in manifest order therefore gives
 * exactly the `knownDeps` lists of TVL's analyzer.
 *
 * Cost: every `.drv` is read and parsed at most once per `struct deps`, and
 * every derivation's answer is computed once (no exponential blow-up on
 * diamonds); the walk uses an explicit stack (no recursion depth limit).
 * Store paths must be `/nix/store/<name>.drv`; with a `store_dir`, such a
 * path is read from `<store_dir>/<name>.drv`.
 *
 * Ownership: deps_new() returns an object the caller releases with
 * deps_free(); strings passed in are copied; arrays returned by
 * deps_closest() belong to the object and stay valid until deps_free(). */
#ifndef LAZYKITE_DEPS_H
#define LAZYKITE_DEPS_H

#include <stddef.h>

#include "error.h"

struct deps;

/* `store_dir`: the host directory that stands for /nix/store, or NULL to read
 * /nix/store itself. The string is copied. */
struct deps *deps_new(const char *store_dir);

/* Mark `drv_path` (a /nix/store path) as known with the caller's `id`. A path
 * added twice keeps its first id. Adding a known derivation after answers
 * were computed discards those answers (they are recomputed on demand;
 * arrays returned earlier stay valid until deps_free()). */
void deps_add_known(struct deps *d, const char *drv_path, size_t id);

/* The ids of the closest known dependencies of `drv_path` (known or not), in
 * the order described above; `*ids` may be NULL when `*n_ids` is 0. On error
 * (a `.drv` that cannot be read, is not a derivation, names an input outside
 * /nix/store, or a dependency cycle): -1 with a bad-input error whose file is
 * the `.drv` file read (the host path) and whose place is the byte offset
 * from the parser; the message names the /nix/store path and the derivation
 * that refers to it. */
int deps_closest(struct deps *d, const char *drv_path, const size_t **ids, size_t *n_ids,
                 struct lk_error *err);

/* Read now, on several threads, the `.drv` file of every derivation
 * reachable from the known ones that has not been read yet — the files
 * that asking deps_closest() for every known derivation would read one by
 * one. Optional: answers are the same without it. Nothing is reported
 * here: a file that cannot be read or parsed is read again by the
 * deps_closest() call that meets it, which reports the error. */
void deps_read_ahead(struct deps *d);

/* How many `.drv` files this object has read so far (each at most once,
 * except a file that failed in deps_read_ahead()). */
size_t deps_files_read(const struct deps *d);

void deps_free(struct deps *d);

#endif
