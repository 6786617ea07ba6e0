/* treesnap — a directory tree as lstat(2) sees it, taken in one process
 * (no helper program), so that the harness can tell cheaply whether a step
 * changed an agent's checkout at all.
 *
 * Contract: tree_snap_take() records every entry below `root`
 * (recursively; symlinks are not followed; `.git` included): its path
 * relative to `root`, file type and permissions, device and inode, size,
 * link count, owner, and modification and change times (ns). The root
 * directory's own status is not recorded (adding or removing an entry
 * changes it, and nothing reads it). Writing to a file, chmod, chown,
 * link, rename or replacing an entry changes what is recorded: at least the
 * change time moves, and no program can set it back.
 * tree_snap_compare() tells whether a later snapshot differs from an
 * earlier one only by new top-level entries that are not directories.
 * Ownership: a snapshot belongs to the caller (tree_snap_free()); the names
 * tree_snap_compare() returns in *added are the caller's (each and the
 * array). */
#ifndef LAZYKITE_SIM_TREESNAP_H
#define LAZYKITE_SIM_TREESNAP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct tree_snap;

/* 0, or -1 with err (a directory that cannot be read, an entry that
 * vanished while being read). */
int tree_snap_take(const char *root, struct tree_snap **out, struct lk_error *err);
void tree_snap_free(struct tree_snap *snap);
size_t tree_snap_count(const struct tree_snap *snap);

/* true iff every entry of `before` is in `after` unchanged and every entry
 * of `after` that `before` lacks is a top-level non-directory; those
 * entries' names go to *added / *n_added (sorted; *added is NULL when
 * there are none). false (and nothing in *added) on any other difference. */
bool tree_snap_compare(const struct tree_snap *before, const struct tree_snap *after, char ***added,
                       size_t *n_added);

#endif
