/* depot — a fixture depot instantiated in memory, exactly as real Nix
 * instantiates its exported default.nix (exportnix.h).
 *
 * Contract: every fixture derivation becomes the derivation that
 * `builtins.derivation` makes of the attribute set documented in
 * fixtures/README.md ("What each derivation is"): Nix-exact ATerm bytes,
 * output paths (hashDerivationModulo) and `.drv` store path, computed in
 * dependency order (inputs before dependants). The attribute tree
 * (`import ./. {}`) can be queried with depot_resolve(), and the target
 * manifest of DESIGN §3 is built by depot_manifest().
 *
 * Ownership: a `struct depot` owns everything reachable from it; pointers
 * returned by the accessors (and every field of `struct depot_drv`) stay
 * valid until depot_free(). depot_open() owns the fixture it loads;
 * depot_from_fixture() borrows `f`, which must outlive the depot.
 * depot_manifest() returns a new json_t reference the caller owns.
 * Instantiation (depot_open, depot_from_fixture) makes the derivations of
 * one dependency level at once on threads of its own (core/parallel.h); the
 * result, and the first error in dependency order, are those of making them
 * one by one. */
#ifndef LAZYKITE_SIM_DEPOT_H
#define LAZYKITE_SIM_DEPOT_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "nix/fixture.h"

#define DEPOT_SYSTEM "x86_64-linux"
#define DEPOT_BUILDER "/bin/sh"
#define DEPOT_PATH "/usr/bin:/bin"

struct depot_drv {
    const char *key;        /* the fixture key */
    const char *name;       /* the derivation name */
    const char *drv_path;   /* /nix/store/…-<name>.drv */
    const char *const *out_names; /* the outputs, sorted by name (as in the ATerm) */
    const char *const *out_paths; /* ... and their store paths */
    size_t n_outputs;
    const char *aterm;      /* the `.drv` file's exact bytes (NUL-terminated) */
    size_t aterm_len;
    const size_t *inputs;   /* depot indices of its input derivations (each
                               once): its references */
    size_t n_inputs;
    const size_t *ifd;      /* depot indices of drvs that evaluating this one builds first */
    size_t n_ifd;
    int fails;              /* the builder exits 1 */
    size_t fixture_index;   /* index into fixture->drvs */
};

struct depot;

/* Read `<depot_dir>/depot.yaml` and instantiate it. */
int depot_open(const char *depot_dir, struct depot **out, struct lk_error *err);
/* Instantiate a loaded fixture (borrowed; must outlive the depot). */
int depot_from_fixture(const struct fixture *f, struct depot **out, struct lk_error *err);
void depot_free(struct depot *d);

const struct fixture *depot_fixture(const struct depot *d);

/* The derivations in dependency order (inputs before dependants). */
size_t depot_n_drvs(const struct depot *d);
const struct depot_drv *depot_drv_at(const struct depot *d, size_t i);
/* 0 and *idx set when `drv_path` is one of the depot's, else -1 (no error). */
int depot_find_drv_path(const struct depot *d, const char *drv_path, size_t *idx);
/* The depot index of fixture key `key`, or (size_t)-1. */
size_t depot_find_key(const struct depot *d, const char *key);
/* The depot index of fixture derivation `fixture_index`. */
size_t depot_index_of_fixture_drv(const struct depot *d, size_t fixture_index);
/* The output path of output `output` of drv `i`; NULL if no such output. */
const char *depot_output_path(const struct depot *d, size_t i, const char *output);

/* What an attribute path of `import ./. {}` evaluates to. */
struct depot_value {
    enum { DV_DRV, DV_ATTRS, DV_FUNCTION, DV_OTHER } kind;
    /* DV_DRV: depot index of the derivation. DV_FUNCTION (a parentOverride):
     * depot index of the derivation it returns when applied to its target.
     * Otherwise (size_t)-1. */
    size_t drv;
    /* DV_DRV: the output selected (`x.out`, `x.dev`), or the first output. */
    const char *output;
};

/* Resolve `attrs[0..n)` in the exported tree: targets (attrPath, then the
 * subtarget), `<target>.<output>`, `<target>.meta…` with
 * `meta.ci.extraSteps.<name>.command` (DV_DRV) and `.parentOverride`
 * (DV_FUNCTION), `ci`, `ci.targets`, `ci.pipeline` (DV_OTHER). n == 0 is
 * the root (DV_ATTRS). A missing attribute fails (status LK_EXIT_FAIL, no
 * file/place) with Nix's wording: "attribute 'x' missing"; selecting from a
 * value that is not an attribute set: "value is <kind> while a set was
 * expected". */
int depot_resolve(const struct depot *d, const char *const *attrs, size_t n,
                  struct depot_value *out, struct lk_error *err);

/* The target manifest (DESIGN §3): {"version": 1, "pipeline": {the settings
 * the fixture sets}, "targets": [...]} in fixture order, each target with
 * attrPath (readTree path + subtarget), subtarget, drvPath, outputs and the
 * meta fields the fixture sets (extra-step commands as {drvPath, outputs},
 * parentOverride as {drvPath}). Cannot fail today; `err` for symmetry. */
json_t *depot_manifest(const struct depot *d, struct lk_error *err);

#endif
