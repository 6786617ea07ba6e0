/* backends — one fixture played on the Nix backend(s) a command asks for:
 * nixsim, real Nix, or both and compared (compare.h).
 *
 * Contract: backends_play() plays opt->fixture_path as `nix` says (its
 * real_nix is set here). With SIM_NIX_BOTH it plays nixsim first, then
 * real Nix, and compares the two; a fixture whose run.nix leaves real Nix
 * out is played on nixsim only and r->not_on_real says why. r->ok: every
 * run played met its fixture's expectations, the two agree, and (with
 * SIM_NIX_REAL) the fixture was played at all. r->shown is the run a
 * table or report shows (the real one when it was played). Returns -1 with
 * `err` when a run could not be played. backends_free() releases `r`. */
#ifndef LAZYKITE_SIM_BACKENDS_H
#define LAZYKITE_SIM_BACKENDS_H

#include <stdbool.h>

#include "harness/play.h"

enum sim_nix { SIM_NIX_SIM, SIM_NIX_REAL, SIM_NIX_BOTH };

struct backends_result {
    struct sim_play_result sim, real;
    bool played_sim, played_real;
    const char *not_on_real;    /* the fixture's reason, or NULL */
    char **diffs;               /* NULL-terminated, or NULL when not compared */
    size_t n_diffs;
    bool ok;
    const struct sim_play_result *shown;
};

/* `word` ("sim", "real", "both") as an enum sim_nix; -1 when unknown. */
int backends_parse(const char *word);
int backends_play(struct sim_play_options *opt, enum sim_nix nix, struct backends_result *r,
                  struct lk_error *err);
void backends_free(struct backends_result *r);

#endif
