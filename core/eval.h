/* eval — the target manifest of a real depot, from one nix-instantiate call.
 *
 * Contract: eval_depot_manifest() runs, with posix_spawnp (so the program
 * found on PATH: real Nix, or the simulation's nixsim), exactly
 *
 *   <nix-instantiate> <pass-through…> --eval --strict --json --read-write-mode
 *       <manifest.nix> --arg depot <depot> --argstr targetsAttr <targets_attr>
 *
 * and returns its standard output (the manifest JSON, DESIGN §3).
 * <nix-instantiate> is opts->nix_instantiate, else $LAZYKITE_NIX_INSTANTIATE,
 * else `nix-instantiate`; the pass-through words (`--arg N E`, `--argstr N
 * V`, `-I P`, `--option N V`, `--show-trace`) go first, in order. <depot> is
 * the absolute depot directory as a Nix path literal when it can be one, else
 * as `/. + "<the path as a Nix string>"` (a space, `@`, any byte: the same
 * path). Read-write mode makes Nix write the `.drv` files; nothing is
 * realised. This is the only Nix call the core makes. Nix's standard error
 * passes through to ours as it comes.
 *
 * <manifest.nix> is $LAZYKITE_MANIFEST_NIX if set; else `<dir of the
 * running binary>/../core/nix/manifest.nix` (the source tree, for
 * build/lazykite); else `<dir of the binary>/../share/lazykite/manifest.nix`
 * (an installation moved elsewhere); else LAZYKITE_DATADIR/manifest.nix (the
 * installed copy).
 *
 * Errors: a depot dir that does not exist is bad input (status 2), and so
 * is an evaluation error — nix-instantiate exiting 1 after an `error:` line:
 * the message is that first line, naming the attribute evaluated; no
 * manifest.nix found, nix-instantiate not runnable, killed, or failing
 * without an `error:` line is status 1, the message naming the command and
 * its exit status.
 *
 * Ownership: *manifest_json (NUL-terminated, *len bytes) belongs to the
 * caller (free()). */
#ifndef LAZYKITE_EVAL_H
#define LAZYKITE_EVAL_H

#include <stddef.h>

#include "error.h"

/* How the evaluation went (on success). */
struct eval_stats {
    double seconds;           /* its wall time */
    size_t workers;           /* processes at once (1: the one unsharded call) */
    size_t n_processes;       /* the processes whose output was used */
    unsigned long *peak_kib;  /* their peak resident sets, in shard order (caller frees) */
};

struct eval_options {
    const char *targets_attr;    /* NULL: "ci.targets" */
    const char *nix_instantiate; /* NULL: $LAZYKITE_NIX_INSTANTIATE, else nix-instantiate */
    const char *const *extra;    /* words passed to nix-instantiate first, or NULL */
    size_t n_extra;
    size_t workers;              /* 0 or 1: the one call; else this many shards at once */
    unsigned long max_memory_mib; /* 0: no bound; else sharded, shards split above it */
    void (*notice)(void *ctx, const char *line); /* a shard split, or NULL */
    void *notice_ctx;
    struct eval_stats *stats;    /* filled on success, or NULL */
};
int eval_depot_manifest(const char *depot_dir, const struct eval_options *opts,
                        char **manifest_json, size_t *len, struct lk_error *err);

#endif
