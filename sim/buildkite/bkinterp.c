/* bkinterp — upload interpolation over a loaded pipeline tree, the top-level
 * env block first, as current buildkite-agent versions do (go-pipeline). */
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkloader.h"
#include "buildkite/interpolate.h"

static json_t *interp_tree(struct bk_loader *L, const struct bk_env *env, json_t *v, const char *ptr)
{
    struct lk_error ierr = LK_ERROR_INIT;
    if (json_is_string(v)) {
        char *out;
        if (bk_interpolate(env, json_string_value(v), &out, &ierr) < 0) {
            bk_bad(L, ptr, "interpolation failed: %s", ierr.msg);
            lk_error_clear(&ierr);
            return NULL;
        }
        json_t *s = json_string(out);
        free(out);
        if (!s)
            bk_bad(L, ptr, "interpolation produced invalid UTF-8");
        return s;
    }
    if (json_is_array(v)) {
        json_t *arr = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            char *cp = lk_pointer_index(ptr, i);
            json_t *n = interp_tree(L, env, e, cp);
            free(cp);
            if (!n) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, n);
        }
        return arr;
    }
    if (json_is_object(v)) {
        json_t *obj = json_object();
        const char *k;
        json_t *e;
        json_object_foreach(v, k, e) {
            char *cp = lk_pointer_join(ptr, k);
            char *nk;
            if (bk_interpolate(env, k, &nk, &ierr) < 0) {
                bk_bad(L, cp, "interpolation of the key failed: %s", ierr.msg);
                lk_error_clear(&ierr);
                free(cp);
                json_decref(obj);
                return NULL;
            }
            json_t *n = interp_tree(L, env, e, cp);
            free(cp);
            if (!n) {
                free(nk);
                json_decref(obj);
                return NULL;
            }
            json_object_set_new(obj, nk, n);
            free(nk);
        }
        return obj;
    }
    return json_incref(v);
}

/* The env block's results join the environment unless it already has the
 * name; then everything else is interpolated over that environment. */
json_t *bk_interpolate_document(struct bk_loader *L, json_t *root, const struct bk_env *env)
{
    struct bk_env ienv = BK_ENV_INIT;
    json_t *out = NULL;
    bk_env_merge(&ienv, env);
    json_t *penv = json_is_object(root) ? json_object_get(root, "env") : NULL;
    if (json_is_object(penv)) {
        const char *k;
        json_t *x;
        json_t *newenv = json_object();
        json_object_foreach(penv, k, x) {
            char *cp = lk_pointer_join("/env", k);
            char *nk = NULL, *nv = NULL;
            struct lk_error ierr = LK_ERROR_INIT;
            int rc = bk_interpolate(&ienv, k, &nk, &ierr);
            json_t *nx = rc == 0 ? interp_tree(L, &ienv, x, cp) : NULL;
            if (rc < 0) {
                bk_bad(L, cp, "interpolation of the key failed: %s", ierr.msg);
                lk_error_clear(&ierr);
            }
            free(cp);
            if (!nx) {
                free(nk);
                json_decref(newenv);
                goto done;
            }
            if (bk_scalar_to_string(nx, &nv) == 0) {
                if (!bk_env_get(&ienv, nk))
                    bk_env_set(&ienv, nk, nv);
                free(nv);
            }
            json_object_set_new(newenv, nk, nx);
            free(nk);
        }
        json_t *rest = json_object();
        json_object_foreach(root, k, x) {
            if (strcmp(k, "env"))
                json_object_set(rest, k, x);
        }
        out = interp_tree(L, &ienv, rest, "");
        json_decref(rest);
        if (!out) {
            json_decref(newenv);
            goto done;
        }
        json_object_set_new(out, "env", newenv);
    } else {
        out = interp_tree(L, &ienv, root, "");
    }
done:
    bk_env_release(&ienv);
    return out;
}
