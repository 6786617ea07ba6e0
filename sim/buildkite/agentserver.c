/* agentserver — see agentserver.h. */
#include "buildkite/agentserver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "buildkite/agentwire.h"
#include "buildkite/artglob.h"
#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

struct job {
    int node;
    char token[33];
};

struct bk_agent_server {
    int fd;
    char *socket_path, *build_id;
    struct bk_sched *sched;
    struct bk_artifacts *arts;
    struct job *jobs;
    size_t njobs, alloc_jobs;
    json_t *meta_data;   /* key -> value */
    json_t *annotations; /* [{context, style, body}] */
    json_t *calls;       /* [{step, command, status}] */
    bool *fields_applied; /* per node: an unblocked step's fields are in meta_data */
    size_t nfields_applied;
};

/* One answer being built. */
struct answer {
    int status;
    struct strbuf out, err;
    json_t *extra; /* more header fields, or NULL */
    struct aw_blob *blobs;
    size_t nblobs, alloc_blobs;
};

struct bk_agent_server *bk_agent_server_new(const char *socket_path, const char *build_id,
                                            struct bk_sched *sched, struct bk_artifacts *arts,
                                            struct lk_error *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(socket_path) >= sizeof sa.sun_path) {
        lk_fail(err, LK_EXIT_FAIL, socket_path, NULL, "a socket path must be shorter than %zu bytes",
                sizeof sa.sun_path);
        return NULL;
    }
    strcpy(sa.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 64) < 0) {
        lk_fail_errno(err, LK_EXIT_FAIL, socket_path, "listening for buildkite-agent");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct bk_agent_server *s = xcalloc(1, sizeof(*s));
    s->fd = fd;
    s->socket_path = xstrdup(socket_path);
    s->build_id = xstrdup(build_id);
    s->sched = sched;
    s->arts = arts;
    s->meta_data = json_object();
    s->annotations = json_array();
    s->calls = json_array();
    return s;
}

void bk_agent_server_free(struct bk_agent_server *s)
{
    if (!s)
        return;
    close(s->fd);
    unlink(s->socket_path);
    free(s->socket_path);
    free(s->build_id);
    free(s->jobs);
    json_decref(s->meta_data);
    json_decref(s->annotations);
    json_decref(s->calls);
    free(s->fields_applied);
    free(s);
}

int bk_agent_server_fd(const struct bk_agent_server *s) { return s->fd; }
const char *bk_agent_server_socket(const struct bk_agent_server *s) { return s->socket_path; }

const char *bk_agent_server_job_begin(struct bk_agent_server *s, int node)
{
    unsigned char raw[16];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
        if (r > 0)
            got += (size_t)r;
        else if (errno != EINTR) /* no entropy source: still unique per job */
            for (; got < sizeof raw; got++)
                raw[got] = (unsigned char)(node >> (8 * (got % 4))) ^ (unsigned char)got;
    }
    XGROW(s->jobs, s->alloc_jobs, s->njobs + 1);
    struct job *j = &s->jobs[s->njobs++];
    j->node = node;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(j->token + 2 * i, 3, "%02x", raw[i]);
    return j->token;
}

void bk_agent_server_job_end(struct bk_agent_server *s, int node)
{
    for (size_t i = 0; i < s->njobs; i++)
        if (s->jobs[i].node == node) {
            s->jobs[i] = s->jobs[--s->njobs];
            return;
        }
}

json_t *bk_agent_server_record(const struct bk_agent_server *s)
{
    return json_pack("{s:O, s:O, s:O}", "meta_data", s->meta_data, "annotations", s->annotations,
                     "calls", s->calls);
}

static void say(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vaddf(sb, fmt, ap);
    va_end(ap);
    sb_addc(sb, '\n');
}

static const char *str(json_t *req, const char *name)
{
    return json_string_value(json_object_get(req, name));
}

static const char *node_label(struct bk_agent_server *s, int node)
{
    const struct bk_step *st = bk_sched_step(s->sched, node);
    return st->key ? st->key : st->label ? st->label : "step";
}

