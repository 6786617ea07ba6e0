/* restapi — the simulated Buildkite REST API (see restapi.h). */
#include "buildkite/restapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buildkite/restquery.h"
#include "digest.h"
#include "strbuf.h"
#include "xalloc.h"

static const char *const fault_names[BK_API_N_FAULTS] = {
    "none", "garbage", "truncated", "not-array", "bad-build", "bad-jobs", "bad-artifacts",
    "no-download-url", "status-500", "slow", "huge", "huge-map", "no-location", "redirect-loop",
    "download-404", "foreign-download-url", "ignore-filters",
};

int bk_rest_api_fault_parse(const char *name)
{
    for (int i = 0; i < BK_API_N_FAULTS; i++)
        if (!strcmp(fault_names[i], name))
            return i;
    return -1;
}

const char *bk_rest_api_fault_name(enum bk_api_fault f)
{
    return f < BK_API_N_FAULTS ? fault_names[f] : "?";
}

struct bk_rest_api {
    struct MHD_Daemon *d;
    char *token, *socket_path;
    char signing[SHA1_HEX_LEN + 1]; /* what storage signatures are made with */
    struct bk_builds *builds;
    struct bk_artifacts *arts;
    enum bk_api_fault fault;
    bool threaded;
    int port;
    long build;                      /* the running build's number, or 0 */
    json_t *log;
    pthread_mutex_t lock;            /* the log, when threaded */
    volatile int stopping;
};

/* ---- answers ---------------------------------------------------------- */

/* One request's context while it is answered. */
struct req {
    struct bk_rest_api *api;
    struct MHD_Connection *c;
    const char *url;
    char *base;          /* http://HOST/v2 */
    char *host;          /* http://HOST */
    json_t *query;       /* name -> array of values, decoded */
    json_t *entry;       /* the log entry */
};

static enum MHD_Result queue(struct req *r, unsigned status, struct MHD_Response *resp, long long bytes)
{
    json_object_set_new(r->entry, "status", json_integer(status));
    json_object_set_new(r->entry, "bytes", bytes >= 0 ? json_integer(bytes) : json_null());
    enum MHD_Result rc = MHD_queue_response(r->c, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* `len` bytes of `text` (taken) of `type` (none when NULL), with the header
 * `name: value` when `value` is set. */
static enum MHD_Result answer_text(struct req *r, unsigned status, const char *type, char *text, size_t len,
                                   const char *name, const char *value)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (type)
        MHD_add_response_header(resp, "Content-Type", type);
    if (value)
        MHD_add_response_header(resp, name, value);
    return queue(r, status, resp, (long long)len);
}

/* A JSON answer (takes the reference), with the header `name: value` when `value` is set. */
static enum MHD_Result answer_json(struct req *r, unsigned status, json_t *j, const char *name, const char *value)
{
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return answer_text(r, status, "application/json; charset=utf-8", text, strlen(text), name, value);
}

static enum MHD_Result answer_message(struct req *r, unsigned status, const char *message)
{
    return answer_json(r, status, json_pack("{s:s}", "message", message), NULL, NULL);
}

static enum MHD_Result not_found(struct req *r)
{
    return answer_message(r, MHD_HTTP_NOT_FOUND, "Not Found");
}

/* ---- query ---------------------------------------------------------- */

static enum MHD_Result collect_arg(void *ctx, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    json_t *q = ctx, *vals;
    size_t kl = strlen(key);
    char *name = xstrndup(key, kl > 2 && !strcmp(key + kl - 2, "[]") ? kl - 2 : kl);
    if (!(vals = json_object_get(q, name))) {
        vals = json_array();
        json_object_set_new(q, name, vals);
    }
    json_array_append_new(vals, json_string(value ? value : ""));
    free(name);
    return MHD_YES;
}

/* ---- the endpoints --------------------------------------------------- */

static char *artifact_id(size_t number)
{
    return xasprintf("00000000-0000-4000-a000-%012zx", number);
}

static json_t *build_json(struct req *r, const struct bk_build *b)
{
    struct bk_rest_api *api = r->api;
    char *url = xasprintf("%s/organizations/%s/pipelines/%s/builds/%ld", r->base, bk_builds_org(api->builds),
                          bk_builds_pipeline(api->builds), b->number);
    json_t *jobs = json_array();
    size_t n;
    struct bk_build_job *list = bk_build_jobs(b, &n);
    for (size_t i = 0; i < n; i++) {
        char *arts = xasprintf("%s/jobs/%s/artifacts", url, list[i].id);
        json_array_append_new(jobs, json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "id", list[i].id, "type",
                                              list[i].type, "name", list[i].label ? json_string(list[i].label) : json_null(),
                                              "step_key", list[i].step_key ? json_string(list[i].step_key) : json_null(),
                                              "state", list[i].state, "artifacts_url", arts));
        free(arts);
    }
    bk_build_jobs_free(list, n);
    char *web = xasprintf("https://buildkite.com/%s/%s/builds/%ld", bk_builds_org(api->builds),
                          bk_builds_pipeline(api->builds), b->number);
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:b, s:s, s:s, s:s, s:s, s:s}", "id", b->id, "url", url,
                          "web_url", web, "number", (json_int_t)b->number, "state", b->live ? "running" : b->state,
                          "blocked", !strcmp(b->state, "blocked"), "message", "lazykite-sim build", "commit",
                          b->commit, "branch", b->branch, "source", "api", "created_at", b->created_at);
    json_object_set_new(j, "jobs", api->fault == BK_API_BAD_JOBS ? json_object() : jobs);
    if (api->fault == BK_API_BAD_JOBS)
        json_decref(jobs);
    if (api->fault == BK_API_BAD_BUILD)
        json_object_set_new(j, "number", json_sprintf("%ld", b->number));
    free(url);
    free(web);
    return j;
}

