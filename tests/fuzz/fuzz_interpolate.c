/* libFuzzer target: Buildkite upload interpolation on any bytes. Checks:
 * no crash/leak; an error leaves no output; a text without "$" and "\" is
 * returned unchanged when it is valid UTF-8 (no expansion can happen). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/interpolate.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = xstrndup((const char *)data, size);
    struct bk_env env = BK_ENV_INIT;
    bk_env_set(&env, "A", "value");
    bk_env_set(&env, "EMPTY", "");
    bk_env_set(&env, "BUILDKITE_BRANCH", "refs/heads/canon");
    struct lk_error err = LK_ERROR_INIT;
    char *out = NULL;
    int rc = bk_interpolate(&env, in, &out, &err);
    if (rc < 0) {
        if (out || err.status != LK_EXIT_INPUT || !err.msg)
            abort();
    } else {
        bool plain = !strchr(in, '$') && !strchr(in, '\\');
        for (const unsigned char *p = (const unsigned char *)in; plain && *p; p++)
            if (*p >= 0x80)
                plain = false;
        if (plain && strcmp(in, out) != 0)
            abort();
    }
    free(out);
    lk_error_clear(&err);
    bk_env_release(&env);
    free(in);
    return 0;
}
