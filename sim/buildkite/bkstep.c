/* bkstep — the step model: each step of a loaded pipeline tree, of every
 * type, checked and parsed into a struct bk_step. */
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

static const char *const ATTRS_COMMON[] = { "key", "id", "identifier", "label", "name", "depends_on",
                                            "allow_dependency_failure", "if", "type", NULL };
static const char *const ATTRS_COMMAND[] = {
    "command", "commands", "branches", "skip", "soft_fail", "timeout_in_minutes", "env", "agents",
    "concurrency", "concurrency_group", "concurrency_method", "cancel_on_build_failing",
    "parallelism", "retry", "artifact_paths", "plugins", "matrix", "notify", "priority", NULL };
static const char *const ATTRS_WAIT[] = { "wait", "waiter", "continue_on_failure", "branches", NULL };
static const char *const ATTRS_BLOCK[] = { "block", "prompt", "fields", "branches", "blocked_state",
                                           "allowed_teams", "skip", NULL };
static const char *const ATTRS_INPUT[] = { "input", "prompt", "fields", "branches", "blocked_state",
                                           "allowed_teams", "skip", NULL };
static const char *const ATTRS_TRIGGER[] = { "trigger", "build", "async", "branches", "skip",
                                             "soft_fail", NULL };
static const char *const ATTRS_GROUP[] = { "group", "steps", "skip", "notify", NULL };

bool bk_name_in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return true;
    return false;
}

/* A bool, or the strings "true"/"false" (Buildkite accepts both). */
static int get_bool(struct bk_loader *L, json_t *obj, const char *name, const char *ptr, bool *out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, name);
    int rc = 0;
    if (json_is_boolean(v))
        *out = json_is_true(v);
    else if (json_is_string(v) && !strcmp(json_string_value(v), "true"))
        *out = true;
    else if (json_is_string(v) && !strcmp(json_string_value(v), "false"))
        *out = false;
    else
        rc = bk_bad(L, cp, "expected true or false for \"%s\"", name);
    free(cp);
    return rc;
}

static int get_string(struct bk_loader *L, json_t *obj, const char *name, const char *ptr, char **out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        char *cp = lk_pointer_join(ptr, name);
        bk_bad(L, cp, "expected a string for \"%s\"", name);
        free(cp);
        return -1;
    }
    free(*out);
    *out = xstrdup(json_string_value(v));
    return 0;
}

/* A string, or a list of strings joined with `sep`. */
static int get_string_or_list(struct bk_loader *L, json_t *obj, const char *name, const char *ptr,
                              const char *sep, char **out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, name);
    int rc = 0;
    if (json_is_string(v)) {
        *out = xstrdup(json_string_value(v));
    } else if (json_is_array(v)) {
        struct strbuf sb = STRBUF_INIT;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) {
                char *ep = lk_pointer_index(cp, i);
                rc = bk_bad(L, ep, "expected a string in \"%s\"", name);
                free(ep);
                break;
            }
            if (i)
                sb_adds(&sb, sep);
            sb_adds(&sb, json_string_value(e));
        }
        if (rc == 0)
            *out = sb_detach(&sb);
        sb_release(&sb);
    } else {
        rc = bk_bad(L, cp, "expected a string or a list of strings for \"%s\"", name);
    }
    free(cp);
    return rc;
}

static int get_int(struct bk_loader *L, json_t *obj, const char *name, const char *ptr, long min,
                   long *out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, name);
    int rc = 0;
    long long n = 0;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
    } else if (json_is_string(v) && *json_string_value(v) &&
               strspn(json_string_value(v), "0123456789") == strlen(json_string_value(v)) &&
               strlen(json_string_value(v)) < 10) {
        n = atoll(json_string_value(v));
    } else {
        rc = bk_bad(L, cp, "expected an integer for \"%s\"", name);
        free(cp);
        return rc;
    }
    if (n < min || n > INT_MAX)
        rc = bk_bad(L, cp, "expected an integer from %ld to %d for \"%s\"", min, INT_MAX, name);
    else
        *out = (long)n;
    free(cp);
    return rc;
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

