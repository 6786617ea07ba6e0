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

/* The value `name` has in the ':'-separated list `tunables` (the text after
 * "name=", up to the next ':' or the end), or NULL when it is not there. */
static const char *tunable_value(const char *tunables, const char *name)
{
    size_t n = strlen(name);
    for (const char *t = tunables; t; t = strchr(t, ':')) {
        if (*t == ':')
            t++;
        if (!strncmp(t, name, n) && t[n] == '=')
            return t + n + 1;
    }
    return NULL;
}

char *hugeheap_tunables(const char *current)
{
    if (!current || !*current)
        return xstrdup(HUGEHEAP_TUNABLE "=1");
    if (tunable_value(current, HUGEHEAP_TUNABLE))
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

int hugeheap_on(const char *tunables, enum hugeheap_thp mode)
{
    if (mode == HUGEHEAP_THP_ALWAYS)
        return 1;
    if (mode != HUGEHEAP_THP_MADVISE || !tunables)
        return 0;
    const char *v = tunable_value(tunables, HUGEHEAP_TUNABLE);
    if (!v || *v < '0' || *v > '9')
        return 0; /* unset, or a value glibc ignores */
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    return (*end == ':' || !*end) && n != 0;
}

int hugeheap_active(void)
{
    return hugeheap_on(getenv("GLIBC_TUNABLES"), kernel_thp_mode());
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
