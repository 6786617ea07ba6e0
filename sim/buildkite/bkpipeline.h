/* bkpipeline — Buildkite pipeline documents: loading (JSON or YAML), upload
 * interpolation and the step model. Validating the pipelines of a build
 * together is bkvalidate.h; what is decided when a pipeline is uploaded
 * (conditions, jobs) is the scheduler's (scheduler.h).
 *
 * Contract: bk_pipeline_load() parses one uploaded pipeline document — a
 * mapping with `steps` (plus `env`, `agents`, `notify`, `image`,
 * `secrets`, `priority` and any other top-level key the schema allows) or
 * a bare list of steps — into a `struct bk_pipeline` that owns everything
 * it points to (free with bk_pipeline_free()). JSON is read with jansson,
 * YAML with libyaml (1.2 core scalars: null ~ true false, integers, floats;
 * anchors, aliases and "<<" merges); the text is JSON when the file name
 * ends in ".json" or its first non-blank byte is "{" or "[". With
 * `interpolate` set, every string (keys too) is interpolated after
 * parsing, as current buildkite-agent versions do (go-pipeline): the
 * top-level `env` block first (its results join the environment unless the
 * environment already has the name), then everything else.
 * The document is then checked against Buildkite's pipeline schema
 * (bkschema.c: every step shape, attribute, type, enumeration, pattern and
 * length of buildkite/pipeline-schema), so that exactly the pipelines the
 * schema accepts load; every error is bad input (status 2), one line:
 * file, place (a JSON pointer for JSON, "line:column" for YAML) and the
 * rule broken. Nothing the schema allows is refused here: what Buildkite
 * itself refuses only when a pipeline is uploaded (an `if` it cannot
 * evaluate, `matrix` with `parallelism`, a matrix adjustment naming an
 * unknown dimension, …) is kept in the step (`upload_error`, `cond`) for
 * the upload to decide.
 *
 * The step model. Nested forms (`block: {…}`, `command: {…}`, `script:
 * {…}`, `wait: {…}`) are read as the step they wrap. A command step's
 * `matrix` (a list, or `setup` with `adjustments`, each with `skip` and
 * `soft_fail`) or `parallelism` > 1 is expanded here into `jobs`: one
 * complete command step per job, `{{matrix}}` / `{{matrix.NAME}}`
 * replaced in its command, label, env and agents; a matrix job's label is
 * the step's label with the values in it, or, when the label names no
 * matrix value, the label (or first command line) followed by " (v1, v2)";
 * a parallel job's label is followed by " (n/N)" (n from 1) and its env has
 * BUILDKITE_PARALLEL_JOB (from 0) and BUILDKITE_PARALLEL_JOB_COUNT.
 * What the simulation cannot do is listed per step in `not_simulated`
 * ("plugins NAME" per plugin, "cache", "image", "secrets", "signature";
 * the pipeline's own `image` and `secrets` on each of its command steps)
 * and what it only records is kept in `recorded` (agents, notify,
 * priority, retry.manual, concurrency_method, a trigger's build and async,
 * a block's fields, blocked_state and allowed_teams, …). */
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
/* The most jobs one step may have (matrix or parallelism): the simulation's limit. */
#define BK_JOBS_MAX 1000

struct bk_dep {
    char *key;
    bool allow_failure;
};

/* One rule of `retry.automatic`: it matches a failed attempt whose exit
 * status, signal and signal reason it allows (each unset: any). */
struct bk_retry_rule {
    bool any_status;      /* exit_status "*" or not given */
    int *statuses;
    size_t nstatuses;
    char *signal;         /* NULL or "*": any; "none": no signal */
    char *signal_reason;  /* NULL or "*": any; "none": no reason */
    int limit;            /* retries this rule allows (default 2) */
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
    /* evaluated when uploaded (scheduler.h) */
    char *cond;           /* `if`, or NULL */
    bool has_if_changed;  /* `if_changed`: include / exclude globs */
    char **changed_include, **changed_exclude;
    size_t n_changed_include, n_changed_exclude;
    char *upload_error;   /* what Buildkite rejects this step's upload for, or NULL */
    /* command steps */
    bool has_command;     /* a command was given (a step of plugins alone has none) */
    long priority;        /* the step's, else the pipeline's, else 0 */
    bool concurrency_eager; /* concurrency_method: eager (default ordered) */
    struct bk_retry_rule *retry_rules; /* retry.automatic */
    size_t nretry_rules;
    char *artifact_paths; /* ";"-separated globs, or NULL */
    struct bk_step *jobs; /* matrix / parallelism: one step per job (jobs have no key) */
    size_t njobs;
    int parallel_index;   /* a parallel job: BUILDKITE_PARALLEL_JOB; else -1 */
    int parallel_count;
    char **not_simulated; /* "plugins NAME", "cache", "image", "secrets", "signature" */
    size_t n_not_simulated;
    json_t *recorded;     /* attributes recorded, not acted on (an object); owned */
    json_t *fields;       /* block / input fields (a list), or NULL; owned */
};

struct bk_pipeline {
    char *file;
    struct bk_step *steps;
    size_t nsteps;
    struct bk_env env;    /* the top-level env block (interpolated) */
    json_t *raw;          /* the whole document after interpolation; owned */
    json_t *notify;       /* the top-level notify (recorded), or NULL; borrowed from raw */
};

struct bk_load_options {
    bool interpolate;          /* apply upload interpolation */
    const struct bk_env *env;  /* the environment interpolation reads */
};

struct bk_pipeline *bk_pipeline_load(const char *file, const char *text, size_t len,
                                     const struct bk_load_options *opts, struct lk_error *err);
/* The document alone, as an agent uploads it: parsed, with
 * opts->interpolate interpolated, and checked against the schema exactly as
 * by bk_pipeline_load() (the `raw` it would hold), without the step model:
 * `if`, `matrix`, `plugins`, … are kept as written. A new reference (the caller decrefs), or NULL with `err`. */
json_t *bk_pipeline_load_tree(const char *file, const char *text, size_t len,
                              const struct bk_load_options *opts, struct lk_error *err);
void bk_pipeline_free(struct bk_pipeline *p);

/* Does exit status `status` (0..255; -1 for a killed step) soft-fail? */
bool bk_step_soft_fails(const struct bk_step *step, int status);
/* The index of the retry rule that lets a failed attempt be retried, or -1:
 * `status` its exit status (-1 when killed), `signal` the signal name
 * ("SIGKILL") or NULL, `reason` the signal reason or NULL. */
int bk_step_retry_rule(const struct bk_step *step, int status, const char *signal, const char *reason);
/* Why `key` breaks the schema's key rule (characters, length, UUID), or
 * NULL when it is a valid key. */
const char *bk_key_problem(const char *key);

#endif
