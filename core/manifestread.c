/* manifestread — see manifestread.h. */
#include "manifestread.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *kind_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

int mr_expected(struct reader *r, const char *ptr, const json_t *v, const char *what)
{
    return lk_bad_input(r->err, r->file, ptr, "expected %s, found %s", what, kind_of(v));
}

int mr_missing(struct reader *r, const char *ptr, const char *what)
{
    return lk_bad_input(r->err, r->file, ptr, "missing (expected %s)", what);
}

int mr_string(struct reader *r, json_t *v, const char *ptr, char **out)
{
    if (!json_is_string(v))
        return mr_expected(r, ptr, v, "a string");
    *out = xstrdup(json_string_value(v));
    return 0;
}

int mr_bool(struct reader *r, json_t *v, const char *ptr, bool *out)
{
    if (!json_is_boolean(v))
        return mr_expected(r, ptr, v, "a boolean");
    *out = json_is_true(v);
    return 0;
}

int mr_check_array(struct reader *r, json_t *v, const char *ptr, json_type type, const char *what,
                   const char *item_what)
{
    if (!json_is_array(v))
        return mr_expected(r, ptr, v, what);
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *item = json_array_get(v, i);
        if (json_typeof(item) != type) {
            char *ip = lk_pointer_index(ptr, i);
            mr_expected(r, ip, item, item_what);
            free(ip);
            return -1;
        }
    }
    return 0;
}

int mr_check_string_list(struct reader *r, json_t *v, const char *ptr)
{
    return mr_check_array(r, v, ptr, JSON_STRING, "an array of strings", "a string");
}

int mr_string_list(struct reader *r, json_t *v, const char *ptr, struct string_list *out)
{
    if (mr_check_string_list(r, v, ptr) != 0)
        return -1;
    size_t n = json_array_size(v);
    out->items = xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        out->items[out->n++] = xstrdup(json_string_value(json_array_get(v, i)));
    return 0;
}

/* A store path of a derivation: absolute, base name `<32 [0-9a-z]>-<name>.drv`. */
int mr_drv_path(struct reader *r, json_t *v, const char *ptr, char **out)
{
    if (mr_string(r, v, ptr, out) != 0)
        return -1;
    const char *s = *out;
    const char *base = strrchr(s, '/');
    size_t blen = base ? strlen(base + 1) : 0;
    bool ok = s[0] == '/' && blen > 32 + 1 + 4 && base[1 + 32] == '-' &&
              strcmp(base + 1 + blen - 4, ".drv") == 0;
    for (size_t i = 0; ok && i < 32; i++) {
        char c = base[1 + i];
        ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
    }
    if (!ok) {
        lk_bad_input(r->err, r->file, ptr,
                     "expected a derivation store path (/nix/store/<hash>-<name>.drv), found \"%s\"", s);
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int mr_check_object(struct reader *r, json_t *v, const char *ptr)
{
    return json_is_object(v) ? 0 : mr_expected(r, ptr, v, "an object");
}

int mr_require(struct reader *r, json_t *obj, const char *ptr, const char *key, const char *what)
{
    if (json_object_get(obj, key))
        return 0;
    char *kp = lk_pointer_join(ptr, key);
    mr_missing(r, kp, what);
    free(kp);
    return -1;
}

int mr_check_known_keys(struct reader *r, json_t *obj, const char *ptr,
                            const char *const *known, const char *what)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        bool ok = false;
        for (size_t i = 0; known[i]; i++)
            ok = ok || strcmp(key, known[i]) == 0;
        if (!ok) {
            char *kp = lk_pointer_join(ptr, key);
            lk_bad_input(r->err, r->file, kp, "unknown %s \"%s\"", what, key);
            free(kp);
            return -1;
        }
    }
    return 0;
}

/* One span of the text as a JSON value (NULL: not valid JSON). */
json_t *mr_load_span(const char *text, struct json_span s)
{
    return json_loadb(text + s.off, s.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
}