static void pipeline_upload(struct bk_agent_server *s, int node, json_t *req, const struct aw_blob *b,
                            size_t nb, struct answer *a)
{
    const char *name = str(req, "name");
    if (nb != 1 || !name) {
        a->status = 2;
        say(&a->err, "buildkite-agent (simulated): a malformed pipeline upload request");
        return;
    }
    struct bk_env env = BK_ENV_INIT;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(req, "env"), k, v)
        if (json_is_string(v))
            bk_env_set(&env, k, json_string_value(v));
    struct bk_load_options o = { json_is_true(json_object_get(req, "interpolate")), &env };
    struct lk_error err = LK_ERROR_INIT;
    struct bk_pipeline *p = bk_pipeline_load(name, b[0].data, b[0].len, &o, &err);
    bk_env_release(&env);
    size_t count = 0;
    if (!p) {
        char *m = lk_error_format(&err);
        say(&a->err, "fatal: Pipeline parsing of \"%s\" failed (%s)", name, m);
        free(m);
        a->status = 1;
    } else if (bk_sched_upload(s->sched, node, p, NULL, &count, &err) < 0) {
        char *m = lk_error_format(&err);
        say(&a->err, "fatal: Failed to upload and process pipeline: %s", m);
        free(m);
        a->status = 1;
    } else {
        say(&a->err, "Successfully uploaded and parsed pipeline config (%s, %zu steps)", name, count);
    }
    lk_error_clear(&err);
}

static void artifact_upload(struct bk_agent_server *s, int node, json_t *req, const struct aw_blob *b,
                            size_t nb, struct answer *a)
{
    json_t *paths = json_object_get(req, "paths");
    if (json_array_size(paths) != nb) {
        a->status = 2;
        say(&a->err, "buildkite-agent (simulated): a malformed artifact upload request");
        return;
    }
    const struct bk_step *st = bk_sched_step(s->sched, node);
    char job[32];
    snprintf(job, sizeof job, "%d", node);
    for (size_t i = 0; i < nb; i++) {
        const char *path = json_string_value(json_array_get(paths, i));
        struct lk_error err = LK_ERROR_INIT;
        if (!path || bk_artifacts_add(s->arts, s->build_id, job, st->key, st->label, path, b[i].data,
                                      b[i].len, &err) < 0) {
            char *m = lk_error_format(&err);
            say(&a->err, "fatal: Failed to upload artifacts: %s", path ? m : "a path is not a string");
            free(m);
            lk_error_clear(&err);
            a->status = 1;
            return;
        }
        say(&a->err, "Uploading artifact %s (%zu bytes)", path, b[i].len);
    }
}

/* artifact-download and artifact-search */
static void artifact_find(struct bk_agent_server *s, json_t *req, bool download, struct answer *a)
{
    const char *query = str(req, "query"), *step = str(req, "step"), *build = str(req, "build");
    if (!query) {
        a->status = 2;
        say(&a->err, "buildkite-agent (simulated): a malformed artifact request");
        return;
    }
    size_t n;
    const struct bk_artifact **found = bk_artifacts_find(s->arts, build ? build : s->build_id, step, query, &n);
    if (n == 0) {
        a->status = 1;
        if (download)
            say(&a->err, "fatal: Failed to download artifacts: No artifacts found for downloading");
        else
            say(&a->err, "fatal: No matches found for \"%s\"", query);
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n && a->status == 0; i++) {
        json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "path", found[i]->path, "job",
                                              found[i]->job_id, "size", (json_int_t)found[i]->size));
        if (!download)
            continue;
        struct aw_blob blob;
        struct lk_error err = LK_ERROR_INIT;
        if (file_read(found[i]->file, &blob.data, &blob.len, &err) < 0) {
            char *m = lk_error_format(&err);
            say(&a->err, "fatal: Failed to download artifacts: %s", m);
            free(m);
            lk_error_clear(&err);
            a->status = 1;
            break;
        }
        XGROW(a->blobs, a->alloc_blobs, a->nblobs + 1);
        a->blobs[a->nblobs++] = blob;
    }
    free(found);
    a->extra = json_pack("{s:o}", "artifacts", list);
}

static bool blank(const char *v)
{
    return v[strspn(v, " \t\r\n\f\v")] == '\0';
}

static void meta_data(struct bk_agent_server *s, const char *cmd, json_t *req, struct answer *a)
{
    const char *key = str(req, "key");
    if (!strcmp(cmd, "meta-data-keys")) {
        const char *k;
        json_t *v;
        json_object_foreach(s->meta_data, k, v)
            say(&a->out, "%s", k);
        return;
    }
    if (!key || blank(key)) {
        a->status = 1;
        say(&a->err, "fatal: a meta-data key must be a non-empty string");
        return;
    }
    json_t *have = json_object_get(s->meta_data, key);
    if (!strcmp(cmd, "meta-data-set")) {
        const char *value = str(req, "value");
        if (!value || blank(value)) {
            a->status = 1;
            say(&a->err, "fatal: The meta-data value must be a non-empty string, and not only whitespace");
        } else {
            json_object_set_new(s->meta_data, key, json_string(value));
        }
    } else if (!strcmp(cmd, "meta-data-exists")) {
        a->status = have ? 0 : 100;
    } else if (have) { /* get */
        sb_adds(&a->out, json_string_value(have));
    } else if (str(req, "default")) {
        sb_adds(&a->out, str(req, "default"));
    } else {
        a->status = 1;
        say(&a->err, "fatal: Failed to get meta-data: No key \"%s\" found", key);
    }
}

