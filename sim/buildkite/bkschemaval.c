/* bkschemaval — the shapes of attribute values in Buildkite's pipeline
 * schema (see bkschema.c): scalars, enumerations, patterns (keys, field
 * keys, dimension names, cache sizes), and the objects inside a step:
 * depends_on, if_changed, cache, secrets, signature, plugins, soft_fail,
 * retry, matrix, notify, fields, a trigger's build. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkloader.h"
#include "buildkite/bkschemaint.h"
#include "strbuf.h"
#include "xalloc.h"

bool bksc_bad(struct sc *C, const char *ptr, const char *fmt, ...)
{
    if (C->emsg)
        return false;
    va_list ap;
    va_start(ap, fmt);
    C->emsg = xvasprintf(fmt, ap);
    va_end(ap);
    C->eptr = xstrdup(ptr);
    return false;
}

void bksc_clear(struct sc *C)
{
    free(C->eptr);
    free(C->emsg);
    C->eptr = C->emsg = NULL;
}

/* ---- value shapes ---------------------------------------------------------- */

static bool is_boolish(json_t *v)
{
    return json_is_boolean(v) ||
           (json_is_string(v) && (!strcmp(json_string_value(v), "true") || !strcmp(json_string_value(v), "false")));
}

/* An integer, or a real with an integral value (JSON Schema's "integer"). */
static bool bk_json_is_integer(json_t *v)
{
    if (json_is_integer(v))
        return true;
    double d = json_is_real(v) ? json_real_value(v) : 0.5;
    return d == (double)(long long)d && d > -9.2e18 && d < 9.2e18;
}

static bool is_strlist(json_t *v)
{
    size_t i;
    json_t *e;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, e)
        if (!json_is_string(e))
            return false;
    return true;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

bool bksc_any(struct sc *C, json_t *v, const char *ptr) { (void)C, (void)v, (void)ptr; return true; }
bool bksc_string(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || bksc_bad(C, ptr, "expected a string");
}
bool bksc_string_or_null(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || json_is_null(v) || bksc_bad(C, ptr, "expected a string or null");
}
bool bksc_bool(struct sc *C, json_t *v, const char *ptr)
{
    return is_boolish(v) || bksc_bad(C, ptr, "expected true, false, \"true\" or \"false\"");
}
bool bksc_integer(struct sc *C, json_t *v, const char *ptr)
{
    return bk_json_is_integer(v) || bksc_bad(C, ptr, "expected an integer");
}
bool bksc_object(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_object(v) || bksc_bad(C, ptr, "expected a mapping");
}
bool bksc_str_or_list(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || is_strlist(v) || bksc_bad(C, ptr, "expected a string or a list of strings");
}
static bool bksc_strlist(struct sc *C, json_t *v, const char *ptr)
{
    return is_strlist(v) || bksc_bad(C, ptr, "expected a list of strings");
}
bool bksc_timeout(struct sc *C, json_t *v, const char *ptr)
{
    return (bk_json_is_integer(v) && json_number_value(v) >= 1) ||
           bksc_bad(C, ptr, "expected an integer of at least 1 (minutes)");
}

bool bksc_enum(struct sc *C, json_t *v, const char *ptr, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        if (json_is_string(v) && !strcmp(json_string_value(v), names[i]))
            return true;
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; names[i]; i++)
        sb_addf(&sb, "%s%s", i ? ", " : "", names[i]);
    bksc_bad(C, ptr, "expected one of %s", sb_str(&sb));
    sb_release(&sb);
    return false;
}
#define ENUM_CHECK(fn, ...)                                                                        \
    bool fn(struct sc *C, json_t *v, const char *ptr)                                       \
    {                                                                                              \
        static const char *const names[] = { __VA_ARGS__, NULL };                                  \
        return bksc_enum(C, v, ptr, names);                                                          \
    }
