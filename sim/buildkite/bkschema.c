/* bkschema — Buildkite's pipeline schema (buildkite/pipeline-schema,
 * schema.json) as C checks over a loaded tree, so that the loader accepts
 * exactly the pipelines the schema accepts: every step shape and
 * attribute, its type, enumerations, patterns and lengths. See bkloader.h.
 *
 * The schema's `anyOf`/`oneOf` between step shapes is decided by the
 * attribute that names the step's type (`command`, `wait`, `block`, …,
 * `type`); a step without one (`{"key": "x"}`) may be any of the shapes
 * that have no required attribute (command, wait, block, input) and is
 * valid when one of them accepts it. Nested forms (`block: {…}`) are
 * checked as the step they wrap. Checks stop at the first problem and
 * report it at its JSON pointer; a message names the rule broken. This
 * file: the step shapes and the document; the shapes of attribute values
 * are bkschemaval.c's (bkschemaint.h between them). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkloader.h"
#include "buildkite/bkschemaint.h"
#include "strbuf.h"
#include "xalloc.h"

/* ---- the step shapes --------------------------------------------------------- */

#define COMMON_PROPS                                                                                 \
    { "allow_dependency_failure", bksc_bool }, { "branches", bksc_str_or_list }, { "depends_on", bksc_depends_on }, \
    { "if", bksc_string }, { "key", bksc_key }, { "identifier", bksc_key }, { "id", bksc_key }

static const struct prop COMMAND_PROPS[] = {
    COMMON_PROPS, { "agents", bksc_agents }, { "artifact_paths", bksc_str_or_list }, { "cache", bksc_cache },
    { "cancel_on_build_failing", bksc_bool }, { "command", bksc_str_or_list }, { "commands", bksc_str_or_list },
    { "concurrency", bksc_integer }, { "concurrency_group", bksc_string },
    { "concurrency_method", bksc_concurrency_method }, { "env", bksc_object }, { "if_changed", bksc_if_changed },
    { "image", bksc_string }, { "label", bksc_string }, { "name", bksc_string }, { "signature", bksc_signature },
    { "matrix", bksc_matrix }, { "notify", bksc_notify_step }, { "parallelism", bksc_integer },
    { "plugins", bksc_plugins }, { "soft_fail", bksc_soft_fail }, { "retry", bksc_retry }, { "skip", bksc_skip },
    { "timeout_in_minutes", bksc_timeout }, { "type", bksc_type_command }, { "priority", bksc_integer },
    { "secrets", bksc_secrets }, { NULL, NULL },
};
static const struct prop WAIT_PROPS[] = {
    COMMON_PROPS, { "continue_on_failure", bksc_bool }, { "label", bksc_string_or_null },
    { "name", bksc_string_or_null }, { "type", bksc_type_wait }, { "wait", bksc_string_or_null }, { NULL, NULL },
};
static const struct prop BLOCK_PROPS[] = {
    COMMON_PROPS, { "block", bksc_string }, { "blocked_state", bksc_blocked_state }, { "fields", bksc_fields },
    { "label", bksc_string }, { "name", bksc_string }, { "prompt", bksc_string }, { "allowed_teams", bksc_str_or_list },
    { "type", bksc_type_block }, { NULL, NULL },
};
static const struct prop INPUT_PROPS[] = {
    COMMON_PROPS, { "input", bksc_string }, { "blocked_state", bksc_blocked_state }, { "fields", bksc_fields },
    { "label", bksc_string }, { "name", bksc_string }, { "prompt", bksc_string }, { "allowed_teams", bksc_str_or_list },
    { "type", bksc_type_input }, { NULL, NULL },
};
static const struct prop TRIGGER_PROPS[] = {
    COMMON_PROPS, { "async", bksc_bool }, { "build", bksc_trigger_build }, { "if_changed", bksc_if_changed },
    { "label", bksc_string }, { "name", bksc_string }, { "type", bksc_type_trigger }, { "trigger", bksc_string },
    { "skip", bksc_skip }, { "soft_fail", bksc_soft_fail }, { NULL, NULL },
};
static bool bksc_group_steps(struct sc *C, json_t *v, const char *ptr);
static const struct prop GROUP_PROPS[] = {
    { "depends_on", bksc_depends_on }, { "group", bksc_string_or_null }, { "if", bksc_string },
    { "if_changed", bksc_if_changed }, { "key", bksc_key }, { "identifier", bksc_key }, { "id", bksc_key },
    { "label", bksc_string_or_null }, { "name", bksc_string_or_null }, { "allow_dependency_failure", bksc_bool },
    { "notify", bksc_notify_build }, { "skip", bksc_skip }, { "steps", bksc_group_steps }, { NULL, NULL },
};
static const char *const TRIGGER_REQ[] = { "trigger", NULL };
static const char *const GROUP_REQ[] = { "group", "steps", NULL };
static const struct shape COMMAND_SHAPE = { "a command step", COMMAND_PROPS, NULL, false };
static const struct shape WAIT_SHAPE = { "a wait step", WAIT_PROPS, NULL, false };
static const struct shape BLOCK_SHAPE = { "a block step", BLOCK_PROPS, NULL, false };
static const struct shape INPUT_SHAPE = { "an input step", INPUT_PROPS, NULL, false };
static const struct shape TRIGGER_SHAPE = { "a trigger step", TRIGGER_PROPS, TRIGGER_REQ, false };
static const struct shape GROUP_SHAPE = { "a group step", GROUP_PROPS, GROUP_REQ, false };

