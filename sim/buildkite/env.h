/* env — an ordered set of environment variables (name -> value).
 *
 * Contract: a `struct bk_env` initialised with BK_ENV_INIT owns copies of
 * every name and value; bk_env_release() frees them. Setting an existing
 * name replaces its value in place (the first position is kept). Lookups are
 * exact and case-sensitive. Nothing here fails (allocation aborts). */
#ifndef LAZYKITE_BK_ENV_H
#define LAZYKITE_BK_ENV_H

#include <stddef.h>

struct bk_env {
    size_t n, alloc;
    char **names;
    char **values;
};
#define BK_ENV_INIT { 0, 0, NULL, NULL }

void bk_env_set(struct bk_env *env, const char *name, const char *value);
/* The value, or NULL when `name` is not set (an empty value is set). */
const char *bk_env_get(const struct bk_env *env, const char *name);
/* Set every variable of `src` in `dst` (src wins). */
void bk_env_merge(struct bk_env *dst, const struct bk_env *src);
/* Set every "NAME=VALUE" string of `envp` (NULL-terminated, as `environ`)
 * in `env`; a string without "=" is left out. */
void bk_env_set_envp(struct bk_env *env, char *const *envp);
/* "NAME=VALUE" strings, NULL-terminated; free with strv_free_null()
 * of strbuf.h. */
char **bk_env_to_envp(const struct bk_env *env);
void bk_env_release(struct bk_env *env);

#endif
