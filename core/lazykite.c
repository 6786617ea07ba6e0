/* lazykite — the command-line interface of the pipeline generator:
 * `lazykite generate …`, `lazykite upload …` and `lazykite parent-map …`
 * (usage_text, upload_usage_text and parent_map_usage_text below are the
 * one description of each command's options; `lazykite COMMAND --help`
 * prints it, `lazykite --help` the overview of all three).
 *
 * Contract: generate reads the manifest (or evaluates a depot into one),
 * applies the command-line settings over the manifest's `pipeline` object,
 * generates the pipeline and writes OUT_DIR atomically (outdir.h: OUT_DIR
 * must be absent, empty or a previous output, and neither an input nor
 * above one). upload checks the chunks generate wrote and hands them to
 * buildkite-agent last-first (upload.h); its --dry-run shows them
 * interpolated by the simulation's pipeline loader, which is why this
 * program links libsim. parent-map fetches the parent build's drvmap.json
 * through the Buildkite REST API (parentmap.h); no usable map is one line
 * and exit 0 (1 with --require). Options follow cliopt.h. Exit 0 on success; 2 on
 * bad input or bad usage (one line `lazykite: …` on stderr, nothing written
 * or uploaded); 1 on a system failure (for upload also: no agent, or an
 * upload that failed), a write error on stdout included. `--help` and
 * `--version` print to stdout and exit 0. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "buildkite/bkpipeline.h"
#include "buildkite/env.h"
#include "chunks.h"
#include "cliopt.h"
#include "error.h"
#include "eval.h"
#include "fileio.h"
#include "manifest.h"
#include "outdir.h"
#include "parallel.h"
#include "parentmap.h"
#include "pipeline.h"
#include "strbuf.h"
#include "upload.h"
#include "version.h"
#include "xalloc.h"


#define PROG "lazykite"

static const char usage_text[] =
    "usage: lazykite generate [--manifest FILE | --eval DEPOT_DIR [--targets-attr ATTR]]\n"
    "                         [--parent-map FILE] [--head-branch REF]\n"
    "                         [--phases LIST] [--active-phases LIST] [--cancel-on-build-failing]\n"
    "                         [--additional-steps FILE] [--post-build-steps FILE]\n"
    "                         [--default-step-overrides FILE] [--store-dir DIR | --no-deps]\n"
    "                         [--arg NAME EXPR] [--argstr NAME VALUE] [-I PATH]\n"
    "                         [--option NAME VALUE] [--show-trace] [--nix-instantiate PATH]\n"
    "                         [--eval-workers N] [--eval-max-memory MIB] [--quiet] -o OUT_DIR\n"
    "       lazykite --help | --version\n"
    "\n"
    "Turns a depot's target manifest into Buildkite pipeline chunks\n"
    "(<phase>-chunk-<n>.json) and drvmap.json in OUT_DIR.\n"
    "\n"
    "  --manifest FILE            read the target manifest from FILE ('-': standard input)\n"
    "  --eval DEPOT_DIR           evaluate the depot with nix-instantiate instead (any path)\n"
    "  --targets-attr ATTR        the depot attribute listing the targets (default ci.targets)\n"
    "  --parent-map FILE          drvmap.json of the parent commit: unchanged targets are skipped\n"
    "  --head-branch REF          the repository's head branch\n"
    "  --phases LIST              known phases, comma-separated (default build,release)\n"
    "  --active-phases LIST       phases to generate (default: all known phases)\n"
    "  --cancel-on-build-failing  cancel target steps once the build is failing\n"
    "  --additional-steps FILE    JSON array of steps added to the build phase\n"
    "  --post-build-steps FILE    JSON array of steps added to the release phase\n"
    "  --default-step-overrides FILE  JSON object merged into every generated step\n"
    "  --store-dir DIR            read .drv files from DIR instead of /nix/store\n"
    "  --no-deps                  no inter-target depends_on (reads no .drv file)\n"
    "  --arg NAME EXPR, --argstr NAME VALUE, -I PATH, --option NAME VALUE, --show-trace\n"
    "                             passed to nix-instantiate, in order (with --eval)\n"
    "  --nix-instantiate PATH     the nix-instantiate --eval runs (default:\n"
    "                             $LAZYKITE_NIX_INSTANTIATE, else nix-instantiate on PATH)\n"
    "  --eval-workers N           evaluate with N nix-instantiate processes at once, each\n"
    "                             given the targets whose index is I modulo N (1 to 64;\n"
    "                             default: the processors to use, at most 8; 1: one call)\n"
    "  --eval-max-memory MIB      stop a process whose resident memory passes MIB MiB and\n"
    "                             evaluate its targets again in two halves; a single target\n"
    "                             above it is an error (default: no bound)\n"
    "  --quiet                    no summary line on success\n"
    "  -o, --output OUT_DIR       the output directory: absent, empty or a previous\n"
    "                             output (it holds " OUTDIR_MARKER "); replaced whole\n"
    "\n"
    "Settings given here override the manifest's \"pipeline\" object. On success one\n"
    "line on stderr says what was written. Bad input, a Nix evaluation error\n"
    "included, is reported as one line, 'lazykite: FILE: PLACE: message', with exit\n"
    "status 2; a system failure has status 1.\n"
    "\n"
    "Environment: LAZYKITE_MANIFEST_NIX (the manifest.nix that --eval evaluates;\n"
    "default: the one of this installation), LAZYKITE_NIX_INSTANTIATE, LAZYKITE_JOBS\n"
    "(how many processors to use; default: those this process may run on).\n";

static const char overview_text[] =
    "usage: lazykite generate [OPTIONS] -o OUT_DIR\n"
    "       lazykite upload [--phase NAME]... [--dir DIR] [--dry-run] [--quiet]\n"
    "       lazykite parent-map -o FILE [OPTIONS]\n"
    "       lazykite --help | --version\n"
    "\n"
    "The Buildkite pipeline of a Nix monorepo.\n"
    "\n"
    "Commands:\n"
    "  generate   turn a depot's target manifest into pipeline chunks\n"
    "             (<phase>-chunk-<n>.json) and drvmap.json in OUT_DIR\n"
    "  upload     upload the chunks generate wrote to the running build, last-first,\n"
    "             with buildkite-agent pipeline upload\n"
    "  parent-map fetch the drvmap.json of the newest passed or running build of the\n"
    "             default branch through the Buildkite REST API (for --parent-map)\n"
    "\n"
    "'lazykite COMMAND --help' describes a command. Exit status: 0 success,\n"
    "1 failure, 2 bad input or usage.\n";

static const char upload_usage_text[] =
    "usage: lazykite upload [--phase NAME]... [--dir DIR] [--dry-run] [--quiet]\n"
    "\n"
    "Uploads the pipeline chunks that 'lazykite generate' wrote into DIR\n"
    "(<phase>-chunk-<n>.json) to the running Buildkite build: one\n"
    "'buildkite-agent pipeline upload FILE' per chunk. An upload inserts its steps\n"
    "right after the uploading step, so the chunks go up last-first (the last\n"
    "chunk of the last phase first, the first chunk of the first phase last) and\n"
    "the build holds them in the order generate made them.\n"
    "\n"
    "  --phase NAME   upload NAME's chunks; repeat it for several phases, in the\n"
    "                 order the build is to hold them (default: build)\n"
    "  --dir DIR      where generate wrote the chunks (default: pipeline)\n"
    "  --dry-run      upload nothing; for each upload, in order, print\n"
    "                 '# buildkite-agent pipeline upload FILE' and the chunk as the\n"
    "                 agent sees it after interpolation with this environment\n"
    "  --quiet        no summary line on success\n"
    "\n"
    "Every chunk is checked before anything is uploaded: a missing DIR, a gap in\n"
    "a phase's chunk numbers, a malformed chunk name or a chunk that is not a JSON\n"
    "object with a \"steps\" array is one line 'lazykite: FILE: what was wrong' and\n"
    "exit status 2. A phase with no chunk is said in one line and is no error.\n"
    "The agent missing, or an upload failing, is exit status 1; no later chunk is\n"
    "uploaded.\n"
    "\n"
    "Environment: BUILDKITE_AGENT_PATH (the agent to run; default: buildkite-agent\n"
    "on PATH).\n";

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

static int vusage_error(const char *help, const char *fmt, va_list ap)
{
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see '%s')\n", help);
    return LK_EXIT_INPUT;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = vusage_error(PROG " --help", fmt, ap);
    va_end(ap);
    return status;
}

static int upload_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int upload_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = vusage_error(PROG " upload --help", fmt, ap);
    va_end(ap);
    return status;
}

struct options {
    const char *manifest;
    const char *eval_dir;
    const char *targets_attr;
    const char *parent_map;
    const char *head_branch;
    const char *phases;
    const char *active_phases;
    bool cancel_on_build_failing;
    const char *additional_steps;
    const char *post_build_steps;
    const char *default_step_overrides;
    const char *store_dir;
    bool no_deps;
    const char *out_dir;
    const char **nix_args; /* words for nix-instantiate (--arg N E, -I P, ...) */
    size_t n_nix_args;
    const char *nix_instantiate;
    size_t eval_workers;         /* 0: the default */
    unsigned long eval_max_memory; /* MiB; 0: no bound */
    bool quiet;
};