int bk_get_env(struct bk_loader *L, json_t *obj, const char *name, const char *ptr,
               struct bk_env *env)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, name);
    if (!json_is_object(v)) {
        bk_bad(L, cp, "expected a mapping of environment variables for \"%s\"", name);
        free(cp);
        return -1;
    }
    const char *k;
    json_t *e;
    json_object_foreach(v, k, e) {
        char *s;
        if (!*k || strchr(k, '=') || bk_scalar_to_string(e, &s) < 0) {
            char *ep = lk_pointer_join(cp, k);
            bk_bad(L, ep, *k && !strchr(k, '=') ? "expected a string, number or boolean value"
                                              : "expected a variable name without \"=\"");
            free(ep);
            free(cp);
            return -1;
        }
        bk_env_set(env, k, s);
        free(s);
    }
    free(cp);
    return 0;
}

static int get_depends_on(struct bk_loader *L, json_t *obj, const char *ptr, struct bk_step *s)
{
    json_t *v = json_object_get(obj, "depends_on");
    if (!v)
        return 0;
    s->has_depends_on = true;
    if (json_is_null(v))
        return 0;
    char *cp = lk_pointer_join(ptr, "depends_on");
    int rc = 0;
    json_t *list = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
    if (!json_is_array(list)) {
        rc = bk_bad(L, cp, "expected a key, a list of keys or a list of {step, allow_failure}");
    } else {
        size_t i;
        json_t *e;
        s->deps = xcalloc(json_array_size(list) + 1, sizeof(*s->deps));
        json_array_foreach(list, i, e) {
            char *ep = json_is_string(v) ? xstrdup(cp) : lk_pointer_index(cp, i);
            struct bk_dep d = { NULL, false };
            if (json_is_string(e)) {
                d.key = xstrdup(json_string_value(e));
            } else if (json_is_object(e)) {
                const char *k;
                json_t *x;
                json_object_foreach(e, k, x) {
                    if (strcmp(k, "step") && strcmp(k, "allow_failure")) {
                        char *xp = lk_pointer_join(ep, k);
                        rc = bk_bad(L, xp, "expected only \"step\" and \"allow_failure\" in a dependency");
                        free(xp);
                        break;
                    }
                }
                if (rc == 0 && get_bool(L, e, "allow_failure", ep, &d.allow_failure) == 0) {
                    json_t *st = json_object_get(e, "step");
                    if (json_is_string(st))
                        d.key = xstrdup(json_string_value(st));
                    else
                        rc = bk_bad(L, ep, "expected a \"step\" key string in the dependency");
                } else {
                    rc = -1;
                }
            } else {
                rc = bk_bad(L, ep, "expected a step key or {step, allow_failure}");
            }
            free(ep);
            if (rc < 0)
                break;
            s->deps[s->ndeps++] = d;
        }
    }
    json_decref(list);
    free(cp);
    return rc;
}

static int get_soft_fail(struct bk_loader *L, json_t *obj, const char *ptr, struct bk_step *s)
{
    json_t *v = json_object_get(obj, "soft_fail");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return get_bool(L, obj, "soft_fail", ptr, &s->soft_fail_all);
    char *cp = lk_pointer_join(ptr, "soft_fail");
    size_t i;
    json_t *e;
    s->soft_fail_statuses = xcalloc(json_array_size(v) + 1, sizeof(int));
    json_array_foreach(v, i, e) {
        char *ep = lk_pointer_index(cp, i);
        json_t *st = json_is_object(e) && json_object_size(e) == 1 ? json_object_get(e, "exit_status")
                                                                     : NULL;
        int rc = 0;
        if (json_is_string(st) && !strcmp(json_string_value(st), "*"))
            s->soft_fail_all = true;
        else if (json_is_integer(st) && json_integer_value(st) >= -255 && json_integer_value(st) <= 255)
            s->soft_fail_statuses[s->nsoft_fail++] = (int)json_integer_value(st);
        else
            rc = bk_bad(L, ep, "expected {\"exit_status\": <integer> or \"*\"}");
        free(ep);
        if (rc < 0) {
            free(cp);
            return -1;
        }
    }
    free(cp);
    return 0;
}

