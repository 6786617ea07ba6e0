/* Unit tests: the simulated Buildkite REST API (restapi.h) over builds
 * made by hand, through libcurl on a Unix socket — the token (401 without
 * it or with another), the builds list (newest first, branch and state
 * filters, pages and the Link header), a job's artifacts, the download's
 * redirect to a storage URL that takes no token, 404s, the request log —
 * and a build's state from its scheduler (builds.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buildkite/artifacts.h"
#include "buildkite/bkpipeline.h"
#include "buildkite/builds.h"
#include "buildkite/restapi.h"
#include "buildkite/scheduler.h"
#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

struct fx {
    char *dir, *sock;
    struct bk_builds *builds;
    struct bk_artifacts *arts;
    struct bk_rest_api *api;
};

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof *f);
    f->dir = xstrdup("/tmp/lazykite-test-restapi.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->sock = xasprintf("%s/api.sock", f->dir);
    f->builds = bk_builds_new("acme", "depot");
    f->arts = bk_artifacts_new(f->dir);
    struct lk_error err = LK_ERROR_INIT;
    const char *branches[] = { "main", "main", "other", "main" };
    const char *states[] = { "passed", "failed", "passed", "passed" };
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof id, "build-%d", i + 1);
        struct bk_build *b = bk_builds_add(f->builds, id, branches[i], "c0ffee", states[i]);
        bk_build_add_job(b, "7", "script", "pipeline-gen", ":llama:", "passed");
        assert_int_equal(bk_artifacts_add(f->arts, id, "7", "pipeline-gen", ":llama:", "pipeline/drvmap.json",
                                          "{}\n", 3, &err), 0);
    }
    struct bk_rest_api_config cfg = { f->sock, "tok", f->builds, f->arts, BK_API_OK, true };
    f->api = bk_rest_api_new(&cfg, &err);
    assert_non_null(f->api);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    bk_rest_api_free(f->api);
    bk_artifacts_free(f->arts);
    bk_builds_free(f->builds);
    file_remove_tree(f->dir);
    free(f->dir);
    free(f->sock);
    free(f);
    return 0;
}

static size_t sink(char *p, size_t size, size_t n, void *ctx)
{
    sb_add(ctx, p, size * n);
    return size * n;
}

struct answer {
    long status;
    struct strbuf body;
    char *location, *link;
};

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct answer *a = ctx;
    size_t len = size * n;
    if (len > 6 && !strncasecmp(p, "Link: ", 6))
        a->link = xstrndup(p + 6, len - 6 - (len >= 8 && p[len - 2] == '\r' ? 2 : 0));
    return len;
}

/* GET path (on the socket) with `token` (NULL: none). */
static struct answer get(struct fx *f, const char *path, const char *token)
{
    struct answer a = { 0, STRBUF_INIT, NULL, NULL };
    CURL *h = curl_easy_init();
    char *url = xasprintf("http://localhost%s", path);
    struct curl_slist *hs = NULL;
    char *auth = token ? xasprintf("Authorization: Bearer %s", token) : NULL;
    if (auth)
        hs = curl_slist_append(hs, auth);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, f->sock);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &a.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &a);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
    char *loc = NULL;
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
    a.location = loc ? xstrdup(loc) : NULL;
    curl_slist_free_all(hs);
    curl_easy_cleanup(h);
    free(auth);
    free(url);
    return a;
}

static void release(struct answer *a)
{
    sb_release(&a->body);
    free(a->location);
    free(a->link);
}

/* GET path with `token` answers `status`, its body unread. */
static void expect_status(struct fx *f, const char *path, const char *token, long status)
{
    struct answer a = get(f, path, token);
    if (a.status != status)
        fail_msg("GET %s (token %s): status %ld, want %ld", path, token ? token : "none", a.status, status);
    release(&a);
}

#define BUILDS "/v2/organizations/acme/pipelines/depot/builds"

static void test_token(void **state)
{
    struct fx *f = *state;
    struct answer a = get(f, BUILDS, NULL);
    assert_int_equal(a.status, 401);
    assert_non_null(strstr(a.body.buf, "\"message\""));
    release(&a);
    expect_status(f, BUILDS, "nope", 401);
    expect_status(f, BUILDS, "tok", 200);
}