struct huge_state {
    size_t sent, total;
    char fill;
};

static ssize_t huge_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct huge_state *h = cls;
    (void)pos;
    if (h->sent >= h->total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = h->total - h->sent < max ? h->total - h->sent : max;
    memset(buf, h->fill, n);
    if (h->sent == 0 && h->fill == ' ')
        buf[0] = '[';
    h->sent += n;
    return (ssize_t)n;
}

static enum MHD_Result answer_huge(struct req *r, size_t total, char fill, bool declared)
{
    struct huge_state *h = xcalloc(1, sizeof *h);
    h->total = total;
    h->fill = fill;
    struct MHD_Response *resp = MHD_create_response_from_callback(declared ? total : MHD_SIZE_UNKNOWN, 65536,
                                                                  huge_reader, h, free);
    return queue(r, MHD_HTTP_OK, resp, -1);
}

static enum MHD_Result list_builds(struct req *r)
{
    struct bk_rest_api *api = r->api;
    if (api->fault == BK_API_SLOW)
        for (int i = 0; i < 200 && !api->stopping; i++)
            usleep(50000);
    if (api->fault == BK_API_HUGE)
        return answer_huge(r, ((size_t)64 << 20) + 4096, ' ', false);
    struct rq_pager pg = rq_pager_of(r->query);
    bool filter = api->fault != BK_API_IGNORE_FILTERS;
    json_t *list = json_array();
    for (size_t i = bk_builds_count(api->builds); i-- > 0 && !pg.more;) {
        const struct bk_build *b = bk_builds_at(api->builds, i);
        if (filter && (!rq_allows(r->query, "branch", b->branch) ||
                       !rq_allows(r->query, "state", b->live ? "running" : b->state)))
            continue;
        if (rq_pager_take(&pg))
            json_array_append_new(list, build_json(r, b));
    }
    if (api->fault == BK_API_NOT_ARRAY)
        return answer_json(r, MHD_HTTP_OK, json_pack("{s:o}", "builds", list), NULL, NULL);
    if (api->fault == BK_API_TRUNCATED) {
        char *text = json_dumps(list, JSON_COMPACT);
        json_decref(list);
        size_t len = strlen(text);
        return answer_text(r, MHD_HTTP_OK, "application/json", text, len > 2 ? len / 2 : len, NULL, NULL);
    }
    char *link = NULL;
    if (pg.more) { /* the same query, the next page */
        struct strbuf sb = STRBUF_INIT;
        sb_addf(&sb, "<%s%s", r->host, r->url);
        char sep = rq_add(&sb, r->query, "page", NULL);
        sb_addf(&sb, "%cpage=%ld>; rel=\"next\"", sep, pg.page + 1);
        link = sb_detach(&sb);
    }
    enum MHD_Result rc = answer_json(r, MHD_HTTP_OK, list, "Link", link);
    free(link);
    return rc;
}

