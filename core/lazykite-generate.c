/* lazykite-generate — `lazykite generate`: the command line (usage_text
 * is the one description of its options), the manifest read or evaluated
 * (--eval, eval.h), the command-line settings applied over the manifest's
 * `pipeline` object, the pipeline generated and OUT_DIR written atomically
 * (outdir.h: OUT_DIR must be absent, empty or a previous output, and
 * neither an input nor above one), and a summary line on stderr. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "chunks.h"
#include "cliopt.h"
#include "clock.h"
#include "error.h"
#include "eval.h"
#include "fileio.h"
#include "lazykite.h"
#include "manifest.h"
#include "outdir.h"
#include "parallel.h"
#include "pipeline.h"
#include "version.h"
#include "xalloc.h"

#define generate_usage_error(...) lkcli_usage_error(PROG " --help", __VA_ARGS__)

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
                return generate_usage_error("--eval-workers: expected a whole number from 1 to %d, not '%s'",
                                   MAX_EVAL_WORKERS, v);
            break;
        case OPT_EVAL_MAX_MEMORY:
            if (!(o->eval_max_memory = whole_number(v, 1, 999999999)))
                return generate_usage_error("--eval-max-memory: expected a whole number of MiB from 1, not '%s'", v);
            break;
        case OPT_HELP: fputs(usage_text, stdout); return 0;
        case OPT_VERSION: puts(PROG " " LAZYKITE_VERSION); return 0;
        case CLIOPT_OPERAND: return generate_usage_error("unexpected argument '%s'", v);
        default: { /* CLIOPT_ERROR */
            int status = generate_usage_error("%s", err.msg);
            lk_error_clear(&err);
            return status;
        }
        }
    }
    if (!o->manifest == !o->eval_dir)
        return generate_usage_error("%s", "give exactly one of --manifest FILE and --eval DEPOT_DIR");
    if (o->targets_attr && !o->eval_dir)
        return generate_usage_error("%s", "--targets-attr needs --eval");
    if ((o->n_nix_args || o->nix_instantiate) && !o->eval_dir)
        return generate_usage_error("%s", "--arg, --argstr, -I, --option, --show-trace and --nix-instantiate need --eval");
    if ((o->eval_workers || o->eval_max_memory) && !o->eval_dir)
        return generate_usage_error("%s", "--eval-workers and --eval-max-memory need --eval");
    if (o->store_dir && o->no_deps)
        return generate_usage_error("%s", "--store-dir and --no-deps cannot be given together");
    if (!o->out_dir)
        return generate_usage_error("%s", "missing -o OUT_DIR");
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
        lkcli_add_count(&sb, chunks);
        sb_addf(&sb, " %s chunk%s (", name, chunks == 1 ? "" : "s");
        lkcli_add_count(&sb, steps);
        sb_addf(&sb, " step%s", steps == 1 ? "" : "s");
        if (!strcmp(name, "build") && p->n_skipped) {
            sb_adds(&sb, ", ");
            lkcli_add_count(&sb, p->n_skipped);
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
    double t0 = lk_clock_seconds();
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
        print_summary(w, &p, o->out_dir, lk_clock_seconds() - t0);
    free(stats.peak_kib);
    chunk_writer_free(w);
    pipeline_free(&p);
    parent_map_free(&pm);
    manifest_free(&m);
    free(file);
    return rc;
}

int lkcli_generate(int argc, char **argv)
{
    struct options o = { 0 };
    int status = parse_options(argc, argv, &o);
    if (status >= 0) {
        free(o.nix_args);
        return status;
    }
    outdir_cleanup_on_signals();
    struct lk_error err = LK_ERROR_INIT;
    status = generate(&o, &err) != 0 ? lkcli_failed(&err) : 0;
    free(o.nix_args);
    return status;
}
