/* fixture — the fixture depot file (fixtures/ *.yaml files): loader and model.
 *
 * Contract: fixture_load() reads one fixture file (format: fixtures/README.md,
 * DESIGN §4) with libyaml, validates all of it and returns the model below,
 * with every reference resolved to an index: build-script references
 * (`@{key}`, `@{key^output}`), `deps`, `ifd`, target `drv`, extra-step
 * `command` and `parentOverride`, `unchanged` labels, `expect` keys; a
 * `parent:` becomes the parent commit's fixture (f->parent, see
 * fixtureparent.c), loaded with it. Bad
 * input (unknown or duplicate keys at any level, wrong types, missing
 * references, dependency cycles, a command with several outputs, duplicate
 * labels, invalid Nix names, NUL bytes) fails with ONE error (status
 * LK_EXIT_INPUT) whose file is the fixture path and whose place is the YAML
 * `line:column` (1-based) of the offending node. No other I/O is done.
 *
 * Ownership: the returned `struct fixture` owns every string, array and
 * json_t inside it; fixture_free() releases it all (NULL is fine). Nothing
 * in it is shared with the caller. json_t values are jansson references
 * owned by the fixture (json_incref() to keep one longer). */
#ifndef LAZYKITE_SIM_FIXTURE_H
#define LAZYKITE_SIM_FIXTURE_H

#include <stddef.h>

#include <jansson.h>

#include "buildkite/outcome.h"
#include "error.h"
#include "strindex.h"

/* "no index" for optional references (e.g. an unset parentOverride). */
#define FIXTURE_NONE ((size_t)-1)
/* Tri-state booleans: unset (the consumer applies its default), false, true. */
#define FIXTURE_UNSET (-1)

struct fixture_pos {
    int line;   /* 1-based */
    int column; /* 1-based */
};

/* One piece of a build script: literal text, or a reference to an output. */
struct fixture_script_part {
    char *text;   /* literal text (after `@@` -> `@`); NULL for a reference */
    size_t drv;   /* reference: index into fixture.drvs */
    char *output; /* reference: output name (the first output for `@{key}`) */
};

struct fixture_drv {
    char *key;              /* the fixture's key (`tools/deployer`) */
    char *name;             /* Nix derivation name (explicit or derived from key) */
    char *build;            /* the script as written; NULL when absent (default script) */
    struct fixture_script_part *script; /* `build` parsed; the default script when absent */
    size_t n_script;
    size_t *deps;           /* indices, in file order */
    size_t n_deps;
    char **outputs;         /* output names, in file order; default {"out"} */
    size_t n_outputs;
    int outputs_explicit;   /* `outputs:` given with anything but exactly [out] */
    int fail;               /* the builder fails (`exit 1` after the script) */
    size_t *ifd;            /* evaluating this derivation builds these first */
    size_t n_ifd;
    int inline_target;      /* defined inline by a target (key = its label) */
    struct fixture_pos pos;
};

struct fixture_extra_step {
    char *name;             /* attribute name under meta.ci.extraSteps */
    size_t command;         /* index into fixture.drvs (exactly one output) */
    size_t parent_override; /* index, or FIXTURE_NONE */
    char *label;            /* NULL: unset (the step's label is then `name`) */
    int needs_output;       /* FIXTURE_UNSET / 0 / 1 */
    int always_run;
    int soft_fail;
    char **branches;        /* NULL when unset (n_branches 0); may be set and empty */
    size_t n_branches;
    json_t *prompt;         /* string or boolean; NULL unset */
    char *phase;            /* NULL unset */
    json_t *skip;           /* boolean or string; NULL unset */
    json_t *agents;         /* any JSON value (usually an object); NULL unset */
    struct fixture_pos pos;
};

struct fixture_target {
    char **attr_path;       /* readTree path (without the subtarget), >= 1 element */
    size_t n_attr_path;
    char *subtarget;        /* NULL when none */
    char *label;            /* attr path joined with `/`, then `:subtarget` */
    size_t drv;             /* index into fixture.drvs */
    int has_meta;           /* `meta:` present */
    int has_ci;             /* `meta.ci:` present */
    int has_timeout;
    long long timeout;      /* meta.timeout, seconds */
    char **extra_deps;      /* meta.ci.buildkiteExtraDeps; NULL when unset */
    size_t n_extra_deps;
    int has_extra_deps;
    json_t *extra_step_args; /* meta.ci.buildkiteExtraStepArgs (object); NULL unset */
    char *post_build;       /* meta.ci.postBuild; NULL unset */
    struct fixture_extra_step *steps; /* meta.ci.extraSteps, sorted by name (byte order) */
    size_t n_steps;
    int has_extra_steps;
    struct fixture_pos pos;
};

