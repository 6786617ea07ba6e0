/* restapi — the simulated Buildkite's REST API (v2): the endpoints
 * `lazykite parent-map` uses and nothing else, served with libmicrohttpd
 * and answered from the simulated builds' records (builds.h) and their
 * artifact store (artifacts.h).
 *
 * Where: on a Unix socket (`socket_path`, created; it must not exist), or
 * on 127.0.0.1 at a port chosen at run time (socket_path NULL;
 * bk_rest_api_port()). The step sandboxes have a network namespace of
 * their own, so lazykite-sim binds the socket's directory into every
 * sandbox and the job's `lazykite parent-map` connects to it with
 * `--unix-socket` (LAZYKITE_BUILDKITE_API_SOCKET), the API URL saying
 * http://localhost/v2. The URLs in answers are built from the request's
 * Host header.
 *
 * Endpoints (ORG and PIPELINE the builds' slugs; anything else is 404):
 *   GET /v2/organizations/ORG/pipelines/PIPELINE/builds
 *       ?branch=B (or branch[]=…) &state=S (or state[]=…) &per_page=N &page=K
 *     the builds, newest first (highest number first), those on the
 *     branch(es) and in the state(s) asked for, N a page (default 30, at
 *     most 100), each with `id`, `number`, `state`, `blocked`, `branch`,
 *     `commit`, `message`, `created_at`, `url`, `web_url` and `jobs` (each
 *     `id`, `type`, `name`, `step_key`, `state`, `artifacts_url`); a
 *     `Link: <…>; rel="next"` header when there are more.
 *   GET …/builds/NUMBER/jobs/JOB/artifacts?per_page=N&page=K
 *     the job's artifacts (`id`, `job_id`, `url`, `download_url`,
 *     `state` "finished", `path`, `dirname`, `filename`, `mime_type`,
 *     `file_size`, `sha1sum`).
 *   GET …/builds/NUMBER/jobs/JOB/artifacts/ID/download
 *     302 Found to the artifact's storage URL (body {"url": …}), as
 *     Buildkite redirects to its storage.
 *   GET /_storage/ID?signature=S
 *     the bytes; like a signed storage URL it takes no token: a request
 *     that sends an Authorization header is refused (400).
 * Every /v2 request needs `Authorization: Bearer TOKEN`: without it, or
 * with another token, the answer is 401 with {"message": …}, as
 * Buildkite answers. Wrong slugs, build numbers, jobs or artifacts are
 * 404 {"message": "Not Found"}.
 *
 * Faults (bk_rest_api_fault_parse() names them) make it misbehave for the
 * tests: `garbage` (every /v2 answer is 200 with text that is not JSON),
 * `truncated` (the builds list cut off), `not-array` (the builds list an
 * object), `bad-build` (a build's number a string), `bad-jobs` (a build's
 * jobs an object), `bad-artifacts` (the artifact list not JSON),
 * `no-download-url` (artifacts without download_url), `status-500` (every
 * /v2 answer 500), `slow` (the builds list after 10 s; threaded only),
 * `huge` (a builds list of more than 64 MiB), `huge-map` (storage answers
 * declaring 300 MiB), `no-location` (the download's 302 without
 * Location), `redirect-loop` (the download redirects to itself),
 * `download-404`, `foreign-download-url` (download_url on another host),
 * `ignore-filters` (the builds list ignores branch and state).
 *
 * Serving: threaded (a thread per connection, for the standalone test
 * program), or in the caller's loop: poll bk_rest_api_fd() for input, at
 * the latest after bk_rest_api_timeout_ms(), and call bk_rest_api_serve().
 * The builds and artifacts are borrowed and read only while serving (so,
 * threaded, they must not change). Every request is logged:
 * bk_rest_api_requests() gives the log (a new reference) — for each,
 * `method`, `path` (with the decoded query), `status`, `auth` ("ok",
 * "missing", "wrong", or "none" for storage), `build` (the number
 * bk_rest_api_set_build() last named: the build whose jobs were running,
 * or null), `bytes` (of the answer's body, null when streamed), and for a
 * storage download that was answered `artifact` {"number", "build", "job",
 * "path"}. */
#ifndef LAZYKITE_BK_RESTAPI_H
#define LAZYKITE_BK_RESTAPI_H

#include <jansson.h>
#include <stdbool.h>

#include "buildkite/artifacts.h"
#include "buildkite/builds.h"
#include "error.h"

enum bk_api_fault {
    BK_API_OK, BK_API_GARBAGE, BK_API_TRUNCATED, BK_API_NOT_ARRAY, BK_API_BAD_BUILD, BK_API_BAD_JOBS,
    BK_API_BAD_ARTIFACTS, BK_API_NO_DOWNLOAD_URL, BK_API_STATUS_500, BK_API_SLOW, BK_API_HUGE,
    BK_API_HUGE_MAP, BK_API_NO_LOCATION, BK_API_REDIRECT_LOOP, BK_API_DOWNLOAD_404,
    BK_API_FOREIGN_DOWNLOAD_URL, BK_API_IGNORE_FILTERS, BK_API_N_FAULTS
};
/* The fault named `name`, or -1. */
int bk_rest_api_fault_parse(const char *name);
const char *bk_rest_api_fault_name(enum bk_api_fault f);

struct bk_rest_api_config {
    const char *socket_path;  /* NULL: 127.0.0.1, a port chosen now */
    const char *token;
    struct bk_builds *builds;
    struct bk_artifacts *arts;
    enum bk_api_fault fault;
    bool threaded;
};

struct bk_rest_api;

struct bk_rest_api *bk_rest_api_new(const struct bk_rest_api_config *cfg, struct lk_error *err);
void bk_rest_api_free(struct bk_rest_api *api);
int bk_rest_api_port(const struct bk_rest_api *api); /* 0 on a Unix socket */
int bk_rest_api_fd(const struct bk_rest_api *api);
int bk_rest_api_timeout_ms(const struct bk_rest_api *api); /* -1: none */
void bk_rest_api_serve(struct bk_rest_api *api);
void bk_rest_api_set_build(struct bk_rest_api *api, long number);
json_t *bk_rest_api_requests(struct bk_rest_api *api);

#endif
