/* bkinterp — upload interpolation over a loaded pipeline tree, the top-level
 * env block first, as current buildkite-agent versions do (go-pipeline). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkloader.h"
#include "buildkite/interpolate.h"
#include "xalloc.h"

/* `v` interpolated: a new reference. What interpolation leaves alone (a
 * string without "$", a collection of such) is `v` itself, shared; a
 * string or collection that only this tree holds (not `shared`: not under
 * a node that a YAML alias or merge reached twice) is changed in place;
 * anything else is copied. So a large pipeline is neither copied nor
 * interpolated twice. On failure the tree may be changed in part. */
static json_t *interp_tree(struct bk_loader *L, const struct bk_env *env, json_t *v, const char *ptr, bool shared)
{
    struct lk_error ierr = LK_ERROR_INIT;
    shared = shared || v->refcount > 1;
    if (json_is_string(v)) {
        if (!memchr(json_string_value(v), '$', json_string_length(v)))
            return json_incref(v);
        char *out;
        if (bk_interpolate(env, json_string_value(v), &out, &ierr) < 0) {
            bk_bad(L, ptr, "interpolation failed: %s", ierr.msg);
            lk_error_clear(&ierr);
            return NULL;
        }
        json_t *s = NULL;
        if (!shared && json_string_set(v, out) == 0)
            s = json_incref(v);
        else if (shared)
            s = json_string(out);
        free(out);
        if (!s)
            bk_bad(L, ptr, "interpolation produced invalid UTF-8");
        return s;
    }
    char buf[256], *heap;
    if (json_is_array(v)) {
        size_t n = json_array_size(v), i;
        json_t **got = shared ? xcalloc(n + 1, sizeof(*got)) : NULL;
        bool changed = false;
        for (i = 0; i < n; i++) {
            json_t *e = json_array_get(v, i), *r;
            if (json_is_string(e) && !strchr(json_string_value(e), '$')) {
                r = json_incref(e);
            } else {
                char idx[24];
                snprintf(idx, sizeof idx, "%zu", i);
                const char *cp = lk_pointer_join_buf(buf, sizeof buf, ptr, idx, &heap);
                r = interp_tree(L, env, e, cp, shared);
                free(heap);
            }
            if (!r)
                break;
            if (!shared) {
                if (r != e)
                    json_array_set_new(v, i, r);
                else
                    json_decref(r);
                continue;
            }
            got[i] = r;
            changed |= r != e;
        }
        if (!shared)
            return i == n ? json_incref(v) : NULL;
        json_t *r = i < n ? NULL : changed ? json_array() : json_incref(v);
        for (size_t k = 0; k < i; k++) {
            if (r && changed)
                json_array_append(r, got[k]);
            json_decref(got[k]);
        }
        free(got);
        return r;
    }
    if (json_is_object(v)) {
        size_t n = json_object_size(v), i = 0;
        const char *k;
        json_t *e;
        bool key_changes = false;
        json_object_foreach(v, k, e)
            key_changes |= strchr(k, '$') != NULL;
        bool in_place = !shared && !key_changes; /* (a new key: a new object, in order) */
        json_t **got = in_place ? NULL : xcalloc(n + 1, sizeof(*got));
        char **keys = in_place ? NULL : xcalloc(n + 1, sizeof(*keys));
        bool changed = false, failed = false;
        json_object_foreach(v, k, e) {
            if (!in_place && strchr(k, '$')) {
                char *cp = lk_pointer_join(ptr, k);
                if (bk_interpolate(env, k, &keys[i], &ierr) < 0) {
                    bk_bad(L, cp, "interpolation of the key failed: %s", ierr.msg);
                    lk_error_clear(&ierr);
                    failed = true;
                }
                free(cp);
                if (failed)
                    break;
                changed |= strcmp(keys[i], k) != 0;
            }
            json_t *r;
            if (json_is_string(e) && !strchr(json_string_value(e), '$')) {
                r = json_incref(e);
            } else {
                const char *cp = lk_pointer_join_buf(buf, sizeof buf, ptr, k, &heap);
                r = interp_tree(L, env, e, cp, !in_place);
                free(heap);
            }
            if (!r) {
                failed = true;
                if (keys)
                    free(keys[i]);
                break;
            }
            if (in_place) {
                if (r != e)
                    json_object_set_new(v, k, r); /* (replacing a value keeps the iteration) */
                else
                    json_decref(r);
                continue;
            }
            got[i] = r;
            changed |= r != e;
            i++;
        }
        if (in_place)
            return failed ? NULL : json_incref(v);
        json_t *r = failed ? NULL : changed ? json_object() : json_incref(v);
        size_t j = 0;
        json_object_foreach(v, k, e) {
            if (j == i)
                break;
            if (r && changed)
                json_object_set(r, keys[j] ? keys[j] : k, got[j]);
            json_decref(got[j]);
            free(keys[j]);
            j++;
        }
        free(got);
        free(keys);
        return r;
    }
    return json_incref(v);
}

/* The env block's results join the environment unless it already has the
 * name; then everything else is interpolated over that environment (in
 * place when the caller holds the only reference to `root`). */
json_t *bk_interpolate_document(struct bk_loader *L, json_t *root, const struct bk_env *env)
{
    struct bk_env ienv = BK_ENV_INIT;
    json_t *out = NULL;
    bk_env_merge(&ienv, env);
    json_t *penv = json_is_object(root) ? json_object_get(root, "env") : NULL;
    json_t *newenv = NULL;
    const char *k;
    json_t *x;
    if (json_is_object(penv)) {
        newenv = json_object();
        json_object_foreach(penv, k, x) {
            char *cp = lk_pointer_join("/env", k);
            char *nk = NULL, *nv = NULL;
            struct lk_error ierr = LK_ERROR_INIT;
            int rc = bk_interpolate(&ienv, k, &nk, &ierr);
            json_t *nx = rc == 0 ? interp_tree(L, &ienv, x, cp, true) : NULL;
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
    }
    bool keys_change = false;
    json_object_foreach(root, k, x)
        keys_change |= strcmp(k, "env") && strchr(k, '$');
    if (json_is_object(root) && root->refcount == 1 && !keys_change) {
        json_object_foreach(root, k, x) {
            if (!strcmp(k, "env"))
                continue;
            char *cp = lk_pointer_join("", k);
            json_t *r = interp_tree(L, &ienv, x, cp, false);
            free(cp);
            if (!r) {
                json_decref(newenv);
                goto done;
            }
            if (r != x)
                json_object_set_new(root, k, r);
            else
                json_decref(r);
        }
        if (newenv)
            json_object_set_new(root, "env", newenv);
        out = json_incref(root);
    } else if (json_is_object(root)) {
        json_t *rest = json_object();
        json_object_foreach(root, k, x) {
            if (strcmp(k, "env"))
                json_object_set(rest, k, x);
        }
        out = interp_tree(L, &ienv, rest, "", true);
        json_decref(rest);
        if (out && newenv)
            json_object_set_new(out, "env", newenv);
        else
            json_decref(newenv);
    } else {
        out = interp_tree(L, &ienv, root, "", root->refcount > 1);
    }
done:
    bk_env_release(&ienv);
    return out;
}