/* The job `job` of build `number`, or NULL after a 404 answer. */
static const struct bk_build *find_build(struct req *r, const char *number, const char *job)
{
    char *end;
    long n = strtol(number, &end, 10);
    const struct bk_build *b = *number && !*end ? bk_builds_by_number(r->api->builds, n) : NULL;
    bool has_job = false;
    if (b) {
        size_t nj;
        struct bk_build_job *jobs = bk_build_jobs(b, &nj);
        for (size_t i = 0; i < nj && !has_job; i++)
            has_job = !strcmp(jobs[i].id, job);
        bk_build_jobs_free(jobs, nj);
    }
    return has_job ? b : NULL;
}

static char *signature(const struct bk_rest_api *api, size_t number)
{
    char *text = xasprintf("%s/%zu", api->signing, number);
    char hex[SHA1_HEX_LEN + 1];
    sha1_hex(text, strlen(text), hex);
    free(text);
    return xstrdup(hex);
}

static enum MHD_Result list_artifacts(struct req *r, const struct bk_build *b, const char *job)
{
    struct bk_rest_api *api = r->api;
    if (api->fault == BK_API_BAD_ARTIFACTS)
        return answer_text(r, MHD_HTTP_OK, "application/json", xstrdup("[{\"id\": "), 8, NULL, NULL);
    struct rq_pager pg = rq_pager_of(r->query);
    size_t n;
    const struct bk_artifact **found = bk_artifacts_find(api->arts, b->id, job, "*", &n);
    json_t *list = json_array();
    for (size_t i = 0; i < n && !pg.more; i++) {
        const struct bk_artifact *a = found[i];
        if (strcmp(a->job_id, job) || !rq_pager_take(&pg))
            continue;
        char *id = artifact_id(a->number);
        char *url = xasprintf("%s/organizations/%s/pipelines/%s/builds/%ld/jobs/%s/artifacts/%s", r->base,
                              bk_builds_org(api->builds), bk_builds_pipeline(api->builds), b->number, job, id);
        char *download = api->fault == BK_API_FOREIGN_DOWNLOAD_URL
                             ? xasprintf("http://elsewhere.invalid/v2/artifacts/%s/download", id)
                             : xasprintf("%s/download", url);
        const char *slash = strrchr(a->path, '/');
        char *dirname = slash ? xstrndup(a->path, (size_t)(slash - a->path)) : xstrdup(".");
        json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "id", id, "job_id", a->job_id,
                              "url", url, "download_url", download, "state", "finished", "path", a->path,
                              "dirname", dirname, "filename", slash ? slash + 1 : a->path, "file_size",
                              (json_int_t)a->size, "sha1sum", a->sha1);
        json_object_set_new(j, "mime_type", json_string("application/json"));
        if (api->fault == BK_API_NO_DOWNLOAD_URL)
            json_object_del(j, "download_url");
        json_array_append_new(list, j);
        free(id);
        free(url);
        free(download);
        free(dirname);
    }
    free(found);
    char *link = pg.more ? xasprintf("<%s%s?per_page=%ld&page=%ld>; rel=\"next\"", r->host, r->url, pg.per_page,
                                     pg.page + 1)
                         : NULL;
    enum MHD_Result rc = answer_json(r, MHD_HTTP_OK, list, "Link", link);
    free(link);
    return rc;
}

