/* bkstep — the step model: each step of a schema-checked pipeline tree, of
 * every type, read into a struct bk_step (command steps' own attributes:
 * bkcommand.c). Nested forms are unwrapped; what is only recorded goes to
 * the step's `recorded`. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkloader.h"
#include "strbuf.h"
#include "xalloc.h"

const char *bk_step_type_name(enum bk_step_type t)
{
    switch (t) {
    case BK_STEP_COMMAND: return "command";
    case BK_STEP_WAIT: return "wait";
    case BK_STEP_BLOCK: return "block";
    case BK_STEP_INPUT: return "input";
    case BK_STEP_TRIGGER: return "trigger";
    case BK_STEP_GROUP: return "group";
    }
    return "?";
}

void bk_step_release(struct bk_step *s)
{
    free(s->key);
    free(s->label);
    free(s->command);
    for (size_t i = 0; i < s->ndeps; i++)
        free(s->deps[i].key);
    free(s->deps);
    free(s->skip_reason);
    free(s->branches);
    free(s->soft_fail_statuses);
    bk_env_release(&s->env);
    free(s->concurrency_group);
    free(s->prompt);
    free(s->trigger);
    for (size_t i = 0; i < s->nsteps; i++)
        bk_step_release(&s->steps[i]);
    free(s->steps);
    json_decref(s->raw);
    free(s->place);
    free(s->cond);
    strv_free(s->changed_include, s->n_changed_include);
    strv_free(s->changed_exclude, s->n_changed_exclude);
    free(s->upload_error);
    for (size_t i = 0; i < s->nretry_rules; i++) {
        free(s->retry_rules[i].statuses);
        free(s->retry_rules[i].signal);
        free(s->retry_rules[i].signal_reason);
    }
    free(s->retry_rules);
    free(s->artifact_paths);
    for (size_t i = 0; i < s->njobs; i++)
        bk_step_release(&s->jobs[i]);
    free(s->jobs);
    strv_free(s->not_simulated, s->n_not_simulated);
    json_decref(s->recorded);
    json_decref(s->fields);
    memset(s, 0, sizeof(*s));
}

bool bk_step_soft_fails(const struct bk_step *step, int status)
{
    if (status == 0)
        return false;
    if (step->soft_fail_all)
        return true;
    for (size_t i = 0; i < step->nsoft_fail; i++)
        if (step->soft_fail_statuses[i] == status)
            return true;
    return false;
}

/* ---- readers of schema-checked values -------------------------------------- */

bool bk_read_bool(json_t *obj, const char *name, bool dflt)
{
    json_t *v = json_object_get(obj, name);
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v))
        return !strcmp(json_string_value(v), "true");
    return dflt;
}

char *bk_read_string(json_t *obj, const char *name)
{
    return xstrdup_or_null(json_string_value(json_object_get(obj, name)));
}

char *bk_read_joined(json_t *v, const char *sep)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (!json_is_array(v))
        return NULL;
    struct strbuf sb = STRBUF_INIT;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
        sb_addf(&sb, "%s%s", i ? sep : "", json_string_value(e) ? json_string_value(e) : "");
    return sb_detach(&sb);
}

/* A string or list of strings. */
static char **bk_read_strings(json_t *v, size_t *n)
{
    *n = 0;
    if (json_is_string(v)) {
        char **r = xcalloc(1, sizeof(char *));
        r[(*n)++] = xstrdup(json_string_value(v));
        return r;
    }
    char **r = xcalloc(json_array_size(v) + 1, sizeof(char *));
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
        if (json_is_string(e))
            r[(*n)++] = xstrdup(json_string_value(e));
    return r;
}

void bk_record(struct bk_step *s, const char *name, json_t *value)
{
    if (!value)
        return;
    if (!s->recorded)
        s->recorded = json_object();
    json_object_set_new(s->recorded, name, json_deep_copy(value));
}

