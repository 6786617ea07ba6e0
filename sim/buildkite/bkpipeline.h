/* bkpipeline — Buildkite pipeline documents: loading (JSON or YAML), upload
 * interpolation and the step model. Validating the pipelines of a build
 * together is bkvalidate.h.
 *
 * Contract: bk_pipeline_load() parses one uploaded pipeline document — a
 * mapping with `steps` (plus optional `env`, `agents`, `notify`,
 * `priority`) or a bare list of steps — into a `struct bk_pipeline` that
 * owns everything it points to (free with bk_pipeline_free()). JSON is read
 * with jansson, YAML with libyaml (1.2 core scalars: null ~ true false,
 * integers, floats; anchors, aliases and "<<" merges); the text is JSON when
 * the file name ends in ".json" or its first non-blank byte is "{" or "[".
 * With `interpolate` set, every string (keys too) is interpolated after
 * parsing, as current buildkite-agent versions do (go-pipeline): the
 * top-level `env` block first (its results join the environment unless the
 * environment already has the name), then everything else.
 * Every error is bad input (status 2), one line: file, place (a JSON pointer
 * for JSON, "line:column" for YAML) and what was expected. Unsupported
 * features (`if`, `matrix`, `plugins`, `parallelism` > 1) and unknown step
 * shapes or attributes are rejected. See the step fields for what is kept. */
#ifndef LAZYKITE_BK_PIPELINE_H
#define LAZYKITE_BK_PIPELINE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buildkite/env.h"
#include "error.h"

enum bk_step_type {
    BK_STEP_COMMAND,
    BK_STEP_WAIT,
    BK_STEP_BLOCK,
    BK_STEP_INPUT,   /* recorded; holds explicit dependants like a block */
    BK_STEP_TRIGGER, /* recorded, never run */
    BK_STEP_GROUP,
};
const char *bk_step_type_name(enum bk_step_type t);

#define BK_KEY_MAX 100

struct bk_dep {
    char *key;
    bool allow_failure;
};

struct bk_step {
    enum bk_step_type type;
    char *key;            /* key / id / identifier, or NULL */
    char *label;          /* label or name; for block/input/wait/group the
                             `block`/`input`/`wait`/`group` string when no
                             label is given; may be NULL */
    char *command;        /* command steps: `command` or `commands`, lines
                             joined with "\n" (as the agent does) */
    bool has_depends_on;  /* `depends_on` present (even null or []):
                             implicit wait/block dependencies are dropped */
    struct bk_dep *deps;
    size_t ndeps;
    bool allow_dependency_failure;
    bool skip;
    char *skip_reason;    /* the string given, or NULL for `skip: true` */
    char *branches;       /* space-separated patterns, or NULL */
    bool soft_fail_all;   /* soft_fail: true, or exit_status "*" */
    int *soft_fail_statuses;
    size_t nsoft_fail;
    long timeout_in_minutes; /* 0: none */
    struct bk_env env;    /* the step's env over the pipeline's env */
    char *concurrency_group;
    long concurrency;     /* 0 when no concurrency group */
    bool cancel_on_build_failing;
    bool continue_on_failure; /* wait steps */
    char *prompt;         /* block / input */
    char *trigger;        /* trigger: the pipeline slug */
    struct bk_step *steps; /* group: its steps (never groups) */
    size_t nsteps;
    json_t *raw;          /* the step as loaded (after interpolation); owned */
    char *place;          /* "file: place" of the step, for messages */
};

struct bk_pipeline {
    char *file;
    struct bk_step *steps;
    size_t nsteps;
    struct bk_env env;    /* the top-level env block (interpolated) */
    json_t *raw;          /* the whole document after interpolation; owned */
};

struct bk_load_options {
    bool interpolate;          /* apply upload interpolation */
    const struct bk_env *env;  /* the environment interpolation reads */
};

struct bk_pipeline *bk_pipeline_load(const char *file, const char *text, size_t len,
                                     const struct bk_load_options *opts, struct lk_error *err);
struct bk_pipeline *bk_pipeline_load_file(const char *path, const struct bk_load_options *opts,
                                          struct lk_error *err);
/* The document alone, as an agent uploads it: parsed, its top level
 * checked and, with opts->interpolate, interpolated exactly as by
 * bk_pipeline_load() (the `raw` it would hold), without the step model, so
 * steps the simulation does not run (`plugins`, `if`, `matrix`, …) are kept
 * as they are. A new reference (the caller decrefs), or NULL with `err`. */
json_t *bk_pipeline_load_tree(const char *file, const char *text, size_t len,
                              const struct bk_load_options *opts, struct lk_error *err);
void bk_pipeline_free(struct bk_pipeline *p);

/* Does exit status `status` (0..255; -1 for a killed step) soft-fail? */
bool bk_step_soft_fails(const struct bk_step *step, int status);

#endif
