/* bkapi-serve — the simulated Buildkite REST API (sim/buildkite/restapi.h)
 * on its own, over builds made up from the command line: what
 * tests/parent-map and the parentmap benchmark run `lazykite parent-map`
 * against.
 *
 *   bkapi-serve (--socket PATH | --port-file FILE) [--token T] [--org O]
 *               [--pipeline P] [--fault NAME] [--requests FILE]
 *               [--build SPEC]... [--synthetic N --map-targets M [--map-at K]]
 *
 * --build SPEC adds a build (oldest first), SPEC being comma-separated
 * settings: branch=REF (default main), state=STATE (default passed),
 * id=ID (default a UUID from its number), key=KEY (the generation job's
 * step key, default pipeline-gen), map=none|garbage|FILE|targets (what
 * that job has as pipeline/drvmap.json: nothing, text that is not JSON,
 * a file's bytes, or a made-up map of `targets=N` targets — the default,
 * with 3), artifacts=K (K other artifacts uploaded before the map: to
 * page the artifact list). Each build has the jobs `:init:` (1), the
 * generation job (2) and a waiter (3).
 * --synthetic N adds N builds instead: on branches main and others, in
 * states passed, failed, running, canceled; the K-th newest passed or
 * running build of main (--map-at, default 1: as `lazykite parent-map`
 * counts them) has a map of --map-targets targets, the newer ones have the
 * generation job without it.
 *
 * It listens (writing the TCP port to --port-file, atomically, or making
 * the socket), prints "ready" and serves (a thread per connection) until
 * SIGTERM or SIGINT; then writes the request log (restapi.h) to
 * --requests and exits 0. The artifact store is a temporary directory,
 * removed at exit. Bad usage: one line, exit 2. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildkite/artifacts.h"
#include "buildkite/builds.h"
#include "buildkite/restapi.h"
#include "cliopt.h"
#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

#define PROG "bkapi-serve"

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, PROG ": ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return 2;
}

/* A made-up drvmap of n targets. Caller frees. */
static char *synthetic_map(long n, size_t *len)
{
    struct strbuf sb = STRBUF_INIT;
    sb_addc(&sb, '{');
    for (long i = 0; i < n; i++)
        sb_addf(&sb, "%s\"pkgs/g%03ld/p%06ld\":{\"attrPath\":[\"pkgs\",\"g%03ld\",\"p%06ld\"],"
                     "\"drvPath\":\"/nix/store/%032ld-p%06ld.drv\"}",
                i ? "," : "", i / 1000, i, i / 1000, i, i, i);
    sb_adds(&sb, "}\n");
    *len = sb.len;
    return sb_detach(&sb);
}

struct spec {
    const char *branch, *state, *id, *key, *map;
    long targets, artifacts;
};

static int add_build(struct bk_builds *builds, struct bk_artifacts *arts, const struct spec *s,
                     const char *cached_map, size_t cached_len)
{
    char idbuf[64];
    snprintf(idbuf, sizeof idbuf, "00000000-0000-4000-8000-%012zu", bk_builds_count(builds) + 1);
    const char *id = s->id ? s->id : idbuf;
    struct bk_build *b = bk_builds_add(builds, id, s->branch, "0123456789abcdef0123456789abcdef01234567", s->state);
    bk_build_add_job(b, "1", "script", ":init:", ":init:", "passed");
    bk_build_add_job(b, "2", "script", s->key, ":llama:", "passed");
    bk_build_add_job(b, "3", "waiter", NULL, NULL, "passed");
    struct lk_error err = LK_ERROR_INIT;
    for (long i = 0; i < s->artifacts; i++) {
        char path[64];
        snprintf(path, sizeof path, "pipeline/build-chunk-%ld.json", i + 1);
        if (bk_artifacts_add(arts, id, "2", s->key, ":llama:", path, "{\"steps\":[]}\n", 13, &err) < 0)
            goto fail;
    }
    if (!strcmp(s->map, "none"))
        return 0;
    char *text = NULL;
    size_t len = 0;
    if (!strcmp(s->map, "garbage")) {
        text = xstrdup("this is not a drvmap\n");
        len = strlen(text);
    } else if (!strcmp(s->map, "targets")) {
        if (cached_map) {
            text = xmalloc(cached_len + 1);
            memcpy(text, cached_map, cached_len);
            len = cached_len;
        } else {
            text = synthetic_map(s->targets, &len);
        }
    } else if (file_read(s->map, &text, &len, &err) < 0) {
        goto fail;
    }
    int rc = bk_artifacts_add(arts, id, "2", s->key, ":llama:", "pipeline/drvmap.json", text, len, &err);
    free(text);
    if (rc == 0)
        return 0;
fail:
    lk_error_print(&err, PROG, stderr);
    lk_error_clear(&err);
    return -1;
}

