/* lazykite-sim — the simulation harness (DESIGN §6).
 *
 * Contract: `lazykite-sim <command> [args]` dispatches to one subcommand
 * through the table below; each returns an exit status and reports errors
 * as one line `lazykite-sim: <file>: <place>: <message>` on stderr (exit 2
 * for bad input or usage, 1 for other failures). Subcommands so far:
 *   export-nix FIXTURE -o DIR   write the fixture as a real Nix depot
 *   run, check                  play fixtures (sim/harness/commands.h; the options
 *                               of run are described once, in its -h)
 * New subcommands (run, check) add a function and a table row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "error.h"
#include "harness/commands.h"
#include "nix/exportnix.h"
#include "nix/fixture.h"
#include "version.h"

static const char *const prog = "lazykite-sim";

struct command {
    const char *name;
    const char *usage; /* arguments, for --help */
    const char *summary;
    int (*run)(int argc, char **argv);
};

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see '%s --help')\n", prog);
    return LK_EXIT_INPUT;
}

static int cmd_export_nix(int argc, char **argv)
{
    enum { E_OUTPUT = 1, E_HELP };
    static const struct cliopt options[] = { { "output", 'o', true, E_OUTPUT },
                                             { "help", 'h', false, E_HELP }, CLIOPT_TABLE_END };
    const char *fixture_path = NULL, *out = NULL;
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, options);
    struct lk_error perr = LK_ERROR_INIT;
    const char *val;
    int id;
    while ((id = cliopt_next(&st, &val, &perr)) != CLIOPT_END) {
        switch (id) {
        case E_OUTPUT:
            out = val;
            break;
        case E_HELP:
            printf("usage: %s export-nix FIXTURE -o DIR\n"
                   "Write the fixture as a real Nix depot: DIR/default.nix and DIR/depot.yaml\n"
                   "(DIR is replaced as a whole, atomically; see lazykite's -o for what may be\n"
                   "replaced).\n\n"
                   "  -o, --output DIR  the directory to write\n",
                   prog);
            return 0;
        case CLIOPT_OPERAND:
            if (fixture_path)
                return usage_error("export-nix: unexpected argument '%s'", val);
            fixture_path = val;
            break;
        default: {
            int status = usage_error("export-nix: %s", perr.msg);
            lk_error_clear(&perr);
            return status;
        }
        }
    }
    if (!fixture_path || !out)
        return usage_error("export-nix: %s", "expected FIXTURE -o DIR");
    struct lk_error err = LK_ERROR_INIT;
    struct fixture *f = NULL;
    int status = 0;
    if (fixture_load(fixture_path, &f, &err) < 0 || exportnix_write(f, out, &err) < 0) {
        lk_error_print(&err, prog, stderr);
        status = err.status;
    }
    fixture_free(f);
    lk_error_clear(&err);
    return status;
}

static const struct command commands[] = {
    { "export-nix", "FIXTURE -o DIR", "write FIXTURE as a real Nix depot (default.nix, depot.yaml)",
      cmd_export_nix },
    { "run", "FIXTURE [OPTIONS]",
      "play FIXTURE end to end on the simulated Buildkite and check every invariant", sim_cmd_run },
    { "check", "[FIXTURE...]", "run every fixture (default: fixtures/*.yaml); the regression gate",
      sim_cmd_check },
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void help(FILE *to)
{
    fprintf(to, "usage: %s COMMAND [ARGS]\n"
                "       %s --help | --version\n\n"
                "The lazykite simulation: fake Nix depots (fixtures), a fake Buildkite, and\n"
                "the checks that pipeline generation builds nothing later steps should build.\n\n"
                "Commands:\n",
            prog, prog);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(to, "  %s %s\n      %s\n", commands[i].name, commands[i].usage,
                commands[i].summary);
    fprintf(to, "\n'%s COMMAND --help' describes a command. Exit status: 0 success, 1 failure,\n"
                "2 bad input or usage.\n",
            prog);
}

static int run(int argc, char **argv)
{
    if (argc < 2)
        return help(stderr), LK_EXIT_INPUT;
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        help(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("%s %s\n", prog, LAZYKITE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    return usage_error("unknown command '%s'", argv[1]);
}

int main(int argc, char **argv)
{
    return lk_finish_stdout(prog, run(argc, argv));
}
