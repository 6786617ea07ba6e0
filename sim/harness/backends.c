/* backends — see backends.h. */
#include "harness/backends.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "harness/compare.h"
#include "strbuf.h"
#include "xalloc.h"

int backends_parse(const char *word)
{
    return !strcmp(word, "sim") ? SIM_NIX_SIM : !strcmp(word, "real") ? SIM_NIX_REAL
                                              : !strcmp(word, "both") ? SIM_NIX_BOTH : -1;
}

/* With both backends, --keep DIR keeps each run in DIR/sim and DIR/real
 * (DIR made here; each must be new or empty, as sim_play() checks). */
static int keep_dirs(const char *keep, char **sim_dir, char **real_dir, struct lk_error *err)
{
    if (file_mkdir(keep, "mkdir", err) != 0)
        return -1;
    *sim_dir = xasprintf("%s/sim", keep);
    *real_dir = xasprintf("%s/real", keep);
    return 0;
}

int backends_play(struct sim_play_options *opt, enum sim_nix nix, struct backends_result *r,
                  struct lk_error *err)
{
    memset(r, 0, sizeof(*r));
    const char *keep = opt->keep;
    char *keep_sim = NULL, *keep_real = NULL;
    if (keep && nix == SIM_NIX_BOTH && keep_dirs(keep, &keep_sim, &keep_real, err) < 0)
        return -1;
    int rc = 0;
    if (nix != SIM_NIX_REAL) {
        opt->real_nix = false;
        opt->keep = keep_sim ? keep_sim : keep;
        rc = sim_play(opt, &r->sim, err);
        r->played_sim = rc == 0;
        r->shown = &r->sim;
    }
    if (rc == 0 && nix != SIM_NIX_SIM) {
        opt->real_nix = true;
        opt->keep = keep_real ? keep_real : keep;
        rc = sim_play(opt, &r->real, err);
    }
    opt->keep = keep;
    free(keep_sim);
    free(keep_real);
    if (rc < 0)
        return -1;
    if (nix != SIM_NIX_SIM) {
        if (r->real.not_played)
            r->not_on_real = r->real.not_played;
        else {
            r->played_real = true;
            r->shown = &r->real;
        }
    }
    if (r->played_sim && r->played_real)
        r->n_diffs = compare_runs(&r->sim, "sim", &r->real, "real", &r->diffs);
    r->ok = (!r->played_sim || r->sim.ok) && (!r->played_real || r->real.ok) && r->n_diffs == 0 &&
            (nix != SIM_NIX_REAL || r->played_real);
    return 0;
}

void backends_free(struct backends_result *r)
{
    sim_play_result_free(&r->sim);
    sim_play_result_free(&r->real);
    strv_free_null(r->diffs);
    memset(r, 0, sizeof(*r));
}
