/* pipeline — the whole pipeline of a manifest: validation, phases,
 * dependencies between target steps, and the drvmap (DESIGN §2).
 *
 * Contract: pipeline_generate() first checks everything that can be wrong
 * with the input and only then computes (reading `.drv` files for the
 * dependency analysis only when the build phase is enabled):
 *   - every phase name can name a chunk file (non-empty, no '/', not "." or
 *     "..") and appears once;
 *   - every active phase is a known phase ([fix]);
 *   - every extra step (targets in order, steps in name order): its phase is
 *     known ("In step '<label>' (from <parentLabel>): Phase '<phase>' is not
 *     valid. Known phases: <phases joined by ', '>"), it has no prompt in
 *     the "build" phase, its command derivation has exactly one output;
 *   - no two targets have one label ("targets <ptr> and <ptr> have the
 *     same label '<label>' (labels must be unique)").
 * Targets naming one drv share one step (steps.h: target_info_share),
 * made at the first one's place; the others make only their extra steps.
 * Errors are bad input naming the manifest file (or the CLI option a list
 * came from) and a JSON pointer; `.drv` errors come from deps.h.
 * The result has one entry per enabled phase (active phases in `phases`
 * order), each with its steps in order: build = per target its step and its
 * build-phase extra steps, then additionalSteps; release = release extra
 * steps, then postBuildSteps; any other phase = its extra steps. Without
 * the build phase no target steps are made.
 *
 * With `emit` set, the steps of a phase come out in pieces: the emitted
 * ones, in order, followed by those left in the result.
 *
 * Steps and the drvmap are compact JSON text with sorted keys (jsontext.h):
 * the files are these texts, joined.
 *
 * Ownership: the request is borrowed; a `struct pipeline` owns its names
 * and texts, released by pipeline_free() (safe on a zeroed one). */
#ifndef LAZYKITE_PIPELINE_H
#define LAZYKITE_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "manifest.h"
#include "strbuf.h"

/* Steps as JSON texts, one after another in `text`: step i is the bytes
 * from step_list_start(l, i) to ends[i]. */
struct step_list {
    struct strbuf text;
    size_t *ends;
    size_t n, alloc;
};
size_t step_list_start(const struct step_list *l, size_t i);

/* Where a setting came from, for error messages. */
struct origin {
    const char *file;   /* manifest file, or the CLI option ("--phases") */
    const char *place;  /* JSON pointer of the list, or NULL */
};

struct generate_request {
    const struct manifest *manifest;    /* pipeline settings already merged with the CLI */
    const char *manifest_file;          /* names the manifest in errors */
    const struct parent_map *parent_map; /* NULL: nothing is skipped */
    const char *store_dir;              /* host dir standing for /nix/store; NULL: /nix/store */
    struct origin phases_origin;        /* file NULL: manifest_file, /pipeline/phases */
    struct origin active_phases_origin; /* file NULL: manifest_file, /pipeline/activePhases */
    bool no_deps;                       /* no inter-target depends_on: no .drv is read */
    /* Optional: called with a phase's steps whenever its array reaches
     * `emit_every` (> 0) steps while targets are processed; the steps are
     * then dropped from the result (the list is cleared), so that a large
     * pipeline need not be held whole. A non-zero return stops generation
     * with that error. NULL: every step stays in the result. */
    int (*emit)(void *ctx, const char *phase, const struct step_list *steps,
                struct lk_error *err);
    void *emit_ctx;
    size_t emit_every;
};

struct phase_steps {
    char *name;
    struct step_list steps;
};

struct pipeline {
    struct phase_steps *phases; /* the enabled phases, in order (possibly without steps) */
    size_t n_phases;
    char *drvmap;       /* JSON object: label -> {"attrPath", "drvPath"} for every target, and "\n" */
    size_t n_skipped;   /* target steps skipped: every target they serve is unchanged */
};

int pipeline_generate(const struct generate_request *req, struct pipeline *out,
                      struct lk_error *err);
void pipeline_free(struct pipeline *p);

#endif
