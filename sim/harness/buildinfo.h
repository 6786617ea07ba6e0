/* buildinfo — the simulated build's identity, as Buildkite gives it to
 * conditions (`if`, bkcond.h) and to every job and upload as variables.
 *
 * Contract: sim_build_init() fills `b` from the fixture (`build:`,
 * `changed_files:`, headBranch) and the run: branch, commit, build id,
 * and whether a parent build is named. Defaults: the message is the
 * checkout's commit message (CHECKOUT_COMMIT_MESSAGE), no tag, source
 * "webhook", build number 1, the pipeline slug the depot's name, the
 * default branch the fixture's `headBranch` (else refs/heads/canon), no
 * pull request. b->env holds the build's variables: BUILDKITE=true,
 * CI=true, BUILDKITE_BRANCH, _COMMIT, _BUILD_ID, _BUILD_NUMBER, _MESSAGE,
 * _SOURCE, _PIPELINE_SLUG, _PIPELINE_DEFAULT_BRANCH, _PULL_REQUEST
 * ("false" or its id), _TAG, _PULL_REQUEST_BASE_BRANCH, _PULL_REQUEST_REPO,
 * _PULL_REQUEST_DRAFT (those four when set), and LAZYKITE_PARENT_BUILD
 * (the parent's id) when there is a parent; b->info.env points at them
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
                    const char *build_id, const char *parent_build_id);
void sim_build_release(struct sim_build *b);

#endif