/* Step outcomes an `expect.steps` entry can name (fixtures/README.md). */
struct fixture_expect_step {
    char *label;            /* step label exactly as uploaded (":gear: x (from y)") */
    enum bk_outcome outcome; /* buildkite/outcome.h (BK_ABSENT: not uploaded) */
    struct fixture_pos pos;
};

struct fixture_built_by {
    size_t drv;             /* index into fixture.drvs */
    char *step;             /* label of the step that must build it */
    struct fixture_pos pos;
};

struct fixture_expect {
    size_t *construction_builds; /* drv indices; default none */
    size_t n_construction_builds;
    struct fixture_expect_step *steps;  /* in file order */
    size_t n_steps;
    struct fixture_built_by *built_by;  /* in file order */
    size_t n_built_by;
    char **violations;      /* invariant ids the run must report; default none */
    size_t n_violations;
    char **not_simulated;   /* what the run may report as not simulated ("plugins docker#v5", …) */
    size_t n_not_simulated;
    int generate_exit;      /* expected exit status of the generator (default 0) */
    char *generate_error;   /* substring its stderr must contain; NULL: none */
};

/* What the simulated REST API does for the fixture's build (run.api). */
enum fixture_api { FIXTURE_API_OK, FIXTURE_API_GARBAGE, FIXTURE_API_WRONG_TOKEN };
/* The simulated build as conditions see it (`build:`, all optional; NULL /
 * -1: unset, the harness's default). */
struct fixture_build {
    char *message, *tag, *source;
    int has_pull_request;
    char *pr_id, *pr_base_branch, *pr_repository;
    int pr_draft;           /* FIXTURE_UNSET / 0 / 1 */
    char **pr_labels;
    size_t n_pr_labels;
};

/* How the harness runs the fixture (all optional). */
struct fixture_run {
    int agents;             /* default 1 */
    int unblock;            /* unblock every block step; default 0 */
    int gc_drvs;            /* the gc-fallback check; default 0 */
    int nix_real;           /* real Nix plays it too (`nix: [sim, real]`, the default) */
    char *nix_reason;       /* why not, when `nix: [sim]` (required then) */
    enum fixture_api api;   /* default ok */
};

/* The invariant ids (DESIGN §6), NULL-terminated. */
extern const char *const fixture_invariants[];

struct fixture {
    char *path;             /* as given to fixture_load() */
    char *text;             /* the file's bytes (NUL-terminated), for export */
    size_t text_len;
    char *depot;            /* required */
    char *description;      /* NULL when absent */
    char *branch;           /* default "refs/heads/canon" */
    struct fixture_drv *drvs; /* `derivations` in file order, then inline targets */
    size_t n_drvs;
    size_t *order;          /* all drv indices, inputs before dependants */
    struct fixture_target *targets; /* in file order */
    size_t n_targets;
    size_t *unchanged;      /* target indices */
    size_t n_unchanged;
    struct fixture *parent; /* the parent commit's depot (`parent:`), or NULL; its
                               path "<path> (parent)", its text the YAML written out */
    json_t *pipeline;       /* object with the pipeline settings that are set */
    struct fixture_build build;
    char **changed_files;   /* the files the build's commit changes (if_changed) */
    size_t n_changed_files;
    int has_changed_files;  /* `changed_files:` given (even empty) */
    struct fixture_expect expect;
    struct fixture_run run;
    struct strindex drv_by_key_; /* internal: drv indices by key */
    size_t *target_by_label_; /* internal: target indices sorted by label */
};

/* Load and validate `path`. On success 0 and *out (free with fixture_free). */
int fixture_load(const char *path, struct fixture **out, struct lk_error *err);
/* The same from bytes in memory; `path` is used for messages and f->path. */
int fixture_load_bytes(const char *path, const char *data, size_t len, struct fixture **out,
                       struct lk_error *err);
void fixture_free(struct fixture *f);

/* Index of the derivation `key`, or FIXTURE_NONE. O(1). */
size_t fixture_find_drv(const struct fixture *f, const char *key);
/* Index of the target with `label`, or FIXTURE_NONE. */
size_t fixture_find_target(const struct fixture *f, const char *label);
/* A target's full path: its attr_path, then its subtarget if any
 * (fixturetarget.c); two compared element by element, a prefix first. */
size_t fixture_target_path_len(const struct fixture_target *t);
const char *fixture_target_path_elem(const struct fixture_target *t, size_t i);
int fixture_target_path_cmp(const struct fixture_target *a, const struct fixture_target *b);

#endif
