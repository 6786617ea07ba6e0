/* lazykite-parentmap — `lazykite parent-map`: the command line
 * (parent_map_usage_text is the one description of its options), the
 * parent build's drvmap.json fetched through the Buildkite REST API
 * (parentmap.h); no usable map is one line and exit 0 (1 with --require). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "error.h"
#include "lazykite.h"
#include "parentmap.h"
#include "version.h"
#include "xalloc.h"

#define parent_map_usage_error(...) lkcli_usage_error(PROG " parent-map --help", __VA_ARGS__)

static const char parent_map_usage_text[] =
    "usage: lazykite parent-map -o FILE [--org SLUG] [--pipeline SLUG] [--branch REF]\n"
    "                           [--step-key KEY] [--artifact PATH] [--api URL]\n"
    "                           [--unix-socket PATH] [--max-builds N] [--timeout SECONDS]\n"
    "                           [--require] [--token-file FILE] [--quiet]\n"
    "\n"
    "Writes to FILE the drvmap.json of the parent build, for 'lazykite generate\n"
    "--parent-map FILE': asks the Buildkite REST API for the builds of the\n"
    "pipeline on the branch, newest first, in state passed or running (never\n"
    "this build, BUILDKITE_BUILD_ID), and takes the newest one whose job with\n"
    "the step key has the artifact. FILE is written whole (a temporary file\n"
    "renamed) and only with a valid drvmap.\n"
    "\n"
    "  -o, --output FILE     where the map goes\n"
    "  --org SLUG            the organization (default $BUILDKITE_ORGANIZATION_SLUG)\n"
    "  --pipeline SLUG       the pipeline (default $BUILDKITE_PIPELINE_SLUG)\n"
    "  --branch REF          the parent builds' branch (default\n"
    "                        $BUILDKITE_PIPELINE_DEFAULT_BRANCH)\n"
    "  --step-key KEY        the generation step's key (default pipeline-gen)\n"
    "  --artifact PATH       the map's artifact path (default pipeline/drvmap.json)\n"
    "  --api URL             the REST API (default $LAZYKITE_BUILDKITE_API, else\n"
    "                        " PARENTMAP_DEFAULT_API ")\n"
    "  --unix-socket PATH    reach the API's host through this Unix socket (default\n"
    "                        $LAZYKITE_BUILDKITE_API_SOCKET)\n"
    "  --max-builds N        look at no more than N builds (default 50)\n"
    "  --timeout SECONDS     give up after this long, all requests together (default 60)\n"
    "  --require             no usable map is a failure (exit 1)\n"
    "  --token-file FILE     read the API token from FILE (default $BUILDKITE_API_TOKEN)\n"
    "  --quiet               no line on success\n"
    "\n"
    "The token needs the read_builds and read_artifacts scopes; it is sent only to\n"
    "the API's host, never printed. No usable map (no token, no such build, an HTTP\n"
    "error, no answer in time, an answer or a map that is not what it should be) is\n"
    "one line 'lazykite: no parent map: why' and exit status 0, FILE not written,\n"
    "so that every target is built; 1 with --require. Bad usage is exit status 2.\n";

enum {
    POPT_OUTPUT = 1, POPT_ORG, POPT_PIPELINE, POPT_BRANCH, POPT_STEP_KEY, POPT_ARTIFACT, POPT_API,
    POPT_SOCKET, POPT_MAX_BUILDS, POPT_TIMEOUT, POPT_REQUIRE, POPT_TOKEN_FILE, POPT_QUIET, POPT_HELP,
    POPT_VERSION,
};

static const struct cliopt parent_map_options_table[] = {
    { "output", 'o', true, POPT_OUTPUT },
    { "org", 0, true, POPT_ORG },
    { "pipeline", 0, true, POPT_PIPELINE },
    { "branch", 0, true, POPT_BRANCH },
    { "step-key", 0, true, POPT_STEP_KEY },
    { "artifact", 0, true, POPT_ARTIFACT },
    { "api", 0, true, POPT_API },
    { "unix-socket", 0, true, POPT_SOCKET },
    { "max-builds", 0, true, POPT_MAX_BUILDS },
    { "timeout", 0, true, POPT_TIMEOUT },
    { "require", 0, false, POPT_REQUIRE },
    { "token-file", 0, true, POPT_TOKEN_FILE },
    { "quiet", 0, false, POPT_QUIET },
    { "help", 'h', false, POPT_HELP },
    { "version", 0, false, POPT_VERSION },
    CLIOPT_TABLE_END,
};

struct parent_map_cli {
    struct parentmap_options o;
    const char *token_file;
    bool require, quiet;
};

/* Parse the words after "parent-map". Returns -1 to go on, else an exit status. */
static int parse_parent_map_options(int argc, char **argv, struct parent_map_cli *c)
{
    struct parentmap_options *o = &c->o;
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, parent_map_options_table);
    struct lk_error err = LK_ERROR_INIT;
    const char *v, *max_builds = NULL, *timeout = NULL;
    int id;
    while ((id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        switch (id) {
        case POPT_OUTPUT: o->out_path = v; break;
        case POPT_ORG: o->org = v; break;
        case POPT_PIPELINE: o->pipeline = v; break;
        case POPT_BRANCH: o->branch = v; break;
        case POPT_STEP_KEY: o->step_key = v; break;
        case POPT_ARTIFACT: o->artifact = v; break;
        case POPT_API: o->api = v; break;
        case POPT_SOCKET: o->unix_socket = v; break;
        case POPT_MAX_BUILDS: max_builds = v; break;
        case POPT_TIMEOUT: timeout = v; break;
        case POPT_REQUIRE: c->require = true; break;
        case POPT_TOKEN_FILE: c->token_file = v; break;
        case POPT_QUIET: c->quiet = true; break;
        case POPT_HELP: fputs(parent_map_usage_text, stdout); return 0;
        case POPT_VERSION: puts(PROG " " LAZYKITE_VERSION); return 0;
        case CLIOPT_OPERAND: return parent_map_usage_error("unexpected argument '%s'", v);
        default: break; /* CLIOPT_ERROR: said below */
        }
        if (id == CLIOPT_ERROR)
            break;
    }
    if (!err.msg && (!o->out_path || !*o->out_path))
        lk_bad_input(&err, NULL, NULL, "missing -o FILE");
    if (!err.msg)
        parentmap_settle(o, max_builds, timeout, &err);
    if (err.msg) {
        int status = parent_map_usage_error("%s", err.msg);
        lk_error_clear(&err);
        return status;
    }
    return -1;
}