enum {
    OPT_MANIFEST = 1, OPT_EVAL, OPT_TARGETS_ATTR, OPT_PARENT_MAP, OPT_HEAD_BRANCH,
    OPT_PHASES, OPT_ACTIVE_PHASES, OPT_CANCEL, OPT_ADDITIONAL, OPT_POST_BUILD,
    OPT_OVERRIDES, OPT_STORE_DIR, OPT_NO_DEPS, OPT_OUTPUT, OPT_HELP, OPT_VERSION,
    OPT_ARG, OPT_ARGSTR, OPT_INCLUDE, OPT_OPTION, OPT_SHOW_TRACE, OPT_NIX_INSTANTIATE, OPT_QUIET,
    OPT_EVAL_WORKERS, OPT_EVAL_MAX_MEMORY,
};

static const struct cliopt generate_options[] = {
    { "manifest", 0, true, OPT_MANIFEST },
    { "eval", 0, true, OPT_EVAL },
    { "targets-attr", 0, true, OPT_TARGETS_ATTR },
    { "parent-map", 0, true, OPT_PARENT_MAP },
    { "head-branch", 0, true, OPT_HEAD_BRANCH },
    { "phases", 0, true, OPT_PHASES },
    { "active-phases", 0, true, OPT_ACTIVE_PHASES },
    { "cancel-on-build-failing", 0, false, OPT_CANCEL },
    { "additional-steps", 0, true, OPT_ADDITIONAL },
    { "post-build-steps", 0, true, OPT_POST_BUILD },
    { "default-step-overrides", 0, true, OPT_OVERRIDES },
    { "store-dir", 0, true, OPT_STORE_DIR },
    { "no-deps", 0, false, OPT_NO_DEPS },
    { "output", 'o', true, OPT_OUTPUT },
    { "help", 'h', false, OPT_HELP },
    { "version", 0, false, OPT_VERSION },
    { "arg", 0, true, OPT_ARG },
    { "argstr", 0, true, OPT_ARGSTR },
    { NULL, 'I', true, OPT_INCLUDE },
    { "option", 0, true, OPT_OPTION },
    { "show-trace", 0, false, OPT_SHOW_TRACE },
    { "nix-instantiate", 0, true, OPT_NIX_INSTANTIATE },
    { "quiet", 0, false, OPT_QUIET },
    { "eval-workers", 0, true, OPT_EVAL_WORKERS },
    { "eval-max-memory", 0, true, OPT_EVAL_MAX_MEMORY },
    CLIOPT_TABLE_END,
};

