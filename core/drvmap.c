/* drvmap — the parent target map (drvmap.json: label -> {drvPath,
 * attrPath}) read whole (parent_map_parse, _load) or checked entry by
 * entry without holding it (parent_map_check); see manifest.h. */
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "jsonscan.h"
#include "manifest.h"
#include "manifestread.h"
#include "strindex.h"
#include "xalloc.h"

static int read_parent_entry(struct reader *r, json_t *v, const char *ptr, json_t *drvs,
                             const char *label)
{
    if (mr_check_object(r, v, ptr) != 0)
        return -1;
    json_t *drv = json_object_get(v, "drvPath");
    char *dp = lk_pointer_join(ptr, "drvPath");
    int rc = 0;
    if (!drv)
        rc = mr_missing(r, dp, "a string");
    else if (!json_is_string(drv))
        rc = mr_expected(r, dp, drv, "a string");
    free(dp);
    if (rc != 0)
        return -1;
    json_t *attr = json_object_get(v, "attrPath");
    if (attr) {
        struct string_list l = { NULL, 0 };
        char *ap = lk_pointer_join(ptr, "attrPath");
        rc = mr_string_list(r, attr, ap, &l);
        free(ap);
        string_list_free(&l);
        if (rc != 0)
            return -1;
    }
    if (drvs)
        json_object_set(drvs, label, drv);
    return 0;
}

int parent_map_parse(const char *text, size_t len, const char *file, struct parent_map *pm,
                     struct lk_error *err)
{
    pm->drvs = NULL;
    json_t *root;
    if (manifest_json_text(text, len, file, &root, err) != 0)
        return -1;
    struct reader r = { file, err };
    json_t *drvs = json_object();
    int rc = mr_check_object(&r, root, "");
    const char *key;
    json_t *val;
    if (rc == 0) {
        json_object_foreach(root, key, val) {
            char *ep = lk_pointer_join("", key);
            rc = read_parent_entry(&r, val, ep, drvs, key);
            free(ep);
            if (rc != 0)
                break;
        }
    }
    json_decref(root);
    if (rc != 0) {
        json_decref(drvs);
        return -1;
    }
    pm->drvs = drvs;
    return 0;
}

int parent_map_check(const char *text, size_t len, const char *file, size_t *n_labels, struct lk_error *err)
{
    struct json_member_span *members;
    size_t n;
    *n_labels = 0;
    int rc = 1;
    if (jsonscan_object(text, len, &members, &n) == 0) {
        struct strindex seen = STRINDEX_INIT;
        json_t **keys = xcalloc(n ? n : 1, sizeof(*keys));
        struct reader r = { file, err };
        rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            keys[i] = mr_load_span(text, members[i].key);
            const char *key = json_string_value(keys[i]);
            if (!key || strindex_get(&seen, key) != STRINDEX_NONE) {
                rc = 1; /* a duplicate label: jansson rejects it */
                break;
            }
            strindex_put(&seen, key, i);
            json_t *v = mr_load_span(text, members[i].value);
            if (!v) {
                rc = 1;
            } else {
                char *ep = lk_pointer_join("", key);
                rc = read_parent_entry(&r, v, ep, NULL, key);
                free(ep);
                json_decref(v);
            }
        }
        for (size_t i = 0; i < n; i++)
            json_decref(keys[i]);
        free(keys);
        free(members);
        strindex_release(&seen);
        if (rc == 0)
            *n_labels = n;
    }
    if (rc != 0) { /* not valid JSON, or a bad entry: the whole reading's own error, which
                      * also puts malformed JSON anywhere before a bad entry */
        lk_error_clear(err);
        struct parent_map pm = { NULL };
        rc = parent_map_parse(text, len, file, &pm, err);
        if (rc == 0)
            *n_labels = json_object_size(pm.drvs);
        parent_map_free(&pm);
    }
    return rc;
}

int parent_map_load(const char *path, struct parent_map *pm, struct lk_error *err)
{
    char *text;
    size_t len;
    pm->drvs = NULL;
    if (file_read(path, &text, &len, err) != 0)
        return -1;
    int rc = parent_map_parse(text, len, path, pm, err);
    free(text);
    return rc;
}

const char *parent_map_drv(const struct parent_map *pm, const char *label)
{
    if (!pm || !pm->drvs)
        return NULL;
    return json_string_value(json_object_get(pm->drvs, label));
}

void parent_map_free(struct parent_map *pm)
{
    json_decref(pm->drvs);
    pm->drvs = NULL;
}
