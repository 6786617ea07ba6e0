/* evalpool — nix-instantiate processes evaluating the shards of a depot at
 * once, each watched.
 *
 * Contract: evalpool_run() runs `o->argv` (argv[0] found on PATH, with
 * this process's environment), once unsharded when o->workers is 0, else
 * once per shard with ` --arg shard I --arg shards N` appended: first the
 * shards 0..W-1 of W = o->workers, at most W processes at a time. With W
 * of 2 or more, `o->open_argv` (when set) runs alone first, its output
 * dropped: Nix 2.8 processes that create a new store at the same moment
 * race (`SQLite database … is busy`, `schema is corrupt`), so one call that
 * opens the store (`nix-instantiate --eval -E null`) creates it first. Each
 * process gets standard input /dev/null and dies with this process
 * (PR_SET_PDEATHSIG). Its standard output is collected; its standard error
 * goes through to ours a whole line at a time, as it comes, but for the
 * `trace: lazykite-shard {…}` line manifest.nix prints before a shard's
 * targets (its count, total and, for one target, which), which is read and
 * not shown. The first line starting `error:` is kept.
 *
 * Memory: with o->max_rss_kib, every process's peak resident set (VmHWM)
 * is read every EVALPOOL_RSS_POLL_MS, and again when it ends (wait4's,
 * which the kernel never lets fall below this process's resident set when
 * it forked, so taken only when above that — in practice always), so the
 * outcome does not depend on when it was looked at. One above the bound is killed
 * (SIGKILL) or, when it had ended, its output dropped; its shard I of N is
 * split into I of 2N and I+N of 2N, queued for fresh processes (o->notice,
 * when set, is told so in one line). A shard of one target (its trace line
 * said so) above the bound is an error naming the target. One whose trace
 * line had not come, that held no target, or whose resident set when the
 * trace line came (the depot evaluated, not yet its targets) was already
 * above the bound is an error saying the depot exceeds it: splitting would
 * not help. Both are bad input (LK_EXIT_INPUT).
 *
 * Failure: a process exiting 1 after an `error:` line is an evaluation
 * error: bad input, the message `evaluating <what>[ (shard I of N)]:
 * <that line>`. One that cannot be run, is killed, or fails without an
 * `error:` line is LK_EXIT_FAIL, naming the command and its status. On any
 * failure every other process is stopped (SIGTERM, then SIGKILL after
 * EVALPOOL_GRACE_MS) and waited for before evalpool_run() returns; its
 * output is dropped. On success *shards holds every evaluated shard's
 * output and peak resident set (in the order they ended; the shards
 * partition the targets),
 * and the caller frees it with evalpool_free(). */
#ifndef LAZYKITE_EVALPOOL_H
#define LAZYKITE_EVALPOOL_H

#include <stddef.h>

#include "error.h"

#define EVALPOOL_RSS_POLL_MS 50
#define EVALPOOL_GRACE_MS 500

struct evalpool_options {
    char *const *argv;        /* the call, NULL-terminated */
    char *const *open_argv;   /* a call that only opens the store, or NULL */
    const char *file;         /* errors name it (the depot as given) */
    const char *what;         /* "the depot's ci.targets" */
    const char *targets_attr; /* "ci.targets", to name a target */
    size_t workers;           /* 0: one unsharded call */
    unsigned long max_rss_kib; /* 0: no bound */
    const char *bound_text;   /* how the bound was given, for messages */
    void (*notice)(void *ctx, const char *line); /* or NULL */
    void *notice_ctx;
};

struct evalpool_shard {
    size_t index, count;      /* shard `index` of `count` (0 of 0 unsharded) */
    char *out;                /* its standard output, NUL-terminated */
    size_t len;
    unsigned long peak_kib;   /* its process's peak resident set */
};

int evalpool_run(const struct evalpool_options *o, struct evalpool_shard **shards, size_t *n,
                 struct lk_error *err);
void evalpool_free(struct evalpool_shard *shards, size_t n);

#endif