#define MAX_EVAL_WORKERS 64

/* A whole number from `min` to `max`, in decimal digits only; else 0. */
static unsigned long whole_number(const char *v, unsigned long min, unsigned long max)
{
    if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 9)
        return 0;
    unsigned long n = strtoul(v, NULL, 10);
    return n >= min && n <= max ? n : 0;
}

/* Parse the words after "generate" (argv[0]). Returns -1 to go on, else an exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, generate_options);
    struct lk_error err = LK_ERROR_INIT;
    const char *v;
    int id;
    o->nix_args = xcalloc((size_t)argc * 2 + 1, sizeof *o->nix_args); /* (2 words per 1 at most) */
    while ((id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        const char *v2 = NULL;
        if ((id == OPT_ARG || id == OPT_ARGSTR || id == OPT_OPTION) &&
            cliopt_second_value(&st, id == OPT_ARG ? "arg" : id == OPT_ARGSTR ? "argstr" : "option",
                                &v2, &err) != 0)
            id = CLIOPT_ERROR;
        switch (id) {
        case OPT_MANIFEST: o->manifest = v; break;
        case OPT_EVAL: o->eval_dir = v; break;
        case OPT_TARGETS_ATTR: o->targets_attr = v; break;
        case OPT_PARENT_MAP: o->parent_map = v; break;
        case OPT_HEAD_BRANCH: o->head_branch = v; break;
        case OPT_PHASES: o->phases = v; break;
        case OPT_ACTIVE_PHASES: o->active_phases = v; break;
        case OPT_CANCEL: o->cancel_on_build_failing = true; break;
        case OPT_ADDITIONAL: o->additional_steps = v; break;
        case OPT_POST_BUILD: o->post_build_steps = v; break;
        case OPT_OVERRIDES: o->default_step_overrides = v; break;
        case OPT_STORE_DIR: o->store_dir = v; break;
        case OPT_NO_DEPS: o->no_deps = true; break;
        case OPT_OUTPUT: o->out_dir = v; break;
        case OPT_ARG:
        case OPT_ARGSTR:
        case OPT_OPTION:
            o->nix_args[o->n_nix_args++] = id == OPT_ARG ? "--arg" : id == OPT_ARGSTR ? "--argstr" : "--option";
            o->nix_args[o->n_nix_args++] = v;
            o->nix_args[o->n_nix_args++] = v2;
            break;
        case OPT_INCLUDE:
            o->nix_args[o->n_nix_args++] = "-I";
            o->nix_args[o->n_nix_args++] = v;
            break;
        case OPT_SHOW_TRACE: o->nix_args[o->n_nix_args++] = "--show-trace"; break;
        case OPT_NIX_INSTANTIATE: o->nix_instantiate = v; break;
        case OPT_QUIET: o->quiet = true; break;
        case OPT_EVAL_WORKERS:
            if (!(o->eval_workers = whole_number(v, 1, MAX_EVAL_WORKERS)))
                return usage_error("--eval-workers: expected a whole number from 1 to %d, not '%s'",
                                   MAX_EVAL_WORKERS, v);
            break;
        case OPT_EVAL_MAX_MEMORY:
            if (!(o->eval_max_memory = whole_number(v, 1, 999999999)))
                return usage_error("--eval-max-memory: expected a whole number of MiB from 1, not '%s'", v);
            break;
        case OPT_HELP: fputs(usage_text, stdout); return 0;
        case OPT_VERSION: puts(PROG " " LAZYKITE_VERSION); return 0;
        case CLIOPT_OPERAND: return usage_error("unexpected argument '%s'", v);
        default: { /* CLIOPT_ERROR */
            int status = usage_error("%s", err.msg);
            lk_error_clear(&err);
            return status;
        }
        }
    }
    if (!o->manifest == !o->eval_dir)
        return usage_error("%s", "give exactly one of --manifest FILE and --eval DEPOT_DIR");
    if (o->targets_attr && !o->eval_dir)
        return usage_error("%s", "--targets-attr needs --eval");
    if ((o->n_nix_args || o->nix_instantiate) && !o->eval_dir)
        return usage_error("%s", "--arg, --argstr, -I, --option, --show-trace and --nix-instantiate need --eval");
    if ((o->eval_workers || o->eval_max_memory) && !o->eval_dir)
        return usage_error("%s", "--eval-workers and --eval-max-memory need --eval");
    if (o->store_dir && o->no_deps)
        return usage_error("%s", "--store-dir and --no-deps cannot be given together");
    if (!o->out_dir)
        return usage_error("%s", "missing -o OUT_DIR");
    return -1;
}

