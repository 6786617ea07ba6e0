/* commands — `lazykite-sim run` and `lazykite-sim check` (see commands.h). */
#include "harness/commands.h"

#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildkite/executor.h"
#include "cliopt.h"
#include "harness/backends.h"
#include "harness/htmlreport.h"
#include "harness/mdreport.h"
#include "harness/play.h"
#include "harness/report.h"
#include "xalloc.h"

static const char *const prog = "lazykite-sim";

static void on_stop(int sig)
{
    bk_executor_request_stop(sig);
}

/* SIGINT, SIGTERM, SIGHUP stop the build: its sandboxes are killed and the
 * work directory removed (unless --keep) before lazykite-sim exits 128+N.
 * A signal the caller ignores stays ignored. */
static void catch_stop_signals(void)
{
    const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (size_t i = 0; i < 3; i++) {
        struct sigaction old, sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[i], &sa, NULL);
    }
}

static int stop_status(int status)
{
    int sig = bk_executor_stop_signal();
    if (!sig)
        return status;
    fprintf(stderr, "%s: stopped by signal %d\n", prog, sig);
    return 128 + sig;
}

static int usage(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: %s: ", prog, cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see '%s %s --help')\n", prog, cmd);
    return LK_EXIT_INPUT;
}

/* A cliopt error as a usage error of `cmd`. */
static int usage_from(struct lk_error *perr, const char *cmd)
{
    int status = usage(cmd, "%s", perr->msg);
    lk_error_clear(perr);
    return status;
}

static const char run_help[] =
    "usage: lazykite-sim run FIXTURE [--generator CMD | --generation-step CMD] [--agents N]\n"
    "                        [--unblock all|none|GLOB] [--branch REF] [--gc-drvs]\n"
    "                        [--report FILE] [--html FILE] [--markdown FILE]\n"
    "                        [--keep DIR] [--nix sim|real|both] [--quiet]\n"
    "Play FIXTURE end to end: a git checkout of its depot, the static pipeline\n"
    "ci/pipeline.yml, unmodified, on the simulated Buildkite with its generation\n"
    "step in the construction phase, then check every invariant and the fixture's\n"
    "expectations.\n\n"
    "  --generator CMD  run CMD (sh -c) where the pipeline runs `lazykite generate`, with\n"
    "                   that command's arguments as \"$@\"; it writes\n"
    "                   pipeline/<phase>-chunk-<n>.json and the pipeline's own lines upload them\n"
    "  --generation-step CMD  CMD is the whole generation step's command: it uploads\n"
    "                   its chunks (buildkite-agent pipeline upload) and artifacts itself\n"
    "  --agents N       run N steps at once, each agent in its own checkout\n"
    "  --unblock WHAT   unblock all block steps, none, or those whose label matches GLOB\n"
    "  --branch REF     BUILDKITE_BRANCH (default: the fixture's branch)\n"
    "  --gc-drvs        delete the .drv files after construction (the gc-fallback check)\n"
    "  --report FILE    write the JSON report to FILE (atomically)\n"
    "  --html FILE      write the run as one self-contained HTML page (atomically):\n"
    "                   the pipeline as a graph of steps coloured by outcome, each\n"
    "                   derivation build in its step (construction or execution,\n"
    "                   violations in red), a timeline per agent, the invariants;\n"
    "                   it loads nothing from elsewhere: open it in a browser\n"
    "  --markdown FILE  write a short Markdown summary (atomically), for\n"
    "                   buildkite-agent annotate: verdict, invariants, violations,\n"
    "                   the slowest steps\n"
    "  --keep DIR       keep the work dir (checkouts, store, logs, chunks) in DIR\n"
    "                   (with --nix both: DIR/sim and DIR/real)\n"
    "  --nix WHICH      sim: nixsim (the default); real: Debian's Nix over a private store of\n"
    "                   the run; both: nixsim, then real Nix, and every difference between\n"
    "                   the two (chunks, outcomes, builds, verdicts) is a failure\n"
    "  --quiet          print only the verdict (no rows as steps end, no table)\n"
    "Each step's row is printed as it ends (on a terminal a status line follows them),\n"
    "then the steps that did not run, the totals per outcome and the invariants.\n"
    "Defaults for --agents, --unblock and --gc-drvs come from the fixture's `run`.\n"
    "Exit status: 0 all expectations met, 1 a violation or unmet expectation (or,\n"
    "with --nix real, a fixture real Nix does not play), 2 bad input.\n";

