/* play — one fixture played end to end (see play.h). */
#include "harness/play.h"
#include "harness/playint.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buildkite/agentserver.h"
#include "buildkite/artifacts.h"
#include "buildkite/env.h"
#include "buildkite/executor.h"
#include "buildkite/bkpipeline.h"
#include "clock.h"
#include "fileio.h"
#include "harness/checkouts.h"
#include "harness/parents.h"
#include "harness/proc.h"
#include "harness/progress.h"
#include "harness/report.h"
#include "harness/realnix.h"
#include "harness/schema.h"
#include "harness/treesnap.h"
#include "harness/world.h"
#include "digest.h"
#include "quote.h"
#include "nix/eventlog.h"
#include "strbuf.h"
#include "xalloc.h"

#ifndef LAZYKITE_DATADIR
#define LAZYKITE_DATADIR "/usr/local/share/lazykite"
#endif
#ifndef LAZYKITE_LIBEXECDIR
#define LAZYKITE_LIBEXECDIR "/usr/local/libexec/lazykite"
#endif

/* `dir`/`rel` if it exists. */
static bool has(const char *dir, const char *rel)
{
    AUTOFREE char *p = xasprintf("%s/%s", dir, rel);
    return access(p, F_OK) == 0;
}

int sim_locate(char **root, char **build, struct lk_error *err)
{
    const char *r = getenv("LAZYKITE_ROOT"), *b = getenv("LAZYKITE_BUILD");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, "/proc/self/exe", "readlink");
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0'; /* the binary's directory */
    AUTOFREE char *up = xasprintf("%s/..", exe);
    AUTOFREE char *root_dir, *build_dir;
    if (has(up, "core/nix/manifest.nix") && has(up, "ci/pipeline.yml")) {
        /* a source tree: <root>/build/lazykite-sim */
        root_dir = xstrdup(up);
        build_dir = xstrdup(exe);
    } else if (has(up, "share/lazykite/ci/pipeline.yml")) {
        /* an installation, wherever it was moved: <prefix>/bin/lazykite-sim */
        root_dir = xasprintf("%s/share/lazykite", up);
        build_dir = xasprintf("%s/libexec/lazykite", up);
    } else {
        root_dir = xstrdup(LAZYKITE_DATADIR);
        build_dir = xstrdup(LAZYKITE_LIBEXECDIR);
    }
    if (r && *r) {
        free(root_dir);
        root_dir = xstrdup(r);
    }
    if (b && *b) {
        free(build_dir);
        build_dir = xstrdup(b);
    }
    AUTOFREE char *rr = realpath(root_dir, NULL), *bb = realpath(build_dir, NULL);
    if (!rr || !bb || !has(rr, "ci/pipeline.yml") || !has(bb, "nixsim")) {
        lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                "cannot find lazykite-sim's data (%s: ci/pipeline.yml) and programs (%s: "
                "nixsim, lazykite); set LAZYKITE_ROOT and LAZYKITE_BUILD",
                root_dir, build_dir);
        return -1;
    }
    *root = steal_pointer(&rr);
    *build = steal_pointer(&bb);
    return 0;
}

/* The programs every step finds first on PATH: nixsim's tool names,
 * lazykite and the simulated buildkite-agent. With --generator CMD,
 * `lazykite` is a wrapper that runs `sh -c CMD` (the arguments of
 * `lazykite generate` its positional parameters) for `generate` and the
 * real lazykite otherwise, so the pipeline's own line runs the generator
 * under test. */
