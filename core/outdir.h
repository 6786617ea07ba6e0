/* outdir — an output directory that is replaced whole, and nothing else is.
 *
 * Contract: outdir_begin() accepts `final` only if it is absent, an empty
 * directory, or a previous output (a directory holding the regular file
 * OUTDIR_MARKER, which every output carries); anything else — a file, a
 * symbolic link, a directory with other content — is refused as bad input
 * and left untouched. An existing `final` is locked (flock, not waiting), so
 * a second run writing the same directory at the same time fails at once
 * with a clear line. A fresh temporary directory `<final>.tmp-XXXXXX` is
 * made beside it, holding the marker; files go in by outdir_path().
 * outdir_commit() swaps it into place in one step (renameat2
 * RENAME_EXCHANGE; where the file system lacks it, two renames, each
 * checked, the old output put back if the second fails) and only then
 * removes the previous output; a `final` that was absent at the start and
 * appeared meanwhile (another run) is never replaced. outdir_abort()
 * removes the temporary directory. While one exists its path is
 * registered: outdir_cleanup_on_signals() makes SIGINT, SIGTERM and SIGHUP
 * remove it before the process dies of the signal; commit blocks them.
 * outdir_check_input() refuses an output at or above an input path.
 * Errors: LK_EXIT_INPUT for an output that must not be written (refused,
 * a name too long, an input), LK_EXIT_FAIL for a conflict with another run
 * and for system failures. */
#ifndef LAZYKITE_OUTDIR_H
#define LAZYKITE_OUTDIR_H

#include <stdbool.h>

#include "error.h"

#define OUTDIR_MARKER ".lazykite-output"

struct outdir {
    char *final;   /* where the directory will be */
    char *tmp;     /* the temporary directory being filled */
    int lock_fd;   /* the locked existing `final`, or -1 */
    bool existed;  /* `final` existed at outdir_begin() */
    int slot;      /* signal-cleanup registration, or -1 */
};
int outdir_begin(struct outdir *od, const char *final, struct lk_error *err);
/* Path of `name` inside the temporary directory; caller frees. */
char *outdir_path(const struct outdir *od, const char *name);
int outdir_commit(struct outdir *od, struct lk_error *err);
void outdir_abort(struct outdir *od);
/* Install the SIGINT/SIGTERM/SIGHUP handlers (for a program's main). */
void outdir_cleanup_on_signals(void);
/* Refuse `final` if the input `path` (named by option `what`) is `final`
 * itself or inside it; an input that does not exist is not checked. */
int outdir_check_input(const char *final, const char *what, const char *path, struct lk_error *err);
/* For tests: behave as on a file system without RENAME_EXCHANGE/NOREPLACE. */
void outdir_test_without_rename_flags(bool off);

#endif