ENUM_CHECK(bksc_type_command, "script", "command", "commands")
ENUM_CHECK(bksc_type_wait, "wait", "waiter")
ENUM_CHECK(bksc_type_block, "block")
ENUM_CHECK(bksc_type_input, "input")
ENUM_CHECK(bksc_type_trigger, "trigger")
ENUM_CHECK(bksc_blocked_state, "passed", "failed", "running")
ENUM_CHECK(bksc_concurrency_method, "ordered", "eager")
ENUM_CHECK(bksc_signal_reason, "*", "none", "agent_incompatible", "agent_refused", "agent_stop", "cancel",
           "process_run_error", "signature_rejected", "stack_error")
ENUM_CHECK(bksc_notify_simple, "github_check", "github_commit_status")

/* ---- patterns --------------------------------------------------------------- */

/* Every character a letter, a digit or one of `extra` (and at least one). */
static bool bksc_all_of(const char *s, const char *extra)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr(extra, *s)))
            return false;
    return true;
}

static bool looks_like_uuid(const char *s)
{
    static const int groups[] = { 8, 4, 4, 4, 12 };
    for (int g = 0; g < 5; g++) {
        for (int k = 0; k < groups[g]; k++, s++)
            if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
                return false;
        if (*s++ != (g < 4 ? '-' : '\0'))
            return false;
    }
    return true;
}

const char *bk_key_problem(const char *key)
{
    if (!bksc_all_of(key, "_-:${}.,"))
        return "expected a key of letters, digits and _-:${}., only (the schema's ^[a-zA-Z0-9_\\-:${}.,]+$)";
    if (utf8_chars(key) > BK_KEY_MAX)
        return "expected a key of at most 100 characters";
    if (looks_like_uuid(key))
        return "expected a key that does not look like a UUID";
    return NULL;
}

bool bksc_key(struct sc *C, json_t *v, const char *ptr)
{
    if (!json_is_string(v))
        return bksc_bad(C, ptr, "expected a key string");
    const char *why = bk_key_problem(json_string_value(v));
    return !why || bksc_bad(C, ptr, "%s, \"%s\" is not", why, json_string_value(v));
}

bool bksc_skip(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_boolean(v) || (json_is_string(v) && utf8_chars(json_string_value(v)) <= 70) ||
           bksc_bad(C, ptr, "expected true, false or a reason of at most 70 characters");
}

/* ---- objects with a fixed set of attributes --------------------------------- */

bool bksc_shape(struct sc *C, const struct shape *S, json_t *v, const char *ptr)
{
    if (!json_is_object(v))
        return bksc_bad(C, ptr, "expected a mapping (%s)", S->what);
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        const struct prop *p = S->props;
        while (p->name && strcmp(p->name, k))
            p++;
        char buf[256], *heap;
        const char *cp = lk_pointer_join_buf(buf, sizeof buf, ptr, k, &heap);
        bool ok = p->name ? p->chk(C, x, cp) : S->open || bksc_bad(C, cp, "unknown attribute \"%s\" for %s", k, S->what);
        free(heap);
        if (!ok)
            return false;
    }
    for (size_t i = 0; S->required && S->required[i]; i++)
        if (!json_object_get(v, S->required[i]))
            return bksc_bad(C, ptr, "expected \"%s\" in %s", S->required[i], S->what);
    return true;
}

#define SHAPE_CHECK(fn, shape)                                                                      \
    bool fn(struct sc *C, json_t *v, const char *ptr) { return bksc_shape(C, &shape, v, ptr); }

/* Every element of a list passes `chk`. */
bool bksc_each(struct sc *C, json_t *v, const char *ptr, chk_fn chk, const char *what)
{
    if (!json_is_array(v))
        return bksc_bad(C, ptr, "expected a list of %s", what);
    size_t i;
    json_t *e;
    size_t pl = strlen(ptr);
    char buf[256], *ep = pl + 24 <= sizeof buf ? buf : xmalloc(pl + 24);
    memcpy(ep, ptr, pl);
    json_array_foreach(v, i, e) {
        snprintf(ep + pl, 24, "/%zu", i);
        if (!chk(C, e, ep)) {
            if (ep != buf)
                free(ep);
            return false;
        }
    }
    if (ep != buf)
        free(ep);
    return true;
}

