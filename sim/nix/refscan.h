/* refscan — Nix's reference scanning: which of a set of candidate store
 * paths the files under a path mention. A candidate is found when its
 * 32-character hash part occurs anywhere in a file's bytes, a symlink's
 * target or an entry's name (a run of Nix base-32 characters).
 *
 * Contract: refscan_new() indexes the candidates (borrowed: they must
 * outlive the index; each at least STORE_PREFIX_LEN + 32 bytes).
 * refscan_tree() scans the tree at `host_path` (not following symlinks)
 * and gives the candidates found, sorted by hash part, as new strings in a
 * new array the caller frees (also on an error, then empty); -1 with err
 * when the tree cannot be read. */
#ifndef LAZYKITE_SIM_REFSCAN_H
#define LAZYKITE_SIM_REFSCAN_H

#include <stddef.h>

#include "error.h"

struct refscan;

struct refscan *refscan_new(const char *const *cands, size_t n);
int refscan_tree(struct refscan *rs, const char *host_path, char ***found, size_t *n_found,
                 struct lk_error *err);
void refscan_free(struct refscan *rs);

#endif
