/* manifest — see manifest.h. */
#include "manifest.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "jsonscan.h"
#include "manifestread.h"
#include "parallel.h"
#include "xalloc.h"

void string_list_free(struct string_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void string_list_split(struct string_list *l, const char *list)
{
    size_t alloc = 0;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n > 0) {
            XGROW(l->items, alloc, l->n + 1);
            l->items[l->n++] = xstrndup(p, n);
        }
        p += n;
        if (*p == ',')
            p++;
    }
}

/* Call `fn` for member `key` of `obj` when present, with its pointer. */
#define WITH_MEMBER(obj, base, key, var, ptrvar, body)                  \
    do {                                                                \
        json_t *var = json_object_get((obj), (key));                    \
        if (var) {                                                      \
            char buf_[256], *heap_;                                     \
            const char *ptrvar = lk_pointer_join_buf(buf_, sizeof buf_, (base), (key), &heap_); \
            int rc_ = (body);                                           \
            free(heap_);                                                \
            if (rc_ != 0)                                               \
                return -1;                                              \
        }                                                               \
    } while (0)

static int read_skip(struct reader *r, json_t *v, const char *ptr, json_t **out)
{
    if (!json_is_boolean(v) && !json_is_string(v))
        return mr_expected(r, ptr, v, "a boolean or a string");
    json_decref(*out);
    *out = json_incref(v);
    return 0;
}

static int read_prompt(struct reader *r, json_t *v, const char *ptr, struct extra_step *s)
{
    if (!json_is_boolean(v) && !json_is_string(v))
        return mr_expected(r, ptr, v, "a boolean or a string");
    s->has_prompt = !json_is_false(v);
    if (json_is_string(v))
        s->prompt = xstrdup(json_string_value(v));
    return 0;
}

/* An object with a drvPath: the drvPath. */
static int read_drv_object(struct reader *r, json_t *v, const char *ptr, char **out)
{
    if (mr_check_object(r, v, ptr) != 0 || mr_require(r, v, ptr, "drvPath", "a string") != 0)
        return -1;
    WITH_MEMBER(v, ptr, "drvPath", m, p, mr_drv_path(r, m, p, out));
    return 0;
}

static int read_command(struct reader *r, json_t *v, const char *ptr, struct extra_step *s)
{
    if (read_drv_object(r, v, ptr, &s->command_drv) != 0)
        return -1;
    s->n_command_outputs = 1;
    json_t *outs = json_object_get(v, "outputs");
    if (outs) {
        struct string_list l = { NULL, 0 };
        char *op = lk_pointer_join(ptr, "outputs");
        int rc = mr_string_list(r, outs, op, &l);
        free(op);
        s->n_command_outputs = l.n;
        string_list_free(&l);
        return rc;
    }
    return 0;
}

static int read_parent_override(struct reader *r, json_t *v, const char *ptr, struct extra_step *s)
{
    return json_is_null(v) ? 0 : read_drv_object(r, v, ptr, &s->parent_override_drv);
}

/* An object, kept (replacing *out). */
static int read_object(struct reader *r, json_t *v, const char *ptr, json_t **out)
{
    if (mr_check_object(r, v, ptr) != 0)
        return -1;
    json_decref(*out);
    *out = json_incref(v);
    return 0;
}

static int read_agents(struct reader *r, json_t *v, const char *ptr, json_t **out)
{
    return json_is_null(v) ? 0 : read_object(r, v, ptr, out);
}

static int read_branches(struct reader *r, json_t *v, const char *ptr, struct extra_step *s)
{
    if (json_is_null(v))
        return 0;
    s->has_branches = true;
    return mr_string_list(r, v, ptr, &s->branches);
}

static const char *const extra_step_keys[] = {
    "command", "label", "needsOutput", "parentOverride", "branches", "alwaysRun",
    "prompt", "softFail", "phase", "skip", "agents", NULL,
};