/* The exit status: 0 with the map written, or none found (then 1 with
 * --require); -1 with err for bad input or a map that could not be written. */
static int parent_map(const struct parent_map_cli *c, struct lk_error *err)
{
    char *token;
    if (parentmap_read_token(c->token_file, &token, err) != 0)
        return -1;
    struct parentmap_options o = c->o;
    struct parentmap_result r = { 0 };
    int rc = 0;
    if (!token) {
        r.why = xstrdup("no API token (set BUILDKITE_API_TOKEN in the agents' environment, or give --token-file)");
    } else {
        o.token = token;
        rc = parentmap_fetch(&o, &r, err);
        memset(token, 0, strlen(token));
    }
    free(token);
    if (rc == 0 && r.found && !c->quiet) {
        struct strbuf sb = STRBUF_INIT;
        lkcli_add_count(&sb, r.n_targets);
        fprintf(stderr, PROG ": parent map from build #%ld (%s, %s) of %s: %s, %s target%s, written to %s\n",
                r.build_number, r.build_state, r.build_id, o.branch, o.artifact, sb.buf,
                r.n_targets == 1 ? "" : "s", o.out_path);
        sb_release(&sb);
    } else if (rc == 0 && !r.found) {
        fprintf(stderr, PROG ": no parent map: %s\n", r.why);
        rc = c->require ? LK_EXIT_FAIL : 0;
    }
    parentmap_result_release(&r);
    return rc;
}

int lkcli_parent_map(int argc, char **argv)
{
    struct parent_map_cli c;
    memset(&c, 0, sizeof c);
    int status = parse_parent_map_options(argc, argv, &c);
    if (status >= 0)
        return status;
    struct lk_error err = LK_ERROR_INIT;
    status = parent_map(&c, &err);
    return status < 0 ? lkcli_failed(&err) : status;
}
