/* program — see program.h. */
#include "program.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

int program_find(const char *prog, char **found)
{
    *found = NULL;
    if (strchr(prog, '/')) {
        if (access(prog, X_OK) < 0)
            return errno;
        *found = xstrdup(prog);
        return 0;
    }
    const char *path = getenv("PATH");
    int e = ENOENT;
    for (const char *p = path ? path : "/usr/bin:/bin"; ; p++) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char *candidate = xasprintf("%.*s/%s", (int)n, n ? p : ".", prog);
        struct stat st;
        int ok = access(candidate, X_OK) == 0;
        if (!ok && errno != ENOENT)
            e = errno;
        if (ok && (stat(candidate, &st) < 0 || !S_ISREG(st.st_mode))) { /* a directory */
            ok = 0;
            e = EACCES;
        }
        if (ok) {
            *found = candidate;
            return 0;
        }
        free(candidate);
        if (!end)
            return e;
        p = end;
    }
}