/* depends_on */
static const struct prop DEP_PROPS[] = { { "step", bksc_string }, { "allow_failure", bksc_bool }, { NULL, NULL } };
static const struct shape DEP_SHAPE = { "a dependency {step, allow_failure}", DEP_PROPS, NULL, false };
static bool bksc_dep(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || bksc_shape(C, &DEP_SHAPE, v, ptr);
}
bool bksc_depends_on(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_null(v) || json_is_string(v))
        return true;
    if (!json_is_array(v))
        return bksc_bad(C, ptr, "expected null, a step key or a list of keys and {step, allow_failure}");
    return bksc_each(C, v, ptr, bksc_dep, "dependencies");
}

/* agents, if_changed, cache, secrets, signature, plugins */
bool bksc_agents(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_object(v) || is_strlist(v) || bksc_bad(C, ptr, "expected a mapping or a list of \"key=value\" strings");
}
static const struct prop IFC_PROPS[] = { { "include", bksc_str_or_list }, { "exclude", bksc_str_or_list }, { NULL, NULL } };
static const char *const IFC_REQ[] = { "include", NULL };
static const struct shape IFC_SHAPE = { "if_changed {include, exclude}", IFC_PROPS, IFC_REQ, false };
bool bksc_if_changed(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_string(v) || is_strlist(v))
        return true;
    if (!json_is_object(v))
        return bksc_bad(C, ptr, "expected a glob, a list of globs or {include, exclude}");
    return bksc_shape(C, &IFC_SHAPE, v, ptr);
}
static bool bksc_cache_size(struct sc *C, json_t *v, const char *ptr)
{
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    return (n >= 2 && s[n - 1] == 'g' && strspn(s, "0123456789") == n - 1) ||
           bksc_bad(C, ptr, "expected a size such as \"20g\" (the schema's ^\\d+g$)");
}
static const struct prop CACHE_PROPS[] = { { "paths", bksc_strlist }, { "size", bksc_cache_size }, { "name", bksc_string },
                                           { NULL, NULL } };
static const char *const CACHE_REQ[] = { "paths", NULL };
static const struct shape CACHE_SHAPE = { "cache {paths, size, name}", CACHE_PROPS, CACHE_REQ, true };
bool bksc_cache(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_string(v) || is_strlist(v))
        return true;
    if (!json_is_object(v))
        return bksc_bad(C, ptr, "expected a path, a list of paths or {paths, size, name}");
    return bksc_shape(C, &CACHE_SHAPE, v, ptr);
}
/* Every value of mapping `v` a string, else `msg` at the first that is not. */
static bool string_values(struct sc *C, json_t *v, const char *ptr, const char *msg)
{
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
        if (!json_is_string(x)) {
            char *cp = lk_pointer_join(ptr, k);
            bksc_bad(C, cp, "%s", msg);
            free(cp);
            return false;
        }
    return true;
}
bool bksc_secrets(struct sc *C, json_t *v, const char *ptr)
{
    if (is_strlist(v))
        return true;
    if (!json_is_object(v))
        return bksc_bad(C, ptr, "expected a list of secret names or a mapping of variable to secret name");
    return string_values(C, v, ptr, "expected a secret name string");
}
static const struct prop SIG_PROPS[] = { { "algorithm", bksc_string }, { "value", bksc_string },
                                         { "signed_fields", bksc_strlist }, { NULL, NULL } };
static const struct shape SIG_SHAPE = { "signature", SIG_PROPS, NULL, true };
SHAPE_CHECK(bksc_signature, SIG_SHAPE)
static bool bksc_plugin(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || (json_is_object(v) && json_object_size(v) <= 1) ||
           bksc_bad(C, ptr, "expected a plugin: a name, or a mapping of one name to its settings");
}
bool bksc_plugins(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_object(v) || bksc_each(C, v, ptr, bksc_plugin, "plugins");
}