/* Replace `*slot` by the steps/overrides in `path`. */
static int load_json_setting(const char *path, json_t **slot, bool steps, struct lk_error *err)
{
    json_t *v;
    if ((steps ? steps_file_load(path, &v, err) : overrides_file_load(path, &v, err)) != 0)
        return -1;
    json_decref(*slot);
    *slot = v;
    return 0;
}

static int apply_options(const struct options *o, struct manifest *m, struct generate_request *req,
                         struct lk_error *err)
{
    struct pipeline_settings *ps = &m->pipeline;
    if (o->head_branch) {
        free(ps->head_branch);
        ps->head_branch = xstrdup(o->head_branch);
    }
    if (o->phases) {
        string_list_free(&ps->phases);
        string_list_split(&ps->phases, o->phases);
        req->phases_origin = (struct origin){ "--phases", NULL };
    }
    if (o->active_phases) {
        string_list_free(&ps->active_phases);
        string_list_split(&ps->active_phases, o->active_phases);
        ps->has_active_phases = true;
        req->active_phases_origin = (struct origin){ "--active-phases", NULL };
    }
    if (o->cancel_on_build_failing)
        ps->cancel_on_build_failing = true;
    if (o->additional_steps && load_json_setting(o->additional_steps, &ps->additional_steps, true, err) != 0)
        return -1;
    if (o->post_build_steps && load_json_setting(o->post_build_steps, &ps->post_build_steps, true, err) != 0)
        return -1;
    if (o->default_step_overrides &&
        load_json_setting(o->default_step_overrides, &ps->default_step_overrides, false, err) != 0)
        return -1;
    return 0;
}

