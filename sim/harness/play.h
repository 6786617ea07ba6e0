/* play — one fixture played end to end: git checkouts of the fixture depot,
 * the static pipeline ci/pipeline.yml, unmodified, on the simulated
 * Buildkite (its generation step, key "pipeline-gen", in the construction
 * phase), then every invariant. The harness uploads nothing itself: the
 * pipeline's own commands do, through the simulated buildkite-agent.
 *
 * Contract: sim_play() loads the fixture (bad input: status 2, placed),
 * makes a fresh work dir (`keep`, which must not exist or be empty, or a
 * temporary directory removed before returning) holding
 *   src/            the exported depot (default.nix, depot.yaml, .gitignore), a git repo
 *   agent-<i>/      one clone per agent (its build directory)
 *   store/ state/   the nixsim store and state; run/realisations.jsonl the event log
 *   bin/            nix-store, nix-build, nix-instantiate -> nixsim; lazykite (with
 *                   --generator, a wrapper running the generator for `generate`);
 *                   buildkite-agent (the simulated agent)
 *   artifacts/      the artifact store of the builds (the run's world: world.h)
 *   api/            the REST API's socket (world.h)
 *   parent-<k>/     the k-th parent commit's build (a work dir of its own but for the
 *                   world's store, state, bin, artifacts and API), with `parent:`
 *   agent/          the socket the jobs' buildkite-agent talks to
 *   observed/       the chunks the generation step left in its checkout's pipeline/
 *   exec/           the executor's step logs
 * plays the builds before the fixture's (parents.h), then the fixture's own
 * build (steps in bwrap sandboxes: see executor.h), observes it
 * (observed.h) and computes the invariants and expectations (invariants.h)
 * into `res`. Returns 0 when the build could be played (whatever it found),
 * -1 with `err` when it could not (bad fixture or options: status 2; a
 * system or sandbox failure: status 1).
 *
 * With `real_nix`, a fixture whose run.nix leaves real Nix out is not
 * played: 0, and res->not_played says why.
 *
 * Ownership: `res` owns everything in it (sim_play_result_free()); the
 * options are borrowed. */
#ifndef LAZYKITE_SIM_PLAY_H
#define LAZYKITE_SIM_PLAY_H

#include <stdbool.h>

#include "buildkite/scheduler.h"
#include "harness/progress.h"
#include "harness/invariants.h"
#include "harness/observed.h"
#include "nix/depot.h"
#include "nix/fixture.h"

struct sim_world;

struct sim_play_options {
    const char *fixture_path;
    const struct fixture *fixture; /* NULL: load fixture_path; else play a copy of this one */
    struct sim_world *world;   /* NULL: the run's own (world.h) and the builds before the
                                  fixture's (parents.h); else play in this one, alone */
    const char *generator;     /* NULL: lazykite; else runs for `lazykite generate` */
    const char *generation_step; /* NULL: the pipeline's; else the generation step's command */
    bool real_nix;             /* --nix real: Debian's Nix over a private store (realnix.h) */
    struct progress *progress; /* live rows and status (progress.h), or NULL */
    int agents;                /* 0: the fixture's run.agents (default 1) */
    int unblock;               /* -1: the fixture's; else an enum bk_unblock */
    const char *unblock_glob;  /* BK_UNBLOCK_GLOB */
    const char *branch;        /* NULL: the fixture's */
    int gc_drvs;               /* -1: the fixture's; 0/1 */
    const char *keep;          /* NULL: temporary work dir */
    const char *root;          /* source root (ci/, core/nix/, fixtures/) */
    const char *build;         /* build dir (lazykite, nixsim) */
};

struct sim_play_result {
    struct fixture *fixture;
    struct depot *depot;
    struct sim_observed obs;
    struct inv_report inv;
    int ok;                    /* inv_report_ok() */
    int agents;
    char *branch;
    char *work_dir;            /* NULL once removed */
    char *schema_path;
    double seconds;            /* wall time of the build */
    json_t *pipeline;          /* {"file", "sha256", "generation_step"} as played (report) */
    const char *nix;           /* "sim" or "real" (static) */
    const char *not_played;    /* real Nix and a fixture that says `nix: [sim]`: its reason
                                  (nothing was played; borrowed from the fixture) */
    json_t *agent;             /* what the jobs did through buildkite-agent (report) */
    long build_number;         /* the build in the world's records */
    char *build_id, *build_state, *commit;
    json_t *parents;           /* the builds before it (parents.h), or NULL */
    json_t *api;               /* the REST API and its requests (report), or NULL */
};

int sim_play(const struct sim_play_options *opt, struct sim_play_result *res, struct lk_error *err);
void sim_play_result_free(struct sim_play_result *res);

/* The data root (ci/pipeline.yml, core/nix/manifest.nix,
 * sim/harness/schemacheck.py, fixtures/) and the directory of the programs
 * the steps run (nixsim, lazykite): $LAZYKITE_ROOT / $LAZYKITE_BUILD, else
 * from the running binary — a source tree (<root>/build/lazykite-sim), an
 * installation wherever it is (<prefix>/bin/lazykite-sim: share/lazykite
 * and libexec/lazykite), else the configured LAZYKITE_DATADIR and
 * LAZYKITE_LIBEXECDIR. Caller frees. */
int sim_locate(char **root, char **build, struct lk_error *err);

#endif