/* soft_fail */
static bool bksc_soft_status(struct sc *C, json_t *v, const char *ptr)
{
    return bk_json_is_integer(v) || (json_is_string(v) && !strcmp(json_string_value(v), "*")) ||
           bksc_bad(C, ptr, "expected an exit status integer or \"*\"");
}
static const struct prop SOFT_PROPS[] = { { "exit_status", bksc_soft_status }, { NULL, NULL } };
static const struct shape SOFT_SHAPE = { "{exit_status}", SOFT_PROPS, NULL, true };
SHAPE_CHECK(bksc_soft_one, SOFT_SHAPE)
bool bksc_soft_fail(struct sc *C, json_t *v, const char *ptr)
{
    return is_boolish(v) || (json_is_array(v) ? bksc_each(C, v, ptr, bksc_soft_one, "{exit_status}")
                                              : bksc_bad(C, ptr, "expected true, false or a list of {exit_status}"));
}

/* retry */
static bool bksc_retry_status(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v))
        return bksc_each(C, v, ptr, bksc_integer, "exit statuses");
    return bksc_soft_status(C, v, ptr);
}
static bool bksc_retry_limit(struct sc *C, json_t *v, const char *ptr)
{
    return (bk_json_is_integer(v) && json_number_value(v) >= 0 && json_number_value(v) <= 10) ||
           bksc_bad(C, ptr, "expected a limit from 0 to 10");
}
static const struct prop AUTO_PROPS[] = { { "exit_status", bksc_retry_status }, { "limit", bksc_retry_limit },
                                          { "signal", bksc_string }, { "signal_reason", bksc_signal_reason },
                                          { NULL, NULL } };
static const struct shape AUTO_SHAPE = { "an automatic retry rule", AUTO_PROPS, NULL, false };
SHAPE_CHECK(bksc_auto_rule, AUTO_SHAPE)
static bool bksc_automatic(struct sc *C, json_t *v, const char *ptr)
{
    if (is_boolish(v))
        return true;
    if (json_is_array(v))
        return bksc_each(C, v, ptr, bksc_auto_rule, "retry rules");
    return bksc_auto_rule(C, v, ptr);
}
static const struct prop MANUAL_PROPS[] = { { "allowed", bksc_bool }, { "permit_on_passed", bksc_bool },
                                            { "reason", bksc_string }, { NULL, NULL } };
static const struct shape MANUAL_SHAPE = { "manual retry {allowed, permit_on_passed, reason}", MANUAL_PROPS,
                                           NULL, false };
static bool bksc_manual(struct sc *C, json_t *v, const char *ptr)
{
    return is_boolish(v) || bksc_shape(C, &MANUAL_SHAPE, v, ptr);
}
static const struct prop RETRY_PROPS[] = { { "automatic", bksc_automatic }, { "manual", bksc_manual }, { NULL, NULL } };
static const struct shape RETRY_SHAPE = { "retry {automatic, manual}", RETRY_PROPS, NULL, false };
SHAPE_CHECK(bksc_retry, RETRY_SHAPE)

/* matrix */
static bool bksc_element(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || json_is_boolean(v) || bk_json_is_integer(v) ||
           bksc_bad(C, ptr, "expected a matrix element: a string, an integer or a boolean");
}
static bool bksc_setup(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v))
        return bksc_each(C, v, ptr, bksc_element, "matrix elements");
    if (!json_is_object(v))
        return bksc_bad(C, ptr, "expected a list of elements or a mapping of dimension to elements");
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        char *cp = lk_pointer_join(ptr, k);
        bool ok = bksc_all_of(k, "_") ? bksc_each(C, x, cp, bksc_element, "matrix elements")
                                 : bksc_bad(C, cp, "expected a dimension name of letters, digits and _ (^[a-zA-Z0-9_]+$)");
        free(cp);
        if (!ok)
            return false;
    }
    return true;
}
static bool bksc_with(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v))
        return bksc_each(C, v, ptr, bksc_element, "matrix elements");
    if (!json_is_object(v))
        return bksc_bad(C, ptr, "expected a list of elements or a mapping of dimension to element");
    return string_values(C, v, ptr, "expected the element as a string");
}
static const struct prop ADJ_PROPS[] = { { "with", bksc_with }, { "skip", bksc_skip }, { "soft_fail", bksc_soft_fail },
                                         { NULL, NULL } };