int bk_scalar_to_string(json_t *v, char **out)
{
    if (json_is_string(v))
        *out = xstrdup(json_string_value(v));
    else if (json_is_integer(v))
        *out = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        *out = xasprintf("%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        *out = xstrdup(json_is_true(v) ? "true" : "false");
    else
        return -1;
    return 0;
}

void bk_get_env(json_t *obj, const char *name, struct bk_env *env, char ***bad_names, size_t *n_bad)
{
    json_t *v = json_object_get(obj, name);
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
        if (!*k || strchr(k, '=')) {
            if (bad_names) {
                char *what = xasprintf("env \"%s\" (not a variable name)", k);
                strv_add_once(bad_names, n_bad, what);
                free(what);
            }
            continue;
        }
        char *s;
        if (json_is_null(e))
            s = xstrdup("");
        else if (bk_scalar_to_string(e, &s) < 0)
            s = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
        bk_env_set(env, k, s);
        free(s);
    }
}

/* ---- attributes every step type has ---------------------------------------- */

static void read_depends_on(json_t *o, struct bk_step *s)
{
    json_t *v = json_object_get(o, "depends_on");
    if (!v)
        return;
    s->has_depends_on = true;
    if (json_is_string(v)) {
        s->deps = xcalloc(1, sizeof(*s->deps));
        s->deps[s->ndeps++].key = xstrdup(json_string_value(v));
        return;
    }
    s->deps = xcalloc(json_array_size(v) + 1, sizeof(*s->deps));
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        const char *key = json_is_string(e) ? json_string_value(e) : json_string_value(json_object_get(e, "step"));
        if (!key) /* {allow_failure} alone: a dependency on nothing */
            continue;
        s->deps[s->ndeps].key = xstrdup(key);
        s->deps[s->ndeps++].allow_failure = json_is_object(e) && bk_read_bool(e, "allow_failure", false);
    }
}

/* key, else identifier, else id (the schema lets them differ: the first wins) */
static char *read_key(json_t *o)
{
    static const char *const names[] = { "key", "identifier", "id" };
    for (int i = 0; i < 3; i++) {
        char *k = bk_read_string(o, names[i]);
        if (k)
            return k;
    }
    return NULL;
}

static void read_if_changed(json_t *o, struct bk_step *s)
{
    json_t *v = json_object_get(o, "if_changed");
    if (!v)
        return;
    s->has_if_changed = true;
    if (json_is_object(v)) {
        s->changed_include = bk_read_strings(json_object_get(v, "include"), &s->n_changed_include);
        s->changed_exclude = bk_read_strings(json_object_get(v, "exclude"), &s->n_changed_exclude);
    } else {
        s->changed_include = bk_read_strings(v, &s->n_changed_include);
    }
}

void bk_read_skip(json_t *o, struct bk_step *s)
{
    json_t *skip = json_object_get(o, "skip");
    if (json_is_string(skip) && strcmp(json_string_value(skip), "true") && strcmp(json_string_value(skip), "false")) {
        s->skip = *json_string_value(skip) != '\0';
        s->skip_reason = s->skip ? xstrdup(json_string_value(skip)) : NULL;
    } else {
        s->skip = bk_read_bool(o, "skip", false);
    }
}

void bk_read_soft_fail(json_t *o, struct bk_step *s)
{
    json_t *v = json_object_get(o, "soft_fail");
    if (!json_is_array(v)) {
        s->soft_fail_all = bk_read_bool(o, "soft_fail", false);
        return;
    }
    size_t i;
    json_t *e;
    s->soft_fail_statuses = xcalloc(json_array_size(v) + 1, sizeof(int));
    json_array_foreach(v, i, e) {
        json_t *st = json_object_get(e, "exit_status");
        if (json_is_string(st))
            s->soft_fail_all = true;
        else if (st && json_number_value(st) >= INT_MIN && json_number_value(st) <= INT_MAX)
            s->soft_fail_statuses[s->nsoft_fail++] = (int)json_number_value(st);
    }
}

