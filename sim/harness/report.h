/* report — what `lazykite-sim run` tells: the step table, the invariants
 * and unmet expectations as text, and the JSON report.
 *
 * Contract: report_print() writes the table (step label — a retry's with
 * " (retry N)", an attempt a later one replaced with " (retried)" —,
 * outcome, agent, seconds, derivations it built; under a step that asked
 * for what the simulation does not do, a line `not simulated: plugins
 * docker#v5, cache`), the totals per outcome, the list of what was not
 * simulated, each invariant (held / violated / not-checked, summary,
 * evidence), the unmet expectations, and a last line with the verdict (and
 * how many steps had something not simulated) to `to`.
 * report_json() builds the JSON report (every field is described by
 * sim/harness/report.schema.json, format REPORT_FORMAT), report_write()
 * writes it atomically.
 * Nothing here changes the result.
 *
 * Ownership: report_json() returns a new reference the caller owns. */
#ifndef LAZYKITE_SIM_REPORT_H
#define LAZYKITE_SIM_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "harness/play.h"

/* The report's "format": its shape is sim/harness/report.schema.json. */
#define REPORT_FORMAT "lazykite-sim-report/3"

/* The heading line: fixture, depot, branch, agents, Nix, generator. */
void report_print_heading(const struct sim_play_result *res, const char *generator, FILE *to);
/* rows_shown: the rows of the steps that ran were printed as they ended
 * (progress.h); only the others are, then the totals per outcome. */
void report_print(const struct sim_play_result *res, const char *generator, bool rows_shown, FILE *to);
/* Only the invariants that are violated and the unmet expectations. */
void report_print_problems(const struct sim_play_result *res, FILE *to);
/* `diffs`: the differences from the other Nix backend's run of the same
 * fixture (NULL-terminated; NULL when there was no other run). */
json_t *report_json(const struct sim_play_result *res, const char *generator, char *const *diffs);
int report_write(const struct sim_play_result *res, const char *generator, char *const *diffs,
                 const char *path, struct lk_error *err);
/* How many steps of the build (filtered ones aside) asked for something not simulated. */
size_t report_not_simulated_steps(const struct sim_play_result *res);

#endif
