/* report — what `lazykite-sim run` tells: the step table, the invariants
 * and unmet expectations as text, and the JSON report.
 *
 * Contract: report_print() writes the table (step label — a retry's with
 * " (retry N)", an attempt a later one replaced with " (retried)" —, outcome, agent, seconds, derivations it built; under a
 * step that asked for what the simulation does not do, a line
 * `not simulated: plugins docker#v5, cache`), the list of what was not
 * simulated, each invariant (held / violated / not-checked, summary,
 * evidence), the unmet expectations, and a last line with the verdict
 * (and how many steps had something not simulated) to `to`.
 * report_json() builds the JSON report (every field is described by
 * sim/harness/report.schema.json, format REPORT_FORMAT), report_write()
 * writes it atomically.
 * Nothing here changes the result.
 *
 * Ownership: report_json() returns a new reference the caller owns. */
#ifndef LAZYKITE_SIM_REPORT_H
#define LAZYKITE_SIM_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "harness/play.h"

/* The report's "format": its shape is sim/harness/report.schema.json. */
#define REPORT_FORMAT "lazykite-sim-report/2"

void report_print(const struct sim_play_result *res, const char *generator, FILE *to);
/* Only the invariants that are violated and the unmet expectations. */
void report_print_problems(const struct sim_play_result *res, FILE *to);
json_t *report_json(const struct sim_play_result *res, const char *generator);
/* How many steps of the build (filtered ones aside) asked for something not simulated. */
size_t report_not_simulated_steps(const struct sim_play_result *res);
int report_write(const struct sim_play_result *res, const char *generator, const char *path,
                 struct lk_error *err);

#endif
