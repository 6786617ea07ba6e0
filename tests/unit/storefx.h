/* storefx — a fresh private nixsim store for the unit suites: `store/` and
 * `state/` under a new temporary directory `/tmp/<prefix>-XXXXXX`, opened
 * with store_open(); storefx_close() closes the store and removes it all.
 * *dir is allocated here and freed by storefx_close(). */
#ifndef LAZYKITE_TEST_STOREFX_H
#define LAZYKITE_TEST_STOREFX_H

#include <stdlib.h>

#include "error.h"
#include "fileio.h"
#include "nix/store.h"
#include "xalloc.h"

static int storefx_open(const char *prefix, char **dir, struct store *s)
{
    *dir = xasprintf("/tmp/%s-XXXXXX", prefix);
    if (!mkdtemp(*dir))
        return -1;
    char *sd = xasprintf("%s/store", *dir), *st = xasprintf("%s/state", *dir);
    struct lk_error err = LK_ERROR_INIT;
    int rc = store_open(s, sd, st, &err);
    lk_error_clear(&err);
    free(sd);
    free(st);
    return rc;
}

static void storefx_close(char *dir, struct store *s)
{
    store_close(s);
    file_remove_tree(dir);
    free(dir);
}

#endif
