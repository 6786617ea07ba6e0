/* upload — `lazykite upload`: the chunks `lazykite generate -o DIR` wrote,
 * uploaded to the running Buildkite build.
 *
 * Contract: upload_plan_read() finds, for each phase asked for, its chunks
 * `DIR/<phase>-chunk-<n>.json` (n = 1, 2, … without leading zeros) and
 * checks every one before anything is uploaded: DIR is a directory; each
 * phase's numbers are exactly 1..n (a gap, or a name `<phase>-chunk-…` of
 * any other form, is an error naming the file); each chunk is readable and
 * is a JSON object with a `steps` array. Every such problem is bad input
 * (LK_EXIT_INPUT). A phase with no chunk is no error: the plan says so.
 *
 * The plan lists the chunks in upload order. An upload inserts its steps
 * right after the uploading step, so the build ends up holding the phases
 * in the order given, each in chunk order, only when the whole sequence
 * goes up reversed: the last chunk of the last phase first, the first chunk
 * of the first phase last (chunk numbers compared as numbers).
 *
 * upload_run() makes one `buildkite-agent pipeline upload FILE` call per
 * chunk, in plan order, interpolation on (the chunks are written for it:
 * every `$` is `$$`). The agent is $BUILDKITE_AGENT_PATH when set and
 * non-empty, else `buildkite-agent` on PATH; it runs with this process's
 * stdout, stderr and environment and stdin /dev/null. A missing agent, or a
 * call that exits non-zero or is killed, is LK_EXIT_FAIL naming the chunk;
 * no later chunk is uploaded. upload_dry_run() uploads nothing: for each
 * upload, in order, it writes `# buildkite-agent pipeline upload FILE` and
 * the chunk as the caller's render function shows it.
 *
 * The plan owns everything it holds; upload_plan_free() releases it (also a
 * zeroed or partly filled one). Nothing here prints except upload_dry_run()
 * to its `out`, and nothing exits. */
#ifndef LAZYKITE_UPLOAD_H
#define LAZYKITE_UPLOAD_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct upload_chunk {
    char *path;     /* DIR/<phase>-chunk-<n>.json */
    size_t phase;   /* index into the phases given */
    size_t number;  /* n */
    size_t steps;   /* entries of its `steps` array (0 until read) */
};

struct upload_plan {
    struct upload_chunk *chunks; /* in upload order */
    size_t n_chunks;
    size_t n_phases;             /* as given; per phase: */
    size_t *phase_chunks;        /*   its chunks (0: none) */
    size_t *phase_steps;         /*   their steps */
};

/* The plan for a directory listing (`names`, in any order; names of other
 * files are ignored) without touching the file system: chunk paths, phases
 * and order, steps 0. -1 with err on a gap or a malformed chunk name. */
int upload_order(const char *dir, const char *const *names, size_t n_names,
                 const char *const *phases, size_t n_phases, struct upload_plan *plan,
                 struct lk_error *err);
/* The number of steps of a chunk's text; -1 with err (naming `path`) when
 * it is not JSON, or not an object with a `steps` array. */
int upload_count_steps(const char *path, const char *text, size_t len, size_t *steps,
                       struct lk_error *err);
/* Lists DIR, orders (upload_order) and reads and checks every chunk
 * (upload_count_steps), filling the step counts. */
int upload_plan_read(const char *dir, const char *const *phases, size_t n_phases,
                     struct upload_plan *plan, struct lk_error *err);
void upload_plan_free(struct upload_plan *plan);

int upload_run(const struct upload_plan *plan, struct lk_error *err);

/* For --dry-run: the chunk `text` read from `path` as the agent sees it
 * after upload interpolation, as text (the caller of upload_dry_run()
 * supplies it; the result is freed with free()), or NULL with err. */
typedef char *upload_render_fn(void *ctx, const char *path, const char *text, size_t len,
                               struct lk_error *err);
int upload_dry_run(const struct upload_plan *plan, upload_render_fn *render, void *ctx, FILE *out,
                   struct lk_error *err);

#endif
