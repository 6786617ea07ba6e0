/* hugeheap — see hugeheap.h. */
#include "hugeheap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "xalloc.h"

#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

/* Does the ':'-separated list `tunables` name `name` (as "name=value")? */
static int names_tunable(const char *tunables, const char *name)
{
    size_t n = strlen(name);
    for (const char *t = tunables; t; t = strchr(t, ':')) {
        if (*t == ':')
            t++;
        if (!strncmp(t, name, n) && t[n] == '=')
            return 1;
    }
    return 0;
}

char *hugeheap_tunables(const char *current)
{
    if (!current || !*current)
        return xstrdup(HUGEHEAP_TUNABLE "=1");
    if (names_tunable(current, HUGEHEAP_TUNABLE))
        return NULL;
    return xasprintf("%s:" HUGEHEAP_TUNABLE "=1", current);
}

enum hugeheap_thp hugeheap_thp_mode(const char *text)
{
    static const struct {
        const char *word;
        enum hugeheap_thp mode;
    } modes[] = { { "[always]", HUGEHEAP_THP_ALWAYS },
                  { "[madvise]", HUGEHEAP_THP_MADVISE },
                  { "[never]", HUGEHEAP_THP_NEVER } };
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        const char *at = strstr(text, modes[i].word);
        size_t n = strlen(modes[i].word);
        /* a whole word: at the start or after a space, then a space or the end */
        if (at && (at == text || at[-1] == ' ') && (!at[n] || strchr(" \n", at[n])))
            return modes[i].mode;
    }
    return HUGEHEAP_THP_UNKNOWN;
}

static enum hugeheap_thp kernel_thp_mode(void)
{
    char *text;
    size_t len;
    struct lk_error ignore = LK_ERROR_INIT;
    if (read_file(THP_ENABLED, &text, &len, &ignore) != 0) {
        lk_error_clear(&ignore);
        return HUGEHEAP_THP_UNKNOWN;
    }
    enum hugeheap_thp mode = hugeheap_thp_mode(text);
    free(text);
    return mode;
}

void hugeheap_restart(char *const argv[], size_t heap_bytes)
{
    if (heap_bytes < HUGEHEAP_MIN_BYTES)
        return;
    const char *current = getenv("GLIBC_TUNABLES");
    char *tunables = hugeheap_tunables(current);
    if (!tunables)
        return;
    if (kernel_thp_mode() != HUGEHEAP_THP_MADVISE) {
        free(tunables);
        return;
    }
    char *saved = current ? xstrdup(current) : NULL;
    fflush(stdout);
    fflush(stderr);
    if (setenv("GLIBC_TUNABLES", tunables, 1) == 0) {
        execv("/proc/self/exe", argv);
        /* not restarted: go on as before */
        if (saved)
            setenv("GLIBC_TUNABLES", saved, 1);
        else
            unsetenv("GLIBC_TUNABLES");
    }
    free(saved);
    free(tunables);
}
