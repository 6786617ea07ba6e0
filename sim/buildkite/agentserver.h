/* agentserver — the simulated build's side of `buildkite-agent`: a Unix
 * socket that the simulated agent program (sim/buildkite/buildkite-agent.c)
 * of every running job talks to, answering from the build's real records.
 *
 * Contract: bk_agent_server_new() listens on `socket_path` (created; it
 * must not exist) for build `build_id`, whose steps are in `sched` and
 * whose artifacts go to `arts` (both borrowed; `arts` may hold other
 * builds, which `artifact download/search --build` reach).
 * bk_agent_server_job_begin() registers a running job (a node of `sched`)
 * and returns the access token its environment carries
 * (BUILDKITE_AGENT_ACCESS_TOKEN; owned by the server, valid until
 * job_end); a request with an unknown token is refused.
 * bk_agent_server_serve() accepts one connection on the listening socket
 * (bk_agent_server_fd(), non-blocking: call it when poll() says readable)
 * and answers its one request; a client that stalls is dropped after a few
 * seconds. What the requests do (see buildkite-agent.c for the command
 * lines): `pipeline-upload` loads a pipeline (interpolated with the
 * client's environment unless it says not to) and inserts its steps right
 * after the job, as Buildkite does; `artifact-upload`, `-download`,
 * `-search`; `meta-data-set/get/exists/keys` (the build's key/value
 * store); `annotate` (kept per context, `append` adds to it); `step-get`
 * (`outcome` as `buildkite-agent step get` gives it: passed, soft_failed,
 * hard_failed, or "" while the step has not finished). An answer's header
 * has the exit status ("status") and, for artifacts, their list; its blobs
 * are the text for stdout, the text for stderr, then the files.
 * An unblocked block or input step's fields set their defaults as
 * meta-data (before the next request is answered), as if whoever unblocked
 * it had kept them. bk_agent_server_artifact_paths() uploads, after a job,
 * the files of its `artifact_paths` (artglob.h) from the job's checkout
 * `dir`, as the agent does, and writes what it did to `log` (the job's
 * output); it returns the agent's exit status for it (0, 1 a file could not
 * be stored, 2 not simulated) and is recorded as a call "artifact-paths".
 * bk_agent_server_record() gives what the build kept (meta-data,
 * annotations, calls), as JSON for the report (caller decrefs). */
#ifndef LAZYKITE_BK_AGENTSERVER_H
#define LAZYKITE_BK_AGENTSERVER_H

#include <jansson.h>

#include "buildkite/artifacts.h"
#include "buildkite/scheduler.h"
#include "error.h"

struct bk_agent_server;

struct bk_agent_server *bk_agent_server_new(const char *socket_path, const char *build_id,
                                            struct bk_sched *sched, struct bk_artifacts *arts,
                                            struct lk_error *err);
void bk_agent_server_free(struct bk_agent_server *s);
int bk_agent_server_fd(const struct bk_agent_server *s);
const char *bk_agent_server_socket(const struct bk_agent_server *s);
const char *bk_agent_server_job_begin(struct bk_agent_server *s, int node);
void bk_agent_server_job_end(struct bk_agent_server *s, int node);
void bk_agent_server_serve(struct bk_agent_server *s);
json_t *bk_agent_server_record(const struct bk_agent_server *s);
struct strbuf;
int bk_agent_server_artifact_paths(struct bk_agent_server *s, int node, const char *dir, const char *patterns,
                                   struct strbuf *log);

#endif
