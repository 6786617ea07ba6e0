/* invint — private to the invariant checks (invariants.c and the checks
 * kept in files of their own, invpipeline.c and invskip.c; the
 * expectations, invexpect.c). Not for use outside them.
 *
 * inv_violation() adds an evidence line and makes the result violated;
 * inv_summary() sets its one-line summary. */
#ifndef LAZYKITE_SIM_INVINT_H
#define LAZYKITE_SIM_INVINT_H

#include "harness/invariants.h"

void inv_violation(struct inv_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void inv_summary(struct inv_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Step `s` (of o) is what a violation is about. */
void inv_flag_step(struct inv_result *r, const struct sim_observed *o, const struct obs_step *s);
/* The label lazykite gives a target's step / an extra step. Caller frees. */
char *inv_target_label(const struct fixture_target *t);
char *inv_extra_label(const struct fixture_target *t, const struct fixture_extra_step *s);
void inv_check_pipeline_valid(const struct fixture *f, const struct sim_observed *o, struct inv_result *r);
void inv_check_skip(const struct fixture *f, const struct depot *d, const struct sim_observed *o,
                    struct inv_result *r);

#endif