static int read_extra_step(struct reader *r, const char *name, json_t *v, const char *ptr,
                           struct extra_step *s)
{
    s->name = xstrdup(name);
    s->pointer = xstrdup(ptr);
    s->skip = json_false();
    if (mr_check_object(r, v, ptr) != 0 ||
        mr_check_known_keys(r, v, ptr, extra_step_keys, "extra step option") != 0 ||
        mr_require(r, v, ptr, "command", "an object with a drvPath") != 0)
        return -1;
    WITH_MEMBER(v, ptr, "command", m, p, read_command(r, m, p, s));
    WITH_MEMBER(v, ptr, "label", m, p, mr_string(r, m, p, &s->label));
    WITH_MEMBER(v, ptr, "needsOutput", m, p, mr_bool(r, m, p, &s->needs_output));
    WITH_MEMBER(v, ptr, "parentOverride", m, p, read_parent_override(r, m, p, s));
    WITH_MEMBER(v, ptr, "branches", m, p, read_branches(r, m, p, s));
    WITH_MEMBER(v, ptr, "alwaysRun", m, p, mr_bool(r, m, p, &s->always_run));
    WITH_MEMBER(v, ptr, "prompt", m, p, read_prompt(r, m, p, s));
    WITH_MEMBER(v, ptr, "softFail", m, p, mr_bool(r, m, p, &s->soft_fail));
    WITH_MEMBER(v, ptr, "phase", m, p, mr_string(r, m, p, &s->phase));
    WITH_MEMBER(v, ptr, "skip", m, p, read_skip(r, m, p, &s->skip));
    WITH_MEMBER(v, ptr, "agents", m, p, read_agents(r, m, p, &s->agents));
    if (!s->label)
        s->label = xstrdup(name);
    if (!s->phase)
        s->phase = xstrdup("build");
    return 0;
}

static int compare_extra_steps(const void *a, const void *b)
{
    return strcmp(((const struct extra_step *)a)->name, ((const struct extra_step *)b)->name);
}

static int read_extra_steps(struct reader *r, json_t *v, const char *ptr, struct target *t)
{
    if (mr_check_object(r, v, ptr) != 0)
        return -1;
    size_t n = json_object_size(v);
    t->extra_steps = xcalloc(n ? n : 1, sizeof(*t->extra_steps));
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        char *sp = lk_pointer_join(ptr, key);
        int rc = read_extra_step(r, key, val, sp, &t->extra_steps[t->n_extra_steps++]);
        free(sp);
        if (rc != 0)
            return -1;
    }
    qsort(t->extra_steps, t->n_extra_steps, sizeof(*t->extra_steps), compare_extra_steps);
    return 0;
}

static int read_ci(struct reader *r, json_t *v, const char *ptr, struct target *t)
{
    if (mr_check_object(r, v, ptr) != 0)
        return -1;
    WITH_MEMBER(v, ptr, "buildkiteExtraDeps", m, p, mr_string_list(r, m, p, &t->extra_deps));
    WITH_MEMBER(v, ptr, "buildkiteExtraStepArgs", m, p, read_object(r, m, p, &t->extra_step_args));
    WITH_MEMBER(v, ptr, "postBuild", m, p, mr_string(r, m, p, &t->post_build));
    WITH_MEMBER(v, ptr, "extraSteps", m, p, read_extra_steps(r, m, p, t));
    return 0;
}

static int read_timeout(struct reader *r, json_t *v, const char *ptr, struct target *t)
{
    if (!json_is_integer(v))
        return mr_expected(r, ptr, v, "an integer (seconds)");
    t->has_timeout = true;
    t->timeout = json_integer_value(v);
    return 0;
}

static int read_meta(struct reader *r, json_t *v, const char *ptr, struct target *t)
{
    if (mr_check_object(r, v, ptr) != 0)
        return -1;
    WITH_MEMBER(v, ptr, "timeout", m, p, read_timeout(r, m, p, t));
    WITH_MEMBER(v, ptr, "ci", m, p, read_ci(r, m, p, t));
    return 0;
}

static int read_subtarget(struct reader *r, json_t *v, const char *ptr, struct target *t)
{
    return json_is_null(v) ? 0 : mr_string(r, v, ptr, &t->subtarget);
}