static const char *const ADJ_REQ[] = { "with", NULL };
static const struct shape ADJ_SHAPE = { "a matrix adjustment {with, skip, soft_fail}", ADJ_PROPS, ADJ_REQ, true };
SHAPE_CHECK(bksc_adjustment, ADJ_SHAPE)
static bool bksc_adjustments(struct sc *C, json_t *v, const char *ptr)
{
    return bksc_each(C, v, ptr, bksc_adjustment, "adjustments");
}
static const struct prop MATRIX_PROPS[] = { { "setup", bksc_setup }, { "adjustments", bksc_adjustments },
                                            { NULL, NULL } };
static const char *const MATRIX_REQ[] = { "setup", NULL };
static const struct shape MATRIX_SHAPE = { "a matrix {setup, adjustments}", MATRIX_PROPS, MATRIX_REQ, true };
bool bksc_matrix(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v))
        return bksc_each(C, v, ptr, bksc_element, "matrix elements");
    return bksc_shape(C, &MATRIX_SHAPE, v, ptr);
}

/* notify: one kind of notification per entry (the schema's oneOf) */
static bool bksc_slack(struct sc *C, json_t *v, const char *ptr)
{
    static const struct prop P[] = { { "channels", bksc_strlist }, { "message", bksc_string }, { NULL, NULL } };
    static const struct shape S = { "slack {channels, message}", P, NULL, true };
    return json_is_string(v) || bksc_shape(C, &S, v, ptr);
}
static bool bksc_gh_status(struct sc *C, json_t *v, const char *ptr)
{
    static const struct prop P[] = { { "context", bksc_string }, { NULL, NULL } };
    static const struct shape S = { "github_commit_status {context}", P, NULL, false };
    return bksc_shape(C, &S, v, ptr);
}
static const char *const NOTIFY_KINDS[] = { "email", "basecamp_campfire", "slack", "webhook",
                                            "pagerduty_change_event", "github_commit_status", "github_check",
                                            NULL };
static bool bksc_notify_one(struct sc *C, json_t *v, const char *ptr, bool build)
{
    if (json_is_string(v))
        return bksc_notify_simple(C, v, ptr);
    if (!json_is_object(v))
        return bksc_bad(C, ptr, "expected a notification: github_check, github_commit_status or a mapping");
    const char *kind = NULL;
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        for (size_t i = 0; NOTIFY_KINDS[i]; i++)
            if (!strcmp(k, NOTIFY_KINDS[i])) {
                if (kind)
                    return bksc_bad(C, ptr, "expected one kind of notification, found \"%s\" and \"%s\"", kind, k);
                kind = NOTIFY_KINDS[i];
            }
    }
    if (!kind)
        return bksc_bad(C, ptr, "expected one kind of notification (%s)",
                   build ? "email, basecamp_campfire, slack, webhook, pagerduty_change_event, "
                           "github_commit_status or github_check"
                         : "basecamp_campfire, slack, github_commit_status or github_check");
    bool step_kind = !strcmp(kind, "basecamp_campfire") || !strcmp(kind, "slack") ||
                     !strcmp(kind, "github_commit_status") || !strcmp(kind, "github_check");
    if (!build && !step_kind)
        return bksc_bad(C, ptr, "expected a step notification: \"%s\" is only for a build's notify", kind);
    chk_fn kc = !strcmp(kind, "slack") ? bksc_slack : !strcmp(kind, "github_commit_status") ? bksc_gh_status
              : !strcmp(kind, "github_check") ? bksc_object : bksc_string;
    json_object_foreach(v, k, x) {
        char *cp = lk_pointer_join(ptr, k);
        bool ok = !strcmp(k, kind) ? kc(C, x, cp)
                  : !strcmp(k, "if") && strcmp(kind, "github_check") ? bksc_string(C, x, cp)
                  : bksc_bad(C, cp, "unknown attribute \"%s\" for a %s notification", k, kind);
        free(cp);
        if (!ok)
            return false;
    }
    return true;
}
static bool bksc_notify_step_one(struct sc *C, json_t *v, const char *ptr) { return bksc_notify_one(C, v, ptr, false); }
static bool bksc_notify_build_one(struct sc *C, json_t *v, const char *ptr) { return bksc_notify_one(C, v, ptr, true); }
bool bksc_notify_step(struct sc *C, json_t *v, const char *ptr)
{
    return bksc_each(C, v, ptr, bksc_notify_step_one, "notifications");
}
bool bksc_notify_build(struct sc *C, json_t *v, const char *ptr)
{
    return bksc_each(C, v, ptr, bksc_notify_build_one, "notifications");
}

