/* lazykite.h — the commands of the lazykite program, one file each:
 * lazykite-generate.c, lazykite-upload.c, lazykite-parentmap.c; lazykite.c
 * holds main(), the overview and these shared helpers.
 *
 * Contract: each lkcli_COMMAND() takes the words from the command's name on
 * (argv[0] is "generate", "upload" or "parent-map"), prints its usage on
 * --help, and returns the exit status: 0, 1 (a system failure), 2 (bad
 * input or usage; one line "lazykite: ..." on stderr). */
#ifndef LAZYKITE_CLI_H
#define LAZYKITE_CLI_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

#define PROG "lazykite"

int lkcli_generate(int argc, char **argv);
int lkcli_upload(int argc, char **argv);
int lkcli_parent_map(int argc, char **argv);

/* "lazykite: MESSAGE (see 'HELP')" on stderr; returns LK_EXIT_INPUT. */
int lkcli_usage_error(const char *help, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A command that failed with `err`: its line on stderr, err cleared;
 * returns err's exit status. */
int lkcli_failed(struct lk_error *err);
/* 1131 as "1,131". */
void lkcli_add_count(struct strbuf *sb, size_t n);

#endif