static void annotate(struct bk_agent_server *s, json_t *req, struct answer *a)
{
    const char *body = str(req, "body"), *style = str(req, "style"), *context = str(req, "context");
    if (!body || !context || !style) {
        a->status = 2;
        say(&a->err, "buildkite-agent (simulated): a malformed annotate request");
        return;
    }
    size_t i;
    json_t *an;
    json_array_foreach(s->annotations, i, an)
        if (!strcmp(str(an, "context"), context))
            break;
    if (i < json_array_size(s->annotations)) {
        an = json_array_get(s->annotations, i);
        char *text = json_is_true(json_object_get(req, "append"))
                         ? xasprintf("%s%s", str(an, "body"), body) : xstrdup(body);
        json_object_set_new(an, "body", json_string(text));
        json_object_set_new(an, "style", json_string(style));
        free(text);
    } else {
        json_array_append_new(s->annotations,
                              json_pack("{s:s, s:s, s:s}", "context", context, "style", style, "body", body));
    }
}

static void step_get(struct bk_agent_server *s, int node, json_t *req, struct answer *a)
{
    const char *attr = str(req, "attribute"), *step = str(req, "step");
    int id = step ? bk_sched_find(s->sched, step) : node;
    if (id >= 0) /* a retried job: its latest attempt */
        id = bk_sched_latest(s->sched, id);
    if (!attr) {
        a->status = 2;
        say(&a->err, "buildkite-agent (simulated): a malformed step get request");
        return;
    }
    if (id < 0) {
        a->status = 1;
        say(&a->err, "fatal: Failed to get step: No step found with key \"%s\"", step);
        return;
    }
    const struct bk_step *st = bk_sched_step(s->sched, id);
    if (!strcmp(attr, "outcome")) {
        enum bk_outcome o = bk_sched_outcome(s->sched, id);
        sb_adds(&a->out, o == BK_PASSED ? "passed" : o == BK_SOFT_FAILED ? "soft_failed"
                       : bk_outcome_is_failure(o) ? "hard_failed" : "");
    } else if (!strcmp(attr, "key") || !strcmp(attr, "label")) {
        const char *v = !strcmp(attr, "key") ? st->key : st->label;
        sb_adds(&a->out, v ? v : "");
    } else {
        a->status = 2;
        say(&a->err, "buildkite-agent (simulated): 'step get %s' is not simulated", attr);
    }
}

/* An unblocked block or input step's fields, as if each was left at its
 * default: the default (a multiple select's values one per line) becomes
 * the field key's meta-data; a field without default sets nothing. */
static void apply_unblocked(struct bk_agent_server *s)
{
    size_t n = bk_sched_count(s->sched);
    if (n > s->nfields_applied) {
        s->fields_applied = xrealloc(s->fields_applied, n * sizeof(bool));
        memset(s->fields_applied + s->nfields_applied, 0, (n - s->nfields_applied) * sizeof(bool));
        s->nfields_applied = n;
    }
    for (size_t id = 0; id < n; id++) {
        const struct bk_step *st = bk_sched_step(s->sched, (int)id);
        if (s->fields_applied[id] || !st->fields || bk_sched_outcome(s->sched, (int)id) != BK_UNBLOCKED)
            continue;
        s->fields_applied[id] = true;
        size_t i;
        json_t *f;
        json_array_foreach(st->fields, i, f) {
            const char *key = json_string_value(json_object_get(f, "key"));
            json_t *def = json_object_get(f, "default");
            char *value = json_is_string(def) ? xstrdup(json_string_value(def)) : NULL;
            size_t k;
            json_t *e;
            struct strbuf sb = STRBUF_INIT;
            json_array_foreach(def, k, e)
                sb_addf(&sb, "%s%s", k ? "\n" : "", json_string_value(e) ? json_string_value(e) : "");
            if (!value && json_is_array(def) && sb.len)
                value = sb_detach(&sb);
            sb_release(&sb);
            if (key && value)
                json_object_set_new(s->meta_data, key, json_string(value));
            free(value);
        }
    }
}

