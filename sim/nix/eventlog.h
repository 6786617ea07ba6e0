/* eventlog — the realisation log: one JSON line per store event.
 *
 * Contract: eventlog_write() appends one line (a compact JSON object and a
 * newline) to the file named by $LAZYKITE_LOG, and does nothing when that
 * variable is unset or empty. The file is opened with O_APPEND and each line
 * goes out in ONE write(2), so lines from concurrent processes never
 * interleave. Fields, in this order:
 *   "event"   instantiate | build | valid | fail | root | delete
 *   "drv"     the /nix/store/…drv path, or null
 *   "outputs" {"<name>": "/nix/store/…"} (empty object when none)
 *   "phase"   $LAZYKITE_PHASE or null;  "step"  $LAZYKITE_STEP or null
 *   "cause"   why it happened (e.g. "ifd while evaluating web/site") or null
 *   "pid"     the writing process; "time" unix seconds (a real with
 *             microseconds: "<seconds>.<6 digits>")
 *   "root"    the link path (root events only)
 *   "path"    the deleted path (delete events) or the rooted path (root events)
 * The file stays open between calls (reopened if $LAZYKITE_LOG changes);
 * eventlog_close() writes what is held and closes it.
 * Holding: after eventlog_hold(), lines are kept in memory and written by
 * eventlog_flush() (or when 1 MiB is held, or at eventlog_close()), several
 * whole lines per write(2) — still never a partial line, so concurrent
 * writers still never interleave within a line. A process that makes many
 * events in a row (instantiating thousands of derivations) holds them.
 * Errors (the log cannot be opened or written): -1 and `err` names the file.
 * The event struct is borrowed; nothing is retained. */
#ifndef LAZYKITE_EVENTLOG_H
#define LAZYKITE_EVENTLOG_H

#include <stddef.h>

#include "error.h"

struct eventlog_event {
    const char *event;              /* required */
    const char *drv;                /* may be NULL */
    const char *const *out_names;   /* n_outputs names ... */
    const char *const *out_paths;   /* ... and their store paths */
    size_t n_outputs;
    const char *cause;              /* may be NULL */
    const char *root;               /* root events: the link path */
    const char *path;               /* delete: the deleted path; root: the rooted path */
};

int eventlog_write(const struct eventlog_event *ev, struct lk_error *err);
/* Every error message about the log contains this text: a command that
 * could not write its line prints it in its one "error: " line, by which
 * the harness tells that a step's log is incomplete. */
#define EVENTLOG_ERROR_TEXT "the realisation log"
/* Keep the lines of the following eventlog_write() calls until
 * eventlog_flush(). */
void eventlog_hold(void);
/* Write the held lines and stop holding. Errors as eventlog_write(). */
int eventlog_flush(struct lk_error *err);
void eventlog_close(void);

/* The line eventlog_write() would write (with its newline), without writing
 * it; the caller frees. Exposed for tests, for tools that write the same
 * lines elsewhere, and for writers that format many lines at once on
 * several threads. */
char *eventlog_format(const struct eventlog_event *ev);
/* Whether $LAZYKITE_LOG names a log (else every write does nothing). */
int eventlog_active(void);
/* Write whole lines made by eventlog_format() (`len` bytes), as
 * eventlog_write() writes its line: held, or in one write(2). */
int eventlog_write_lines(const char *text, size_t len, struct lk_error *err);

#endif
