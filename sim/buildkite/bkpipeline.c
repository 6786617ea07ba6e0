/* bkpipeline — see bkpipeline.h: loading a pipeline document, text to tree
 * (JSON here, YAML in bkyaml.c) to interpolated tree (bkinterp.c) to the
 * step model (bkstep.c), and freeing it. */
#include "buildkite/bkpipeline.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkloader.h"
#include "nix/yamltree.h"
#include "strbuf.h"
#include "xalloc.h"

/* The place of `ptr`: where in the YAML text it is (or its nearest
 * ancestor there), the pointer itself for JSON. Caller frees. */
static char *bk_place_of(const struct bk_loader *L, const char *ptr)
{
    if (!L->ydoc)
        return xstrdup(ptr);
    unsigned long line, column;
    bk_yaml_mark(L->ydoc, ptr, &line, &column);
    return xasprintf("%lu:%lu", line, column);
}

/* (one per step of a large pipeline: written without printf) */
static char *put_number(char *w, unsigned long n)
{
    char digits[24];
    int k = 0;
    do
        digits[k++] = (char)('0' + n % 10);
    while ((n /= 10));
    while (k)
        *w++ = digits[--k];
    return w;
}

char *bk_file_place(const struct bk_loader *L, const char *ptr)
{
    size_t fl = strlen(L->file), pl = strlen(ptr);
    char *r = xmalloc(fl + pl + 48), *w = r;
    memcpy(w, L->file, fl);
    w += fl;
    *w++ = ':';
    *w++ = ' ';
    if (L->ydoc) {
        unsigned long line, column;
        bk_yaml_mark(L->ydoc, ptr, &line, &column);
        w = put_number(w, line);
        *w++ = ':';
        w = put_number(w, column);
    } else {
        memcpy(w, ptr, pl);
        w += pl;
    }
    *w = '\0';
    return r;
}

void bk_loader_release(struct bk_loader *L)
{
    if (L->ydoc)
        yamltree_free(L->ydoc);
    free(L->ydoc);
    L->ydoc = NULL;
}

int bk_bad(struct bk_loader *L, const char *ptr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    char *place = bk_place_of(L, ptr);
    lk_bad_input(L->err, L->file, place, "%s", msg);
    free(place);
    free(msg);
    return -1;
}

static json_t *load_json(struct bk_loader *L, const char *text, size_t len)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!root) {
        char *m = xasprintf("%d:%d", je.line, je.column);
        lk_bad_input(L->err, L->file, m, "expected valid JSON: %s", je.text);
        free(m);
    }
    return root;
}

void bk_pipeline_free(struct bk_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nsteps; i++)
        bk_step_release(&p->steps[i]);
    free(p->steps);
    bk_env_release(&p->env);
    json_decref(p->raw);
    free(p->file);
    free(p);
}

/* Text to tree, interpolated (opts->interpolate) and checked against the
 * schema: a new reference, or NULL with the error reported. L->ydoc is
 * the caller's to release, either way. */
static json_t *load_tree(struct bk_loader *L, const char *text, size_t len,
                         const struct bk_load_options *opts)
{
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    size_t fl = strlen(L->file);
    bool json = (fl >= 5 && !strcmp(L->file + fl - 5, ".json")) || (i < len && (text[i] == '{' || text[i] == '['));
    json_t *root = json ? load_json(L, text, len) : bk_yaml_tree(L, text, len);
    if (!root)
        return NULL;
    if (!json_is_object(root) && !json_is_array(root)) {
        bk_bad(L, "", "expected a pipeline: a mapping with \"steps\" or a list of steps");
        json_decref(root);
        return NULL;
    }
    if (opts && opts->interpolate) {
        json_t *n = bk_interpolate_document(L, root, opts->env);
        json_decref(root);
        root = n;
    }
    if (root && bk_schema_check(L, root) < 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *bk_pipeline_load_tree(const char *file, const char *text, size_t len,
                              const struct bk_load_options *opts, struct lk_error *err)
{
    struct bk_loader L = { file, NULL, 0, err };
    json_t *root = load_tree(&L, text, len, opts);
    bk_loader_release(&L);
    return root;
}

struct bk_pipeline *bk_pipeline_load(const char *file, const char *text, size_t len,
                                     const struct bk_load_options *opts, struct lk_error *err)
{
    struct bk_loader L = { file, NULL, 0, err };
    json_t *root = load_tree(&L, text, len, opts);
    if (!root) {
        bk_loader_release(&L);
        return NULL;
    }
    struct bk_pipeline *p = xcalloc(1, sizeof(*p));
    p->file = xstrdup(file);
    p->raw = root;
    json_t *steps = json_is_object(root) ? json_object_get(root, "steps") : root;
    char **bad_env = NULL;
    size_t n_bad_env = 0;
    bk_get_env(p->raw, "env", &p->env, &bad_env, &n_bad_env);
    p->notify = json_object_get(p->raw, "notify");
    struct bk_pipe_ctx pc = { &p->env, json_object_get(p->raw, "agents"), json_object_get(p->raw, "priority"),
                              json_object_get(p->raw, "image") != NULL,
                              json_object_get(p->raw, "secrets") != NULL, bad_env, n_bad_env };
    p->steps = xcalloc(json_array_size(steps) + 1, sizeof(*p->steps));
    const char *sbase = json_is_object(p->raw) ? "/steps" : "";
    size_t n;
    json_t *e;
    json_array_foreach(steps, n, e) {
        char *ep = lk_pointer_index(sbase, n);
        int rc = bk_step_load(&L, e, ep, false, &p->steps[p->nsteps], &pc);
        free(ep);
        p->nsteps++; /* a partly loaded step is released with the rest */
        if (rc < 0)
            goto fail;
    }
    strv_free(bad_env, n_bad_env);
    bk_loader_release(&L);
    return p;
fail:
    strv_free(bad_env, n_bad_env);
    bk_loader_release(&L);
    bk_pipeline_free(p);
    return NULL;
}