static int parse_spec(char *text, struct spec *s)
{
    *s = (struct spec){ "main", "passed", NULL, "pipeline-gen", "targets", 3, 0 };
    char *save = NULL;
    for (char *w = strtok_r(text, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(w, '=');
        if (!eq)
            return usage("--build: expected NAME=VALUE, not '%s'", w);
        *eq++ = '\0';
        if (!strcmp(w, "branch")) s->branch = eq;
        else if (!strcmp(w, "state")) s->state = eq;
        else if (!strcmp(w, "id")) s->id = eq;
        else if (!strcmp(w, "key")) s->key = eq;
        else if (!strcmp(w, "map")) s->map = eq;
        else if (!strcmp(w, "targets")) s->targets = atol(eq);
        else if (!strcmp(w, "artifacts")) s->artifacts = atol(eq);
        else return usage("--build: unknown setting '%s'", w);
    }
    return 0;
}

enum { O_SOCKET = 1, O_PORT_FILE, O_TOKEN, O_ORG, O_PIPELINE, O_FAULT, O_REQUESTS, O_BUILD, O_SYNTHETIC,
       O_MAP_TARGETS, O_MAP_AT };

int main(int argc, char **argv)
{
    static const struct cliopt opts[] = {
        { "socket", 0, true, O_SOCKET }, { "port-file", 0, true, O_PORT_FILE }, { "token", 0, true, O_TOKEN },
        { "org", 0, true, O_ORG }, { "pipeline", 0, true, O_PIPELINE }, { "fault", 0, true, O_FAULT },
        { "requests", 0, true, O_REQUESTS }, { "build", 0, true, O_BUILD }, { "synthetic", 0, true, O_SYNTHETIC },
        { "map-targets", 0, true, O_MAP_TARGETS }, { "map-at", 0, true, O_MAP_AT }, CLIOPT_TABLE_END,
    };
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, opts);
    struct lk_error err = LK_ERROR_INIT;
    const char *v, *sock = NULL, *port_file = NULL, *requests = NULL;
    struct bk_rest_api_config cfg = { NULL, "test-token", NULL, NULL, BK_API_OK, true };
    const char *org = "acme", *pipeline = "depot";
    char **specs = xcalloc((size_t)argc + 1, sizeof *specs);
    size_t nspecs = 0;
    long synthetic = 0, map_targets = 3, map_at = 1;
    int id, status = 0;
    while ((id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        switch (id) {
        case O_SOCKET: sock = v; break;
        case O_PORT_FILE: port_file = v; break;
        case O_TOKEN: cfg.token = v; break;
        case O_ORG: org = v; break;
        case O_PIPELINE: pipeline = v; break;
        case O_FAULT: {
            int f = bk_rest_api_fault_parse(v);
            if (f < 0)
                return usage("--fault: unknown fault '%s'", v);
            cfg.fault = (enum bk_api_fault)f;
            break;
        }
        case O_REQUESTS: requests = v; break;
        case O_BUILD: specs[nspecs++] = xstrdup(v); break;
        case O_SYNTHETIC: synthetic = atol(v); break;
        case O_MAP_TARGETS: map_targets = atol(v); break;
        case O_MAP_AT: map_at = atol(v); break;
        case CLIOPT_OPERAND: return usage("unexpected argument '%s'", v);
        default: return usage("%s", err.msg);
        }
    }
    if (!sock == !port_file)
        return usage("%s", "give exactly one of --socket PATH and --port-file FILE");
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/bkapi-serve.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror(PROG ": mkdtemp");
        return 1;
    }
    struct bk_builds *builds = bk_builds_new(org, pipeline);
    struct bk_artifacts *arts = bk_artifacts_new(dir);
    for (size_t i = 0; i < nspecs && status == 0; i++) {
        struct spec s;
        status = parse_spec(specs[i], &s);
        if (status == 0 && add_build(builds, arts, &s, NULL, 0) < 0)
            status = 1;
    }
    if (synthetic > 0 && status == 0) {
        static const char *const states[] = { "passed", "failed", "passed", "running", "canceled", "passed" };
        size_t map_len = 0;
        char *map = synthetic_map(map_targets, &map_len);
        /* which build gets the map: the map_at-th newest passed or running build of main */
        long counted = 0, with_map = -1;
        for (long i = synthetic; i-- > 0;)
            if (i % 3 != 2 && (!strcmp(states[i % 6], "passed") || !strcmp(states[i % 6], "running")) &&
                ++counted == map_at)
                with_map = i;
        for (long i = 0; i < synthetic && status == 0; i++) {
            struct spec s = { i % 3 == 2 ? "other" : "main", states[i % 6], NULL, "pipeline-gen",
                              i == with_map ? "targets" : "none", map_targets, 0 };
            if (add_build(builds, arts, &s, map, map_len) < 0)
                status = 1;
        }
        free(map);
    }
    struct bk_rest_api *api = NULL;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the server's threads inherit it */
    if (status == 0) {
        cfg.socket_path = sock;
        cfg.builds = builds;
        cfg.arts = arts;
        api = bk_rest_api_new(&cfg, &err);
        if (!api) {
            lk_error_print(&err, PROG, stderr);
            status = 1;
        }
    }
    if (status == 0 && port_file) {
        char text[32];
        int n = snprintf(text, sizeof text, "%d\n", bk_rest_api_port(api));
        if (file_write_atomic(port_file, text, (size_t)n, &err) < 0) {
            lk_error_print(&err, PROG, stderr);
            status = 1;
        }
    }
    if (status == 0) {
        puts("ready");
        fflush(stdout);
        int sig;
        sigwait(&stop, &sig);
        if (requests) {
            json_t *log = bk_rest_api_requests(api);
            char *text = json_dumps(log, JSON_INDENT(1));
            json_decref(log);
            if (file_write_atomic(requests, text, strlen(text), &err) < 0) {
                lk_error_print(&err, PROG, stderr);
                status = 1;
            }
            free(text);
        }
    }
    lk_error_clear(&err);
    bk_rest_api_free(api);
    bk_artifacts_free(arts);
    bk_builds_free(builds);
    file_remove_tree(dir);
    free(dir);
    for (size_t i = 0; i < nspecs; i++)
        free(specs[i]);
    free(specs);
    return status;
}
