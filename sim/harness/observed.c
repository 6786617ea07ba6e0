/* observed — the record of one simulated build (see observed.h). */
#include "harness/observed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

void obs_init(struct sim_observed *o)
{
    memset(o, 0, sizeof(*o));
    o->gen_step = -1;
    o->gen_exit = -1;
    o->schema_state = -1;
}

void obs_free(struct sim_observed *o)
{
    for (size_t i = 0; i < o->n_steps; i++) {
        struct obs_step *s = &o->steps[i];
        free(s->key);
        free(s->label);
        free(s->step_name);
        free(s->reason);
        free(s->agent);
        free(s->log_path);
        free(s->log_tail);
        free(s->tree_status);
        free(s->result_link);
        free(s->script_link);
        free(s->built);
        free(s->deps);
        strv_free(s->not_simulated, s->n_not_simulated);
        json_decref(s->recorded);
    }
    free(o->steps);
    strv_free(o->not_simulated, o->n_not_simulated);
    json_decref(o->notify);
    for (size_t i = 0; i < o->n_events; i++) {
        struct obs_event *e = &o->events[i];
        free(e->event);
        free(e->drv);
        free(e->phase);
        free(e->step);
        free(e->cause);
        free(e->out);
    }
    free(o->events);
    for (size_t i = 0; i < o->n_chunks; i++) {
        free(o->chunks[i].name);
        free(o->chunks[i].phase);
        free(o->chunks[i].path);
        free(o->chunks[i].sha256);
        json_decref(o->chunks[i].doc);
    }
    free(o->chunks);
    free(o->gen_output);
    strv_free(o->uploaded_ids, o->n_uploaded_ids);
    strv_free(o->upload_errors, o->n_upload_errors);
    json_decref(o->static_pipeline);
    free(o->schema_note);
    strv_free(o->schema_errors, o->n_schema_errors);
    free(o->gc_error);
    free(o->parent.default_branch);
    json_decref(o->parent.fetched);
    free(o->parent.fetched_problem);
    obs_init(o);
}

struct obs_step *obs_step_add(struct sim_observed *o, int id, enum bk_step_type type, const char *key,
                              const char *label)
{
    XGROW(o->steps, o->alloc_steps, o->n_steps + 1);
    struct obs_step *s = &o->steps[o->n_steps++];
    memset(s, 0, sizeof(*s));
    s->id = id;
    s->group = -1;
    s->type = type;
    s->key = xstrdup_or_null(key);
    s->label = xstrdup_or_null(label);
    s->exit_status = -1;
    s->retried_by = -1;
    s->outcome = BK_PENDING;
    return s;
}

void obs_event_add(struct sim_observed *o, const char *event, const char *drv, const char *phase,
                   const char *step, const char *cause, const char *out)
{
    XGROW(o->events, o->alloc_events, o->n_events + 1);
    struct obs_event *e = &o->events[o->n_events++];
    e->event = xstrdup(event);
    e->drv = xstrdup_or_null(drv);
    e->phase = xstrdup_or_null(phase);
    e->step = xstrdup_or_null(step);
    e->cause = xstrdup_or_null(cause);
    e->out = xstrdup_or_null(out);
}

void obs_chunk_add(struct sim_observed *o, const char *name, const char *phase, long number,
                   json_t *doc, const char *path)
{
    XGROW(o->chunks, o->alloc_chunks, o->n_chunks + 1);
    struct obs_chunk *c = &o->chunks[o->n_chunks++];
    c->name = xstrdup(name);
    c->phase = xstrdup(phase);
    c->number = number;
    c->doc = doc;
    c->path = xstrdup_or_null(path);
    c->sha256 = NULL; /* the player sets it when it has the bytes */
}

static const char *str_field(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

int obs_read_log(struct sim_observed *o, const char *path, struct lk_error *err)
{
    char *data;
    size_t len;
    struct lk_error ignore = LK_ERROR_INIT;
    if (file_read(path, &data, &len, &ignore) < 0) {
        lk_error_clear(&ignore);
        return 0; /* nothing was realised */
    }
    int rc = 0;
    size_t lineno = 0;
    for (char *line = data; line < data + len && rc == 0;) {
        char *nl = memchr(line, '\n', (size_t)(data + len - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(data + len - line);
        lineno++;
        if (n > 0) {
            json_error_t je;
            json_t *obj = json_loadb(line, n, 0, &je);
            if (!json_is_object(obj) || !str_field(obj, "event")) {
                char place[32];
                snprintf(place, sizeof place, "line %zu", lineno);
                rc = lk_bad_input(err, path, place, "expected a JSON object with \"event\"");
            } else {
                const char *out = NULL;
                json_t *outs = json_object_get(obj, "outputs");
                if (json_is_object(outs)) {
                    out = json_string_value(json_object_get(outs, "out"));
                    if (!out) {
                        const char *k;
                        json_t *v;
                        json_object_foreach(outs, k, v) {
                            out = json_string_value(v);
                            break;
                        }
                    }
                }
                obs_event_add(o, str_field(obj, "event"), str_field(obj, "drv"),
                              str_field(obj, "phase"), str_field(obj, "step"),
                              str_field(obj, "cause"), out);
            }
            json_decref(obj);
        }
        line += n + 1;
    }
    free(data);
    return rc;
}

const struct obs_step *obs_step_by_name(const struct sim_observed *o, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < o->n_steps; i++)
        if (o->steps[i].step_name && !strcmp(o->steps[i].step_name, name))
            return &o->steps[i];
    return NULL;
}

static const struct obs_step *latest(const struct sim_observed *o, const struct obs_step *s)
{
    while (s->retried_by >= 0 && (size_t)s->retried_by < o->n_steps)
        s = &o->steps[s->retried_by];
    return s;
}

const struct obs_step *obs_step_by_label(const struct sim_observed *o, const char *label)
{
    for (size_t i = 0; i < o->n_steps; i++)
        if (o->steps[i].type == BK_STEP_COMMAND && o->steps[i].label &&
            !strcmp(o->steps[i].label, label))
            return latest(o, &o->steps[i]);
    for (size_t i = 0; i < o->n_steps; i++)
        if (o->steps[i].key && !strcmp(o->steps[i].key, label))
            return &o->steps[i];
    return NULL;
}

char *obs_step_identity(const struct obs_step *s)
{
    if (s->key)
        return xstrdup(s->key);
    if (s->label)
        return xasprintf("label:%s", s->label);
    return xasprintf("step:%s", bk_step_type_name(s->type));
}
