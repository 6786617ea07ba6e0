/* world — what the builds of one lazykite-sim run share: the nixsim store
 * and state, the programs' directory, the artifact store, the pipeline's
 * builds and the simulated REST API serving them (restapi.h).
 *
 * Contract: world_open() makes <work>/store, <work>/state, <work>/artifacts
 * and <work>/api (the REST API's Unix socket, api.sock, in a directory of
 * its own that every sandbox gets read-only) and starts the API for
 * organization SIM_ORG and pipeline `pipeline_slug`, with a fresh random
 * token and the fault given (restapi.h). The `bin` path is only named
 * (<work>/bin): the player fills it. The pipeline's default branch is
 * SIM_DEFAULT_BRANCH; a step reaches the API at SIM_API_URL through the
 * socket (LAZYKITE_BUILDKITE_API, LAZYKITE_BUILDKITE_API_SOCKET and
 * BUILDKITE_API_TOKEN in its environment, as an agent's environment hook
 * would set them). world_close() stops the API and frees everything (not
 * the directories); a zeroed world is fine. */
#ifndef LAZYKITE_SIM_WORLD_H
#define LAZYKITE_SIM_WORLD_H

#include "buildkite/artifacts.h"
#include "buildkite/builds.h"
#include "buildkite/restapi.h"
#include "error.h"

#define SIM_DEFAULT_BRANCH "refs/heads/canon"
#define SIM_ORG "lazykite-sim"
#define SIM_API_URL "http://localhost/v2"

struct sim_world {
    char *store, *state, *bin;
    char *api_dir, *api_socket;
    char *token;                 /* the token the API accepts */
    struct bk_artifacts *artifacts;
    struct bk_builds *builds;
    struct bk_rest_api *api;
    enum bk_api_fault fault;
};

int world_open(struct sim_world *w, const char *work, const char *pipeline_slug, enum bk_api_fault fault,
               struct lk_error *err);
void world_close(struct sim_world *w);

#endif
