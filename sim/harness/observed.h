/* observed — what one simulated build did: the steps, their outcomes and
 * the state they left, the generated chunks, the realisation log.
 *
 * Contract: `struct sim_observed` is filled by the player (play.h) from a
 * real run, or by tests by hand; the invariant checks (invariants.h) and the
 * report (report.h) only read it. obs_read_log() parses a $LAZYKITE_LOG file
 * (eventlog.h format); a line that is not a JSON object is bad input placed
 * at "line N". obs_free() releases everything (a zeroed struct is fine).
 *
 * Ownership: the struct owns every string, array and json_t reachable from
 * it; obs_step_add()/obs_event_add()/obs_chunk_add() copy their arguments;
 * its string lists grow with strbuf.h's strv_add(). */
#ifndef LAZYKITE_SIM_OBSERVED_H
#define LAZYKITE_SIM_OBSERVED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "buildkite/bkpipeline.h"
#include "buildkite/scheduler.h"
#include "error.h"
#include "strbuf.h"

/* One realisation event (a line of the log). */
struct obs_event {
    char *event;   /* instantiate | build | valid | fail | root | delete */
    char *drv;     /* or NULL */
    char *phase;   /* construction | execution | NULL */
    char *step;    /* $LAZYKITE_STEP of the process, or NULL */
    char *cause;   /* or NULL */
    char *out;     /* the first output's path, or NULL */
};

/* One node of the build (a command, wait, block, ... or group). */
struct obs_step {
    int id;                  /* scheduler node id */
    int group;               /* index (into steps) of its group, or -1 */
    enum bk_step_type type;
    char *key, *label;       /* or NULL */
    char *step_name;         /* the $LAZYKITE_STEP it ran with, or NULL */
    bool skip;               /* the step (or its group) carries `skip` */
    enum bk_outcome outcome;
    char *reason;            /* the scheduler's reason, or NULL */
    bool ran;
    char *agent;             /* agent name, when it ran */
    double started;          /* when it started, seconds after the build did (when it ran) */
    double seconds;
    int exit_status;         /* -1 unless it ran to an exit */
    char *log_path;          /* the step's output, when it ran */
    char *log_tail;          /* the end of its output when it exited non-zero, or NULL */
    bool reached_build_script;   /* log has "--- Building extra step script" */
    bool reached_run_script;     /* log has "+++ Running extra step script" */
    bool log_lost;           /* its output has an "error: " line about the realisation
                                log (EVENTLOG_ERROR_TEXT): some of its events are missing */
    bool tree_checked;
    bool tree_by_git;        /* git status ran (else the checkout was compared with
                                its snapshot from when git last found it clean) */
    char *tree_status;       /* `git status --porcelain` after it ran ("" clean) */
    char *result_link;       /* /nix/store path `result` pointed at after it ran, or NULL */
    char *script_link;       /* ditto for nix-buildkite-extra-step-command-script */
    char *built;             /* derivation keys it built, space-separated (report) */
    int *deps;               /* the scheduler ids it depends on directly (bk_sched_edges) */
    size_t n_deps;
    int attempt;             /* 0, or which retry of its job this is */
    int retried_by;          /* index (into steps) of its next attempt, or -1 */
    char **not_simulated;    /* what it asked for that the simulation does not do */
    size_t n_not_simulated;
    json_t *recorded;        /* attributes recorded, not acted on (an object), or NULL */
};

/* A generated chunk file, e.g. build-chunk-2.json. */
struct obs_chunk {
    char *name;      /* file name */
    char *phase;     /* the part before "-chunk-" */
    long number;     /* n */
    json_t *doc;     /* parsed JSON, or NULL when it is not JSON */
    char *path;      /* where it was kept (for schema validation) */
    char *sha256;    /* of its bytes (hex), or NULL when it could not be read */
};

/* The parent map of the build: what its generation step fetched through
 * the REST API, and what it should have fetched (harness/parents.h). */
struct obs_parent_map {
    bool on_default_branch;  /* the build is on the pipeline's default branch: no parent map */
    char *default_branch;    /* or NULL */
    bool api_usable;         /* the API served the build's token the truth (no fault) */
    long fetched_build;      /* the build whose map the step downloaded last, or 0 */
    json_t *fetched;         /* that map (label -> drvPath string) when it is a drvmap, else NULL */
    char *fetched_problem;   /* why the download is no drvmap, or NULL */
    long expected_build;     /* the newest passed or running build of the default branch whose
                                generation job has a map (the current build aside), or 0 */
};

struct sim_observed {
    struct obs_step *steps;  /* in build order */
    size_t n_steps, alloc_steps;
    struct obs_event *events;
    size_t n_events, alloc_events;
    struct obs_chunk *chunks;  /* sorted by phase position, then number */
    size_t n_chunks, alloc_chunks;

    int gen_step;            /* index into steps of the generation step, or -1 */
    bool gen_ran;
    int gen_exit;            /* its exit status (-1: did not run to an exit) */
    char *gen_output;        /* its output (log text), or NULL */
    bool generator_uploaded; /* the generator used `buildkite-agent pipeline upload` */
    /* Top-level steps that the build-phase uploads put into the build, in
     * build order, as "key" or "label:<label>" identities. */
    char **uploaded_ids;
    size_t n_uploaded_ids;
    char **upload_errors;    /* uploads the build rejected */
    size_t n_upload_errors;
    char **not_simulated;    /* every step's not_simulated, each once, in build order */
    size_t n_not_simulated;
    json_t *notify;          /* the uploaded pipelines' own notify lists (recorded), or NULL */
    json_t *static_pipeline; /* the static pipeline as played (for validation) */

    int schema_state;        /* 0 valid, 1 invalid (schema_errors), -1 not validated */
    char *schema_note;       /* why not validated / the schema path */
    char **schema_errors;
    size_t n_schema_errors;

    struct obs_parent_map parent;

    bool gc_drvs;            /* the run deleted the .drv files after construction */
    char *gc_error;          /* nix-store --delete failed: its output */
    size_t gc_deleted;       /* how many .drv paths it was asked to delete */
};

void obs_init(struct sim_observed *o);
void obs_free(struct sim_observed *o);
struct obs_step *obs_step_add(struct sim_observed *o, int id, enum bk_step_type type, const char *key,
                              const char *label);
void obs_event_add(struct sim_observed *o, const char *event, const char *drv, const char *phase,
                   const char *step, const char *cause, const char *out);
/* Takes ownership of `doc` (may be NULL). */
void obs_chunk_add(struct sim_observed *o, const char *name, const char *phase, long number,
                   json_t *doc, const char *path);

/* Append the events of a log file (missing file: no events). */
int obs_read_log(struct sim_observed *o, const char *path, struct lk_error *err);

/* The step whose LAZYKITE_STEP was `name`, or NULL. */
const struct obs_step *obs_step_by_name(const struct sim_observed *o, const char *name);
/* The first command step with this label (then: with this key), or NULL;
 * a retried job's latest attempt. */
const struct obs_step *obs_step_by_label(const struct sim_observed *o, const char *label);
/* "key", or "label:<label>", or "step:<type>": a step's identity when
 * comparing upload order with generation order. Caller frees. */
char *obs_step_identity(const struct obs_step *s);

#endif
