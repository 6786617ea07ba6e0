/* invariants — the checks of DESIGN §6 and the fixture's expectations,
 * computed over one observed build (observed.h).
 *
 * Contract: inv_check() computes one invariant (by id, the ids of
 * fixture_invariants[], or INV_SCHEMA) and inv_check_all() every one, in
 * that order, then INV_SCHEMA (the Buildkite schema check, listed on its
 * own); each result is held, violated or not checked, with evidence lines
 * naming the derivation (fixture key and .drv path), the step that built it
 * and the phase; a violation also lists the events and steps it is about
 * (`events`, `steps`, for the report's pictures). Each counts what it checked: nothing checked and nothing
 * violated is not-checked, never held. inv_expectations() compares the build with the fixture's `expect`
 * (step outcomes, built_by, the expected violations, the generator's exit
 * status and message) and lists what is unmet; a generation step the
 * fixture expects to succeed that produced no pipeline (no chunk, nothing
 * uploaded) sets `failure`. Pure: no I/O, nothing in
 * `f`, `d` or `o` changes. inv_outcome() maps a scheduler outcome (and its
 * reason) onto the fixture's outcome vocabulary.
 *
 * Ownership: results own their strings; inv_report_free() releases them.
 * `f`, `d`, `o` are borrowed. */
#ifndef LAZYKITE_SIM_INVARIANTS_H
#define LAZYKITE_SIM_INVARIANTS_H

#include <stddef.h>

#include "harness/observed.h"
#include "nix/depot.h"
#include "nix/fixture.h"

/* The schema check's id: a result of its own, not a fixture invariant. */
#define INV_SCHEMA "pipeline-schema"

enum inv_verdict { INV_HELD, INV_VIOLATED, INV_NOT_CHECKED };
const char *inv_verdict_name(enum inv_verdict v); /* "held", "violated", "not-checked" */

struct inv_result {
    const char *id;          /* static string from fixture_invariants[] */
    enum inv_verdict verdict;
    char *summary;           /* one line: what was checked / why not */
    char **evidence;         /* violations (or notes), one line each */
    size_t n_evidence;
    size_t n_checked;        /* things checked; 0 and nothing violated: not-checked */
    size_t *events;          /* the realisation events (indices into o->events) and */
    size_t n_events;
    size_t *steps;           /* the steps (indices into o->steps) a violation names */
    size_t n_steps;
};

#define INV_MAX 16
struct inv_report {
    struct inv_result inv[INV_MAX];
    size_t n;
    char **unmet;            /* unmet expectations, one line each */
    size_t n_unmet;
    char *failure;           /* why the run failed whatever the invariants say, or NULL */
};

/* 0, or -1 when `id` is not an invariant id. `out` is overwritten. */
int inv_check(const char *id, const struct fixture *f, const struct depot *d,
              const struct sim_observed *o, struct inv_result *out);
void inv_check_all(const struct fixture *f, const struct depot *d, const struct sim_observed *o,
                   struct inv_report *r);
/* Fill r->unmet (r must hold the invariants, for `expect.violations`). */
void inv_expectations(const struct fixture *f, const struct depot *d, const struct sim_observed *o,
                      struct inv_report *r);
/* Does the fixture's `expect.violations` name invariant `id`? */
int inv_expected_violation(const struct fixture *f, const char *id);
/* Does the build meet everything (no unexpected violation, nothing unmet, no failure)? */
int inv_report_ok(const struct fixture *f, const struct inv_report *r);
void inv_result_free(struct inv_result *res);
void inv_report_free(struct inv_report *r);


/* Set each step's `built` (the fixture keys of what it built, from the log). */
void inv_fill_built(struct sim_observed *o, const struct depot *d);

#endif
