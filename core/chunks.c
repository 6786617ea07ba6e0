/* chunks — see chunks.h. */
#include "chunks.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "outdir.h"
#include "strbuf.h"
#include "xalloc.h"

/* Write `text` as the file `name` of the temporary output directory. The
 * directory is renamed into place as a whole, so the file needs no
 * temporary name of its own. */
static int write_text(const struct outdir *od, const char *name, const char *text, size_t len,
                      struct lk_error *err)
{
    char *path = outdir_path(od, name);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot create");
    } else {
        if (file_write_all(fd, text, len) != 0 || fchmod(fd, 0644) != 0)
            rc = lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot write");
        if (close(fd) != 0 && rc == 0)
            rc = lk_fail_errno(err, LK_EXIT_FAIL, path, "cannot write");
    }
    free(path);
    return rc;
}

struct chunk_writer {
    char *out_dir;
    struct outdir od;
    bool begun;         /* od holds the temporary directory */
    struct strbuf text; /* reused for every file */
    char **phase_names; /* chunks and steps written so far, per phase */
    size_t *phase_chunks, *phase_steps;
    size_t n_phases, phases_alloc;
};

struct chunk_writer *chunk_writer_new(const char *out_dir)
{
    struct chunk_writer *w = xcalloc(1, sizeof *w);
    w->out_dir = xstrdup(out_dir);
    return w;
}

/* The phase's index in the counters (added when new). */
static size_t phase_index(struct chunk_writer *w, const char *phase)
{
    for (size_t i = 0; i < w->n_phases; i++)
        if (!strcmp(w->phase_names[i], phase))
            return i;
    XGROW(w->phase_names, w->phases_alloc, w->n_phases + 1);
    w->phase_chunks = xrealloc(w->phase_chunks, w->phases_alloc * sizeof *w->phase_chunks);
    w->phase_steps = xrealloc(w->phase_steps, w->phases_alloc * sizeof *w->phase_steps);
    w->phase_names[w->n_phases] = xstrdup(phase);
    w->phase_chunks[w->n_phases] = w->phase_steps[w->n_phases] = 0;
    return w->n_phases++;
}

size_t chunk_writer_n_phases(const struct chunk_writer *w)
{
    return w->n_phases;
}

void chunk_writer_phase(const struct chunk_writer *w, size_t i, const char **name, size_t *chunks,
                        size_t *steps)
{
    *name = w->phase_names[i];
    *chunks = w->phase_chunks[i];
    *steps = w->phase_steps[i];
}

int chunk_writer_begin(struct chunk_writer *w, struct lk_error *err)
{
    if (w->begun)
        return 0;
    if (outdir_begin(&w->od, w->out_dir, err) != 0)
        return -1;
    w->begun = true;
    return 0;
}

/* The next chunk files of a phase: `{"steps":[...]}` per CHUNK_MAX_STEPS
 * steps, the steps' texts joined in the reused text buffer. */
static int chunk_writer_add(struct chunk_writer *w, const char *phase,
                            const struct step_list *steps, struct lk_error *err)
{
    if (chunk_writer_begin(w, err) != 0)
        return -1;
    size_t phase_i = phase_index(w, phase);
    size_t *id = &w->phase_chunks[phase_i];
    size_t n = steps->n;
    w->phase_steps[phase_i] += n;
    struct strbuf *text = &w->text;
    for (size_t start = 0; start < n; start += CHUNK_MAX_STEPS) {
        sb_reset(text);
        sb_adds(text, "{\"steps\":[");
        for (size_t k = start; k < n && k < start + CHUNK_MAX_STEPS; k++) {
            if (k > start)
                sb_addc(text, ',');
            size_t from = step_list_start(steps, k);
            sb_add(text, steps->text.buf + from, steps->ends[k] - from);
        }
        sb_adds(text, "]}\n");
        char *file = xasprintf("%s-chunk-%zu.json", phase, ++*id);
        int rc = write_text(&w->od, file, text->buf, text->len, err);
        free(file);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int chunk_writer_emit(void *writer, const char *phase, const struct step_list *steps,
                      struct lk_error *err)
{
    return chunk_writer_add(writer, phase, steps, err);
}

int chunk_writer_finish(struct chunk_writer *w, const struct pipeline *p, struct lk_error *err)
{
    int rc = chunk_writer_begin(w, err);
    for (size_t i = 0; i < p->n_phases && rc == 0; i++)
        rc = chunk_writer_add(w, p->phases[i].name, &p->phases[i].steps, err);
    if (rc == 0) {
        const char *map = p->drvmap ? p->drvmap : "{}\n";
        rc = write_text(&w->od, "drvmap.json", map, strlen(map), err);
    }
    if (rc != 0)
        return -1;
    w->begun = false;
    return outdir_commit(&w->od, err);
}

void chunk_writer_free(struct chunk_writer *w)
{
    if (!w)
        return;
    if (w->begun)
        outdir_abort(&w->od);
    for (size_t i = 0; i < w->n_phases; i++)
        free(w->phase_names[i]);
    free(w->phase_names);
    free(w->phase_chunks);
    free(w->phase_steps);
    sb_release(&w->text);
    free(w->out_dir);
    free(w);
}

int pipeline_write(const struct pipeline *p, const char *out_dir, struct lk_error *err)
{
    struct chunk_writer *w = chunk_writer_new(out_dir);
    int rc = chunk_writer_finish(w, p, err);
    chunk_writer_free(w);
    return rc;
}