/* block and input fields */
static bool bksc_field_key(struct sc *C, json_t *v, const char *ptr)
{
    return (json_is_string(v) && bksc_all_of(json_string_value(v), "-_")) ||
           bksc_bad(C, ptr, "expected a field key of letters, digits, - and _ (^[a-zA-Z0-9-_]+$)");
}
static const struct prop OPTION_PROPS[] = { { "label", bksc_string }, { "value", bksc_string }, { "hint", bksc_string },
                                            { "required", bksc_bool }, { NULL, NULL } };
static const char *const OPTION_REQ[] = { "label", "value", NULL };
static const struct shape OPTION_SHAPE = { "a select option {label, value, hint, required}", OPTION_PROPS,
                                           OPTION_REQ, false };
SHAPE_CHECK(bksc_option, OPTION_SHAPE)
static bool bksc_options(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v) && json_array_size(v) == 0)
        return bksc_bad(C, ptr, "expected at least one option");
    return bksc_each(C, v, ptr, bksc_option, "options");
}
static const struct prop TEXT_PROPS[] = { { "text", bksc_string }, { "key", bksc_field_key }, { "hint", bksc_string },
                                          { "format", bksc_string }, { "required", bksc_bool }, { "default", bksc_string },
                                          { NULL, NULL } };
static const char *const TEXT_REQ[] = { "key", NULL };
static const struct shape TEXT_SHAPE = { "a text field", TEXT_PROPS, TEXT_REQ, false };
static const struct prop SELECT_PROPS[] = { { "select", bksc_string }, { "key", bksc_field_key },
                                            { "default", bksc_str_or_list }, { "hint", bksc_string },
                                            { "multiple", bksc_bool }, { "options", bksc_options },
                                            { "required", bksc_bool }, { NULL, NULL } };
static const char *const SELECT_REQ[] = { "key", "options", NULL };
static const struct shape SELECT_SHAPE = { "a select field", SELECT_PROPS, SELECT_REQ, false };
static bool bksc_field(struct sc *C, json_t *v, const char *ptr)
{
    bool select = json_is_object(v) && (json_object_get(v, "options") || json_object_get(v, "select") ||
                                         json_object_get(v, "multiple"));
    return bksc_shape(C, select ? &SELECT_SHAPE : &TEXT_SHAPE, v, ptr);
}
bool bksc_fields(struct sc *C, json_t *v, const char *ptr) { return bksc_each(C, v, ptr, bksc_field, "fields"); }

static const struct prop BUILD_PROPS[] = { { "branch", bksc_string }, { "commit", bksc_string }, { "env", bksc_object },
                                           { "message", bksc_string }, { "meta_data", bksc_object }, { NULL, NULL } };
static const struct shape BUILD_SHAPE = { "a trigger's build {branch, commit, env, message, meta_data}",
                                          BUILD_PROPS, NULL, false };
SHAPE_CHECK(bksc_trigger_build, BUILD_SHAPE)

