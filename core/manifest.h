/* manifest — the target manifest (DESIGN §3) and the parent target map,
 * read with jansson into plain structs.
 *
 * Contract: manifest_parse() accepts exactly the documented JSON shape and
 * rejects anything else with a bad-input error naming the file and the
 * place: "line:column" for malformed JSON (jansson's position, duplicate
 * keys rejected), a JSON pointer for a wrong type or missing field (e.g.
 * `/targets/3/meta/ci/extraSteps/deploy/phase: expected a string`). Unknown
 * members are ignored at the top level and in targets, `meta` and
 * `meta.ci`; they are errors in `pipeline` and in an extra step (as in the
 * reference, whose extra-step function takes no other argument). Defaults
 * (DESIGN §2) are filled in: phases `build, release`, activePhases = phases
 * (has_active_phases false), empty additionalSteps/postBuildSteps/
 * defaultStepOverrides, extra-step label = attribute name, phase `build`,
 * skip false. Extra steps are sorted by attribute name (byte order, as
 * Nix's attrNames). Store paths (target and command `drvPath`,
 * `parentOverride.drvPath`) must look like `/…/<32 chars [0-9a-z]>-<name>.drv`.
 *
 * Semantic checks that need the whole pipeline (phase names, prompts in the
 * build phase, number of command outputs) are made by pipeline.c.
 *
 * Ownership: a `struct manifest` owns every string, array and json_t
 * reference in it; manifest_free() releases them (and may be called on a
 * zeroed or failed manifest). json_t members hold one reference each. */
#ifndef LAZYKITE_MANIFEST_H
#define LAZYKITE_MANIFEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct string_list {
    char **items;
    size_t n;
};

struct extra_step {
    char *name;                 /* attribute name in meta.ci.extraSteps */
    char *pointer;              /* JSON pointer of the step in the manifest */
    char *command_drv;          /* command.drvPath */
    size_t n_command_outputs;   /* length of command.outputs (1 when absent) */
    char *label;                /* default: name */
    bool needs_output;
    char *parent_override_drv;  /* parentOverride.drvPath, NULL: none */
    bool has_branches;
    struct string_list branches;
    bool always_run;
    bool has_prompt;            /* prompt given and not `false` */
    char *prompt;               /* the prompt when it is a string, else NULL */
    bool soft_fail;
    char *phase;                /* default "build" */
    json_t *skip;               /* false, true or a string */
    json_t *agents;             /* NULL: none */
};

struct target {
    char *pointer;              /* "/targets/<i>" */
    struct string_list attr_path;
    char *subtarget;            /* NULL: none */
    char *drv_path;
    bool has_timeout;
    json_int_t timeout;         /* meta.timeout, seconds */
    struct string_list extra_deps;   /* meta.ci.buildkiteExtraDeps */
    json_t *extra_step_args;    /* meta.ci.buildkiteExtraStepArgs, NULL: none */
    char *post_build;           /* meta.ci.postBuild, NULL: none */
    struct extra_step *extra_steps; /* sorted by name */
    size_t n_extra_steps;
};

struct pipeline_settings {
    char *head_branch;          /* NULL: not given (not used in the output) */
    struct string_list phases;
    bool has_active_phases;
    struct string_list active_phases;
    bool cancel_on_build_failing;
    json_t *additional_steps;   /* array */
    json_t *post_build_steps;   /* array */
    json_t *default_step_overrides; /* object */
};

struct manifest {
    struct pipeline_settings pipeline;
    struct target *targets;
    size_t n_targets;
};

/* Parse `len` bytes of manifest JSON; errors name `file`. `m` is zeroed
 * first and left freeable on error. */
int manifest_parse(const char *text, size_t len, const char *file, struct manifest *m,
                   struct lk_error *err);
int manifest_load(const char *path, struct manifest *m, struct lk_error *err);
/* manifest_parse() reads the document piece by piece (jsonscan.h), the
 * targets in parallel when there are many; manifest_parse_whole() reads it
 * whole with jansson first. Both give the same result and the same error
 * for every text (the fast one falls back to the whole reading for errors
 * in the JSON itself); the tests compare them. */
int manifest_parse_whole(const char *text, size_t len, const char *file, struct manifest *m,
                         struct lk_error *err);
void manifest_free(struct manifest *m);

/* The parent target map (a previous drvmap.json): label -> drv path. */
struct parent_map {
    json_t *drvs;               /* object: label -> JSON string (drv path) */
};
int parent_map_parse(const char *text, size_t len, const char *file, struct parent_map *pm,
                     struct lk_error *err);
int parent_map_load(const char *path, struct parent_map *pm, struct lk_error *err);
/* Check text as parent_map_parse() reads it — the same verdict and the
 * same error — without keeping the map: a valid map is read entry by entry
 * (jsonscan.h), so it costs little more memory than its text; anything
 * else is read whole for the error. *n_labels: how many labels it has. */
int parent_map_check(const char *text, size_t len, const char *file, size_t *n_labels, struct lk_error *err);
/* The drv path recorded for `label`, or NULL (also for an empty map). */
const char *parent_map_drv(const struct parent_map *pm, const char *label);
void parent_map_free(struct parent_map *pm);

/* Read JSON text with jansson (duplicate keys rejected); malformed JSON
 * is a bad-input error at "line:column". The caller owns *out. */
int manifest_json_text(const char *text, size_t len, const char *file, json_t **out,
                   struct lk_error *err);
/* A steps file (--additional-steps, --post-build-steps): a JSON array of
 * objects. An overrides file (--default-step-overrides): a JSON object. */
int steps_file_load(const char *path, json_t **out, struct lk_error *err);
int overrides_file_load(const char *path, json_t **out, struct lk_error *err);

void string_list_free(struct string_list *l);
/* Split a comma-separated list ("a,b"); empty items are dropped. */
void string_list_split(struct string_list *l, const char *list);

#endif