static int read_target(struct reader *r, json_t *v, const char *ptr, struct target *t)
{
    t->pointer = xstrdup(ptr);
    if (mr_check_object(r, v, ptr) != 0 || mr_require(r, v, ptr, "attrPath", "an array of strings") != 0 ||
        mr_require(r, v, ptr, "drvPath", "a string") != 0)
        return -1;
    WITH_MEMBER(v, ptr, "attrPath", m, p, mr_string_list(r, m, p, &t->attr_path));
    WITH_MEMBER(v, ptr, "subtarget", m, p, read_subtarget(r, m, p, t));
    WITH_MEMBER(v, ptr, "drvPath", m, p, mr_drv_path(r, m, p, &t->drv_path));
    WITH_MEMBER(v, ptr, "outputs", m, p, mr_check_string_list(r, m, p)); /* checked, not kept */
    WITH_MEMBER(v, ptr, "meta", m, p, read_meta(r, m, p, t));
    return 0;
}

static int read_steps_array(struct reader *r, json_t *v, const char *ptr, json_t **out)
{
    if (mr_check_array(r, v, ptr, JSON_OBJECT, "an array of steps", "a step object") != 0)
        return -1;
    json_decref(*out);
    *out = json_incref(v);
    return 0;
}

static int read_phase_list(struct reader *r, json_t *v, const char *ptr, struct string_list *l)
{
    string_list_free(l);
    return mr_string_list(r, v, ptr, l);
}

static int read_active_phases(struct reader *r, json_t *v, const char *ptr, struct pipeline_settings *ps)
{
    ps->has_active_phases = true;
    return read_phase_list(r, v, ptr, &ps->active_phases);
}

static const char *const pipeline_keys[] = {
    "headBranch", "phases", "activePhases", "cancelOnBuildFailing", "additionalSteps",
    "postBuildSteps", "defaultStepOverrides", NULL,
};

static int read_pipeline(struct reader *r, json_t *v, const char *ptr, struct pipeline_settings *ps)
{
    if (mr_check_object(r, v, ptr) != 0 ||
        mr_check_known_keys(r, v, ptr, pipeline_keys, "pipeline setting") != 0)
        return -1;
    WITH_MEMBER(v, ptr, "headBranch", m, p, mr_string(r, m, p, &ps->head_branch));
    WITH_MEMBER(v, ptr, "phases", m, p, read_phase_list(r, m, p, &ps->phases));
    WITH_MEMBER(v, ptr, "activePhases", m, p, read_active_phases(r, m, p, ps));
    WITH_MEMBER(v, ptr, "cancelOnBuildFailing", m, p, mr_bool(r, m, p, &ps->cancel_on_build_failing));
    WITH_MEMBER(v, ptr, "additionalSteps", m, p, read_steps_array(r, m, p, &ps->additional_steps));
    WITH_MEMBER(v, ptr, "postBuildSteps", m, p, read_steps_array(r, m, p, &ps->post_build_steps));
    WITH_MEMBER(v, ptr, "defaultStepOverrides", m, p, read_object(r, m, p, &ps->default_step_overrides));
    return 0;
}

static int read_version(struct reader *r, json_t *v, const char *ptr)
{
    if (!json_is_integer(v) || json_integer_value(v) != 1)
        return lk_bad_input(r->err, r->file, ptr, "unsupported manifest version (expected 1)");
    return 0;
}

