/* cliopt — the command-line option parser of every lazykite program.
 *
 * Contract: a command's options are a table of `struct cliopt`;
 * cliopt_next() hands back the words after the command one at a time, in
 * order, as options (their id and value) or operands. The rules, the same
 * for `lazykite` and `lazykite-sim`:
 *   - a long option is `--name` spelled in full (a prefix is unknown, so a
 *     later option can never change what an old command line means); its
 *     value is `--name=VALUE` or the next word;
 *   - a short option is `-x`; its value `-xVALUE` or the next word;
 *   - a flag given a value (`--flag=x`) is an error, as is an option whose
 *     value is missing;
 *   - `--` ends the options: every later word is an operand, as is `-`;
 *   - options and operands may come in any order.
 * cliopt_next() returns the option's id (> 0, *value its value or NULL),
 * CLIOPT_OPERAND (*value the word), CLIOPT_END, or CLIOPT_ERROR with a
 * message (the offending word quoted) in `err`, status LK_EXIT_INPUT.
 * Which options exclude each other, and what a value must be, is the
 * caller's business. */
#ifndef LAZYKITE_CLIOPT_H
#define LAZYKITE_CLIOPT_H

#include <stdbool.h>

#include "error.h"

struct cliopt {
    const char *name;  /* long name without "--", or NULL */
    char short_name;   /* 0: none */
    bool takes_value;
    int id;            /* > 0 */
};
#define CLIOPT_TABLE_END { NULL, 0, false, 0 }

struct cliopt_state {
    int argc;
    char **argv;
    int next;          /* index of the next word */
    bool operands_only; /* after `--` */
    const struct cliopt *opts;
};
enum { CLIOPT_END = -1, CLIOPT_ERROR = -2, CLIOPT_OPERAND = 0 };

/* argv[0] (the command's name) is skipped. */
void cliopt_init(struct cliopt_state *st, int argc, char **argv, const struct cliopt *opts);
int cliopt_next(struct cliopt_state *st, const char **value, struct lk_error *err);
/* For an option of two values (`--arg NAME EXPR`): the word after the one
 * cliopt_next() gave; -1 with "option '--NAME' needs two values" when
 * there is none. */
int cliopt_second_value(struct cliopt_state *st, const char *name, const char **value,
                        struct lk_error *err);

#endif
