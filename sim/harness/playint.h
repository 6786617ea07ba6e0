/* playint — private to the player (play.c: setting up and running the
 * build; playobs.c: what the build did, recorded by the executor's
 * callbacks and read off the scheduler afterwards). Not for use outside
 * those two files.
 *
 * One `struct play` lives for one sim_play() call and owns every path,
 * environment and handle in it; the node states grow with the build. */
#ifndef LAZYKITE_SIM_PLAYINT_H
#define LAZYKITE_SIM_PLAYINT_H

#include "buildkite/agentserver.h"
#include "buildkite/artifacts.h"
#include "buildkite/env.h"
#include "buildkite/executor.h"
#include "harness/buildinfo.h"
#include "harness/checkouts.h"
#include "harness/play.h"
#include "harness/realnix.h"
#include "harness/world.h"

#define GEN_KEY "pipeline-gen"
#define PIPELINE_FILE "ci/pipeline.yml"

/* What the callbacks record per scheduler node. */
struct node_state {
    char *step_name;
    bool tree_checked, tree_by_git;
    char *tree;
    char *result_link, *script_link;
    bool reached_build, reached_run;
    bool log_lost;
    char *log_tail;
};

struct play {
    const struct sim_play_options *opt;
    struct sim_play_result *res;
    struct bk_sched *sched;
    char *work, *observed, *store, *state, *log, *bin;
    struct checkouts co; /* the agents' checkouts */
    size_t nagents;
    char *branch;
    int gen_id;
    size_t count_at_gen_start, count_after_gen;
    bool gen_started;
    struct node_state *nodes;
    size_t n_nodes;
    const char **phases; /* phase order for chunks */
    size_t n_phases;
    bool gc_drvs;
    struct sim_build info;     /* what conditions see, the build's variables */
    struct bk_env upload_env;  /* what an upload interpolates with */
    struct bk_env extra_env;   /* what every step gets beyond Buildkite's own */
    char *rundir, *execdir, *agent_dir;
    struct bk_artifacts *artifacts;   /* every simulated build's (the world's) */
    bool real;                        /* --nix real */
    struct realnix rn;
    /* live progress: build lines of the log not yet shown in a row */
    size_t live_offset;
    struct live_build { char *step, *name; } *live;
    size_t n_live, alloc_live;
    struct bk_agent_server *agent;
    struct bk_executor *ex;
    double t0;                 /* when the build started (CLOCK_MONOTONIC) */
    struct sim_world own_world, *world; /* the run's (world.h): own, or a parent's child's */
    struct bk_build *build;           /* this build in the world's records */
};

/* nix-store --delete every .drv of the depot that the store holds (gc-fallback). */
void play_delete_drvs(struct play *p);
/* The executor's callbacks (executor.h); step_ended prints the step's
 * row and the status line when the run shows progress. */
void play_on_step_env(void *ctx, const struct bk_step *step, int id, size_t agent, struct bk_env *env);
int play_on_step_done(void *ctx, struct bk_executor *ex, int id, const struct bk_step_result *r,
                      struct lk_error *err);
void play_on_step_ended(void *ctx, int id);
/* After the build: every node in order into res->obs, and what the jobs
 * did through buildkite-agent into res->agent. */
void play_observe(struct play *p, struct bk_executor *ex);
void play_record_agent(struct play *p);

#endif