static const struct bk_artifact *artifact_of(struct req *r, const struct bk_build *b, const char *job,
                                             const char *id)
{
    size_t number;
    char tail;
    if (strlen(id) != 36 || strncmp(id, "00000000-0000-4000-a000-", 24) ||
        sscanf(id + 24, "%12zx%c", &number, &tail) != 1)
        return NULL;
    const struct bk_artifact *a = bk_artifacts_by_number(r->api->arts, number);
    return a && !strcmp(a->build_id, b->id) && !strcmp(a->job_id, job) ? a : NULL;
}

static enum MHD_Result download(struct req *r, const struct bk_artifact *a)
{
    struct bk_rest_api *api = r->api;
    if (api->fault == BK_API_DOWNLOAD_404)
        return not_found(r);
    char *sig = signature(api, a->number);
    char *to = xasprintf("%s/_storage/%zu?signature=%s", r->host, a->number, sig);
    enum MHD_Result rc = answer_json(r, MHD_HTTP_FOUND, json_pack("{s:s}", "url", to), "Location",
                                     api->fault != BK_API_NO_LOCATION ? to : NULL);
    free(sig);
    free(to);
    return rc;
}

static enum MHD_Result storage(struct req *r, const char *number)
{
    struct bk_rest_api *api = r->api;
    json_object_set_new(r->entry, "auth", json_string("none"));
    if (MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Authorization"))
        return answer_message(r, MHD_HTTP_BAD_REQUEST,
                              "Only one auth mechanism allowed: the signed URL takes no Authorization header");
    char *end;
    long long n = strtoll(number, &end, 10);
    const struct bk_artifact *a = *number && !*end && n >= 0 ? bk_artifacts_by_number(api->arts, (size_t)n) : NULL;
    char *sig = a ? signature(api, a->number) : NULL;
    const char *given = json_string_value(json_array_get(json_object_get(r->query, "signature"), 0));
    bool ok = a && given && !strcmp(given, sig);
    free(sig);
    if (!ok)
        return answer_message(r, MHD_HTTP_FORBIDDEN, "Access Denied");
    if (api->fault == BK_API_HUGE_MAP)
        return answer_huge(r, (size_t)300 << 20, '0', true);
    if (api->fault == BK_API_REDIRECT_LOOP) { /* the storage sends you back to itself */
        char *to = xasprintf("%s%s?signature=%s", r->host, r->url, given);
        enum MHD_Result rc = answer_text(r, MHD_HTTP_FOUND, NULL, xstrdup(""), 0, "Location", to);
        free(to);
        return rc;
    }
    int fd = open(a->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return answer_message(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "the artifact's file is gone");
    json_object_set_new(r->entry, "artifact", json_pack("{s:I, s:s, s:s, s:s}", "number", (json_int_t)a->number,
                                                        "build", a->build_id, "job", a->job_id, "path", a->path));
    struct MHD_Response *resp = MHD_create_response_from_fd(a->size, fd);
    MHD_add_response_header(resp, "Content-Type", "application/octet-stream");
    return queue(r, MHD_HTTP_OK, resp, (long long)a->size);
}

/* ---- routing --------------------------------------------------------- */

/* The answer to the path of `np` segments `parts`. */
static enum MHD_Result route_parts(struct req *r, char **parts, size_t np)
{
    struct bk_rest_api *api = r->api;
    if (np == 2 && !strcmp(parts[0], "_storage"))
        return storage(r, parts[1]);
    if (np < 1 || strcmp(parts[0], "v2"))
        return not_found(r);
    const char *auth = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Authorization");
    bool good = auth && !strncmp(auth, "Bearer ", 7) && !strcmp(auth + 7, api->token);
    json_object_set_new(r->entry, "auth", json_string(!auth ? "missing" : good ? "ok" : "wrong"));
    if (!good)
        return answer_message(r, MHD_HTTP_UNAUTHORIZED,
                              "Authentication required. Please supply a valid API Access Token");
    if (api->fault == BK_API_STATUS_500)
        return answer_message(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Internal Server Error");
    if (api->fault == BK_API_GARBAGE) {
        static const char junk[] = "<html><body>502 Bad Gateway</body></html>\n";
        return answer_text(r, MHD_HTTP_OK, "application/json", xstrdup(junk), sizeof junk - 1, NULL, NULL);
    }
    bool ours = np >= 6 && !strcmp(parts[1], "organizations") && !strcmp(parts[2], bk_builds_org(api->builds)) &&
                !strcmp(parts[3], "pipelines") && !strcmp(parts[4], bk_builds_pipeline(api->builds)) &&
                !strcmp(parts[5], "builds");
    const struct bk_build *b = NULL;
    if (ours && np >= 10 && !strcmp(parts[7], "jobs") && !strcmp(parts[9], "artifacts"))
        b = find_build(r, parts[6], parts[8]);
    if (ours && np == 6)
        return list_builds(r);
    if (b && np == 10)
        return list_artifacts(r, b, parts[8]);
    const struct bk_artifact *a = b && np == 12 && !strcmp(parts[11], "download")
                                      ? artifact_of(r, b, parts[8], parts[10]) : NULL;
    return a ? download(r, a) : not_found(r);
}

static enum MHD_Result route(struct req *r)
{
    char *parts[16];
    size_t np = 0;
    char *path = xstrdup(r->url), *save = NULL;
    for (char *w = strtok_r(path, "/", &save); w && np < 16; w = strtok_r(NULL, "/", &save))
        parts[np++] = w;
    enum MHD_Result rc = route_parts(r, parts, np);
    free(path);
    return rc;
}

/* The log is locked while it is read or appended to, when threaded. */
static void lock_log(struct bk_rest_api *api, bool lock)
{
    if (api->threaded)
        (lock ? pthread_mutex_lock : pthread_mutex_unlock)(&api->lock);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size,
                                  void **con_cls)
{
    (void)version, (void)upload_data, (void)con_cls;
    struct bk_rest_api *api = cls;
    if (*upload_size) { /* a body nobody asked for: ignored */
        *upload_size = 0;
        return MHD_YES;
    }
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    struct req r = { api, c, url, NULL, NULL, json_object(), json_object() };
    r.host = xasprintf("http://%s", host && *host ? host : "localhost");
    r.base = xasprintf("%s/v2", r.host);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, r.query);
    struct strbuf shown = STRBUF_INIT;
    sb_adds(&shown, url);
    rq_add(&shown, r.query, NULL, "state");
    json_object_set_new(r.entry, "method", json_string(method));
    json_object_set_new(r.entry, "path", json_stringn(shown.buf, shown.len));
    json_object_set_new(r.entry, "auth", json_null());
    json_object_set_new(r.entry, "build", api->build ? json_integer(api->build) : json_null());
    sb_release(&shown);
    enum MHD_Result rc = strcmp(method, "GET") && strcmp(method, "HEAD")
                             ? answer_message(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "Method Not Allowed")
                             : route(&r);
    lock_log(api, true);
    json_array_append(api->log, r.entry);
    lock_log(api, false);
    json_decref(r.entry);
    json_decref(r.query);
    free(r.host);
    free(r.base);
    return rc;
}

/* ---- life ------------------------------------------------------------ */

/* A listening socket on `path`, else on 127.0.0.1 at a port of the system's
 * choosing (api->port). */
static int listen_socket(struct bk_rest_api *api, const char *path, struct lk_error *err)
{
    union { struct sockaddr sa; struct sockaddr_un un; struct sockaddr_in in; } a = { 0 };
    socklen_t al = path ? sizeof a.un : sizeof a.in;
    if (path && strlen(path) >= sizeof a.un.sun_path)
        return lk_fail(err, LK_EXIT_FAIL, path, NULL, "the socket path is too long");
    if (path) {
        a.un.sun_family = AF_UNIX;
        strcpy(a.un.sun_path, path);
    } else {
        a.in.sin_family = AF_INET;
        a.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    }
    int fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, &a.sa, al) < 0 || listen(fd, 64) < 0 || (!path && getsockname(fd, &a.sa, &al) < 0)) {
        lk_fail_errno(err, LK_EXIT_FAIL, path ? path : "127.0.0.1",
                      path ? "listening on a Unix socket" : "listening on a TCP port");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!path)
        api->port = ntohs(a.in.sin_port);
    return fd;
}