/* A line about the evaluation (a shard split), on stderr. */
static void print_notice(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, PROG ": %s\n", line);
}

/* The manifest from --manifest, or from evaluating the depot (--eval); in
 * the latter case errors in the evaluated JSON name "<depot> (evaluated)"
 * and *stats says how the evaluation went. */
static int load_manifest(const struct options *o, struct manifest *m, char **file,
                         struct eval_stats *stats, struct lk_error *err)
{
    memset(m, 0, sizeof(*m));
    char *json;
    size_t len;
    if (o->manifest && !strcmp(o->manifest, "-")) {
        *file = xstrdup("(standard input)");
        if (file_read("/dev/stdin", &json, &len, err) != 0) {
            lk_error_prefix(err, "reading the manifest from standard input");
            return -1;
        }
    } else if (o->manifest) {
        *file = xstrdup(o->manifest);
        return manifest_load(o->manifest, m, err);
    } else {
        *file = xasprintf("%s (evaluated)", o->eval_dir);
        /* By default one evaluator per processor to use, at most 8. */
        size_t workers = o->eval_workers;
        if (!workers) {
            workers = parallel_cpus();
            workers = workers < 1 ? 1 : workers > 8 ? 8 : workers;
        }
        struct eval_options eo = { o->targets_attr, o->nix_instantiate, o->nix_args, o->n_nix_args,
                                   workers, o->eval_max_memory, o->quiet ? NULL : print_notice, NULL,
                                   stats };
        if (eval_depot_manifest(o->eval_dir, &eo, &json, &len, err) != 0)
            return -1;
    }
    int rc = manifest_parse(json, len, *file, m, err);
    free(json);
    return rc;
}

/* OUT_DIR must not be an input or hold one: it is replaced whole. */
static int check_output_against_inputs(const struct options *o, struct lk_error *err)
{
    const struct { const char *what, *path; } inputs[] = {
        { "--manifest", o->manifest },
        { "--eval", o->eval_dir },
        { "--parent-map", o->parent_map },
        { "--store-dir", o->store_dir ? o->store_dir : o->no_deps ? NULL : "/nix/store" },
        { "--additional-steps", o->additional_steps },
        { "--post-build-steps", o->post_build_steps },
        { "--default-step-overrides", o->default_step_overrides },
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (inputs[i].path && outdir_check_input(o->out_dir, inputs[i].what, inputs[i].path, err) != 0)
            return -1;
    return 0;
}

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1131 as "1,131". */
static void add_count(struct strbuf *sb, size_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", n);
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            sb_addc(sb, ',');
        sb_addc(sb, digits[i]);
    }
}

