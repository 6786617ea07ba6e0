/* evalmerge — the manifest of a sharded evaluation, as one nix-instantiate
 * would have printed it.
 *
 * Contract: eval_merge() takes the standard outputs of the shards of one
 * evaluation of core/nix/manifest.nix. Shard I of N holds the targets whose
 * index in the target list is I modulo N, in list order; the shards given
 * must together hold every index exactly once (N shards I = 0..N-1, where a
 * shard may have been split into I of 2N and I+N of 2N, and so on). Each
 * text must be a JSON object with a "targets" array; every other member
 * must be the same text in every shard (Nix prints the same value the same
 * way). The result is the first shard's text with its "targets" array
 * replaced by all the targets in index order, written as Nix writes an
 * array (`[` elements joined by `,` `]`): for the output of manifest.nix,
 * byte for byte what the unsharded call prints. The number of targets each
 * shard holds must be the one its index and modulus give for the total.
 *
 * Errors: a text that is not such an object is bad input (LK_EXIT_INPUT,
 * file `file`, the shard named); shards that disagree or do not fit
 * together are LK_EXIT_FAIL. Ownership: *json (NUL-terminated, *len bytes)
 * is the caller's to free. */
#ifndef LAZYKITE_EVALMERGE_H
#define LAZYKITE_EVALMERGE_H

#include <stddef.h>

#include "error.h"

struct eval_shard_text {
    size_t index, count; /* shard `index` of `count` */
    const char *text;
    size_t len;
};

int eval_merge(const struct eval_shard_text *shards, size_t n, const char *file, char **json,
               size_t *len, struct lk_error *err);

#endif
