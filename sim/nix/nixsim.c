/* nixsim — the simulated Nix: one binary run as nix-store, nix-build or
 * nix-instantiate (by the name it is invoked under, or `nixsim <tool> …`).
 *
 * Contract: the forms below behave as Debian's Nix 2.8 does — stdout,
 * out-link names and targets, exit codes (100 for a failed build, 1 for
 * other errors) and the first line of error output ("error: …") — over the
 * private store of store.h ($NIXSIM_STORE presented as /nix/store, state in
 * $NIXSIM_STATE), with every event in $LAZYKITE_LOG (eventlog.h).
 *   nix-store --realise|-r P[!OUT,…]… [--add-root L [--indirect]]
 *   nix-store -q|--query --outputs|--references|--requisites|-R|--deriver|-d P…
 *   nix-store --check-validity P…      nix-store --delete P…
 *   nix-build [FILE|DIR] -A ATTR | -E EXPR [-A ATTR]
 *             [--out-link|-o L | --no-out-link] [--show-trace]
 *   nix-instantiate --eval --strict --json --read-write-mode FILE --arg depot DIR
 *                   [--argstr targetsAttr ATTR]   (the target manifest, JSON without
 *                                                  a final newline, as Nix prints it)
 *                   [--arg shard I --arg shards N] (shard I of N: the targets whose
 *                                                  index is I modulo N, and before
 *                                                  them the `trace: lazykite-shard …`
 *                                                  line, as core/nix/manifest.nix)
 *   nix-instantiate [FILE|DIR] -A ATTR | -E EXPR  (prints the .drv path, `!OUT`
 *                                                  appended when OUT is not out)
 *   nix-instantiate --eval -E null                 (opens the store, prints null)
 * Evaluation writes the `.drv` files of the closure (an `instantiate` event
 * for each one that was not yet valid) and builds a derivation's declared
 * IFD first (events with cause "ifd while evaluating <key>"). The manifest
 * call instantiates what the manifest names: every target, extra-step
 * command and parentOverride, with their closures (a shard's: only its
 * targets').
 * A depot is a directory with depot.yaml (sim/nix/depot.h); `import ./. {}`
 * is the depot of the current directory. `--option NAME VALUE` is accepted
 * and ignored everywhere. Unknown options are rejected (exit 1).
 * This file: main and the helpers the tools share (nixsimint.h). */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "eventlog.h"
#include "nix/depot.h"
#include "nix/nixexpr.h"
#include "nix/nixsimint.h"
#include "nix/realise.h"
#include "nix/store.h"
#include "strbuf.h"
#include "version.h"
#include "xalloc.h"

static void print_error(const struct lk_error *err)
{
    char *line = lk_error_format(err);
    fprintf(stderr, "error: %s\n", line);
    free(line);
}

int nsim_usage_error(struct lk_error *err, const char *fmt, const char *arg)
{
    return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, fmt, arg);
}

void nsim_gc_warning(void)
{
    static int warned;
    if (!warned)
        fprintf(stderr,
                "warning: you did not specify '--add-root'; the result might be removed by "
                "the garbage collector\n");
    warned = 1;
}

int main(int argc, char **argv)
{
    char *copy = xstrdup(argv[0]);
    const char *tool = basename(copy);
    if (!strcmp(tool, "nixsim") && argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "--version")) {
        argv++;
        argc--;
        tool = argv[0];
    }
    /* --help and --version first, as every lazykite program (Nix's own
     * --help opens a manual page; nixsim's says what it is and names its
     * page, nixsim(1)). */
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "--version"))) {
        if (!strcmp(argv[1], "--version"))
            printf("%s (nixsim, lazykite %s; the forms of Nix 2.8 that a pipeline uses)\n", tool,
                   LAZYKITE_VERSION);
        else
            printf("usage: nix-store|nix-build|nix-instantiate ARGS... (or nixsim TOOL ARGS...)\n"
                   "The simulated Nix of lazykite-sim. nixsim(1) lists the forms each tool\n"
                   "implements and says how to run them outside the harness.\n");
        int status = lk_finish_stdout(tool, 0);
        free(copy);
        return status;
    }
    struct lk_error err = LK_ERROR_INIT;
    int rc;
    if (!strcmp(tool, "nix-store"))
        rc = nsim_store_main(argc, argv, &err);
    else if (!strcmp(tool, "nix-build"))
        rc = nsim_build_main(argc, argv, &err);
    else if (!strcmp(tool, "nix-instantiate"))
        rc = nsim_instantiate_main(argc, argv, &err);
    else
        rc = lk_fail(&err, LK_EXIT_FAIL, NULL, NULL,
                     "nixsim: run as nix-store, nix-build or nix-instantiate (or `nixsim <tool> "
                     "ARGS…`), not as '%s'",
                     tool);
    eventlog_close();
    int status = 0;
    if (rc != 0) {
        print_error(&err);
        status = err.status;
        lk_error_clear(&err);
    }
    status = lk_finish_stdout(tool, status);
    free(copy);
    return status;
}
