/* progress — what `lazykite-sim run` prints while the build runs: a row
 * per step as it ends (label, outcome, agent, seconds, the derivations it
 * built: the same columns as the final table), and on a terminal one
 * status line kept at the bottom (steps done, running, waiting, seconds
 * since the start), redrawn as steps start and end and erased at the end.
 * Output that is not a terminal gets the rows only, plain text.
 *
 * Contract: progress_new() takes the stream (borrowed) and whether it is a
 * terminal; progress_row() prints one row (the header before the first);
 * progress_status() redraws the status line (terminal only);
 * progress_done() erases it. Rows are formatted by progress_format_row(),
 * which the final table (report.c) uses too, so both look alike. */
#ifndef LAZYKITE_SIM_PROGRESS_H
#define LAZYKITE_SIM_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "buildkite/outcome.h"

struct progress {
    FILE *to;
    bool tty, header_done, status_shown;
    double t0;
};

void progress_init(struct progress *p, FILE *to, bool tty);
/* A row: `in_group` indents it; seconds < 0 shows "-"; what the step
 * asked for that is not simulated (n may be 0) on a line of its own below. */
void progress_format_row(FILE *to, const char *name, bool in_group, enum bk_outcome outcome,
                         const char *agent, double seconds, const char *built, char *const *not_simulated,
                         size_t n_not_simulated);
void progress_header(FILE *to);
void progress_row(struct progress *p, const char *name, bool in_group, enum bk_outcome outcome,
                  const char *agent, double seconds, const char *built, char *const *not_simulated,
                  size_t n_not_simulated);
void progress_status(struct progress *p, size_t done, size_t running, size_t waiting);
void progress_done(struct progress *p);

#endif
