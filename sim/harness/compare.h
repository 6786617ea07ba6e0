/* compare — one fixture played on both Nix backends (nixsim and real
 * Nix), side by side.
 *
 * Contract: compare_runs() lists every difference between two results of
 * the same fixture, one line each, each line naming both sides'
 * evidence: the generated chunks (their names and bytes, by SHA-256), each
 * step's outcome (steps matched by label or key, in build order), which
 * step built which derivations (as a set: Nix and nixsim build a closure
 * in different orders; with several agents, what the steps built together,
 * since which of two steps running at once builds a shared input is a
 * race), what construction built, and each invariant's verdict. Returns the number of lines; *out is a
 * NULL-terminated array the caller frees with strv_free_null()
 * (strbuf.h). The names
 * `a` and `b` say which side is which in the lines ("sim", "real"). */
#ifndef LAZYKITE_SIM_COMPARE_H
#define LAZYKITE_SIM_COMPARE_H

#include <stddef.h>

#include "harness/play.h"

size_t compare_runs(const struct sim_play_result *ra, const char *a, const struct sim_play_result *rb,
                    const char *b, char ***out);

#endif