static void test_builds_list(void **state)
{
    struct fx *f = *state;
    struct answer a = get(f, BUILDS "?branch=main&state%5B%5D=passed&state%5B%5D=running", "tok");
    assert_int_equal(a.status, 200);
    json_t *list = json_loads(a.body.buf, 0, NULL);
    assert_int_equal(json_array_size(list), 2); /* builds 4 and 1: newest first */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "number")), 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 1), "number")), 1);
    json_t *job = json_array_get(json_object_get(json_array_get(list, 0), "jobs"), 0);
    assert_string_equal(json_string_value(json_object_get(job, "step_key")), "pipeline-gen");
    assert_string_equal(json_string_value(json_object_get(job, "id")), "7");
    json_decref(list);
    assert_null(a.link);
    release(&a);
    /* pages: one build a page, the next one linked */
    a = get(f, BUILDS "?per_page=1&page=2", "tok");
    list = json_loads(a.body.buf, 0, NULL);
    assert_int_equal(json_array_size(list), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "number")), 3);
    json_decref(list);
    assert_non_null(a.link);
    assert_non_null(strstr(a.link, "page=3>; rel=\"next\""));
    release(&a);
    a = get(f, BUILDS "?state=failed", "tok");
    list = json_loads(a.body.buf, 0, NULL);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    release(&a);
    expect_status(f, "/v2/organizations/acme/pipelines/other/builds", "tok", 404);
}

static void test_artifacts_and_download(void **state)
{
    struct fx *f = *state;
    struct answer a = get(f, BUILDS "/4/jobs/7/artifacts", "tok");
    assert_int_equal(a.status, 200);
    json_t *list = json_loads(a.body.buf, 0, NULL), *art = json_array_get(list, 0);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(art, "path")), "pipeline/drvmap.json");
    assert_string_equal(json_string_value(json_object_get(art, "state")), "finished");
    assert_int_equal(json_integer_value(json_object_get(art, "file_size")), 3);
    char *download = xstrdup(json_string_value(json_object_get(art, "download_url")) + strlen("http://localhost"));
    json_decref(list);
    release(&a);
    a = get(f, download, "tok");
    assert_int_equal(a.status, 302);
    assert_non_null(a.location);
    char *storage = xstrdup(a.location + strlen("http://localhost"));
    release(&a);
    expect_status(f, storage, "tok", 400); /* a signed URL takes no token */
    a = get(f, storage, NULL);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body.buf, "{}\n");
    release(&a);
    storage[strlen(storage) - 1] ^= 1; /* another signature */
    expect_status(f, storage, NULL, 403);
    expect_status(f, BUILDS "/4/jobs/8/artifacts", "tok", 404);
    expect_status(f, BUILDS "/9/jobs/7/artifacts", "tok", 404);
    /* the log: the storage download names the artifact */
    json_t *log = bk_rest_api_requests(f->api), *e = json_array_get(log, 3);
    assert_int_equal(json_array_size(log), 7);
    assert_string_equal(json_string_value(json_object_get(e, "auth")), "none");
    assert_int_equal(json_integer_value(json_object_get(e, "status")), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "artifact"), "build")), "build-4");
    json_decref(log);
    free(download);
    free(storage);
}

/* A build's state and jobs from its scheduler. */
static void test_build_state(void **state)
{
    (void)state;
    static const char yaml[] = "steps:\n  - command: a\n    key: k\n  - block: b\n  - command: c\n";
    struct bk_builds *bs = bk_builds_new("o", "p");
    struct lk_error err = LK_ERROR_INIT;
    struct bk_sched_options so = { "main", BK_UNBLOCK_NONE, NULL, NULL };
    struct bk_sched *s = bk_sched_new(&so);
    struct bk_pipeline *pl = bk_pipeline_load("p.yml", yaml, strlen(yaml), NULL, &err);
    assert_non_null(pl);
    int first;
    size_t count;
    assert_int_equal(bk_sched_upload(s, -1, pl, &first, &count, &err), 0);
    struct bk_build *b = bk_builds_add(bs, "id", "main", "c", "running");
    bk_build_live(b, s);
    size_t n;
    struct bk_build_job *jobs = bk_build_jobs(b, &n);
    assert_int_equal(n, 3);
    assert_string_equal(jobs[0].type, "script");
    assert_string_equal(jobs[0].state, "scheduled");
    assert_string_equal(jobs[1].type, "manual");
    bk_build_jobs_free(jobs, n);
    int id = bk_sched_next(s);
    assert_int_equal(id, 0);
    bk_sched_report_exit(s, id, 0, false);
    while (bk_sched_next(s) >= 0)
        ;
    bk_build_finish(b);
    assert_string_equal(b->state, "blocked"); /* c waits behind the block */
    assert_null(b->live);
    assert_int_equal(b->n_jobs, 3);
    assert_string_equal(b->jobs[0].state, "passed");
    bk_sched_free(s);
    bk_builds_free(bs);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_builds_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_artifacts_and_download, setup, teardown),
        cmocka_unit_test(test_build_state),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