int sim_cmd_run(int argc, char **argv)
{
    struct sim_play_options opt = { 0 };
    opt.unblock = -1;
    opt.gc_drvs = -1;
    const char *report = NULL, *html = NULL, *markdown = NULL;
    int nix = SIM_NIX_SIM;
    bool quiet = false;
    enum { R_GENERATOR = 1, R_GENSTEP, R_AGENTS, R_UNBLOCK, R_BRANCH, R_GC_DRVS, R_REPORT, R_HTML, R_MARKDOWN,
           R_KEEP, R_NIX, R_QUIET, R_HELP };
    static const struct cliopt run_options[] = {
        { "generator", 0, true, R_GENERATOR }, { "generation-step", 0, true, R_GENSTEP },
        { "agents", 0, true, R_AGENTS },
        { "unblock", 0, true, R_UNBLOCK },     { "branch", 0, true, R_BRANCH },
        { "gc-drvs", 0, false, R_GC_DRVS },    { "report", 0, true, R_REPORT },
        { "html", 0, true, R_HTML },           { "markdown", 0, true, R_MARKDOWN },
        { "keep", 0, true, R_KEEP },           { "nix", 0, true, R_NIX },
        { "quiet", 0, false, R_QUIET },        { "help", 'h', false, R_HELP },
        CLIOPT_TABLE_END,
    };
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, run_options);
    struct lk_error perr = LK_ERROR_INIT;
    const char *val;
    int id;
    while ((id = cliopt_next(&st, &val, &perr)) != CLIOPT_END) {
        switch (id) {
        case R_HELP:
            fputs(run_help, stdout);
            return 0;
        case R_GENERATOR:
            opt.generator = val;
            break;
        case R_GENSTEP:
            opt.generation_step = val;
            break;
        case R_QUIET:
            quiet = true;
            break;
        case R_AGENTS: {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > 64)
                return usage("run", "--agents: expected a number from 1 to 64, got '%s'", val);
            opt.agents = (int)n;
            break;
        }
        case R_UNBLOCK:
            if (!strcmp(val, "all"))
                opt.unblock = BK_UNBLOCK_ALL;
            else if (!strcmp(val, "none"))
                opt.unblock = BK_UNBLOCK_NONE;
            else {
                opt.unblock = BK_UNBLOCK_GLOB;
                opt.unblock_glob = val;
            }
            break;
        case R_BRANCH:
            opt.branch = val;
            break;
        case R_GC_DRVS:
            opt.gc_drvs = 1;
            break;
        case R_REPORT:
            report = val;
            break;
        case R_HTML:
            html = val;
            break;
        case R_MARKDOWN:
            markdown = val;
            break;
        case R_KEEP:
            opt.keep = val;
            break;
        case R_NIX:
            if ((nix = backends_parse(val)) < 0)
                return usage("run", "--nix: expected sim, real or both, got '%s'", val);
            break;
        case CLIOPT_OPERAND:
            if (opt.fixture_path)
                return usage("run", "unexpected argument '%s'", val);
            opt.fixture_path = val;
            break;
        default:
            return usage_from(&perr, "run");
        }
    }
    if (!opt.fixture_path)
        return usage("run", "%s", "expected a FIXTURE");
    if (opt.generator && opt.generation_step)
        return usage("run", "%s", "--generator and --generation-step exclude each other");
    struct lk_error err = LK_ERROR_INIT;
    char *root = NULL, *build = NULL;
    struct backends_result res;
    memset(&res, 0, sizeof res);
    int status;
    catch_stop_signals();
    if (sim_locate(&root, &build, &err) < 0) {
        lk_error_print(&err, prog, stderr);
        status = err.status;
    } else {
        opt.root = root;
        opt.build = build;
        struct progress live;
        progress_init(&live, stdout, isatty(STDOUT_FILENO));
        opt.progress = quiet ? NULL : &live;
        if (backends_play(&opt, (enum sim_nix)nix, &res, &err) < 0) {
            if (!bk_executor_stop_signal())
                lk_error_print(&err, prog, stderr);
            status = err.status;
        } else if (bk_executor_stop_signal()) {
            status = 0;
        } else {
            status = res.ok ? 0 : LK_EXIT_FAIL;
            if (!quiet && res.played_sim && res.played_real && !res.sim.ok) {
                printf("\non nixsim:\n"); /* the real run's table follows */
                report_print(&res.sim, opt.generator, false, stdout);
                printf("\non real Nix:\n");
            }
            if (!quiet && res.shown)
                report_print(res.shown, opt.generator, true, stdout);
            if (res.not_on_real)
                printf("%s: not run on real Nix: %s\n", opt.fixture_path, res.not_on_real);
            for (size_t i = 0; i < res.n_diffs; i++)
                printf("%s%s\n", i ? "  " : "\nnixsim and real Nix differ:\n  ", res.diffs[i]);
            if (!quiet && res.played_sim && res.played_real && !res.n_diffs)
                printf("nixsim and real Nix agree: the same chunks, outcomes, builds and verdicts\n");
            if (quiet && res.shown)
                printf("%s: %s (%.2f s)\n", opt.fixture_path, res.ok ? "ok" : "FAILED", res.shown->seconds);
            if (report && res.shown &&
                report_write(res.shown, opt.generator, res.diffs, report, &err) < 0) {
                lk_error_print(&err, prog, stderr);
                status = err.status;
            }
            json_t *j = (html || markdown) && res.shown ? report_json(res.shown, opt.generator, res.diffs) : NULL;
            if (html && j && htmlreport_write(j, root, html, &err) < 0) {
                lk_error_print(&err, prog, stderr);
                lk_error_clear(&err);
                status = LK_EXIT_FAIL;
            }
            if (markdown && j && mdreport_write(j, markdown, &err) < 0) {
                lk_error_print(&err, prog, stderr);
                lk_error_clear(&err);
                status = LK_EXIT_FAIL;
            }
            json_decref(j);
        }
    }
    fflush(stdout);
    backends_free(&res);
    lk_error_clear(&err);
    free(root);
    free(build);
    return stop_status(status);
}

