/* lazykite — the command-line interface of the pipeline generator:
 * `lazykite generate …` (usage_text below is the one description of its
 * options; `lazykite generate --help` prints it).
 *
 * Contract: reads the manifest (or evaluates a depot into one), applies the
 * command-line settings over the manifest's `pipeline` object, generates the
 * pipeline and writes OUT_DIR atomically (outdir.h: OUT_DIR must be absent,
 * empty or a previous output, and neither an input nor above one). Options
 * follow cliopt.h. Exit 0 on success; 2 on bad input or bad usage (one line
 * `lazykite: …` on stderr, nothing written); 1 on a system failure,
 * a write error on stdout included. `--help`/`--version` print to stdout
 * and exit 0. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "cliopt.h"
#include "error.h"
#include "eval.h"
#include "manifest.h"
#include "outdir.h"
#include "pipeline.h"
#include "version.h"
#include "xalloc.h"


#define PROG "lazykite"

static const char usage_text[] =
    "usage: lazykite generate [--manifest FILE | --eval DEPOT_DIR [--targets-attr ATTR]]\n"
    "                         [--parent-map FILE] [--head-branch REF]\n"
    "                         [--phases LIST] [--active-phases LIST] [--cancel-on-build-failing]\n"
    "                         [--additional-steps FILE] [--post-build-steps FILE]\n"
    "                         [--default-step-overrides FILE] [--store-dir DIR | --no-deps]\n"
    "                         -o OUT_DIR\n"
    "       lazykite --help | --version\n"
    "\n"
    "Turns a depot's target manifest into Buildkite pipeline chunks\n"
    "(<phase>-chunk-<n>.json) and drvmap.json in OUT_DIR.\n"
    "\n"
    "  --manifest FILE            read the target manifest from FILE\n"
    "  --eval DEPOT_DIR           evaluate the depot with nix-instantiate instead\n"
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
    "  -o, --output OUT_DIR       the output directory: absent, empty or a previous\n"
    "                             output (it holds " OUTDIR_MARKER "); replaced whole\n"
    "\n"
    "Settings given here override the manifest's \"pipeline\" object. Bad input is\n"
    "reported as one line, 'lazykite: FILE: PLACE: message', with exit status 2.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see '" PROG " --help')\n");
    va_end(ap);
    return LK_EXIT_INPUT;
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
};

enum {
    OPT_MANIFEST = 1, OPT_EVAL, OPT_TARGETS_ATTR, OPT_PARENT_MAP, OPT_HEAD_BRANCH,
    OPT_PHASES, OPT_ACTIVE_PHASES, OPT_CANCEL, OPT_ADDITIONAL, OPT_POST_BUILD,
    OPT_OVERRIDES, OPT_STORE_DIR, OPT_NO_DEPS, OPT_OUTPUT, OPT_HELP, OPT_VERSION,
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
    CLIOPT_TABLE_END,
};

/* Parse the words after "generate" (argv[0]). Returns -1 to go on, else an exit status. */
static int parse_options(int argc, char **argv, struct options *o)
{
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, generate_options);
    struct lk_error err = LK_ERROR_INIT;
    const char *v;
    int id;
    while ((id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
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

/* The manifest from --manifest, or from evaluating the depot (--eval); in
 * the latter case errors in the evaluated JSON name "<depot> (evaluated)". */
static int load_manifest(const struct options *o, struct manifest *m, char **file,
                         struct lk_error *err)
{
    memset(m, 0, sizeof(*m));
    if (o->manifest) {
        *file = xstrdup(o->manifest);
        return manifest_load(o->manifest, m, err);
    }
    *file = xasprintf("%s (evaluated)", o->eval_dir);
    char *json;
    size_t len;
    if (eval_depot_manifest(o->eval_dir, o->targets_attr, &json, &len, err) != 0)
        return -1;
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

static int generate(const struct options *o, struct lk_error *err)
{
    struct manifest m;
    struct parent_map pm = { NULL };
    struct pipeline p = { NULL, 0, NULL };
    struct generate_request req = { 0 };
    struct chunk_writer *w = NULL;
    char *file = NULL;
    memset(&m, 0, sizeof m);
    /* OUT_DIR is checked (and a concurrent run refused) before any work. */
    int rc = check_output_against_inputs(o, err);
    if (rc == 0) {
        w = chunk_writer_new(o->out_dir);
        rc = chunk_writer_begin(w, err);
    }
    if (rc == 0)
        rc = load_manifest(o, &m, &file, err);
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
    chunk_writer_free(w);
    pipeline_free(&p);
    parent_map_free(&pm);
    manifest_free(&m);
    free(file);
    return rc;
}

static int run(int argc, char **argv)
{
    if (argc < 2)
        return usage_error("%s", "missing command 'generate'");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        puts(PROG " " LAZYKITE_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "generate") != 0)
        return usage_error("unknown command '%s'", argv[1]);

    struct options o = { 0 };
    int status = parse_options(argc - 1, argv + 1, &o);
    if (status >= 0)
        return status;
    outdir_cleanup_on_signals();
    struct lk_error err = LK_ERROR_INIT;
    if (generate(&o, &err) != 0) {
        lk_error_print(&err, PROG, stderr);
        status = err.status;
        lk_error_clear(&err);
        return status;
    }
    return 0;
}

int main(int argc, char **argv)
{
    return lk_finish_stdout(PROG, run(argc, argv));
}