static int read_targets(struct reader *r, json_t *v, const char *ptr, struct manifest *m)
{
    if (!json_is_array(v))
        return mr_expected(r, ptr, v, "an array of targets");
    size_t n = json_array_size(v);
    m->targets = xcalloc(n ? n : 1, sizeof(*m->targets));
    for (size_t i = 0; i < n; i++) {
        char *tp = lk_pointer_index(ptr, i);
        int rc = read_target(r, json_array_get(v, i), tp, &m->targets[m->n_targets++]);
        free(tp);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static void set_defaults(struct pipeline_settings *ps)
{
    string_list_split(&ps->phases, "build,release");
    ps->additional_steps = json_array();
    ps->post_build_steps = json_array();
    ps->default_step_overrides = json_object();
}

static int read_manifest(struct reader *r, json_t *root, struct manifest *m)
{
    struct pipeline_settings *ps = &m->pipeline;
    set_defaults(ps);
    if (mr_check_object(r, root, "") != 0)
        return -1;
    WITH_MEMBER(root, "", "version", v, p, read_version(r, v, p));
    WITH_MEMBER(root, "", "pipeline", v, p, read_pipeline(r, v, p, ps));
    WITH_MEMBER(root, "", "targets", v, p, read_targets(r, v, p, m));
    return 0;
}

int manifest_json_text(const char *text, size_t len, const char *file, json_t **out,
                   struct lk_error *err)
{
    json_error_t je;
    *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!*out) {
        char *place = xasprintf("%d:%d", je.line, je.column);
        lk_bad_input(err, file, place, "malformed JSON: %s", je.text);
        free(place);
        return -1;
    }
    return 0;
}

/* On error, leave a freeable, empty manifest. */
static int parsed(struct manifest *m, int rc)
{
    if (rc != 0) {
        manifest_free(m);
        memset(m, 0, sizeof(*m));
    }
    return rc;
}

int manifest_parse_whole(const char *text, size_t len, const char *file, struct manifest *m,
                         struct lk_error *err)
{
    memset(m, 0, sizeof(*m));
    json_t *root;
    if (manifest_json_text(text, len, file, &root, err) != 0)
        return -1;
    struct reader r = { file, err };
    int rc = read_manifest(&r, root, m);
    json_decref(root);
    return parsed(m, rc);
}

/* Reading the targets array's elements, one range per job. Every element
 * is parsed, even after one fails to convert, as malformed JSON anywhere
 * takes precedence over any other error. */
struct target_job {
    bool malformed;     /* an element is not valid JSON */
    bool failed;        /* err holds the error of the range's first bad target */
    struct lk_error err;
};

struct target_spans {
    const char *text, *file;
    const struct json_span *elems;
    struct target *targets;
    struct target_job jobs[PARALLEL_MAX_JOBS];
};

static void read_target_range(void *ctx, size_t job_index, size_t from, size_t to)
{
    struct target_spans *ts = ctx;
    struct target_job *job = &ts->jobs[job_index];
    struct reader r = { ts->file, &job->err };
    for (size_t i = from; i < to; i++) {
        json_t *v = mr_load_span(ts->text, ts->elems[i]);
        if (!v) {
            job->malformed = true;
            return;
        }
        if (!job->failed) {
            char *ptr = lk_pointer_index("/targets", i);
            job->failed = read_target(&r, v, ptr, &ts->targets[i]) != 0;
            free(ptr);
        }
        json_decref(v);
    }
}

/* Read the elements of the targets array (the span `array`), in parallel
 * for a large manifest. Returns 0, -1 with the first bad target's error in
 * `err`, or 1 when the array is not valid JSON. */
static int read_target_spans(const char *text, const char *file, struct json_span array,
                             struct manifest *m, struct lk_error *err)
{
    struct json_span *elems;
    size_t n;
    if (jsonscan_array(text, array, &elems, &n) != 0)
        return 1;
    m->targets = xcalloc(n ? n : 1, sizeof(*m->targets));
    m->n_targets = n;
    struct target_spans ts = { text, file, elems, m->targets, { { false, false, LK_ERROR_INIT } } };
    size_t n_jobs = parallel_jobs(n, 1024);
    parallel_run(n, n_jobs, read_target_range, &ts);
    free(elems);
    int rc = 0;
    for (size_t j = 0; j < n_jobs; j++)
        if (ts.jobs[j].malformed)
            rc = 1;
    for (size_t j = 0; j < n_jobs; j++) {
        if (ts.jobs[j].failed && rc == 0) {
            *err = ts.jobs[j].err; /* moved: jobs in range order, the first bad target's */
            ts.jobs[j].err = (struct lk_error)LK_ERROR_INIT;
            rc = -1;
        }
        lk_error_clear(&ts.jobs[j].err);
    }
    return rc;
}

/* The top-level members, each parsed on its own into one object but for
 * an array of targets, whose elements are parsed (and read) in parallel.
 * Returns 0, -1 (error in `err`), or 1 when the text is not valid JSON. */
static int read_members(const char *text, const char *file, const struct json_member_span *members,
                        size_t n, struct manifest *m, struct lk_error *err)
{
    json_t *root = json_object();
    const struct json_member_span *target_member = NULL;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        json_t *k = mr_load_span(text, members[i].key), *v;
        const char *key = json_string_value(k);
        bool targets = key && !strcmp(key, "targets");
        if (!key || json_object_get(root, key) || (targets && target_member))
            rc = 1; /* a duplicate key: jansson rejects it */
        else if (targets && text[members[i].value.off] == '[')
            target_member = &members[i];
        else if ((v = mr_load_span(text, members[i].value)))
            json_object_set_new(root, key, v); /* targets not an array: read_targets says so */
        else
            rc = 1;
        json_decref(k);
    }
    struct lk_error target_err = LK_ERROR_INIT;
    int targets_rc = 0;
    if (rc == 0 && target_member)
        targets_rc = read_target_spans(text, file, target_member->value, m, &target_err);
    if (targets_rc == 1)
        rc = 1;
    /* Valid JSON: the other members as read_manifest reads them, then the targets. */
    struct reader r = { file, err };
    if (rc == 0 && read_manifest(&r, root, m) != 0)
        rc = -1;
    if (rc == 0 && targets_rc != 0) {
        *err = target_err; /* moved */
        target_err = (struct lk_error)LK_ERROR_INIT;
        rc = -1;
    }
    lk_error_clear(&target_err);
    json_decref(root);
    return rc;
}

