/* parentmap — `lazykite parent-map`: the drvmap.json of the parent build,
 * found through the Buildkite REST API (v2) and written to a file.
 *
 * Contract: parentmap_fetch() lists the builds of pipeline `org`/`pipeline`
 * on `branch` in state passed or running, newest first
 * (GET …/organizations/ORG/pipelines/PIPELINE/builds?branch=…&state[]=passed
 * &state[]=running&per_page=…&page=…, each build with its `jobs`), skips the
 * build `self_build_id` (a build is never its own parent) and, looking at
 * no more than `max_builds` builds, takes the newest one having a job with
 * step key `step_key` (a job's `step_key`) that has the artifact `artifact`
 * (GET …/builds/NUMBER/jobs/JOB/artifacts: an artifact's `path`, `state`
 * and `download_url`). The artifact is downloaded (GET download_url with
 * the token: Buildkite answers with a redirect to the file, which is
 * fetched without the token), checked with the parent-map reader
 * (manifest.h: a drvmap.json as `lazykite generate --parent-map` reads it)
 * and written to `out_path` through a temporary file and a rename.
 *
 * Bounds: the whole run ends by `timeout` seconds; an API answer is at
 * most PARENTMAP_MAX_ANSWER bytes and the map PARENTMAP_MAX_MAP; at most
 * `max_builds` builds are looked at (pages of PARENTMAP_PAGE builds) and
 * PARENTMAP_MAX_ARTIFACT_PAGES pages of a job's artifacts. The token is
 * sent only to URLs of the API's origin (a download_url elsewhere is
 * refused), never to the storage the download redirects to, and is never
 * part of a message.
 *
 * Outcome: 0 and `r->found` with the build and the map written; or 0 and
 * `r->why` (one line, no token in it), nothing written, when there is no
 * usable map: no such build, an HTTP error status, no answer or no answer
 * in time, an answer that is not what the API documents (at any place), a
 * map that is not a drvmap. -1 with err only when the map could not be
 * written (LK_EXIT_FAIL). The options are borrowed; the result owns its
 * strings (parentmap_result_release()). Nothing is printed. */
#ifndef LAZYKITE_PARENTMAP_H
#define LAZYKITE_PARENTMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define PARENTMAP_MAX_ANSWER ((size_t)64 << 20)
#define PARENTMAP_MAX_MAP ((size_t)256 << 20)
#define PARENTMAP_PAGE 20
#define PARENTMAP_MAX_ARTIFACT_PAGES 50
#define PARENTMAP_DEFAULT_API "https://api.buildkite.com/v2"

struct parentmap_options {
    const char *api;          /* base URL, e.g. PARENTMAP_DEFAULT_API (a trailing '/' is ignored) */
    const char *unix_socket;  /* connect here for the API's origin, or NULL */
    const char *token;        /* the API access token (non-empty) */
    const char *org, *pipeline, *branch;
    const char *step_key;     /* "pipeline-gen" */
    const char *artifact;     /* "pipeline/drvmap.json" */
    const char *self_build_id; /* this build (never its own parent), or NULL */
    long max_builds;          /* >= 1 */
    double timeout;           /* seconds, > 0 */
    const char *out_path;
};

struct parentmap_result {
    bool found;
    long build_number;
    char *build_id, *build_state;
    size_t n_targets, bytes;
    size_t builds_seen;       /* builds looked at (the skipped current one not counted) */
    size_t requests;          /* HTTP requests made */
    char *why;                /* when !found: why there is no usable map */
};

/* The options completed as `lazykite parent-map` takes them: org,
 * pipeline and branch from BUILDKITE_ORGANIZATION_SLUG,
 * BUILDKITE_PIPELINE_SLUG and BUILDKITE_PIPELINE_DEFAULT_BRANCH when not
 * given (then required), step_key "pipeline-gen", artifact
 * "pipeline/drvmap.json", api from LAZYKITE_BUILDKITE_API else
 * PARENTMAP_DEFAULT_API (an http or https URL), unix_socket from
 * LAZYKITE_BUILDKITE_API_SOCKET, self_build_id from BUILDKITE_BUILD_ID,
 * max_builds (1..100000, default 50) and timeout (seconds, (0, 86400],
 * default 60) from their texts (NULL: the default). -1 with a bad-input
 * error saying what is missing or wrong. Strings point into the
 * environment or the arguments. */
int parentmap_settle(struct parentmap_options *o, const char *max_builds, const char *timeout,
                     struct lk_error *err);
/* The API token from `token_file` (its trailing whitespace dropped), or
 * else BUILDKITE_API_TOKEN: 0 and *token (the caller frees; NULL when
 * there is none or it is empty), or -1 with a bad-input error for an
 * unreadable file, a NUL byte, or a token no header can carry (a space or
 * a control character). No message holds the token. */
int parentmap_read_token(const char *token_file, char **token, struct lk_error *err);
int parentmap_fetch(const struct parentmap_options *o, struct parentmap_result *r, struct lk_error *err);
void parentmap_result_release(struct parentmap_result *r);

#endif
