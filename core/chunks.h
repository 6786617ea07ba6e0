/* chunks — the output directory: pipeline chunks and drvmap.json.
 *
 * Contract: each enabled phase with steps becomes `<phase>-chunk-<n>.json`
 * files (n from 1), each `{"steps": [...]}` with at most CHUNK_MAX_STEPS
 * steps, in step order; `drvmap.json` holds the drvmap. Every file is
 * compact JSON with object keys sorted by byte order at every depth (as
 * Nix's toJSON), followed by a newline: the texts the pipeline holds.
 * pipeline_write() builds the directory as a temporary sibling of
 * `out_dir` and swaps it into place (outdir.h: only a previous output or an
 * empty directory is replaced; the directory carries OUTDIR_MARKER); on
 * error nothing is left behind and nothing is replaced.
 *
 * A chunk_writer writes the same directory in pieces, for a pipeline
 * generated in batches (generate_request.emit): chunk_writer_emit() writes
 * the next chunk files of a phase (numbering continues per phase; every
 * batch but a phase's last must hold a multiple of CHUNK_MAX_STEPS steps
 * for the files to be those of the whole list); chunk_writer_finish() adds
 * the steps left in the pipeline and drvmap.json and renames the directory
 * into place. The temporary directory is made by chunk_writer_begin() (a
 * caller that wants `out_dir` checked before it starts working) or on the
 * first write; until finish succeeds nothing is in place, and
 * chunk_writer_free() removes it. */
#ifndef LAZYKITE_CHUNKS_H
#define LAZYKITE_CHUNKS_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "pipeline.h"

#define CHUNK_MAX_STEPS 192

/* The whole pipeline at once: a chunk_writer's finish. */
int pipeline_write(const struct pipeline *p, const char *out_dir, struct lk_error *err);

struct chunk_writer;
/* `out_dir` is copied; the caller releases the writer with chunk_writer_free(). */
struct chunk_writer *chunk_writer_new(const char *out_dir);
int chunk_writer_begin(struct chunk_writer *w, struct lk_error *err);
/* Write the next chunk files of a phase; generate_request.emit's shape (ctx = the writer). */
int chunk_writer_emit(void *writer, const char *phase, const struct step_list *steps,
                      struct lk_error *err);
int chunk_writer_finish(struct chunk_writer *w, const struct pipeline *p, struct lk_error *err);
void chunk_writer_free(struct chunk_writer *w);
/* What was written: for each phase that has chunk files (i from 0, in the
 * order first written), its name, chunk files and steps. */
size_t chunk_writer_n_phases(const struct chunk_writer *w);
void chunk_writer_phase(const struct chunk_writer *w, size_t i, const char **name, size_t *chunks,
                        size_t *steps);

#endif
