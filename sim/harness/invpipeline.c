/* invpipeline — the pipeline-valid invariant (see invariants.h): every
 * chunk loads (each key the schema's key rule refuses named), the chunks
 * and the static pipeline form one valid build (keys unique, depends_on
 * resolved, no cycle: bkvalidate.h), at most 192 steps a chunk, chunks
 * numbered 1, 2, …, uploads the build accepted, and the build phase
 * uploaded in generation order. */
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkvalidate.h"
#include "harness/invint.h"
#include "strbuf.h"
#include "xalloc.h"

/* The identity a step has in the upload-order comparison. */
static char *step_id_of_json(json_t *st)
{
    if (json_is_string(st))
        return xasprintf("step:%s", json_string_value(st));
    const char *names[] = { "key", "id", "identifier" };
    for (size_t i = 0; i < 3; i++)
        if (json_is_string(json_object_get(st, names[i])))
            return xstrdup(json_string_value(json_object_get(st, names[i])));
    const char *labels[] = { "label", "name", "group", "block", "input", "wait", "trigger" };
    for (size_t i = 0; i < 7; i++)
        if (json_is_string(json_object_get(st, labels[i])))
            return xasprintf("label:%s", json_string_value(json_object_get(st, labels[i])));
    if (json_object_get(st, "wait"))
        return xstrdup("step:wait");
    return xstrdup("step:command");
}

/* Every key, id and identifier of a pipeline's steps (nested forms and
 * group steps included) that breaks the schema's key rule, each reported;
 * how many. */
static size_t key_problems(const char *name, json_t *steps, const char *ptr, struct inv_result *r)
{
    static const char *const keys[] = { "key", "id", "identifier" };
    static const char *const wrappers[] = { "command", "commands", "script", "wait", "waiter", "block", "input",
                                            "trigger" };
    size_t found = 0, i;
    json_t *st;
    json_array_foreach(steps, i, st) {
        char *sp = lk_pointer_index(ptr, i);
        for (size_t w = 0; w <= 8; w++) {
            json_t *o = w == 8 ? st : json_object_get(st, wrappers[w]);
            if (!json_is_object(o))
                continue;
            char *op = w == 8 ? xstrdup(sp) : lk_pointer_join(sp, wrappers[w]);
            for (size_t k = 0; k < 3; k++) {
                const char *key = json_string_value(json_object_get(o, keys[k]));
                const char *why = key ? bk_key_problem(key) : NULL;
                if (why) {
                    inv_violation(r, "%s: %s/%s: key \"%s\": %s", name, op, keys[k], key, why);
                    found++;
                }
            }
            free(op);
        }
        if (json_is_array(json_object_get(st, "steps"))) {
            char *gp = lk_pointer_join(sp, "steps");
            found += key_problems(name, json_object_get(st, "steps"), gp, r);
            free(gp);
        }
        free(sp);
    }
    return found;
}

void inv_check_pipeline_valid(const struct fixture *f, const struct sim_observed *o, struct inv_result *r)
{
    (void)f;
    for (size_t i = 0; i < o->n_upload_errors; i++)
        inv_violation(r, "upload rejected: %s", o->upload_errors[i]);
    struct bk_pipeline **ps = xcalloc(o->n_chunks + 2, sizeof(*ps));
    size_t np = 0, nsteps = 0;
    struct bk_load_options lo = { false, NULL };
    if (o->static_pipeline) {
        char *text = json_dumps(o->static_pipeline, JSON_SORT_KEYS);
        struct lk_error err = LK_ERROR_INIT;
        ps[np] = bk_pipeline_load("static-pipeline.json", text, strlen(text), &lo, &err);
        if (ps[np])
            np++;
        lk_error_clear(&err);
        free(text);
    }
    /* expected upload order: the build chunks, by number */
    char **want = NULL;
    size_t n_want = 0;
    long last_number = 0;
    const char *last_phase = NULL;
    for (size_t c = 0; c < o->n_chunks; c++) {
        const struct obs_chunk *ch = &o->chunks[c];
        if (!last_phase || strcmp(last_phase, ch->phase))
            last_number = 0;
        if (ch->number != last_number + 1)
            inv_violation(r, "%s: chunks of phase %s are not numbered 1, 2, ... (expected %ld)", ch->name,
                      ch->phase, last_number + 1);
        last_number = ch->number;
        last_phase = ch->phase;
        json_t *steps = json_is_object(ch->doc) ? json_object_get(ch->doc, "steps") : NULL;
        if (!json_is_array(steps)) {
            inv_violation(r, "%s: not a JSON object with a \"steps\" array", ch->name);
            continue;
        }
        if (json_array_size(steps) > 192)
            inv_violation(r, "%s: %zu steps (at most 192 a chunk)", ch->name, json_array_size(steps));
        nsteps += json_array_size(steps);
        if (!strcmp(ch->phase, "build")) {
            size_t k;
            json_t *st;
            json_array_foreach(steps, k, st) {
                char *id = step_id_of_json(st);
                strv_add(&want, &n_want, id);
                free(id);
            }
        }
        size_t bad_keys = key_problems(ch->name, steps, "/steps", r);
        char *text = json_dumps(ch->doc, JSON_SORT_KEYS);
        struct lk_error err = LK_ERROR_INIT;
        ps[np] = bk_pipeline_load(ch->name, text, strlen(text), &lo, &err);
        if (ps[np])
            np++;
        else if (!bad_keys || !strstr(err.msg, "expected a key")) { /* (a key: reported above) */
            char *m = lk_error_format(&err);
            inv_violation(r, "%s", m);
            free(m);
        }
        lk_error_clear(&err);
        free(text);
    }
    struct lk_error err = LK_ERROR_INIT;
    if (np && bk_pipelines_validate(ps, np, &err) < 0) {
        char *m = lk_error_format(&err);
        inv_violation(r, "%s", m);
        free(m);
    }
    lk_error_clear(&err);
    for (size_t i = 0; i < np; i++)
        bk_pipeline_free(ps[i]);
    free(ps);
    /* upload order = generation order */
    if (o->gen_exit == 0 && n_want) {
        size_t k = 0;
        while (k < n_want && k < o->n_uploaded_ids && !strcmp(want[k], o->uploaded_ids[k]))
            k++;
        if (k < n_want || k < o->n_uploaded_ids)
            inv_violation(r, "upload order differs from generation order at build step %zu: generated %s, "
                         "the build has %s (%zu generated, %zu in the build)%s",
                      k + 1, k < n_want ? want[k] : "(end)",
                      k < o->n_uploaded_ids ? o->uploaded_ids[k] : "(end)", n_want, o->n_uploaded_ids,
                      o->generator_uploaded ? "; the generator uploaded them itself" : "");
    }
    for (size_t i = 0; i < n_want; i++)
        free(want[i]);
    free(want);
    r->n_checked = o->n_chunks + o->n_uploaded_ids + o->n_upload_errors;
    inv_summary(r, "%zu chunk(s), %zu step(s); keys, depends_on, cycles, sizes, upload order (the schema: "
               INV_SCHEMA ")", o->n_chunks, nsteps);
}