int manifest_parse(const char *text, size_t len, const char *file, struct manifest *m,
                   struct lk_error *err)
{
    memset(m, 0, sizeof(*m));
    struct json_member_span *members;
    size_t n;
    if (jsonscan_object(text, len, &members, &n) != 0)
        return manifest_parse_whole(text, len, file, m, err);
    int rc = read_members(text, file, members, n, m, err);
    free(members);
    if (rc == 1) {
        /* Not valid JSON: jansson's own error, from the whole text. */
        manifest_free(m);
        return manifest_parse_whole(text, len, file, m, err);
    }
    return parsed(m, rc);
}

int manifest_load(const char *path, struct manifest *m, struct lk_error *err)
{
    struct mapped_file f;
    memset(m, 0, sizeof(*m));
    if (file_map(path, &f, err) != 0)
        return -1;
    int rc = manifest_parse(f.data, f.len, path, m, err);
    file_unmap(&f);
    return rc;
}

static void extra_step_free(struct extra_step *s)
{
    free(s->name);
    free(s->pointer);
    free(s->command_drv);
    free(s->label);
    free(s->parent_override_drv);
    string_list_free(&s->branches);
    free(s->prompt);
    free(s->phase);
    json_decref(s->skip);
    json_decref(s->agents);
}

static void target_free(struct target *t)
{
    free(t->pointer);
    string_list_free(&t->attr_path);
    free(t->subtarget);
    free(t->drv_path);
    string_list_free(&t->extra_deps);
    json_decref(t->extra_step_args);
    free(t->post_build);
    for (size_t i = 0; i < t->n_extra_steps; i++)
        extra_step_free(&t->extra_steps[i]);
    free(t->extra_steps);
}

void manifest_free(struct manifest *m)
{
    struct pipeline_settings *ps = &m->pipeline;
    free(ps->head_branch);
    string_list_free(&ps->phases);
    string_list_free(&ps->active_phases);
    json_decref(ps->additional_steps);
    json_decref(ps->post_build_steps);
    json_decref(ps->default_step_overrides);
    for (size_t i = 0; i < m->n_targets; i++)
        target_free(&m->targets[i]);
    free(m->targets);
    memset(m, 0, sizeof(*m));
}

/* ---- step files given on the command line ---- */

/* A JSON file read by `read` at the pointer "" into *out (NULL on error). */
static int json_file_load(const char *path, json_t **out, struct lk_error *err,
                          int (*read)(struct reader *, json_t *, const char *, json_t **))
{
    char *text;
    size_t len;
    json_t *v;
    *out = NULL;
    if (file_read(path, &text, &len, err) != 0)
        return -1;
    int rc = manifest_json_text(text, len, path, &v, err);
    free(text);
    struct reader r = { path, err };
    if (rc == 0)
        rc = read(&r, v, "", out);
    json_decref(v);
    return rc;
}

int steps_file_load(const char *path, json_t **out, struct lk_error *err)
{
    return json_file_load(path, out, err, read_steps_array);
}

int overrides_file_load(const char *path, json_t **out, struct lk_error *err)
{
    return json_file_load(path, out, err, read_object);
}