int sim_cmd_check(int argc, char **argv)
{
    enum { C_HELP = 1, C_NIX };
    static const struct cliopt check_options[] = { { "help", 'h', false, C_HELP }, { "nix", 0, true, C_NIX },
                                                   CLIOPT_TABLE_END };
    int nix = SIM_NIX_SIM;
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, check_options);
    struct lk_error perr = LK_ERROR_INIT;
    char **operands = xcalloc((size_t)argc + 1, sizeof *operands);
    size_t n_operands = 0;
    const char *val;
    int id;
    while ((id = cliopt_next(&st, &val, &perr)) != CLIOPT_END) {
        if (id == CLIOPT_OPERAND) {
            operands[n_operands++] = (char *)val;
            continue;
        }
        if (id == C_NIX && (nix = backends_parse(val)) >= 0)
            continue;
        free(operands);
        if (id == C_NIX)
            return usage("check", "--nix: expected sim, real or both, got '%s'", val);
        if (id == C_HELP) {
            printf("usage: %s check [--nix sim|real|both] [FIXTURE...]\n"
                   "Run every fixture (default: fixtures/*.yaml of the source tree) and print a\n"
                   "summary; exit 0 only if every fixture meets its expectations.\n"
                   "  --nix WHICH  sim (the default), real, or both and compared (see run -h); a\n"
                   "               fixture that real Nix does not play (run.nix: [sim]) is\n"
                   "               listed with its reason, never counted as passed on real Nix\n",
                   prog);
            return 0;
        }
        return usage_from(&perr, "check");
    }
    struct lk_error err = LK_ERROR_INIT;
    char *root = NULL, *build = NULL;
    if (sim_locate(&root, &build, &err) < 0) {
        lk_error_print(&err, prog, stderr);
        int st = err.status;
        lk_error_clear(&err);
        free(operands);
        return st;
    }
    glob_t g;
    memset(&g, 0, sizeof g);
    char **files;
    size_t n;
    if (n_operands) {
        files = operands;
        n = n_operands;
    } else {
        char *pattern = xasprintf("%s/fixtures/*.yaml", root);
        glob(pattern, 0, NULL, &g);
        free(pattern);
        files = g.gl_pathv;
        n = g.gl_pathc;
    }
    int status = 0;
    size_t passed = 0, not_on_real = 0;
    struct strbuf_line { char *text; } *lines = xcalloc(n + 1, sizeof(*lines));
    catch_stop_signals();
    for (size_t i = 0; i < n && !bk_executor_stop_signal(); i++) {
        struct sim_play_options opt = { 0 };
        opt.fixture_path = files[i];
        opt.unblock = -1;
        opt.gc_drvs = -1;
        opt.root = root;
        opt.build = build;
        struct backends_result both;
        const char *base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
        if (backends_play(&opt, (enum sim_nix)nix, &both, &err) < 0) {
            if (!bk_executor_stop_signal())
                lk_error_print(&err, prog, stderr);
            if (err.status > status)
                status = err.status;
            lines[i].text = xasprintf("%-34s %-7s %6s %6s %7s  %s", base,
                                      err.status == LK_EXIT_INPUT ? "BAD" : "ERROR", "-", "-", "-",
                                      "could not be played (see above)");
            lk_error_clear(&err);
        } else if (!both.shown) { /* --nix real, a fixture real Nix does not play */
            not_on_real++;
            lines[i].text = xasprintf("%-34s %-7s %6s %6s %7s  not run on real Nix: %s", base, "-", "-", "-", "-",
                                      both.not_on_real);
            printf("%s: not run on real Nix: %s\n", files[i], both.not_on_real);
        } else {
            const struct sim_play_result res = *both.shown;
            char viol[512] = "";
            size_t vl = 0;
            for (size_t k = 0; k < res.inv.n; k++)
                if (res.inv.inv[k].verdict == INV_VIOLATED && vl < sizeof viol - 64)
                    vl += (size_t)snprintf(viol + vl, sizeof viol - vl, "%s%s", vl ? "," : "", res.inv.inv[k].id);
            size_t ran = 0, builds = 0;
            for (size_t k = 0; k < res.obs.n_steps; k++)
                ran += res.obs.steps[k].ran;
            for (size_t k = 0; k < res.obs.n_events; k++)
                builds += !strcmp(res.obs.events[k].event, "build");
            size_t ns = report_not_simulated_steps(&res);
            char *also = both.n_diffs ? xasprintf("; %zu difference(s) between nixsim and real Nix", both.n_diffs)
                         : both.not_on_real ? xasprintf("; nixsim only: %s", both.not_on_real)
                         : both.played_sim && both.played_real ? xstrdup("; nixsim and real Nix agree")
                                                               : xstrdup("");
            char *nsim = ns ? xasprintf("; %zu step%s not simulated", ns, ns == 1 ? "" : "s") : xstrdup("");
            lines[i].text = xasprintf("%-34s %-7s %6zu %6zu %7.2f  violated: %s%s%zu unmet%s%s", base,
                                      both.ok ? "ok" : "FAILED", ran, builds, res.seconds,
                                      vl ? viol : "none", "; ", res.inv.n_unmet, nsim, also);
            /* a line as each fixture ends */
            printf("%s: %s (%.2f s, %zu step%s ran, %zu build%s%s%s%s)\n", files[i], both.ok ? "ok" : "FAILED",
                   res.seconds, ran, ran == 1 ? "" : "s", builds, builds == 1 ? "" : "s",
                   both.played_real ? ", real Nix" : "", nsim, also);
            free(also);
            free(nsim);
            if (both.played_sim && both.played_real && !both.sim.ok)
                report_print_problems(&both.sim, stdout);
            if (!res.ok)
                report_print_problems(&res, stdout);
            for (size_t k = 0; k < both.n_diffs; k++)
                printf("  differs: %s\n", both.diffs[k]);
            if (!both.ok) {
                if (status == 0)
                    status = LK_EXIT_FAIL;
            } else {
                passed++;
            }
            fflush(stdout);
        }
        backends_free(&both);
    }
    printf("\n%-34s %-7s %6s %6s %7s  %s\n", "FIXTURE", "RESULT", "STEPS", "BUILDS", "SECONDS",
           "INVARIANTS VIOLATED (expected or not)");
    for (size_t i = 0; i < n; i++) {
        if (lines[i].text) /* NULL: not played (stopped before) */
            printf("%s\n", lines[i].text);
        free(lines[i].text);
    }
    printf("\n%zu of %zu fixture(s) met their expectations", passed, n);
    if (not_on_real)
        printf("; %zu not run on real Nix (listed above with their reasons)", not_on_real);
    printf("\n");
    free(lines);
    if (n == 0) {
        fprintf(stderr, "%s: check: no fixtures found\n", prog);
        status = LK_EXIT_INPUT;
    }
    globfree(&g);
    free(operands);
    free(root);
    free(build);
    return stop_status(status);
}