/* The family a type-naming attribute or `type` value belongs to. */
static const struct { const char *name; const struct shape *shape; } FAMILY[] = {
    { "command", &COMMAND_SHAPE }, { "commands", &COMMAND_SHAPE }, { "script", &COMMAND_SHAPE },
    { "wait", &WAIT_SHAPE },       { "waiter", &WAIT_SHAPE },      { "block", &BLOCK_SHAPE },
    { "input", &INPUT_SHAPE },     { "trigger", &TRIGGER_SHAPE },  { "group", &GROUP_SHAPE },
};
#define NFAMILY (sizeof(FAMILY) / sizeof(FAMILY[0]))

static bool check_step(struct sc *C, json_t *v, const char *ptr, bool in_group)
{
    if (json_is_string(v)) {
        static const char *const names[] = { "wait", "waiter", "block", "input", NULL };
        return bksc_enum(C, v, ptr, names);
    }
    if (!json_is_object(v))
        return bksc_bad(C, ptr, "expected a step: an object, or \"wait\", \"waiter\", \"block\", \"input\"");
    const char *found = NULL;
    const struct shape *shape = NULL;
    for (size_t i = 0; i < NFAMILY; i++) {
        if (!json_object_get(v, FAMILY[i].name))
            continue;
        if (shape && shape != FAMILY[i].shape)
            return bksc_bad(C, ptr, "expected one step type, found both \"%s\" and \"%s\"", found, FAMILY[i].name);
        shape = FAMILY[i].shape;
        found = FAMILY[i].name;
    }
    if (shape == &GROUP_SHAPE && in_group)
        return bksc_bad(C, ptr, "expected no group inside a group (groups cannot be nested)");
    /* nested forms: the one attribute wraps the step itself */
    json_t *inner = found ? json_object_get(v, found) : NULL;
    if (json_is_object(inner) && shape != &GROUP_SHAPE) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            bool wrapper = shape == &COMMAND_SHAPE ? (!strcmp(k, "command") || !strcmp(k, "commands") || !strcmp(k, "script"))
                                                   : !strcmp(k, found);
            char *cp = lk_pointer_join(ptr, k);
            bool ok = wrapper ? bksc_shape(C, shape, x, cp)
                              : bksc_bad(C, cp, "unknown attribute \"%s\" beside a nested \"%s\" step", k, found);
            free(cp);
            if (!ok)
                return false;
        }
        return true;
    }
    if (found && !strcmp(found, "script"))
        return bksc_bad(C, ptr, "expected \"script\" to hold a command step (script: {command: ...})");
    if (found && !strcmp(found, "waiter"))
        return bksc_bad(C, ptr, "expected \"waiter\" to hold a wait step (waiter: {...})");
    if (shape)
        return bksc_shape(C, shape, v, ptr);
    json_t *type = json_object_get(v, "type");
    if (type) { /* the shape whose `type` takes this value */
        const char *t = json_string_value(type);
        for (size_t i = 0; t && i < NFAMILY; i++)
            if (!strcmp(t, FAMILY[i].name) && FAMILY[i].shape != &GROUP_SHAPE)
                return bksc_shape(C, FAMILY[i].shape, v, ptr);
        char *cp = lk_pointer_join(ptr, "type");
        bksc_bad(C, cp, "expected a step type: script, command, commands, wait, waiter, block, input or trigger");
        free(cp);
        return false;
    }
    /* no attribute names the type: any shape without required attributes */
    static const struct shape *const untyped[] = { &COMMAND_SHAPE, &WAIT_SHAPE, &BLOCK_SHAPE, &INPUT_SHAPE };
    struct sc first = { NULL, NULL };
    for (size_t i = 0; i < 4; i++) {
        struct sc trial = { NULL, NULL };
        if (bksc_shape(&trial, untyped[i], v, ptr)) {
            bksc_clear(&first);
            return true;
        }
        if (i == 0)
            first = trial;
        else
            bksc_clear(&trial);
    }
    bksc_bad(C, first.eptr, "%s", first.emsg);
    bksc_clear(&first);
    return false;
}

