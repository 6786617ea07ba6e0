/* chunks — the output directory: pipeline chunks and drvmap.json.
 *
 * Contract: each enabled phase with steps becomes `<phase>-chunk-<n>.json`
 * files (n from 1), each `{"steps": [...]}` with at most CHUNK_MAX_STEPS
 * steps, in step order; `drvmap.json` holds the drvmap. Every file is
 * compact JSON with object keys sorted by byte order at every depth (as
 * Nix's toJSON), followed by a newline. pipeline_write() builds the
 * directory as a temporary sibling of `out_dir` and renames it into place
 * (replacing an existing one); on error nothing is left behind (status 1:
 * a system failure).
 *
 * Ownership: chunk_list_make() returns chunks the caller releases with
 * chunk_list_free(); each holds its own reference to its steps. */
#ifndef LAZYKITE_CHUNKS_H
#define LAZYKITE_CHUNKS_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "pipeline.h"

#define CHUNK_MAX_STEPS 192

struct chunk {
    char *file_name;    /* "<phase>-chunk-<n>.json" */
    json_t *doc;        /* {"steps": [...]} */
};

struct chunk_list {
    struct chunk *items;
    size_t n;
};

void chunk_list_make(const struct pipeline *p, struct chunk_list *out);
void chunk_list_free(struct chunk_list *l);

/* Compact JSON text with sorted keys and a final newline; the caller frees. */
char *json_dump_sorted(const json_t *v);

int pipeline_write(const struct pipeline *p, const char *out_dir, struct lk_error *err);

#endif
