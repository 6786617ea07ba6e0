/* chunks — see chunks.h. */
#include "chunks.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "xalloc.h"

void chunk_list_make(const struct pipeline *p, struct chunk_list *out)
{
    size_t alloc = 0;
    out->items = NULL;
    out->n = 0;
    for (size_t i = 0; i < p->n_phases; i++) {
        json_t *steps = p->phases[i].steps;
        size_t n = json_array_size(steps);
        for (size_t start = 0, id = 1; start < n; start += CHUNK_MAX_STEPS, id++) {
            json_t *part = json_array();
            for (size_t k = start; k < n && k < start + CHUNK_MAX_STEPS; k++)
                json_array_append(part, json_array_get(steps, k));
            json_t *doc = json_object();
            json_object_set_new(doc, "steps", part);
            XGROW(out->items, alloc, out->n + 1);
            out->items[out->n].file_name = xasprintf("%s-chunk-%zu.json", p->phases[i].name, id);
            out->items[out->n].doc = doc;
            out->n++;
        }
    }
}

void chunk_list_free(struct chunk_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].file_name);
        json_decref(l->items[i].doc);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

char *json_dump_sorted(const json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        abort(); /* only on allocation failure */
    char *out = xasprintf("%s\n", text);
    free(text);
    return out;
}

static int write_json(const struct outdir *od, const char *name, const json_t *v,
                      struct lk_error *err)
{
    char *path = outdir_path(od, name);
    char *text = json_dump_sorted(v);
    int rc = write_file_atomic(path, text, strlen(text), err);
    free(text);
    free(path);
    return rc;
}

int pipeline_write(const struct pipeline *p, const char *out_dir, struct lk_error *err)
{
    struct outdir od;
    if (outdir_begin(&od, out_dir, err) != 0)
        return -1;
    struct chunk_list chunks;
    chunk_list_make(p, &chunks);
    int rc = 0;
    for (size_t i = 0; i < chunks.n && rc == 0; i++)
        rc = write_json(&od, chunks.items[i].file_name, chunks.items[i].doc, err);
    chunk_list_free(&chunks);
    if (rc == 0)
        rc = write_json(&od, "drvmap.json", p->drvmap, err);
    if (rc != 0) {
        outdir_abort(&od);
        return -1;
    }
    return outdir_commit(&od, err);
}
