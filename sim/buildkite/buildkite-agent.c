/* buildkite-agent — the simulated Buildkite agent's command line, on PATH
 * in every step of a simulated build. It talks to the build that runs the
 * step (agentserver.h) over the Unix socket named by
 * BUILDKITE_AGENT_ENDPOINT ("unix:PATH"), as the job whose token is
 * BUILDKITE_AGENT_ACCESS_TOKEN, with the real agent's (v3) command forms,
 * output and exit statuses for what it implements:
 *   pipeline upload [FILE...|-] [--no-interpolation] [--dry-run]
 *       each FILE in order (none: standard input, or when that is empty the
 *       default files .buildkite/pipeline.{yml,yaml,json}, buildkite.{yml,
 *       yaml,json}); interpolated with this process's environment, as the
 *       agent does; --dry-run prints the pipeline as JSON and uploads nothing
 *   artifact upload PATTERNS          files matching the ";"-separated
 *       globs ("*" within a name, "**" across directories), paths relative
 *       to the working directory
 *   artifact download QUERY DEST [--step S] [--build ID]
 *   artifact search QUERY [--step S] [--build ID] [--format F]  (%p %j %s)
 *   meta-data set KEY [VALUE] | get KEY [--default V] | exists KEY | keys
 *   annotate [BODY] [--style S] [--context C] [--append]
 *   step get ATTRIBUTE [--step KEY]   (outcome, key, label)
 * Anything else: "buildkite-agent (simulated): 'X' is not simulated",
 * exit 2, never a silent success. A failure of the build's side is the
 * agent's "fatal: ..." line and exit 1. */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
#include <unistd.h>

#include "buildkite/agentwire.h"
#include "buildkite/artglob.h"
#include "buildkite/bkpipeline.h"
#include "buildkite/env.h"
#include "cliopt.h"
#include "fileio.h"
#include "strbuf.h"
#include "version.h"
#include "xalloc.h"

#define PROG "buildkite-agent"

extern char **environ;

static const char usage_text[] =
    "usage: buildkite-agent pipeline upload [FILE...] [--no-interpolation] [--dry-run]\n"
    "       buildkite-agent artifact upload PATTERNS\n"
    "       buildkite-agent artifact download QUERY DESTINATION [--step S] [--build ID]\n"
    "       buildkite-agent artifact search QUERY [--step S] [--build ID] [--format F]\n"
    "       buildkite-agent meta-data set KEY [VALUE] | get KEY [--default V] | exists KEY | keys\n"
    "       buildkite-agent annotate [BODY] [--style S] [--context C] [--append]\n"
    "       buildkite-agent step get ATTRIBUTE [--step KEY]\n"
    "       buildkite-agent --help | --version\n"
    "\n"
    "The agent of lazykite's simulated Buildkite: it talks to the simulated build\n"
    "that runs the step (BUILDKITE_AGENT_ENDPOINT, BUILDKITE_AGENT_ACCESS_TOKEN).\n";

static int not_simulated(const char *what)
{
    fprintf(stderr, PROG " (simulated): '%s' is not simulated\n", what);
    return 2;
}

struct msg {
    json_t *hdr;
    struct aw_blob *blobs;
    size_t n, alloc;
};

static void msg_blob(struct msg *m, char *data, size_t len)
{
    XGROW(m->blobs, m->alloc, m->n + 1);
    m->blobs[m->n++] = (struct aw_blob){ data, len };
}

static void msg_release(struct msg *m)
{
    json_decref(m->hdr);
    aw_blobs_free(m->blobs, m->n);
    memset(m, 0, sizeof(*m));
}

/* Send `req` (which gets the token) to the build; the answer in `ans`. */
static int call(struct msg *req, struct msg *ans, struct lk_error *err)
{
    const char *ep = getenv("BUILDKITE_AGENT_ENDPOINT"), *token = getenv("BUILDKITE_AGENT_ACCESS_TOKEN");
    if (!ep || strncmp(ep, "unix:", 5))
        return lk_fail(err, 1, NULL, NULL,
                       "BUILDKITE_AGENT_ENDPOINT is %s%s%s: only a simulated build's \"unix:PATH\" is simulated",
                       ep ? "'" : "unset", ep ? ep : "", ep ? "'" : "");
    if (!token || !*token)
        return lk_fail(err, 1, NULL, NULL, "Missing agent-access-token (BUILDKITE_AGENT_ACCESS_TOKEN)");
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(ep + 5) >= sizeof sa.sun_path)
        return lk_fail(err, 1, ep + 5, NULL, "socket path too long");
    strcpy(sa.sun_path, ep + 5);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        lk_fail_errno(err, 1, ep + 5, "cannot reach the simulated build");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    json_object_set_new(req->hdr, "token", json_string(token));
    int rc = aw_send(fd, req->hdr, req->blobs, req->n, err);
    if (rc == 0)
        rc = aw_recv(fd, &ans->hdr, &ans->blobs, &ans->n, err);
    close(fd);
    if (rc == 0 && (ans->n < 2 || !json_is_integer(json_object_get(ans->hdr, "status"))))
        rc = lk_fail(err, 1, NULL, NULL, "a malformed answer from the simulated build");
    return rc;
}

