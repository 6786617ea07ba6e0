/* chunks — see chunks.h. */
#include "chunks.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "strbuf.h"
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

static int append_text(const char *buffer, size_t size, void *data)
{
    sb_add(data, buffer, size);
    return 0;
}

/* Append `v` as compact sorted-key JSON (any value, for steps such as "wait"). */
static void dump_into(struct strbuf *text, const json_t *v)
{
    if (json_dump_callback(v, append_text, text, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) != 0)
        abort(); /* only on allocation failure */
}

/* Write `text` as the file `name` of the temporary output directory. The
 * directory is renamed into place as a whole, so the file needs no
 * temporary name of its own. */
static int write_text(const struct outdir *od, const char *name, const struct strbuf *text,
                      struct lk_error *err)
{
    char *path = outdir_path(od, name);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot create");
    } else {
        if (write_all(fd, text->buf, text->len) != 0 || fchmod(fd, 0644) != 0)
            rc = lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot write");
        if (close(fd) != 0 && rc == 0)
            rc = lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot write");
    }
    free(path);
    return rc;
}

/* The chunk files of one phase: `{"steps":[...]}` per CHUNK_MAX_STEPS steps,
 * each step dumped straight into the reused `text`. */
static int write_phase(const struct outdir *od, const struct phase_steps *ph, struct strbuf *text,
                       struct lk_error *err)
{
    size_t n = json_array_size(ph->steps);
    for (size_t start = 0, id = 1; start < n; start += CHUNK_MAX_STEPS, id++) {
        sb_reset(text);
        sb_adds(text, "{\"steps\":[");
        for (size_t k = start; k < n && k < start + CHUNK_MAX_STEPS; k++) {
            if (k > start)
                sb_addc(text, ',');
            dump_into(text, json_array_get(ph->steps, k));
        }
        sb_adds(text, "]}\n");
        char name[64 + 32];
        char *file = strlen(ph->name) < 64 ? name : NULL;
        if (file)
            snprintf(name, sizeof name, "%s-chunk-%zu.json", ph->name, id);
        else
            file = xasprintf("%s-chunk-%zu.json", ph->name, id);
        int rc = write_text(od, file, text, err);
        if (file != name)
            free(file);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int pipeline_write(const struct pipeline *p, const char *out_dir, struct lk_error *err)
{
    struct outdir od;
    if (outdir_begin(&od, out_dir, err) != 0)
        return -1;
    struct strbuf text = STRBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < p->n_phases && rc == 0; i++)
        rc = write_phase(&od, &p->phases[i], &text, err);
    if (rc == 0) {
        sb_reset(&text);
        dump_into(&text, p->drvmap);
        sb_addc(&text, '\n');
        rc = write_text(&od, "drvmap.json", &text, err);
    }
    sb_release(&text);
    if (rc != 0) {
        outdir_abort(&od);
        return -1;
    }
    return outdir_commit(&od, err);
}