struct bk_rest_api *bk_rest_api_new(const struct bk_rest_api_config *cfg, struct lk_error *err)
{
    struct bk_rest_api *api = xcalloc(1, sizeof *api);
    api->token = xstrdup(cfg->token);
    api->builds = cfg->builds;
    api->arts = cfg->arts;
    api->fault = cfg->fault;
    api->threaded = cfg->threaded;
    api->log = json_array();
    pthread_mutex_init(&api->lock, NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *seed = xasprintf("%lld.%ld.%d.%p", (long long)ts.tv_sec, ts.tv_nsec, (int)getpid(), (void *)api);
    sha1_hex(seed, strlen(seed), api->signing);
    free(seed);
    int fd = listen_socket(api, cfg->socket_path, err);
    if (fd < 0) {
        bk_rest_api_free(api);
        return NULL;
    }
    if (cfg->socket_path)
        api->socket_path = xstrdup(cfg->socket_path);
    unsigned flags = cfg->threaded ? MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION : MHD_USE_EPOLL;
    api->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, api, MHD_OPTION_LISTEN_SOCKET, fd,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
    if (!api->d) {
        close(fd);
        lk_fail(err, LK_EXIT_FAIL, cfg->socket_path ? cfg->socket_path : "127.0.0.1", NULL,
                "libmicrohttpd could not start the REST API");
        bk_rest_api_free(api);
        return NULL;
    }
    return api;
}

void bk_rest_api_free(struct bk_rest_api *api)
{
    if (!api)
        return;
    api->stopping = 1;
    if (api->d)
        MHD_stop_daemon(api->d);
    if (api->socket_path)
        unlink(api->socket_path);
    pthread_mutex_destroy(&api->lock);
    json_decref(api->log);
    free(api->socket_path);
    free(api->token);
    free(api);
}

int bk_rest_api_port(const struct bk_rest_api *api)
{
    return api->port;
}

int bk_rest_api_fd(const struct bk_rest_api *api)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(api->d, MHD_DAEMON_INFO_EPOLL_FD);
    return i ? i->epoll_fd : -1;
}

int bk_rest_api_timeout_ms(const struct bk_rest_api *api)
{
    MHD_UNSIGNED_LONG_LONG t;
    if (MHD_get_timeout(api->d, &t) != MHD_YES)
        return -1;
    return t > 60000 ? 60000 : (int)t;
}

void bk_rest_api_serve(struct bk_rest_api *api)
{
    MHD_run(api->d);
}

void bk_rest_api_set_build(struct bk_rest_api *api, long number)
{
    api->build = number;
}

json_t *bk_rest_api_requests(struct bk_rest_api *api)
{
    lock_log(api, true);
    json_t *copy = json_deep_copy(api->log);
    lock_log(api, false);
    return copy;
}