/* Print the answer's stdout and stderr; its exit status. */
static int finish(struct msg *ans)
{
    fwrite(ans->blobs[0].data, 1, ans->blobs[0].len, stdout);
    fflush(stdout);
    fwrite(ans->blobs[1].data, 1, ans->blobs[1].len, stderr);
    return (int)json_integer_value(json_object_get(ans->hdr, "status"));
}

/* Make the request, print the answer (kept in `ans`, the caller's): the
 * command's exit status. */
static int exchange(struct msg *req, struct msg *ans)
{
    struct lk_error err = LK_ERROR_INIT;
    int status = call(req, ans, &err) < 0 ? (lk_error_print(&err, "fatal", stderr), 1) : finish(ans);
    lk_error_clear(&err);
    msg_release(req);
    return status;
}

static int request(struct msg *req)
{
    struct msg ans = { 0 };
    int status = exchange(req, &ans);
    msg_release(&ans);
    return status;
}

static int read_input(const char *path, char **data, size_t *len)
{
    struct lk_error err = LK_ERROR_INIT;
    int rc = file_read(path, data, len, &err);
    if (rc < 0)
        lk_error_print(&err, "fatal", stderr);
    lk_error_clear(&err);
    return rc;
}

/* ---- pipeline upload ---- */

static int upload_one(const char *name, char *text, size_t len, bool interpolate, bool dry_run)
{
    if (dry_run) {
        struct bk_env env = BK_ENV_INIT;
        bk_env_set_envp(&env, environ);
        struct bk_load_options o = { interpolate, &env };
        struct lk_error err = LK_ERROR_INIT;
        struct bk_pipeline *p = bk_pipeline_load(name, text, len, &o, &err);
        bk_env_release(&env);
        free(text);
        if (!p) {
            char *m = lk_error_format(&err);
            fprintf(stderr, "fatal: Pipeline parsing of \"%s\" failed (%s)\n", name, m);
            free(m);
            lk_error_clear(&err);
            return 1;
        }
        json_dumpf(p->raw, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        bk_pipeline_free(p);
        return 0;
    }
    fprintf(stderr, "Reading pipeline config from \"%s\"\n", name);
    struct msg req = { json_pack("{s:s, s:s, s:b}", "command", "pipeline-upload", "name", name,
                                 "interpolate", interpolate), NULL, 0, 0 };
    struct bk_env penv = BK_ENV_INIT; /* the agent interpolates with its job's environment */
    bk_env_set_envp(&penv, environ);
    json_t *env = json_object();
    for (size_t i = 0; i < penv.n; i++) {
        json_t *v = json_string(penv.values[i]); /* NULL for a value that is not UTF-8: left out */
        if (v)
            json_object_set_new(env, penv.names[i], v);
    }
    bk_env_release(&penv);
    json_object_set_new(req.hdr, "env", env);
    msg_blob(&req, text, len);
    return request(&req);
}

static int pipeline_upload(int argc, char **argv)
{
    enum { O_NOINTERP = 1, O_DRY, O_HELP, O_REPLACE };
    static const struct cliopt opts[] = {
        { "no-interpolation", 0, false, O_NOINTERP }, { "dry-run", 0, false, O_DRY },
        { "replace", 0, false, O_REPLACE }, { "help", 'h', false, O_HELP }, CLIOPT_TABLE_END,
    };
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, opts);
    bool interpolate = true, dry = false;
    const char **files = xcalloc((size_t)argc + 1, sizeof(char *));
    size_t nfiles = 0;
    const char *v;
    int id, status = 0;
    struct lk_error err = LK_ERROR_INIT;
    while (status == 0 && (id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        if (id == CLIOPT_ERROR)
            status = not_simulated(err.msg);
        else if (id == CLIOPT_OPERAND)
            files[nfiles++] = v;
        else if (id == O_NOINTERP)
            interpolate = false;
        else if (id == O_DRY)
            dry = true;
        else if (id == O_REPLACE)
            status = not_simulated("pipeline upload --replace");
        else {
            fputs(usage_text, stdout);
            free(files);
            return 0;
        }
    }
    lk_error_clear(&err);
    if (status == 0 && nfiles == 0) {
        char *text;
        size_t len;
        if (read_input("/dev/stdin", &text, &len) < 0) {
            free(files);
            return 1;
        }
        if (len > 0) {
            free(files);
            return upload_one("(stdin)", text, len, interpolate, dry);
        }
        free(text);
        static const char *const defaults[] = { ".buildkite/pipeline.yml", ".buildkite/pipeline.yaml",
                                                ".buildkite/pipeline.json", "buildkite.yml",
                                                "buildkite.yaml", "buildkite.json" };
        for (size_t i = 0; i < 6 && nfiles == 0; i++)
            if (access(defaults[i], F_OK) == 0)
                files[nfiles++] = defaults[i];
        if (nfiles == 0) {
            fputs("fatal: Could not find a default pipeline configuration file. See `buildkite-agent "
                  "pipeline upload --help` for more information.\n", stderr);
            status = 1;
        }
    }
    for (size_t i = 0; i < nfiles && status == 0; i++) {
        char *text;
        size_t len;
        const char *path = strcmp(files[i], "-") ? files[i] : "/dev/stdin";
        status = read_input(path, &text, &len) < 0 ? 1 : upload_one(files[i], text, len, interpolate, dry);
    }
    free(files);
    return status;
}

/* ---- artifacts ---- */

static int artifact_upload(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return argc >= 2 && !strcmp(argv[1], "--help") ? (fputs(usage_text, stdout), 0)
                                                       : not_simulated("artifact upload without PATTERNS");
    if (argc > 2)
        return not_simulated("artifact upload to a DESTINATION or with options");
    char **hits = NULL;
    size_t nhits = 0;
    struct lk_error err = LK_ERROR_INIT;
    if (bk_artifact_glob(".", argv[1], &hits, &nhits, &err) < 0) {
        lk_error_clear(&err);
        return not_simulated("artifact upload of an absolute path");
    }
    int status = 0;
    if (nhits == 0) {
        fprintf(stderr, "No files matched paths: %s\n", argv[1]);
    } else {
        struct msg req = { json_pack("{s:s, s:[]}", "command", "artifact-upload", "paths"), NULL, 0, 0 };
        for (size_t i = 0; i < nhits && status == 0; i++) {
            char *data;
            size_t len;
            if (read_input(hits[i], &data, &len) < 0) {
                status = 1;
                break;
            }
            json_array_append_new(json_object_get(req.hdr, "paths"), json_string(hits[i]));
            msg_blob(&req, data, len);
        }
        if (status == 0)
            status = request(&req);
        else
            msg_release(&req);
    }
    strv_free(hits, nhits);
    return status;
}

static int mkdirs_for(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
            fprintf(stderr, "fatal: cannot create %s: %s\n", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    return 0;
}

static int artifact_find(int argc, char **argv, bool download)
{
    enum { O_STEP = 1, O_BUILD, O_FORMAT, O_HELP };
    static const struct cliopt opts[] = {
        { "step", 0, true, O_STEP }, { "build", 0, true, O_BUILD }, { "format", 0, true, O_FORMAT },
        { "help", 'h', false, O_HELP }, CLIOPT_TABLE_END,
    };
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, opts);
    const char *v, *ops[3] = { NULL, NULL, NULL }, *format = "%p\n";
    size_t nops = 0;
    json_t *hdr = json_pack("{s:s}", "command", download ? "artifact-download" : "artifact-search");
    int id, status = -1;
    struct lk_error err = LK_ERROR_INIT;
    while (status < 0 && (id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        if (id == CLIOPT_ERROR)
            status = not_simulated(err.msg);
        else if (id == CLIOPT_OPERAND && nops < 3)
            ops[nops++] = v;
        else if (id == CLIOPT_OPERAND)
            status = not_simulated("artifact: a third operand");
        else if (id == O_STEP || id == O_BUILD)
            json_object_set_new(hdr, id == O_STEP ? "step" : "build", json_string(v));
        else if (id == O_FORMAT && !download)
            format = v;
        else if (id == O_HELP)
            status = (fputs(usage_text, stdout), 0);
        else
            status = not_simulated("artifact download --format");
    }
    lk_error_clear(&err);
    if (status < 0 && nops != (download ? 2u : 1u))
        status = not_simulated(download ? "artifact download without QUERY and DESTINATION"
                                        : "artifact search without one QUERY");
    if (status >= 0) {
        json_decref(hdr);
        return status;
    }
    json_object_set_new(hdr, "query", json_string(ops[0]));
    struct msg req = { hdr, NULL, 0, 0 }, ans = { 0 };
    status = exchange(&req, &ans);
    json_t *arts = json_object_get(ans.hdr, "artifacts");
    for (size_t i = 0; status == 0 && i < json_array_size(arts); i++) {
        json_t *a = json_array_get(arts, i);
        const char *path = json_string_value(json_object_get(a, "path"));
        if (!path) {
            status = 1;
            break;
        }
        if (download) {
            if (ans.n < i + 3) {
                fputs("fatal: a malformed answer from the simulated build\n", stderr);
                status = 1;
                break;
            }
            char *to = xasprintf("%s/%s", ops[1], path);
            struct lk_error e = LK_ERROR_INIT;
            if (mkdirs_for(to) < 0 || file_write_atomic(to, ans.blobs[i + 2].data, ans.blobs[i + 2].len, &e) < 0) {
                if (e.status)
                    lk_error_print(&e, "fatal", stderr);
                status = 1;
            } else {
                fprintf(stderr, "Downloading %s to %s\n", path, to);
            }
            lk_error_clear(&e);
            free(to);
            continue;
        }
        for (const char *f = format; *f; f++) { /* search: the format's %p %j %s, \n */
            if (f[0] == '%' && f[1]) {
                f++;
                if (*f == 'p')
                    fputs(path, stdout);
                else if (*f == 'j')
                    fputs(json_string_value(json_object_get(a, "job")), stdout);
                else if (*f == 's')
                    printf("%lld", (long long)json_integer_value(json_object_get(a, "size")));
                else
                    putchar('%'), putchar(*f);
            } else if (f[0] == '\\' && f[1] == 'n') {
                f++;
                putchar('\n');
            } else {
                putchar(*f);
            }
        }
    }
    msg_release(&ans);
    return status;
}

/* ---- meta-data, annotate, step ---- */

static int meta_data(int argc, char **argv)
{
    enum { O_DEFAULT = 1, O_HELP };
    static const struct cliopt opts[] = { { "default", 0, true, O_DEFAULT }, { "help", 'h', false, O_HELP },
                                          CLIOPT_TABLE_END };
    if (argc < 2)
        return not_simulated("meta-data without a subcommand");
    const char *sub = argv[1];
    if (strcmp(sub, "set") && strcmp(sub, "get") && strcmp(sub, "exists") && strcmp(sub, "keys")) {
        char *w = xasprintf("meta-data %s", sub);
        int s = not_simulated(w);
        free(w);
        return s;
    }
    struct cliopt_state st;
    cliopt_init(&st, argc - 1, argv + 1, opts);
    const char *v, *ops[2] = { NULL, NULL }, *def = NULL;
    size_t nops = 0;
    int id, status = -1;
    struct lk_error err = LK_ERROR_INIT;
    while (status < 0 && (id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        if (id == CLIOPT_ERROR)
            status = not_simulated(err.msg);
        else if (id == CLIOPT_OPERAND && nops < 2)
            ops[nops++] = v;
        else if (id == O_DEFAULT && !strcmp(sub, "get"))
            def = v;
        else if (id == O_HELP)
            status = (fputs(usage_text, stdout), 0);
        else
            status = not_simulated("meta-data: that operand or option");
    }
    lk_error_clear(&err);
    size_t want_min = !strcmp(sub, "keys") ? 0 : 1, want_max = !strcmp(sub, "set") ? 2 : want_min;
    if (status < 0 && (nops < want_min || nops > want_max))
        status = not_simulated("meta-data with that number of operands");
    if (status >= 0)
        return status;
    char *cmd = xasprintf("meta-data-%s", sub);
    struct msg req = { json_pack("{s:s}", "command", cmd), NULL, 0, 0 };
    free(cmd);
    if (ops[0])
        json_object_set_new(req.hdr, "key", json_string(ops[0]));
    if (def)
        json_object_set_new(req.hdr, "default", json_string(def));
    if (!strcmp(sub, "set")) {
        char *value = NULL;
        size_t len = 0;
        if (!ops[1] && read_input("/dev/stdin", &value, &len) < 0) {
            msg_release(&req);
            return 1;
        }
        json_object_set_new(req.hdr, "value", json_stringn(ops[1] ? ops[1] : value, ops[1] ? strlen(ops[1]) : len));
        free(value);
    }
    return request(&req);
}

static int annotate(int argc, char **argv)
{
    enum { O_STYLE = 1, O_CONTEXT, O_APPEND, O_HELP };
    static const struct cliopt opts[] = {
        { "style", 0, true, O_STYLE }, { "context", 0, true, O_CONTEXT }, { "append", 0, false, O_APPEND },
        { "help", 'h', false, O_HELP }, CLIOPT_TABLE_END,
    };
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, opts);
    const char *v, *body = NULL, *style = "default", *context = "default";
    bool append = false;
    int id, status = -1;
    struct lk_error err = LK_ERROR_INIT;
    while (status < 0 && (id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        if (id == CLIOPT_ERROR)
            status = not_simulated(err.msg);
        else if (id == CLIOPT_OPERAND && !body)
            body = v;
        else if (id == CLIOPT_OPERAND)
            status = not_simulated("annotate with two bodies");
        else if (id == O_STYLE)
            style = v;
        else if (id == O_CONTEXT)
            context = v;
        else if (id == O_APPEND)
            append = true;
        else
            status = (fputs(usage_text, stdout), 0);
    }
    lk_error_clear(&err);
    if (status >= 0)
        return status;
    static const char *const styles[] = { "default", "success", "info", "warning", "error" };
    bool known = false;
    for (size_t i = 0; i < 5; i++)
        known |= !strcmp(style, styles[i]);
    if (!known) {
        fprintf(stderr, "fatal: Invalid annotation style \"%s\": expected success, info, warning or error\n", style);
        return 1;
    }
    char *text = NULL;
    size_t len = 0;
    if (!body && read_input("/dev/stdin", &text, &len) < 0)
        return 1;
    struct msg req = { json_pack("{s:s, s:s, s:s, s:b}", "command", "annotate", "style", style, "context",
                                 context, "append", append), NULL, 0, 0 };
    json_object_set_new(req.hdr, "body", json_stringn(body ? body : text, body ? strlen(body) : len));
    free(text);
    return request(&req);
}

static int step_get(int argc, char **argv)
{
    enum { O_STEP = 1, O_HELP };
    static const struct cliopt opts[] = { { "step", 0, true, O_STEP }, { "help", 'h', false, O_HELP },
                                          CLIOPT_TABLE_END };
    if (argc < 2 || strcmp(argv[1], "get"))
        return not_simulated(argc < 2 ? "step" : "step update");
    struct cliopt_state st;
    cliopt_init(&st, argc - 1, argv + 1, opts);
    const char *v, *attr = NULL;
    json_t *hdr = json_pack("{s:s}", "command", "step-get");
    int id, status = -1;
    struct lk_error err = LK_ERROR_INIT;
    while (status < 0 && (id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        if (id == CLIOPT_ERROR)
            status = not_simulated(err.msg);
        else if (id == CLIOPT_OPERAND && !attr)
            attr = v;
        else if (id == O_STEP)
            json_object_set_new(hdr, "step", json_string(v));
        else if (id == O_HELP)
            status = (fputs(usage_text, stdout), 0);
        else
            status = not_simulated("step get with two attributes");
    }
    lk_error_clear(&err);
    if (status < 0 && !attr)
        status = not_simulated("step get without an attribute");
    if (status >= 0) {
        json_decref(hdr);
        return status;
    }
    json_object_set_new(hdr, "attribute", json_string(attr));
    struct msg req = { hdr, NULL, 0, 0 };
    return request(&req);
}

int main(int argc, char **argv)
{
    int status;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        status = argc < 2 ? 2 : 0;
    } else if (!strcmp(argv[1], "--version")) {
        printf(PROG " (simulated, lazykite %s)\n", LAZYKITE_VERSION);
        status = 0;
    } else if (!strcmp(argv[1], "pipeline") && argc > 2 && !strcmp(argv[2], "upload")) {
        status = pipeline_upload(argc - 2, argv + 2);
    } else if (!strcmp(argv[1], "artifact") && argc > 2 && !strcmp(argv[2], "upload")) {
        status = artifact_upload(argc - 2, argv + 2);
    } else if (!strcmp(argv[1], "artifact") && argc > 2 &&
               (!strcmp(argv[2], "download") || !strcmp(argv[2], "search"))) {
        status = artifact_find(argc - 2, argv + 2, !strcmp(argv[2], "download"));
    } else if (!strcmp(argv[1], "meta-data")) {
        status = meta_data(argc - 1, argv + 1);
    } else if (!strcmp(argv[1], "annotate")) {
        status = annotate(argc - 1, argv + 1);
    } else if (!strcmp(argv[1], "step")) {
        status = step_get(argc - 1, argv + 1);
    } else {
        char *w = argc > 2 && argv[2][0] != '-' ? xasprintf("%s %s", argv[1], argv[2]) : xstrdup(argv[1]);
        status = not_simulated(w);
        free(w);
    }
    return lk_finish_stdout(PROG, status);
}