static int get_key(struct bk_loader *L, json_t *obj, const char *ptr, char **out)
{
    static const char *const names[] = { "key", "id", "identifier" };
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(obj, names[i]);
        if (!v || json_is_null(v))
            continue;
        char *cp = lk_pointer_join(ptr, names[i]);
        int rc = 0;
        if (!json_is_string(v))
            rc = bk_bad(L, cp, "expected a string for \"%s\"", names[i]);
        else if (*out && strcmp(*out, json_string_value(v)))
            rc = bk_bad(L, cp, "expected \"%s\" to equal the step's other key \"%s\"", names[i], *out);
        else if (!*out)
            *out = xstrdup(json_string_value(v));
        free(cp);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int step_type_of(struct bk_loader *L, json_t *obj, const char *ptr, enum bk_step_type *t)
{
    static const struct { const char *key; enum bk_step_type t; } keys[] = {
        { "command", BK_STEP_COMMAND }, { "commands", BK_STEP_COMMAND }, { "wait", BK_STEP_WAIT },
        { "waiter", BK_STEP_WAIT },     { "block", BK_STEP_BLOCK },       { "input", BK_STEP_INPUT },
        { "trigger", BK_STEP_TRIGGER }, { "group", BK_STEP_GROUP },
    };
    int found = -1;
    const char *found_key = NULL;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!json_object_get(obj, keys[i].key))
            continue;
        if (found >= 0 && keys[found].t != keys[i].t)
            return bk_bad(L, ptr, "expected one step type, found both \"%s\" and \"%s\"", found_key,
                       keys[i].key);
        found = (int)i;
        found_key = keys[i].key;
    }
    json_t *type = json_object_get(obj, "type");
    if (type) {
        static const struct { const char *name; enum bk_step_type t; } types[] = {
            { "command", BK_STEP_COMMAND }, { "script", BK_STEP_COMMAND }, { "wait", BK_STEP_WAIT },
            { "waiter", BK_STEP_WAIT },     { "block", BK_STEP_BLOCK },     { "manual", BK_STEP_BLOCK },
            { "input", BK_STEP_INPUT },     { "trigger", BK_STEP_TRIGGER }, { "group", BK_STEP_GROUP },
        };
        const char *tn = json_string_value(type);
        int tf = -1;
        for (size_t i = 0; tn && i < sizeof(types) / sizeof(types[0]); i++)
            if (!strcmp(tn, types[i].name))
                tf = (int)i;
        char *cp = lk_pointer_join(ptr, "type");
        int rc = 0;
        if (tf < 0)
            rc = bk_bad(L, cp, "expected a step type (command, script, wait, waiter, block, manual, "
                            "input, trigger, group)");
        else if (found >= 0 && keys[found].t != types[tf].t)
            rc = bk_bad(L, cp, "expected the type to agree with \"%s\"", found_key);
        free(cp);
        if (rc < 0)
            return -1;
        *t = types[tf].t;
        return 0;
    }
    if (found < 0)
        return bk_bad(L, ptr, "expected a step: an object with one of command, commands, wait, block, "
                           "input, trigger or group");
    *t = keys[found].t;
    return 0;
}

static int load_group_steps(struct bk_loader *L, json_t *obj, const char *ptr, struct bk_step *s,
                            const struct bk_env *pipeline_env)
{
    json_t *steps = json_object_get(obj, "steps");
    char *cp = lk_pointer_join(ptr, "steps");
    int rc = 0;
    if (!json_is_array(steps) || json_array_size(steps) == 0) {
        rc = bk_bad(L, steps ? cp : ptr, "expected a non-empty list of steps in the group");
    } else {
        s->steps = xcalloc(json_array_size(steps), sizeof(*s->steps));
        size_t i;
        json_t *e;
        json_array_foreach(steps, i, e) {
            char *ep = lk_pointer_index(cp, i);
            rc = bk_step_load(L, e, ep, true, &s->steps[s->nsteps], pipeline_env);
            free(ep);
            s->nsteps++; /* a partly loaded step is released with the group */
            if (rc < 0)
                break;
        }
    }
    free(cp);
    return rc;
}