static bool bksc_group_step(struct sc *C, json_t *v, const char *ptr) { return check_step(C, v, ptr, true); }
static bool bksc_group_steps(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v) && json_array_size(v) == 0)
        return bksc_bad(C, ptr, "expected a non-empty list of steps in the group");
    return bksc_each(C, v, ptr, bksc_group_step, "steps");
}
static bool bksc_top_step(struct sc *C, json_t *v, const char *ptr) { return check_step(C, v, ptr, false); }

int bk_schema_check(struct bk_loader *L, json_t *root)
{
    static const struct prop TOP_PROPS[] = {
        { "env", bksc_object },       { "agents", bksc_agents }, { "notify", bksc_notify_build }, { "image", bksc_string },
        { "secrets", bksc_secrets }, { "priority", bksc_integer }, { "steps", bksc_any }, { NULL, NULL },
    };
    static const char *const TOP_REQ[] = { "steps", NULL };
    static const struct shape TOP = { "a pipeline", TOP_PROPS, TOP_REQ, true };
    struct sc C = { NULL, NULL };
    bool ok;
    if (json_is_array(root)) /* a bare list of steps, as the agent takes it */
        ok = bksc_each(&C, root, "", bksc_top_step, "steps");
    else if (!json_is_object(root))
        ok = bksc_bad(&C, "", "expected a pipeline: a mapping with \"steps\" or a list of steps");
    else if ((ok = bksc_shape(&C, &TOP, root, "")))
        ok = json_is_array(json_object_get(root, "steps"))
                 ? bksc_each(&C, json_object_get(root, "steps"), "/steps", bksc_top_step, "steps")
                 : bksc_bad(&C, "/steps", "expected a list of steps under \"steps\"");
    if (!ok)
        bk_bad(L, C.eptr, "%s", C.emsg);
    bksc_clear(&C);
    return ok ? 0 : -1;
}

enum bk_step_type bk_schema_step_type(json_t *v)
{
    static const struct { const struct shape *shape; enum bk_step_type t; } types[] = {
        { &COMMAND_SHAPE, BK_STEP_COMMAND }, { &WAIT_SHAPE, BK_STEP_WAIT },   { &BLOCK_SHAPE, BK_STEP_BLOCK },
        { &INPUT_SHAPE, BK_STEP_INPUT },     { &TRIGGER_SHAPE, BK_STEP_TRIGGER }, { &GROUP_SHAPE, BK_STEP_GROUP },
    };
    const struct shape *shape = NULL;
    for (size_t i = 0; i < NFAMILY && !shape; i++)
        if (json_object_get(v, FAMILY[i].name))
            shape = FAMILY[i].shape;
    const char *t = json_string_value(json_object_get(v, "type"));
    for (size_t i = 0; t && !shape && i < NFAMILY; i++)
        if (!strcmp(t, FAMILY[i].name))
            shape = FAMILY[i].shape;
    for (size_t i = 0; !shape && i < 4; i++) {
        struct sc trial = { NULL, NULL };
        if (bksc_shape(&trial, types[i].shape, v, ""))
            shape = types[i].shape;
        bksc_clear(&trial);
    }
    for (size_t i = 0; i < 6; i++)
        if (types[i].shape == shape)
            return types[i].t;
    return BK_STEP_COMMAND;
}