/* "lazykite: wrote 6 build chunks (1,131 steps, 94 skipped), 1 release
 * chunk (3 steps) and drvmap.json to pipeline in 0.41 s", on stderr (the
 * Buildkite log). */
static void print_summary(const struct chunk_writer *w, const struct pipeline *p, const char *out_dir,
                          double seconds)
{
    struct strbuf sb = STRBUF_INIT;
    size_t n = chunk_writer_n_phases(w);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        size_t chunks, steps;
        chunk_writer_phase(w, i, &name, &chunks, &steps);
        sb_adds(&sb, i == 0 ? "" : ", ");
        add_count(&sb, chunks);
        sb_addf(&sb, " %s chunk%s (", name, chunks == 1 ? "" : "s");
        add_count(&sb, steps);
        sb_addf(&sb, " step%s", steps == 1 ? "" : "s");
        if (!strcmp(name, "build") && p->n_skipped) {
            sb_adds(&sb, ", ");
            add_count(&sb, p->n_skipped);
            sb_adds(&sb, " skipped");
        }
        sb_addc(&sb, ')');
    }
    fprintf(stderr, PROG ": wrote %s and drvmap.json to %s in %.2f s\n", n ? sb.buf : "no chunk",
            out_dir, seconds);
    sb_release(&sb);
}

/* "lazykite: evaluated ci.targets in 1.95 s with 2 nix-instantiate processes
 * at once (2 in all); peak resident memory: 457 and 449 MiB, lazykite's own
 * 61 MiB", on stderr. */
static void print_eval_summary(const struct options *o, const struct eval_stats *st)
{
    struct strbuf sb = STRBUF_INIT;
    if (st->workers <= 1 && st->n_processes <= 1)
        sb_addf(&sb, "with one nix-instantiate; peak resident memory ");
    else
        sb_addf(&sb, "with %zu nix-instantiate processes at once (%zu in all); peak resident memory ",
                st->workers, st->n_processes);
    for (size_t i = 0; i < st->n_processes; i++)
        sb_addf(&sb, "%s%lu", i == 0 ? "" : i + 1 == st->n_processes ? " and " : ", ",
                (st->peak_kib[i] + 512) / 1024);
    struct rusage ru;
    long own = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
    fprintf(stderr, PROG ": evaluated %s in %.2f s %s MiB, lazykite's own %ld MiB\n",
            o->targets_attr ? o->targets_attr : "ci.targets", st->seconds, sb.buf, (own + 512) / 1024);
    sb_release(&sb);
}

static int generate(const struct options *o, struct lk_error *err)
{
    struct manifest m;
    struct parent_map pm = { NULL };
    struct pipeline p = { 0 };
    double t0 = seconds_now();
    struct generate_request req = { 0 };
    struct chunk_writer *w = NULL;
    char *file = NULL;
    struct eval_stats stats = { 0 };
    memset(&m, 0, sizeof m);
    /* OUT_DIR is checked (and a concurrent run refused) before any work. */
    int rc = check_output_against_inputs(o, err);
    if (rc == 0) {
        w = chunk_writer_new(o->out_dir);
        rc = chunk_writer_begin(w, err);
    }
    if (rc == 0)
        rc = load_manifest(o, &m, &file, &stats, err);
    req.manifest_file = file;
    if (rc == 0 && o->parent_map)
        rc = parent_map_load(o->parent_map, &pm, err);
    if (rc == 0)
        rc = apply_options(o, &m, &req, err);
    if (rc == 0) {
        req.manifest = &m;
        req.parent_map = o->parent_map ? &pm : NULL;
        req.store_dir = o->store_dir;
        req.no_deps = o->no_deps;
        /* Full chunks are written as they are made: the steps of a large
         * pipeline are never all in memory at once. */
        req.emit = chunk_writer_emit;
        req.emit_ctx = w;
        req.emit_every = CHUNK_MAX_STEPS;
        rc = pipeline_generate(&req, &p, err);
    }
    if (rc == 0)
        rc = chunk_writer_finish(w, &p, err);
    if (rc == 0 && !o->quiet && o->eval_dir)
        print_eval_summary(o, &stats);
    if (rc == 0 && !o->quiet)
        print_summary(w, &p, o->out_dir, seconds_now() - t0);
    free(stats.peak_kib);
    chunk_writer_free(w);
    pipeline_free(&p);
    parent_map_free(&pm);
    manifest_free(&m);
    free(file);
    return rc;
}