static void load_group_steps(struct bk_loader *L, json_t *o, const char *ptr, struct bk_step *s,
                             const struct bk_pipe_ctx *pc, int *rc)
{
    json_t *steps = json_object_get(o, "steps");
    char *cp = lk_pointer_join(ptr, "steps");
    s->steps = xcalloc(json_array_size(steps) + 1, sizeof(*s->steps));
    size_t i;
    json_t *e;
    json_array_foreach(steps, i, e) {
        char *ep = lk_pointer_index(cp, i);
        *rc = bk_step_load(L, e, ep, true, &s->steps[s->nsteps], pc);
        free(ep);
        s->nsteps++; /* a partly loaded step is released with the group */
        if (*rc < 0)
            break;
    }
    free(cp);
}

/* The object the step's attributes are in: a nested form's inner step. */
static json_t *unwrap(json_t *v, enum bk_step_type t)
{
    static const char *const wrappers[] = { "command", "commands", "script", "wait", "waiter", "block", "input",
                                            "trigger", NULL };
    if (t == BK_STEP_GROUP)
        return v;
    for (size_t i = 0; wrappers[i]; i++) {
        json_t *inner = json_object_get(v, wrappers[i]);
        if (json_is_object(inner))
            return inner;
    }
    return v;
}

int bk_step_load(struct bk_loader *L, json_t *v, const char *ptr, bool in_group, struct bk_step *s,
                 const struct bk_pipe_ctx *pc)
{
    memset(s, 0, sizeof(*s));
    s->parallel_index = -1;
    s->place = bk_file_place(L, ptr);
    s->raw = json_incref(v);
    (void)in_group; /* (the schema check refused a group in a group) */
    if (json_is_string(v)) {
        const char *n = json_string_value(v);
        s->type = !strcmp(n, "block") ? BK_STEP_BLOCK : !strcmp(n, "input") ? BK_STEP_INPUT : BK_STEP_WAIT;
        if (s->type != BK_STEP_WAIT)
            s->label = xstrdup(n);
        return 0;
    }
    s->type = bk_schema_step_type(v);
    json_t *o = unwrap(v, s->type);
    s->key = read_key(o);
    s->label = bk_read_string(o, "label");
    if (!s->label)
        s->label = bk_read_string(o, "name");
    read_depends_on(o, s);
    s->allow_dependency_failure = bk_read_bool(o, "allow_dependency_failure", false);
    s->branches = bk_read_joined(json_object_get(o, "branches"), " ");
    s->cond = bk_read_string(o, "if");
    read_if_changed(o, s);
    int rc = 0;
    switch (s->type) {
    case BK_STEP_COMMAND:
        rc = bk_command_load(L, o, ptr, s, pc);
        break;
    case BK_STEP_WAIT:
        s->continue_on_failure = bk_read_bool(o, "continue_on_failure", false);
        if (!s->label)
            s->label = bk_read_string(o, "wait");
        break;
    case BK_STEP_BLOCK:
    case BK_STEP_INPUT: {
        const char *name = s->type == BK_STEP_BLOCK ? "block" : "input";
        if (!s->label)
            s->label = bk_read_string(o, name);
        if (!s->label)
            s->label = xstrdup(name);
        s->prompt = bk_read_string(o, "prompt");
        if (json_object_get(o, "fields"))
            s->fields = json_deep_copy(json_object_get(o, "fields"));
        bk_record(s, "fields", json_object_get(o, "fields"));
        bk_record(s, "blocked_state", json_object_get(o, "blocked_state"));
        bk_record(s, "allowed_teams", json_object_get(o, "allowed_teams"));
        break;
    }
    case BK_STEP_TRIGGER:
        s->trigger = bk_read_string(o, "trigger");
        bk_read_skip(o, s);
        bk_read_soft_fail(o, s);
        bk_record(s, "trigger", json_object_get(o, "trigger"));
        bk_record(s, "build", json_object_get(o, "build"));
        if (json_object_get(o, "async"))
            bk_record(s, "async", bk_read_bool(o, "async", false) ? json_true() : json_false());
        break;
    case BK_STEP_GROUP:
        if (!s->label)
            s->label = bk_read_string(o, "group");
        bk_read_skip(o, s);
        bk_record(s, "notify", json_object_get(o, "notify"));
        load_group_steps(L, o, ptr, s, pc, &rc);
        break;
    }
    return rc;
}
