/* env — see env.h. */
#include "buildkite/env.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void bk_env_set(struct bk_env *env, const char *name, const char *value)
{
    for (size_t i = 0; i < env->n; i++) {
        if (strcmp(env->names[i], name) == 0) {
            free(env->values[i]);
            env->values[i] = xstrdup(value);
            return;
        }
    }
    size_t alloc = env->alloc;
    XGROW(env->names, alloc, env->n + 1);
    XGROW(env->values, env->alloc, env->n + 1);
    env->names[env->n] = xstrdup(name);
    env->values[env->n] = xstrdup(value);
    env->n++;
}

const char *bk_env_get(const struct bk_env *env, const char *name)
{
    if (!env)
        return NULL;
    for (size_t i = 0; i < env->n; i++)
        if (strcmp(env->names[i], name) == 0)
            return env->values[i];
    return NULL;
}

void bk_env_merge(struct bk_env *dst, const struct bk_env *src)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->n; i++)
        bk_env_set(dst, src->names[i], src->values[i]);
}

void bk_env_set_envp(struct bk_env *env, char *const *envp)
{
    for (; envp && *envp; envp++) {
        const char *eq = strchr(*envp, '=');
        if (!eq)
            continue;
        char *name = xstrndup(*envp, (size_t)(eq - *envp));
        bk_env_set(env, name, eq + 1);
        free(name);
    }
}

char **bk_env_to_envp(const struct bk_env *env)
{
    char **envp = xcalloc(env->n + 1, sizeof(*envp));
    for (size_t i = 0; i < env->n; i++)
        envp[i] = xasprintf("%s=%s", env->names[i], env->values[i]);
    return envp;
}

void bk_env_release(struct bk_env *env)
{
    for (size_t i = 0; i < env->n; i++) {
        free(env->names[i]);
        free(env->values[i]);
    }
    free(env->names);
    free(env->values);
    env->names = env->values = NULL;
    env->n = env->alloc = 0;
}
