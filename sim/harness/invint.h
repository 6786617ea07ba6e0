/* invint — private to the invariant checks (invariants.c and the checks
 * kept in files of their own, invpipeline.c; the expectations,
 * invexpect.c). Not for use outside them.
 *
 * inv_violation() adds an evidence line and makes the result violated;
 * inv_summary() sets its one-line summary. */
#ifndef LAZYKITE_SIM_INVINT_H
#define LAZYKITE_SIM_INVINT_H

#include "harness/invariants.h"

void inv_violation(struct inv_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void inv_summary(struct inv_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void inv_check_pipeline_valid(const struct fixture *f, const struct sim_observed *o, struct inv_result *r);

#endif
