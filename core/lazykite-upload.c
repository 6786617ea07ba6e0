/* lazykite-upload — `lazykite upload`: the command line (upload_usage_text
 * is the one description of its options), the chunks generate wrote
 * checked and handed to buildkite-agent last-first (upload.h); --dry-run
 * shows them interpolated by the simulation's pipeline loader, which is
 * why lazykite links libsim. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkpipeline.h"
#include "buildkite/env.h"
#include "cliopt.h"
#include "error.h"
#include "lazykite.h"
#include "upload.h"
#include "version.h"
#include "xalloc.h"

#define upload_usage_error(...) lkcli_usage_error(PROG " upload --help", __VA_ARGS__)

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
        lkcli_add_count(sb, chunks);
        sb_addf(sb, " %s chunk%s (", phases[i], chunks == 1 ? "" : "s");
        lkcli_add_count(sb, steps);
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

int lkcli_upload(int argc, char **argv)
{
    struct upload_options o = { 0 };
    int status = parse_upload_options(argc, argv, &o);
    if (status < 0) {
        struct lk_error err = LK_ERROR_INIT;
        status = upload(&o, &err) != 0 ? lkcli_failed(&err) : 0;
    }
    free(o.phases);
    return status;
}