static int make_bin(struct play *p, struct lk_error *err)
{
    const char *names[] = { "nix-store", "nix-build", "nix-instantiate", "lazykite", "buildkite-agent" };
    const char *targets[] = { "nixsim", "nixsim", "nixsim", "lazykite", "buildkite-agent" };
    if (file_mkdir(p->bin, "mkdir", err) < 0)
        return -1;
    for (size_t i = p->real ? 3 : 0; i < 5; i++) { /* real Nix: its own programs, on PATH */
        AUTOFREE char *target = xasprintf("%s/%s", p->opt->build, targets[i]);
        AUTOFREE char *link = xasprintf("%s/%s", p->bin, names[i]);
        int rc = 0;
        if (access(target, X_OK) < 0) {
            rc = lk_fail(err, LK_EXIT_FAIL, target, NULL, "not built (run make)");
        } else if (i == 3 && p->opt->generator) {
            AUTO_STRBUF struct strbuf sh = STRBUF_INIT;
            sb_adds(&sh, "#!/bin/sh\n# lazykite-sim --generator: `lazykite generate ARGS` runs the generator\n"
                         "if [ \"${1-}\" = generate ] && [ -z \"${LAZYKITE_SIM_IN_GENERATOR-}\" ]; then\n"
                         "    shift\n    export LAZYKITE_SIM_IN_GENERATOR=1\n    exec /bin/sh -c ");
            quote_shell_word(&sh, p->opt->generator);
            sb_adds(&sh, " lazykite-generate \"$@\"\nfi\nexec ");
            quote_shell_word(&sh, target);
            sb_adds(&sh, " \"$@\"\n");
            rc = file_write_atomic(link, sh.buf, sh.len, err);
            if (rc == 0 && chmod(link, 0755) < 0)
                rc = lk_fail_errno(err, LK_EXIT_FAIL, link, "chmod");
        } else if (symlink(target, link) < 0) {
            rc = lk_fail_errno(err, LK_EXIT_FAIL, link, "symlink");
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* nix-store --delete every .drv of the depot that the store holds. */
void play_delete_drvs(struct play *p)
{
    const struct depot *d = p->res->depot;
    struct sim_observed *o = &p->res->obs;
    size_t n = depot_n_drvs(d), k = 0;
    AUTOFREE const char **argv = xcalloc(n + 3, sizeof(char *));
    AUTOFREE char *prog = xasprintf("%s/nix-store", p->bin);
    argv[k++] = prog;
    argv[k++] = "--delete";
    for (size_t i = n; i-- > 0;) { /* dependants first */
        const char *path = depot_drv_at(d, i)->drv_path;
        AUTOFREE char *host = xasprintf("%s/%s", p->real ? p->rn.store : p->store, path + 11);
        if (access(host, F_OK) == 0)
            argv[k++] = path;
    }
    o->gc_drvs = true;
    o->gc_deleted = k - 2;
    AUTOFREE char *e1 = xasprintf("NIXSIM_STORE=%s", p->store), *e2 = xasprintf("NIXSIM_STATE=%s", p->state),
         *e3 = xasprintf("LAZYKITE_LOG=%s", p->log);
    const char *env[] = { e1, e2, e3, "LAZYKITE_PHASE=gc", NULL };
    AUTOFREE char *out = NULL;
    struct lk_error err = LK_ERROR_INIT;
    if (k > 2) {
        int st = p->real ? realnix_delete(&p->rn, argv + 2, k - 2, &out, &err)
                         : proc_run(argv, p->work, env, &out, &err);
        if (st != 0) {
            free(o->gc_error);
            o->gc_error = st < 0 ? lk_error_format(&err) : xstrdup(out ? out : "");
        }
    }
    lk_error_clear(&err);
}

/* ci/pipeline.yml, interpolated, as the build's first upload: unmodified,
 * but for the generation step's command under --generation-step. */
static struct bk_pipeline *load_static(struct play *p, struct lk_error *err)
{
    AUTOFREE char *path = xasprintf("%s/" PIPELINE_FILE, p->opt->root);
    AUTOFREE char *text = NULL;
    size_t len = 0;
    struct bk_load_options lo = { true, &p->upload_env };
    struct bk_pipeline *pl = NULL;
    if (file_read(path, &text, &len, err) == 0)
        pl = bk_pipeline_load(path, text, len, &lo, err);
    if (pl) {
        struct bk_step *gen = NULL;
        for (size_t i = 0; i < pl->nsteps; i++)
            if (pl->steps[i].key && !strcmp(pl->steps[i].key, GEN_KEY))
                gen = &pl->steps[i];
        if (!gen || gen->type != BK_STEP_COMMAND) {
            lk_bad_input(err, path, NULL, "expected a command step with key \"" GEN_KEY "\"");
            bk_pipeline_free(pl);
            pl = NULL;
        } else {
            p->res->obs.static_pipeline = json_deep_copy(pl->raw);
            char hex[SHA256_HEX_LEN + 1];
            sha256_hex(text, len, hex);
            const char *gs = p->opt->generation_step;
            p->res->pipeline = json_pack("{s:s, s:s, s:o}", "file", PIPELINE_FILE, "sha256", hex,
                                         "generation_step", gs ? json_string(gs) : json_null());
            if (gs) {
                free(gen->command);
                gen->command = xstrdup(gs);
            }
        }
    }
    return pl;
}

static int make_work_dir(struct play *p, struct lk_error *err)
{
    if (p->opt->keep) {
        if (mkdir(p->opt->keep, 0755) < 0) {
            DIR *dh = errno == EEXIST ? opendir(p->opt->keep) : NULL;
            int empty = dh != NULL;
            struct dirent *de;
            while (dh && (de = readdir(dh)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                    empty = 0;
            if (dh)
                closedir(dh);
            if (!empty)
                return lk_bad_input(err, p->opt->keep, NULL, "--keep: expected a new or empty directory");
        }
        p->work = realpath(p->opt->keep, NULL);
        if (!p->work)
            return lk_fail_errno(err, LK_EXIT_FAIL, p->opt->keep, "realpath");
    } else {
        const char *tmp = getenv("TMPDIR");
        AUTOFREE char *templ = xasprintf("%s/lazykite-sim.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(templ))
            return lk_fail_errno(err, LK_EXIT_FAIL, templ, "mkdtemp");
        p->work = realpath(templ, NULL);
    }
    p->res->work_dir = xstrdup(p->work);
    return 0;
}

/* The run's settings: agents, branch, phases (the fixture's unless the
 * options say otherwise). */
static void play_settings(struct play *p)
{
    const struct sim_play_options *opt = p->opt;
    const struct fixture *f = p->res->fixture;
    p->gen_id = -1;
    p->real = opt->real_nix;
    p->res->nix = p->real ? "real" : "sim";
    p->nagents = (size_t)(opt->agents > 0 ? opt->agents : f->run.agents > 0 ? f->run.agents : 1);
    p->gc_drvs = opt->gc_drvs >= 0 ? opt->gc_drvs : f->run.gc_drvs > 0;
    p->res->agents = (int)p->nagents;
    p->branch = xstrdup(opt->branch ? opt->branch : f->branch ? f->branch : "refs/heads/canon");
    p->res->branch = xstrdup(p->branch);
    static const char *const default_phases[] = { "build", "release" };
    json_t *phases = json_object_get(f->pipeline, "phases");
    if (json_is_array(phases) && json_array_size(phases)) {
        p->phases = xcalloc(json_array_size(phases), sizeof(char *));
        for (size_t i = 0; i < json_array_size(phases); i++)
            if (json_is_string(json_array_get(phases, i)))
                p->phases[p->n_phases++] = json_string_value(json_array_get(phases, i));
    } else {
        p->phases = xcalloc(2, sizeof(char *));
        p->phases[0] = default_phases[0];
        p->phases[1] = default_phases[1];
        p->n_phases = 2;
    }
}

/* The work directory and what goes in it: the world (world.h: store,
 * state, artifact store, REST API — the run's, or the one a parent build
 * is played in), the agent's socket, the run's log, the bin directory,
 * the checkouts; then, for a run's own fixture, the builds before it
 * (parents.h). */
static int play_prepare(struct play *p, struct lk_error *err)
{
    int rc = make_work_dir(p, err);
    bool own = !p->opt->world;
    p->world = own ? &p->own_world : p->opt->world;
    if (rc == 0 && own) {
        enum fixture_api api = p->res->fixture->run.api;
        rc = world_open(p->world, p->work, p->res->fixture->depot,
                        api == FIXTURE_API_GARBAGE ? BK_API_GARBAGE : BK_API_OK, err);
    }
    if (rc == 0) {
        p->store = xstrdup(p->world->store);
        p->state = xstrdup(p->world->state);
        p->bin = xstrdup(p->world->bin);
        p->artifacts = p->world->artifacts;
        p->observed = xasprintf("%s/observed", p->work);
        p->rundir = xasprintf("%s/run", p->work);
        p->log = xasprintf("%s/realisations.jsonl", p->rundir);
        p->execdir = xasprintf("%s/exec", p->work);
        p->agent_dir = xasprintf("%s/agent", p->work);
        const char *dirs[] = { p->observed, p->rundir, p->execdir, p->agent_dir };
        for (size_t i = 0; i < 4 && rc == 0; i++)
            rc = file_mkdir(dirs[i], "mkdir", err);
    }
    if (rc == 0 && p->real) { /* real Nix's store beside the world's nixsim store: shared with parent builds */
        AUTOFREE char *dir = xstrdup(p->world->store);
        *strrchr(dir, '/') = '\0';
        rc = realnix_init(&p->rn, dir, p->res->depot, err);
    }
    if (rc == 0 && own)
        rc = make_bin(p, err);
    if (rc == 0)
        rc = checkouts_make(&p->co, p->res->fixture, p->work, p->nagents, err);
    if (rc == 0 && own)
        rc = parents_play(p->world, p->opt, p->res->fixture, p->res->depot, p->work, &p->res->parents, err);
    return rc;
}

/* This build in the world's records (running, its jobs the scheduler's
 * steps), what its conditions and jobs see of it (buildinfo.h), its
 * scheduler, and the REST API told whose jobs are running. */
static void register_build(struct play *p)
{
    const struct sim_play_options *opt = p->opt;
    const struct fixture *f = p->res->fixture;
    struct sim_world *w = p->world;
    char *id = xasprintf("00000000-0000-4000-8000-%012zu", bk_builds_count(w->builds) + 1);
    p->build = bk_builds_add(w->builds, id, p->branch, p->co.commit, "running");
    sim_build_init(&p->info, f, p->branch, p->co.commit ? p->co.commit : "", p->build->id, p->build->number,
                   bk_builds_pipeline(w->builds), SIM_DEFAULT_BRANCH);
    bk_env_merge(&p->upload_env, &p->info.env);
    struct bk_sched_options so = { p->branch, BK_UNBLOCK_NONE, NULL, &p->info.info };
    int unblock = opt->unblock >= 0 ? opt->unblock : f->run.unblock > 0 ? BK_UNBLOCK_ALL : BK_UNBLOCK_NONE;
    so.unblock = (enum bk_unblock)unblock;
    so.unblock_glob = opt->unblock_glob;
    p->sched = bk_sched_new(&so);
    bk_build_live(p->build, p->sched);
    bk_rest_api_set_build(w->api, p->build->number);
    p->res->build_number = p->build->number;
    p->res->build_id = id;
    p->res->commit = xstrdup(p->co.commit ? p->co.commit : "");
}

/* The build: the static pipeline uploaded and every step run. */
static int play_build(struct play *p, struct lk_error *err)
{
    const struct sim_play_options *opt = p->opt;
    register_build(p);
    struct sim_world *w = p->world;
    AUTOFREE char *sock = xasprintf("%s/agent.sock", p->agent_dir);
    p->agent = bk_agent_server_new(sock, p->build->id, p->sched, p->artifacts, err);
    if (!p->agent)
        return -1;
    if (p->real) {
        AUTOFREE char *hook = xasprintf("%s/sim/nix/post-build-hook", opt->root), *conf = realnix_config(hook);
        bk_env_set(&p->extra_env, "NIX_CONFIG", conf);
    } else {
        bk_env_set(&p->extra_env, "NIXSIM_STORE", "/nix/store");
        bk_env_set(&p->extra_env, "NIXSIM_STATE", p->state);
    }
    bk_env_set(&p->extra_env, "LAZYKITE_LOG", p->log);
    bk_env_merge(&p->extra_env, &p->info.env); /* the build's variables (buildinfo.h) */
    bk_env_set(&p->extra_env, "BUILDKITE_ORGANIZATION_SLUG", bk_builds_org(w->builds));
    /* the REST API and a token for it, as an agent's environment hook sets
     * them (the pipeline names none of them): the API's Unix socket, bound
     * into every sandbox, stands for its host */
    bk_env_set(&p->extra_env, "LAZYKITE_BUILDKITE_API", SIM_API_URL);
    bk_env_set(&p->extra_env, "LAZYKITE_BUILDKITE_API_SOCKET", w->api_socket);
    bool wrong_token = p->res->fixture->run.api == FIXTURE_API_WRONG_TOKEN;
    bk_env_set(&p->extra_env, "BUILDKITE_API_TOKEN", wrong_token ? "not-the-token-the-api-knows" : w->token);
    /* lazykite --eval finds manifest.nix beside its binary in a source tree;
     * a build directory elsewhere (LAZYKITE_BUILD) is told the tree's. */
    AUTOFREE char *manifest_nix = xasprintf("%s/core/nix/manifest.nix", opt->root);
    if (access(manifest_nix, R_OK) == 0)
        bk_env_set(&p->extra_env, "LAZYKITE_MANIFEST_NIX", manifest_nix);
    /* the source tree (manifest.nix, generators under test) and the
     * build directory (lazykite, nixsim) read-only */
    const char *ro[] = { opt->root, opt->build, w->api_dir, NULL };
    const char *rw[] = { p->rundir, NULL };
    struct bk_executor_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.nagents = p->nagents;
    cfg.checkouts = (const char *const *)p->co.dirs;
    cfg.store_dir = p->real ? p->rn.nix_dir : p->store;
    cfg.store_at = p->real ? "/nix" : NULL;
    cfg.state_dir = p->real ? NULL : p->state;
    cfg.bin_dir = p->bin;
    cfg.ro_paths = ro;
    cfg.rw_paths = rw;
    cfg.work_dir = p->execdir;
    cfg.api = w->api;
    cfg.extra_env = &p->extra_env;
    cfg.agent = p->agent;
    cfg.step_env = play_on_step_env;
    cfg.step_done = play_on_step_done;
    cfg.step_ended = play_on_step_ended;
    cfg.ctx = p;
    p->ex = bk_executor_new(&cfg, p->sched);
    struct bk_pipeline *pl = load_static(p, err);
    int first = -1;
    size_t count = 0;
    if (!pl || bk_sched_upload(p->sched, -1, pl, &first, &count, err) != 0)
        return -1;
    p->gen_id = bk_sched_find(p->sched, GEN_KEY);
    p->t0 = lk_clock_seconds();
    int rc = bk_executor_run(p->ex, err);
    p->res->seconds = lk_clock_seconds() - p->t0;
    if (p->opt->progress)
        progress_done(p->opt->progress);
    bk_build_finish(p->build);
    bk_rest_api_set_build(w->api, 0);
    p->res->build_state = xstrdup(p->build->state);
    return rc;
}

/* What the build did, and every check of it. */
static int play_check(struct play *p, struct lk_error *err)
{
    struct sim_play_result *res = p->res;
    play_observe(p, p->ex);
    play_record_agent(p);
    if (obs_read_log(&res->obs, p->log, err) != 0)
        return -1;
    parents_observe(p->world, p->build->number, p->branch,
                    res->fixture->run.api != FIXTURE_API_WRONG_TOKEN, &res->obs);
    if (p->world == &p->own_world)
        res->api = json_pack("{s:s, s:s, s:s, s:o}", "url", SIM_API_URL, "fault",
                             bk_rest_api_fault_name(p->world->fault), "default_branch", SIM_DEFAULT_BRANCH,
                             "requests", bk_rest_api_requests(p->world->api));
    schema_validate(p->opt->root, &res->obs, &res->schema_path);
    inv_fill_built(&res->obs, res->depot);
    inv_check_all(res->fixture, res->depot, &res->obs, &res->inv);
    inv_expectations(res->fixture, res->depot, &res->obs, &res->inv);
    res->ok = inv_report_ok(res->fixture, &res->inv);
    return 0;
}

static void play_release(struct play *p)
{
    bk_executor_free(p->ex);
    bk_agent_server_free(p->agent); /* (the artifacts are the world's) */
    if (p->real)
        realnix_free(&p->rn);
    if (p->build && p->build->live) /* (a build that could not be played) */
        bk_build_finish(p->build);
    bk_sched_free(p->sched);
    if (p->world == &p->own_world)
        world_close(&p->own_world);
    bk_env_release(&p->extra_env);
    bk_env_release(&p->upload_env);
    sim_build_release(&p->info);
    if (p->work && !p->opt->keep) {
        file_remove_tree(p->work);
        free(p->res->work_dir);
        p->res->work_dir = NULL;
        /* the chunks' paths pointed into the work dir */
    }
    for (size_t i = 0; i < p->n_nodes; i++) {
        free(p->nodes[i].step_name);
        free(p->nodes[i].tree);
        free(p->nodes[i].result_link);
        free(p->nodes[i].script_link);
        free(p->nodes[i].log_tail);
    }
    free(p->nodes);
    checkouts_free(&p->co);
    free(p->phases);
    free(p->work);
    free(p->store);
    free(p->state);
    free(p->bin);
    free(p->observed);
    free(p->agent_dir);
    for (size_t i = 0; i < p->n_live; i++) {
        free(p->live[i].step);
        free(p->live[i].name);
    }
    free(p->live);
    free(p->log);
    free(p->branch);
    free(p->execdir);
    free(p->rundir);
}

int sim_play(const struct sim_play_options *opt, struct sim_play_result *res, struct lk_error *err)
{
    memset(res, 0, sizeof(*res));
    obs_init(&res->obs);
    /* (a parent's fixture: its own copy, from the text its checkout holds) */
    if (opt->fixture ? fixture_load_bytes(opt->fixture->path, opt->fixture->text, opt->fixture->text_len,
                                          &res->fixture, err) < 0
                     : fixture_load(opt->fixture_path, &res->fixture, err) < 0)
        return -1;
    res->nix = opt->real_nix ? "real" : "sim";
    if (opt->real_nix && !res->fixture->run.nix_real) {
        res->not_played = res->fixture->run.nix_reason;
        return 0;
    }
    if (depot_from_fixture(res->fixture, &res->depot, err) < 0)
        return -1;
    struct play p = { .opt = opt, .res = res, .extra_env = BK_ENV_INIT, .upload_env = BK_ENV_INIT };
    play_settings(&p);
    int rc = play_prepare(&p, err);
    if (rc == 0 && opt->progress) { /* the run can be played: its heading, then the rows */
        report_print_heading(res, opt->generator ? opt->generator : opt->generation_step, opt->progress->to);
        fflush(opt->progress->to);
    }
    if (rc == 0)
        rc = play_build(&p, err);
    if (rc == 0)
        rc = play_check(&p, err);
    play_release(&p);
    return rc;
}

void sim_play_result_free(struct sim_play_result *res)
{
    inv_report_free(&res->inv);
    obs_free(&res->obs);
    depot_free(res->depot);
    fixture_free(res->fixture);
    free(res->branch);
    free(res->work_dir);
    free(res->schema_path);
    json_decref(res->pipeline);
    json_decref(res->agent);
    json_decref(res->parents);
    json_decref(res->api);
    free(res->build_id);
    free(res->build_state);
    free(res->commit);
    memset(res, 0, sizeof(*res));
}
