/* lazykite — the pipeline generator's program: `lazykite generate …`,
 * `lazykite upload …` and `lazykite parent-map …`, each in a file of its
 * own (lazykite.h); here main(), the overview (`lazykite --help`) and the
 * helpers the commands share. Options follow cliopt.h. Exit 0 on
 * success; 2 on bad input or bad usage (one line `lazykite: …` on stderr,
 * nothing written or uploaded); 1 on a system failure, a write error on
 * stdout included. `--help` and `--version` print to stdout and exit 0. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "lazykite.h"
#include "version.h"

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

int lkcli_usage_error(const char *help, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see '%s')\n", help);
    va_end(ap);
    return LK_EXIT_INPUT;
}

int lkcli_failed(struct lk_error *err)
{
    lk_error_print(err, PROG, stderr);
    int status = err->status;
    lk_error_clear(err);
    return status;
}

void lkcli_add_count(struct strbuf *sb, size_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", n);
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            sb_addc(sb, ',');
        sb_addc(sb, digits[i]);
    }
}

static int run(int argc, char **argv)
{
    if (argc < 2)
        return lkcli_usage_error(PROG " --help", "%s", "missing command ('generate', 'upload' or 'parent-map')");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(overview_text, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        puts(PROG " " LAZYKITE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "upload"))
        return lkcli_upload(argc - 1, argv + 1);
    if (!strcmp(argv[1], "parent-map"))
        return lkcli_parent_map(argc - 1, argv + 1);
    if (!strcmp(argv[1], "generate"))
        return lkcli_generate(argc - 1, argv + 1);
    return lkcli_usage_error(PROG " --help", "unknown command '%s'", argv[1]);
}

int main(int argc, char **argv)
{
    return lk_finish_stdout(PROG, run(argc, argv));
}
