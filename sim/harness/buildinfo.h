/* buildinfo — the simulated build's identity, as Buildkite gives it to
 * conditions (`if`, bkcond.h) and to every job and upload as variables.
 *
 * Contract: sim_build_init() fills `b` from the fixture (`build:`,
 * `changed_files:`) and the run: branch, commit, the build's id and
 * number, the pipeline's slug and default branch (the world's: the same
 * the REST API serves). Defaults: the message is the checkout's commit
 * message (CHECKOUT_COMMIT_MESSAGE), no tag, source "webhook", no pull
 * request. b->env holds the build's variables: BUILDKITE=true,
 * CI=true, BUILDKITE_BRANCH, _COMMIT, _BUILD_ID, _BUILD_NUMBER, _MESSAGE,
 * _SOURCE, _PIPELINE_SLUG, _PIPELINE_DEFAULT_BRANCH, _PULL_REQUEST
 * ("false" or its id), _TAG, _PULL_REQUEST_BASE_BRANCH, _PULL_REQUEST_REPO,
 * _PULL_REQUEST_DRAFT (those four when set); b->info.env points at them
 * (build.env()). b->info's strings point into `b` and the fixture: both
 * must outlive it. sim_build_release() frees what `b` owns. */
#ifndef LAZYKITE_SIM_BUILDINFO_H
#define LAZYKITE_SIM_BUILDINFO_H

#include "buildkite/bkcond.h"
#include "buildkite/env.h"
#include "nix/fixture.h"

struct sim_build {
    struct bk_build_info info;
    struct bk_env env;
};

void sim_build_init(struct sim_build *b, const struct fixture *f, const char *branch, const char *commit,
                    const char *build_id, long number, const char *pipeline_slug, const char *default_branch);
void sim_build_release(struct sim_build *b);

#endif