int bk_step_load(struct bk_loader *L, json_t *v, const char *ptr, bool in_group, struct bk_step *s,
                 const struct bk_env *pipeline_env)
{
    memset(s, 0, sizeof(*s));
    char *place = bk_place_of(L, ptr);
    s->place = xasprintf("%s: %s", L->file, place);
    free(place);
    s->raw = json_incref(v);
    if (json_is_string(v)) {
        const char *n = json_string_value(v);
        if (!strcmp(n, "wait") || !strcmp(n, "waiter"))
            s->type = BK_STEP_WAIT;
        else if (!strcmp(n, "block"))
            s->type = BK_STEP_BLOCK, s->label = xstrdup("block");
        else if (!strcmp(n, "input"))
            s->type = BK_STEP_INPUT, s->label = xstrdup("input");
        else
            return bk_bad(L, ptr, "expected a step: \"wait\", \"block\", \"input\" or an object");
        return 0;
    }
    if (!json_is_object(v))
        return bk_bad(L, ptr, "expected a step (an object or \"wait\")");
    if (step_type_of(L, v, ptr, &s->type) < 0)
        return -1;
    const char *const *own = s->type == BK_STEP_COMMAND ? ATTRS_COMMAND
                             : s->type == BK_STEP_WAIT  ? ATTRS_WAIT
                             : s->type == BK_STEP_BLOCK ? ATTRS_BLOCK
                             : s->type == BK_STEP_INPUT ? ATTRS_INPUT
                             : s->type == BK_STEP_TRIGGER ? ATTRS_TRIGGER
                                                          : ATTRS_GROUP;
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        if (bk_name_in_list(ATTRS_COMMON, k) || bk_name_in_list(own, k))
            continue;
        char *cp = lk_pointer_join(ptr, k);
        bk_bad(L, cp, "unknown attribute \"%s\" for a %s step", k, bk_step_type_name(s->type));
        free(cp);
        return -1;
    }
    static const char *const unsupported[] = { "if", "matrix", "plugins", NULL };
    for (const char *const *u = unsupported; *u; u++) {
        if (json_object_get(v, *u)) {
            char *cp = lk_pointer_join(ptr, *u);
            bk_bad(L, cp, "\"%s\" is not supported by the simulated Buildkite", *u);
            free(cp);
            return -1;
        }
    }
    if (s->type == BK_STEP_GROUP && in_group)
        return bk_bad(L, ptr, "expected no group inside a group (groups cannot be nested)");
    if (get_key(L, v, ptr, &s->key) < 0 || get_string(L, v, "name", ptr, &s->label) < 0 ||
        get_string(L, v, "label", ptr, &s->label) < 0 || get_depends_on(L, v, ptr, s) < 0 ||
        get_bool(L, v, "allow_dependency_failure", ptr, &s->allow_dependency_failure) < 0 ||
        get_string_or_list(L, v, "branches", ptr, " ", &s->branches) < 0)
        return -1;
    json_t *skip = json_object_get(v, "skip");
    if (skip && json_is_string(skip) && strcmp(json_string_value(skip), "true") &&
        strcmp(json_string_value(skip), "false")) {
        s->skip = *json_string_value(skip) != '\0';
        s->skip_reason = s->skip ? xstrdup(json_string_value(skip)) : NULL;
    } else if (get_bool(L, v, "skip", ptr, &s->skip) < 0) {
        return -1;
    }
    switch (s->type) {
    case BK_STEP_COMMAND: {
        json_t *c = json_object_get(v, "command");
        json_t *cs = json_object_get(v, "commands");
        if (c && cs && !json_is_null(c) && !json_is_null(cs))
            return bk_bad(L, ptr, "expected only one of \"command\" and \"commands\"");
        if (get_string_or_list(L, v, json_is_null(c) || !c ? "commands" : "command", ptr, "\n",
                               &s->command) < 0)
            return -1;
        if (!s->command)
            return bk_bad(L, ptr, "expected a \"command\" or \"commands\" in the command step");
        long parallelism = 1;
        if (get_soft_fail(L, v, ptr, s) < 0 ||
            get_int(L, v, "timeout_in_minutes", ptr, 1, &s->timeout_in_minutes) < 0 ||
            get_int(L, v, "parallelism", ptr, 1, &parallelism) < 0 ||
            get_int(L, v, "concurrency", ptr, 1, &s->concurrency) < 0 ||
            get_string(L, v, "concurrency_group", ptr, &s->concurrency_group) < 0 ||
            get_bool(L, v, "cancel_on_build_failing", ptr, &s->cancel_on_build_failing) < 0)
            return -1;
        if (parallelism > 1) {
            char *cp = lk_pointer_join(ptr, "parallelism");
            bk_bad(L, cp, "\"parallelism\" greater than 1 is not supported by the simulated Buildkite");
            free(cp);
            return -1;
        }
        if (!s->concurrency != !s->concurrency_group)
            return bk_bad(L, ptr, "expected \"concurrency\" and \"concurrency_group\" together");
        bk_env_merge(&s->env, pipeline_env);
        if (bk_get_env(L, v, "env", ptr, &s->env) < 0)
            return -1;
        json_t *ag = json_object_get(v, "agents");
        if (ag && !json_is_object(ag) && !json_is_array(ag) && !json_is_null(ag)) {
            char *cp = lk_pointer_join(ptr, "agents");
            bk_bad(L, cp, "expected a mapping or a list of agent tags");
            free(cp);
            return -1;
        }
        break;
    }
    case BK_STEP_WAIT:
        if (get_bool(L, v, "continue_on_failure", ptr, &s->continue_on_failure) < 0)
            return -1;
        if (!s->label) {
            json_t *w = json_object_get(v, "wait");
            if (json_is_string(w))
                s->label = xstrdup(json_string_value(w));
            else if (w && !json_is_null(w))
                return bk_bad(L, ptr, "expected a string or null for \"wait\"");
        }
        break;
    case BK_STEP_BLOCK:
    case BK_STEP_INPUT: {
        const char *name = s->type == BK_STEP_BLOCK ? "block" : "input";
        char *title = NULL;
        if (get_string(L, v, name, ptr, &title) < 0 || get_string(L, v, "prompt", ptr, &s->prompt) < 0) {
            free(title);
            return -1;
        }
        if (!s->label)
            s->label = title ? title : xstrdup(name);
        else
            free(title);
        json_t *f = json_object_get(v, "fields");
        if (f && !json_is_array(f) && !json_is_null(f)) {
            char *cp = lk_pointer_join(ptr, "fields");
            bk_bad(L, cp, "expected a list of fields");
            free(cp);
            return -1;
        }
        break;
    }
    case BK_STEP_TRIGGER:
        if (get_string(L, v, "trigger", ptr, &s->trigger) < 0 || get_soft_fail(L, v, ptr, s) < 0)
            return -1;
        if (!s->trigger)
            return bk_bad(L, ptr, "expected a pipeline slug string for \"trigger\"");
        break;
    case BK_STEP_GROUP:
        if (!s->label) {
            json_t *g = json_object_get(v, "group");
            if (json_is_string(g))
                s->label = xstrdup(json_string_value(g));
            else if (g && !json_is_null(g)) {
                char *cp = lk_pointer_join(ptr, "group");
                bk_bad(L, cp, "expected a string or null for \"group\"");
                free(cp);
                return -1;
            }
        }
        if (load_group_steps(L, v, ptr, s, pipeline_env) < 0)
            return -1;
        break;
    }
    return 0;
}