int bk_agent_server_artifact_paths(struct bk_agent_server *s, int node, const char *dir, const char *patterns,
                                   struct strbuf *log)
{
    char **paths = NULL;
    size_t n = 0;
    struct lk_error err = LK_ERROR_INIT;
    int status = 0;
    if (bk_artifact_glob(dir, patterns, &paths, &n, &err) < 0) {
        sb_addf(log, "buildkite-agent (simulated): %s\n", err.msg);
        status = 2;
    } else if (n == 0) {
        sb_addf(log, "No files matched paths: %s\n", patterns);
    }
    const struct bk_step *st = bk_sched_step(s->sched, node);
    int head = bk_sched_parent(s->sched, node);
    const char *key = st->key ? st->key : head >= 0 && bk_sched_step(s->sched, head)->type == BK_STEP_COMMAND
                                              ? bk_sched_step(s->sched, head)->key : NULL;
    char job[32];
    snprintf(job, sizeof job, "%d", node);
    for (size_t i = 0; i < n && status == 0; i++) {
        char *file = xasprintf("%s/%s", dir, paths[i]), *data = NULL;
        size_t len = 0;
        lk_error_clear(&err);
        if (file_read(file, &data, &len, &err) < 0 ||
            bk_artifacts_add(s->arts, s->build_id, job, key, st->label, paths[i], data, len, &err) < 0) {
            char *m = lk_error_format(&err);
            sb_addf(log, "fatal: Failed to upload artifacts: %s\n", m);
            free(m);
            status = 1;
        } else {
            sb_addf(log, "Uploading artifact %s (%zu bytes)\n", paths[i], len);
        }
        free(data);
        free(file);
    }
    lk_error_clear(&err);
    strv_free(paths, n);
    json_t *call = json_pack("{s:s, s:s, s:i}", "step", node_label(s, node), "command", "artifact-paths",
                             "status", status);
    json_array_append_new(s->calls, call);
    return status;
}

static void dispatch(struct bk_agent_server *s, json_t *req, const struct aw_blob *b, size_t nb,
                     struct answer *a)
{
    apply_unblocked(s);
    const char *token = str(req, "token"), *cmd = str(req, "command");
    int node = -1;
    for (size_t i = 0; token && i < s->njobs && node < 0; i++)
        if (!strcmp(s->jobs[i].token, token))
            node = s->jobs[i].node;
    if (node < 0) {
        a->status = 1;
        say(&a->err, "fatal: The agent access token is not that of a running job of this build (401 Unauthorized)");
        return;
    }
    if (!cmd)
        cmd = "";
    if (!strcmp(cmd, "pipeline-upload"))
        pipeline_upload(s, node, req, b, nb, a);
    else if (!strcmp(cmd, "artifact-upload"))
        artifact_upload(s, node, req, b, nb, a);
    else if (!strcmp(cmd, "artifact-download") || !strcmp(cmd, "artifact-search"))
        artifact_find(s, req, !strcmp(cmd, "artifact-download"), a);
    else if (!strncmp(cmd, "meta-data-", 10))
        meta_data(s, cmd, req, a);
    else if (!strcmp(cmd, "annotate"))
        annotate(s, req, a);
    else if (!strcmp(cmd, "step-get"))
        step_get(s, node, req, a);
    else {
        a->status = 2;
        say(&a->err, "buildkite-agent (simulated): '%s' is not simulated", cmd);
    }
    json_t *call = json_pack("{s:s, s:s, s:i}", "step", node_label(s, node), "command", cmd, "status", a->status);
    if (a->status != 0 && a->err.len) /* the last line says why */
        json_object_set_new(call, "error", json_stringn(a->err.buf, a->err.len - (a->err.buf[a->err.len - 1] == '\n')));
    json_array_append_new(s->calls, call);
}

void bk_agent_server_serve(struct bk_agent_server *s)
{
    int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return; /* EAGAIN: the client went away; anything else: it retries or fails */
    struct timeval tv = { 10, 0 };
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    json_t *req;
    struct aw_blob *blobs;
    size_t nb;
    struct lk_error err = LK_ERROR_INIT;
    struct answer a = { 0, STRBUF_INIT, STRBUF_INIT, NULL, NULL, 0, 0 };
    if (aw_recv(c, &req, &blobs, &nb, &err) == 0) {
        dispatch(s, req, blobs, nb, &a);
        json_decref(req);
        aw_blobs_free(blobs, nb);
        /* blobs: stdout, stderr, then the files */
        json_t *hdr = a.extra ? a.extra : json_object();
        json_object_set_new(hdr, "status", json_integer(a.status));
        struct aw_blob *all = xcalloc(a.nblobs + 2, sizeof(*all));
        all[0] = (struct aw_blob){ a.out.buf, a.out.len };
        all[1] = (struct aw_blob){ a.err.buf, a.err.len };
        if (a.nblobs)
            memcpy(all + 2, a.blobs, a.nblobs * sizeof(*all));
        aw_send(c, hdr, all, a.nblobs + 2, &err); /* a client gone is its own failure */
        free(all);
        json_decref(hdr);
    }
    lk_error_clear(&err);
    aw_blobs_free(a.blobs, a.nblobs);
    sb_release(&a.out);
    sb_release(&a.err);
    close(c);
}