/* ---- lazykite upload ---- */

struct upload_options {
    const char **phases; /* argv words; default "build" */
    size_t n_phases;
    const char *dir;
    bool dry_run;
    bool quiet;
};

enum { UOPT_PHASE = 1, UOPT_DIR, UOPT_DRY_RUN, UOPT_QUIET, UOPT_HELP, UOPT_VERSION };

static const struct cliopt upload_options_table[] = {
    { "phase", 0, true, UOPT_PHASE },
    { "dir", 0, true, UOPT_DIR },
    { "dry-run", 0, false, UOPT_DRY_RUN },
    { "quiet", 0, false, UOPT_QUIET },
    { "help", 'h', false, UOPT_HELP },
    { "version", 0, false, UOPT_VERSION },
    CLIOPT_TABLE_END,
};

/* Parse the words after "upload" (argv[0]). Returns -1 to go on, else an
 * exit status. o->phases (allocated here) is the caller's to free. */
static int parse_upload_options(int argc, char **argv, struct upload_options *o)
{
    static const char *const default_phase = "build";
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, upload_options_table);
    struct lk_error err = LK_ERROR_INIT;
    const char *v;
    int id;
    o->phases = xcalloc((size_t)argc + 1, sizeof *o->phases);
    o->dir = "pipeline";
    while ((id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        switch (id) {
        case UOPT_PHASE:
            if (!*v || strchr(v, '/'))
                return upload_usage_error("--phase: expected a phase name, not '%s'", v);
            for (size_t i = 0; i < o->n_phases; i++)
                if (!strcmp(o->phases[i], v))
                    return upload_usage_error("--phase: '%s' given twice", v);
            o->phases[o->n_phases++] = v;
            break;
        case UOPT_DIR:
            if (!*v)
                return upload_usage_error("%s", "--dir: expected a directory, not ''");
            o->dir = v;
            break;
        case UOPT_DRY_RUN: o->dry_run = true; break;
        case UOPT_QUIET: o->quiet = true; break;
        case UOPT_HELP: fputs(upload_usage_text, stdout); return 0;
        case UOPT_VERSION: puts(PROG " " LAZYKITE_VERSION); return 0;
        case CLIOPT_OPERAND: return upload_usage_error("unexpected argument '%s'", v);
        default: { /* CLIOPT_ERROR */
            int status = upload_usage_error("%s", err.msg);
            lk_error_clear(&err);
            return status;
        }
        }
    }
    if (!o->n_phases)
        o->phases[o->n_phases++] = default_phase;
    return -1;
}

extern char **environ;

/* --dry-run: a chunk as the agent sees it after upload interpolation with
 * this process's environment (as the agent's with the job's), by the
 * simulation's loader — the one its simulated agent uploads with — as
 * pretty JSON with sorted keys. */
static char *render_interpolated(void *env, const char *path, const char *text, size_t len,
                                 struct lk_error *err)
{
    struct bk_load_options lo = { true, env };
    json_t *doc = bk_pipeline_load_tree(path, text, len, &lo, err);
    if (!doc)
        return NULL;
    char *json = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(doc);
    if (!json) {
        lk_fail(err, LK_EXIT_FAIL, path, NULL, "cannot print the interpolated chunk");
        return NULL;
    }
    char *shown = xasprintf("%s\n", json);
    free(json);
    return shown;
}

/* "3 build chunks (412 steps) and 1 release chunk (3 steps)": the phases
 * that have chunks. */
