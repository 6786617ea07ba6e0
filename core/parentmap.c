/* parentmap — the parent build's drvmap.json through the Buildkite REST
 * API (see parentmap.h). */
#include "parentmap.h"

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "fileio.h"
#include "http.h"
#include "manifest.h"
#include "strbuf.h"
#include "xalloc.h"

#define MAX_REDIRECTS 5

/* The search's state. A step returns 0 to go on, 1 when the search is over
 * (r->found, or r->why set), -1 on an error of our own (err). */
struct search {
    const struct parentmap_options *o;
    struct parentmap_result *r;
    struct http_client *http;
    char *origin;        /* the API's scheme://host[:port] */
    char *pipeline_url;  /* <api>/organizations/ORG/pipelines/PIPELINE */
    double deadline;
    struct lk_error *err;
};

static int no_map(struct search *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int no_map(struct search *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = xvasprintf(fmt, ap);
    va_end(ap);
    free(s->r->why);
    s->r->why = why;
    return 1;
}

/* `text` (an answer's "message") made fit for one line of a log: printable
 * ASCII, at most 200 bytes, and never the token. Caller frees. */
static char *sanitize(const struct search *s, const char *text)
{
    struct strbuf sb = STRBUF_INIT;
    size_t tl = s->o->token ? strlen(s->o->token) : 0;
    for (const char *p = text; *p && sb.len < 200; p++) {
        if (tl && !strncmp(p, s->o->token, tl)) {
            sb_adds(&sb, "[token]");
            p += tl - 1;
        } else {
            sb_addc(&sb, (*p >= 0x20 && *p < 0x7f) ? *p : ' ');
        }
    }
    return sb_detach(&sb);
}

/* Why an answer with status `status` is no good: the status, what it
 * means for this command, and the API's own "message" when it gave one. */
static int bad_status(struct search *s, const char *url, const struct http_response *resp, bool builds_list)
{
    const char *meaning = "";
    if (resp->status == 401)
        meaning = " (the API refused the token)";
    else if (resp->status == 403)
        meaning = " (the token may not read builds and artifacts: it needs read_builds and read_artifacts)";
    else if (resp->status == 404 && builds_list)
        meaning = " (check the organization and pipeline slugs)";
    char *msg = NULL;
    json_t *j = json_loadb(resp->body.buf, resp->body.len, 0, NULL);
    const char *m = json_string_value(json_object_get(j, "message"));
    if (m)
        msg = sanitize(s, m);
    json_decref(j);
    no_map(s, "GET %s: HTTP %ld%s%s%s%s", url, resp->status, meaning, msg ? ": \"" : "", msg ? msg : "",
           msg ? "\"" : "");
    free(msg);
    return 1;
}

static int malformed(struct search *s, const char *url, const char *place, const char *what)
{
    return no_map(s, "GET %s: the answer is not what the API documents: %s: %s", url, place, what);
}

/* GET a list from the API with the token; 0 with the parsed JSON array in
 * *out (the caller decrefs), or 1 with why (an answer that is not an array
 * "of <items>" among them). */
static int api_get_list(struct search *s, const char *url, bool builds_list, const char *items, json_t **out)
{
    struct http_response resp = { 0 };
    struct lk_error herr = LK_ERROR_INIT;
    *out = NULL;
    s->r->requests++;
    if (http_get(s->http, url, s->o->token, s->deadline, PARENTMAP_MAX_ANSWER, &resp, &herr) != 0) {
        no_map(s, "%s", herr.msg);
        lk_error_clear(&herr);
        return 1;
    }
    int rc = 0;
    if (resp.status != 200) {
        rc = bad_status(s, url, &resp, builds_list);
    } else {
        json_error_t je;
        *out = json_loadb(resp.body.buf, resp.body.len, JSON_REJECT_DUPLICATES, &je);
        if (!*out) {
            rc = no_map(s, "GET %s: the answer is not JSON (line %d, column %d: %s)", url, je.line, je.column,
                        je.text);
        } else if (!json_is_array(*out)) {
            char *what = xasprintf("expected an array of %s", items);
            rc = malformed(s, url, "(root)", what);
            free(what);
        }
    }
    http_response_release(&resp);
    return rc;
}

static bool same_origin(const struct search *s, const char *url)
{
    char *o = http_origin(url);
    bool same = o && !strcasecmp(o, s->origin);
    free(o);
    return same;
}

/* Download the artifact (its download_url, then the redirects without the
 * token), check it is a drvmap and write it. */
static int download(struct search *s, long number, const char *build_id, const char *state,
                    const char *download_url)
{
    const struct parentmap_options *o = s->o;
    if (!same_origin(s, download_url))
        return no_map(s, "build #%ld: the download_url of %s is not on the API's host (%s): the token "
                         "is not sent there", number, o->artifact, s->origin);
    struct http_response resp = { 0 };
    struct lk_error herr = LK_ERROR_INIT;
    char *url = xstrdup(download_url);
    int rc = 0;
    for (int hop = 0;; hop++) {
        s->r->requests++;
        /* only the API's own download URL gets the token */
        if (http_get(s->http, url, hop == 0 ? o->token : NULL, s->deadline, PARENTMAP_MAX_MAP, &resp, &herr) != 0) {
            rc = no_map(s, "build #%ld's %s: %s", number, o->artifact, herr.msg);
            break;
        }
        if (resp.status >= 300 && resp.status < 400) {
            if (!resp.location) {
                rc = no_map(s, "GET %s: HTTP %ld without a Location", url, resp.status);
                break;
            }
            if (hop == MAX_REDIRECTS) {
                rc = no_map(s, "build #%ld's %s: more than %d redirects", number, o->artifact, MAX_REDIRECTS);
                break;
            }
            free(url);
            url = xstrdup(resp.location);
            continue;
        }
        if (resp.status != 200)
            rc = bad_status(s, url, &resp, false);
        break;
    }
    lk_error_clear(&herr);
    if (rc == 0) {
        size_t n_labels = 0;
        struct lk_error perr = LK_ERROR_INIT;
        char *what = xasprintf("build #%ld's %s", number, o->artifact);
        if (parent_map_check(resp.body.buf, resp.body.len, what, &n_labels, &perr) != 0) {
            char *m = lk_error_format(&perr);
            rc = no_map(s, "%s is not a drvmap (%s)", what, m);
            free(m);
        } else if (file_write_atomic(o->out_path, resp.body.buf, resp.body.len, s->err) != 0) {
            rc = -1;
        } else {
            struct parentmap_result *r = s->r;
            r->found = true;
            r->build_number = number;
            r->build_id = xstrdup(build_id);
            r->build_state = xstrdup(state ? state : "?");
            r->n_targets = n_labels;
            r->bytes = resp.body.len;
            rc = 1;
        }
        lk_error_clear(&perr);
        free(what);
    }
    http_response_release(&resp);
    free(url);
    return rc;
}

/* The artifacts of one job, page by page: the download of `artifact` when
 * the job has it (1), 0 when it has not. */
static int job_artifact(struct search *s, long number, const char *build_id, const char *state,
                        const char *job_id)
{
    char *job = http_escape(job_id);
    int rc = 0;
    for (int page = 1; page <= PARENTMAP_MAX_ARTIFACT_PAGES && rc == 0; page++) {
        char *url = xasprintf("%s/builds/%ld/jobs/%s/artifacts?per_page=100&page=%d", s->pipeline_url,
                              number, job, page);
        json_t *list = NULL;
        rc = api_get_list(s, url, false, "artifacts", &list);
        size_t i;
        json_t *a;
        const char *download_url = NULL;
        json_array_foreach(rc == 0 ? list : NULL, i, a) {
            char place[32];
            snprintf(place, sizeof place, "/%zu", i);
            const char *path = json_string_value(json_object_get(a, "path"));
            json_t *st = json_object_get(a, "state");
            if (!json_is_object(a) || !path) {
                rc = malformed(s, url, place, "expected an artifact with a \"path\" string");
                break;
            }
            if (strcmp(path, s->o->artifact) || (st && (!json_is_string(st) || strcmp(json_string_value(st), "finished"))))
                continue;
            download_url = json_string_value(json_object_get(a, "download_url"));
            if (!download_url)
                rc = malformed(s, url, place, "expected a \"download_url\" string");
            break;
        }
        if (rc == 0 && download_url)
            rc = download(s, number, build_id, state, download_url);
        else if (rc == 0 && json_array_size(list) < 100)
            rc = 2; /* the job has no such artifact */
        json_decref(list);
        free(url);
    }
    free(job);
    return rc == 2 ? 0 : rc;
}

/* One build of a page: 0 to look at older builds. */
static int look_at_build(struct search *s, const char *url, size_t i, json_t *b)
{
    char place[48];
    snprintf(place, sizeof place, "/%zu", i);
    if (!json_is_object(b))
        return malformed(s, url, place, "expected a build (an object)");
    const char *id = json_string_value(json_object_get(b, "id"));
    json_t *num = json_object_get(b, "number"), *jobs = json_object_get(b, "jobs");
    json_t *state = json_object_get(b, "state"), *branch = json_object_get(b, "branch");
    if (!id)
        return malformed(s, url, place, "expected an \"id\" string");
    if (!json_is_integer(num) || json_integer_value(num) < 0)
        return malformed(s, url, place, "expected a \"number\" (a non-negative integer)");
    if (!json_is_array(jobs))
        return malformed(s, url, place, "expected a \"jobs\" array");
    if ((state && !json_is_string(state)) || (branch && !json_is_string(branch)))
        return malformed(s, url, place, "expected \"state\" and \"branch\" strings");
    const char *st = json_string_value(state);
    if (s->o->self_build_id && !strcmp(id, s->o->self_build_id))
        return 0; /* never its own parent */
    /* what the query asked for, whatever the answer holds */
    if ((st && strcmp(st, "passed") && strcmp(st, "running")) ||
        (branch && strcmp(json_string_value(branch), s->o->branch)))
        return 0;
    if (s->r->builds_seen == (size_t)s->o->max_builds)
        return no_map(s, "none of the newest %ld passed or running builds of %s has %s's %s (--max-builds)",
                      s->o->max_builds, s->o->branch, s->o->step_key, s->o->artifact);
    s->r->builds_seen++;
    long number = (long)json_integer_value(num);
    size_t k;
    json_t *job;
    json_array_foreach(jobs, k, job) {
        if (!json_is_object(job))
            return malformed(s, url, place, "expected jobs (objects) in \"jobs\"");
        const char *key = json_string_value(json_object_get(job, "step_key"));
        if (!key || strcmp(key, s->o->step_key))
            continue;
        const char *job_id = json_string_value(json_object_get(job, "id"));
        if (!job_id)
            return malformed(s, url, place, "expected an \"id\" string in each job");
        int rc = job_artifact(s, number, id, st, job_id);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int search_builds(struct search *s)
{
    const struct parentmap_options *o = s->o;
    char *branch = http_escape(o->branch);
    long per_page = o->max_builds < PARENTMAP_PAGE ? o->max_builds : PARENTMAP_PAGE;
    /* (pages enough for max_builds builds, and more for an API that lists
     * builds the query did not ask for; but not forever) */
    long max_pages = 10 * (o->max_builds / per_page + 1);
    int rc = 0;
    for (long page = 1; rc == 0; page++) {
        char *url = xasprintf("%s/builds?branch=%s&state%%5B%%5D=passed&state%%5B%%5D=running"
                              "&per_page=%ld&page=%ld", s->pipeline_url, branch, per_page, page);
        json_t *list = NULL;
        rc = api_get_list(s, url, true, "builds", &list);
        size_t i;
        json_t *b;
        json_array_foreach(rc == 0 ? list : NULL, i, b) {
            rc = look_at_build(s, url, i, b);
            if (rc != 0)
                break;
        }
        if (rc == 0 && json_array_size(list) < (size_t)per_page) {
            if (s->r->builds_seen)
                rc = no_map(s, "none of the %zu passed or running builds of %s has %s's %s", s->r->builds_seen,
                            o->branch, o->step_key, o->artifact);
            else
                rc = no_map(s, "no passed or running build of %s in %s/%s%s", o->branch, o->org, o->pipeline,
                            o->self_build_id ? " but this one" : "");
        } else if (rc == 0 && page == max_pages) {
            rc = no_map(s, "%ld pages of builds listed only %zu passed or running builds of %s, none with %s's %s",
                        max_pages, s->r->builds_seen, o->branch, o->step_key, o->artifact);
        }
        json_decref(list);
        free(url);
    }
    free(branch);
    return rc;
}

int parentmap_fetch(const struct parentmap_options *o, struct parentmap_result *r, struct lk_error *err)
{
    memset(r, 0, sizeof *r);
    struct search s = { o, r, NULL, NULL, NULL, lk_clock_seconds() + o->timeout, err };
    size_t al = strlen(o->api);
    while (al && o->api[al - 1] == '/')
        al--;
    char *api = xstrndup(o->api, al);
    s.origin = http_origin(api);
    int rc;
    if (!s.origin) {
        rc = no_map(&s, "the API URL '%s' is not an http or https URL", api);
    } else {
        char *org = http_escape(o->org), *pipe = http_escape(o->pipeline);
        s.pipeline_url = xasprintf("%s/organizations/%s/pipelines/%s", api, org, pipe);
        free(org);
        free(pipe);
        s.http = http_client_new(o->unix_socket, s.origin);
        rc = search_builds(&s);
    }
    http_client_free(s.http);
    free(s.pipeline_url);
    free(s.origin);
    free(api);
    if (rc < 0) {
        free(r->why);
        r->why = NULL;
        r->found = false;
        return -1;
    }
    return 0;
}

/* A variable's value when set and non-empty, else NULL. */
static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int parentmap_settle(struct parentmap_options *o, const char *max_builds, const char *timeout,
                     struct lk_error *err)
{
    static const struct { const char *what, *var; size_t off; } from_env[] = {
        { "--org", "BUILDKITE_ORGANIZATION_SLUG", offsetof(struct parentmap_options, org) },
        { "--pipeline", "BUILDKITE_PIPELINE_SLUG", offsetof(struct parentmap_options, pipeline) },
        { "--branch", "BUILDKITE_PIPELINE_DEFAULT_BRANCH", offsetof(struct parentmap_options, branch) },
    };
    for (size_t i = 0; i < sizeof from_env / sizeof from_env[0]; i++) {
        const char **slot = (const char **)((char *)o + from_env[i].off);
        if (!*slot)
            *slot = env_value(from_env[i].var);
        if (!*slot || !**slot)
            return lk_bad_input(err, NULL, NULL, "%s not given and %s not set", from_env[i].what, from_env[i].var);
    }
    if (!o->step_key)
        o->step_key = "pipeline-gen";
    if (!o->artifact)
        o->artifact = "pipeline/drvmap.json";
    if (!*o->step_key || !*o->artifact)
        return lk_bad_input(err, NULL, NULL, "--step-key and --artifact must not be empty");
    if (!o->api)
        o->api = env_value("LAZYKITE_BUILDKITE_API");
    if (!o->api)
        o->api = PARENTMAP_DEFAULT_API;
    char *origin = http_origin(o->api);
    free(origin);
    if (!origin)
        return lk_bad_input(err, NULL, NULL, "--api: expected an http:// or https:// URL, not '%s'", o->api);
    if (!o->unix_socket)
        o->unix_socket = env_value("LAZYKITE_BUILDKITE_API_SOCKET");
    else if (!*o->unix_socket)
        return lk_bad_input(err, NULL, NULL, "--unix-socket: expected a path, not ''");
    o->max_builds = 50;
    if (max_builds) {
        char *end;
        long n = strtol(max_builds, &end, 10);
        if (!*max_builds || *end || n < 1 || n > 100000)
            return lk_bad_input(err, NULL, NULL, "--max-builds: expected a whole number from 1 to 100000, not '%s'",
                                max_builds);
        o->max_builds = n;
    }
    o->timeout = 60;
    if (timeout) {
        char *end;
        double t = strtod(timeout, &end);
        if (!*timeout || *end || !(t > 0 && t <= 86400))
            return lk_bad_input(err, NULL, NULL, "--timeout: expected seconds (more than 0, at most 86400), not '%s'",
                                timeout);
        o->timeout = t;
    }
    o->self_build_id = env_value("BUILDKITE_BUILD_ID");
    return 0;
}

int parentmap_read_token(const char *token_file, char **token, struct lk_error *err)
{
    const char *from = "BUILDKITE_API_TOKEN";
    *token = NULL;
    if (token_file) {
        char *text;
        size_t len;
        if (file_read(token_file, &text, &len, err) != 0) {
            lk_error_prefix(err, "--token-file");
            return -1;
        }
        while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\r' ||
                       text[len - 1] == '\n'))
            len--;
        text[len] = '\0';
        *token = text;
        from = token_file;
        if (memchr(text, '\0', len)) {
            free(text);
            *token = NULL;
            return lk_bad_input(err, token_file, NULL, "the token file holds a NUL byte");
        }
    } else if (env_value("BUILDKITE_API_TOKEN")) {
        *token = xstrdup(env_value("BUILDKITE_API_TOKEN"));
    }
    if (*token && !**token) {
        free(*token);
        *token = NULL;
    }
    for (const char *p = *token; p && *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) {
            free(*token);
            *token = NULL;
            return lk_bad_input(err, from, NULL, "the API token holds a space or a control character");
        }
    return 0;
}

void parentmap_result_release(struct parentmap_result *r)
{
    free(r->build_id);
    free(r->build_state);
    free(r->why);
    memset(r, 0, sizeof *r);
}