static void add_upload_counts(struct strbuf *sb, const struct upload_plan *plan,
                              const char *const *phases)
{
    size_t shown = 0, with_chunks = 0;
    for (size_t i = 0; i < plan->n_phases; i++)
        with_chunks += plan->phase_chunks[i] > 0;
    for (size_t i = 0; i < plan->n_phases; i++) {
        size_t chunks = plan->phase_chunks[i], steps = plan->phase_steps[i];
        if (!chunks)
            continue;
        shown++;
        sb_adds(sb, shown == 1 ? "" : shown == with_chunks ? " and " : ", ");
        add_count(sb, chunks);
        sb_addf(sb, " %s chunk%s (", phases[i], chunks == 1 ? "" : "s");
        add_count(sb, steps);
        sb_addf(sb, " step%s)", steps == 1 ? "" : "s");
    }
}

static int upload(const struct upload_options *o, struct lk_error *err)
{
    struct upload_plan plan;
    if (upload_plan_read(o->dir, o->phases, o->n_phases, &plan, err) != 0)
        return -1;
    for (size_t i = 0; i < plan.n_phases; i++)
        if (!plan.phase_chunks[i])
            fprintf(stderr, PROG ": no %s chunk in %s: nothing to upload\n", o->phases[i], o->dir);
    int rc;
    if (o->dry_run) {
        struct bk_env env = BK_ENV_INIT;
        bk_env_set_envp(&env, environ);
        rc = upload_dry_run(&plan, render_interpolated, &env, stdout, err);
        bk_env_release(&env);
    } else {
        rc = upload_run(&plan, err);
    }
    if (rc == 0 && plan.n_chunks && !o->quiet) {
        struct strbuf sb = STRBUF_INIT;
        add_upload_counts(&sb, &plan, o->phases);
        fprintf(stderr, PROG ": %s %s\n", o->dry_run ? "would upload" : "uploaded", sb.buf);
        sb_release(&sb);
    }
    upload_plan_free(&plan);
    return rc;
}

static int run_upload(int argc, char **argv)
{
    struct upload_options o = { 0 };
    int status = parse_upload_options(argc, argv, &o);
    if (status < 0) {
        struct lk_error err = LK_ERROR_INIT;
        status = 0;
        if (upload(&o, &err) != 0) {
            lk_error_print(&err, PROG, stderr);
            status = err.status;
            lk_error_clear(&err);
        }
    }
    free(o.phases);
    return status;
}

/* ---- lazykite parent-map ---- */

static int parent_map_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int parent_map_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = vusage_error(PROG " parent-map --help", fmt, ap);
    va_end(ap);
    return status;
}

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
        add_count(&sb, r.n_targets);
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

static int run_parent_map(int argc, char **argv)
{
    struct parent_map_cli c;
    memset(&c, 0, sizeof c);
    int status = parse_parent_map_options(argc, argv, &c);
    if (status >= 0)
        return status;
    struct lk_error err = LK_ERROR_INIT;
    status = parent_map(&c, &err);
    if (status < 0) {
        lk_error_print(&err, PROG, stderr);
        status = err.status;
        lk_error_clear(&err);
    }
    return status;
}

static int run(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "missing command ('generate', 'upload' or 'parent-map')");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(overview_text, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        puts(PROG " " LAZYKITE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "upload"))
        return run_upload(argc - 1, argv + 1);
    if (!strcmp(argv[1], "parent-map"))
        return run_parent_map(argc - 1, argv + 1);
    if (strcmp(argv[1], "generate") != 0)
        return usage_error("unknown command '%s'", argv[1]);

    struct options o = { 0 };
    int status = parse_options(argc - 1, argv + 1, &o);
    if (status >= 0) {
        free(o.nix_args);
        return status;
    }
    outdir_cleanup_on_signals();
    struct lk_error err = LK_ERROR_INIT;
    status = 0;
    if (generate(&o, &err) != 0) {
        lk_error_print(&err, PROG, stderr);
        status = err.status;
        lk_error_clear(&err);
    }
    free(o.nix_args);
    return status;
}

int main(int argc, char **argv)
{
    return lk_finish_stdout(PROG, run(argc, argv));
}
