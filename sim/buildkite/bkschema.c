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
 * report it at its JSON pointer; a message names the rule broken. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkloader.h"
#include "strbuf.h"
#include "xalloc.h"

struct sc {
    char *eptr, *emsg; /* the first problem */
};

typedef bool (*chk_fn)(struct sc *, json_t *, const char *);

static __attribute__((format(printf, 3, 4))) bool bad(struct sc *C, const char *ptr, const char *fmt, ...)
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

static void sc_clear(struct sc *C)
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

bool bk_json_is_integer(json_t *v)
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

static bool c_any(struct sc *C, json_t *v, const char *ptr) { (void)C, (void)v, (void)ptr; return true; }
static bool c_string(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || bad(C, ptr, "expected a string");
}
static bool c_string_or_null(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || json_is_null(v) || bad(C, ptr, "expected a string or null");
}
static bool c_bool(struct sc *C, json_t *v, const char *ptr)
{
    return is_boolish(v) || bad(C, ptr, "expected true, false, \"true\" or \"false\"");
}
static bool c_integer(struct sc *C, json_t *v, const char *ptr)
{
    return bk_json_is_integer(v) || bad(C, ptr, "expected an integer");
}
static bool c_object(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_object(v) || bad(C, ptr, "expected a mapping");
}
static bool c_str_or_list(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || is_strlist(v) || bad(C, ptr, "expected a string or a list of strings");
}
static bool c_strlist(struct sc *C, json_t *v, const char *ptr)
{
    return is_strlist(v) || bad(C, ptr, "expected a list of strings");
}
static bool c_timeout(struct sc *C, json_t *v, const char *ptr)
{
    return (bk_json_is_integer(v) && json_number_value(v) >= 1) ||
           bad(C, ptr, "expected an integer of at least 1 (minutes)");
}

static bool enum_of(struct sc *C, json_t *v, const char *ptr, const char *const *names)
{
    for (size_t i = 0; names[i]; i++)
        if (json_is_string(v) && !strcmp(json_string_value(v), names[i]))
            return true;
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; names[i]; i++)
        sb_addf(&sb, "%s%s", i ? ", " : "", names[i]);
    bad(C, ptr, "expected one of %s", sb_str(&sb));
    sb_release(&sb);
    return false;
}
#define ENUM_CHECK(fn, ...)                                                                        \
    static bool fn(struct sc *C, json_t *v, const char *ptr)                                       \
    {                                                                                              \
        static const char *const names[] = { __VA_ARGS__, NULL };                                  \
        return enum_of(C, v, ptr, names);                                                          \
    }
ENUM_CHECK(c_type_command, "script", "command", "commands")
ENUM_CHECK(c_type_wait, "wait", "waiter")
ENUM_CHECK(c_type_block, "block")
ENUM_CHECK(c_type_input, "input")
ENUM_CHECK(c_type_trigger, "trigger")
ENUM_CHECK(c_blocked_state, "passed", "failed", "running")
ENUM_CHECK(c_concurrency_method, "ordered", "eager")
ENUM_CHECK(c_signal_reason, "*", "none", "agent_incompatible", "agent_refused", "agent_stop", "cancel",
           "process_run_error", "signature_rejected", "stack_error")
ENUM_CHECK(c_notify_simple, "github_check", "github_commit_status")

/* ---- patterns --------------------------------------------------------------- */

static bool all_of(const char *s, const char *extra)
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
    if (!all_of(key, "_-:${}.,"))
        return "expected a key of letters, digits and _-:${}., only (the schema's ^[a-zA-Z0-9_\\-:${}.,]+$)";
    if (utf8_chars(key) > BK_KEY_MAX)
        return "expected a key of at most 100 characters";
    if (looks_like_uuid(key))
        return "expected a key that does not look like a UUID";
    return NULL;
}

static bool c_key(struct sc *C, json_t *v, const char *ptr)
{
    if (!json_is_string(v))
        return bad(C, ptr, "expected a key string");
    const char *why = bk_key_problem(json_string_value(v));
    return !why || bad(C, ptr, "%s, \"%s\" is not", why, json_string_value(v));
}

static bool c_skip(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_boolean(v) || (json_is_string(v) && utf8_chars(json_string_value(v)) <= 70) ||
           bad(C, ptr, "expected true, false or a reason of at most 70 characters");
}

/* ---- objects with a fixed set of attributes --------------------------------- */

struct prop {
    const char *name;
    chk_fn chk;
};

struct shape {
    const char *what;
    const struct prop *props;    /* NULL-name terminated */
    const char *const *required; /* NULL-terminated, or NULL */
    bool open;                   /* other attributes allowed */
};

static bool check_shape(struct sc *C, const struct shape *S, json_t *v, const char *ptr)
{
    if (!json_is_object(v))
        return bad(C, ptr, "expected a mapping (%s)", S->what);
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        const struct prop *p = S->props;
        while (p->name && strcmp(p->name, k))
            p++;
        char buf[256], *heap;
        const char *cp = lk_pointer_join_buf(buf, sizeof buf, ptr, k, &heap);
        bool ok = p->name ? p->chk(C, x, cp) : S->open || bad(C, cp, "unknown attribute \"%s\" for %s", k, S->what);
        free(heap);
        if (!ok)
            return false;
    }
    for (size_t i = 0; S->required && S->required[i]; i++)
        if (!json_object_get(v, S->required[i]))
            return bad(C, ptr, "expected \"%s\" in %s", S->required[i], S->what);
    return true;
}

#define SHAPE_CHECK(fn, shape)                                                                      \
    static bool fn(struct sc *C, json_t *v, const char *ptr) { return check_shape(C, &shape, v, ptr); }

/* Every element of a list passes `chk`. */
static bool each(struct sc *C, json_t *v, const char *ptr, chk_fn chk, const char *what)
{
    if (!json_is_array(v))
        return bad(C, ptr, "expected a list of %s", what);
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
static const struct prop DEP_PROPS[] = { { "step", c_string }, { "allow_failure", c_bool }, { NULL, NULL } };
static const struct shape DEP_SHAPE = { "a dependency {step, allow_failure}", DEP_PROPS, NULL, false };
static bool c_dep(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || check_shape(C, &DEP_SHAPE, v, ptr);
}
static bool c_depends_on(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_null(v) || json_is_string(v))
        return true;
    if (!json_is_array(v))
        return bad(C, ptr, "expected null, a step key or a list of keys and {step, allow_failure}");
    return each(C, v, ptr, c_dep, "dependencies");
}

/* agents, if_changed, cache, secrets, signature, plugins */
static bool c_agents(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_object(v) || is_strlist(v) || bad(C, ptr, "expected a mapping or a list of \"key=value\" strings");
}
static const struct prop IFC_PROPS[] = { { "include", c_str_or_list }, { "exclude", c_str_or_list }, { NULL, NULL } };
static const char *const IFC_REQ[] = { "include", NULL };
static const struct shape IFC_SHAPE = { "if_changed {include, exclude}", IFC_PROPS, IFC_REQ, false };
static bool c_if_changed(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_string(v) || is_strlist(v))
        return true;
    if (!json_is_object(v))
        return bad(C, ptr, "expected a glob, a list of globs or {include, exclude}");
    return check_shape(C, &IFC_SHAPE, v, ptr);
}
static bool c_cache_size(struct sc *C, json_t *v, const char *ptr)
{
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    return (n >= 2 && s[n - 1] == 'g' && strspn(s, "0123456789") == n - 1) ||
           bad(C, ptr, "expected a size such as \"20g\" (the schema's ^\\d+g$)");
}
static const struct prop CACHE_PROPS[] = { { "paths", c_strlist }, { "size", c_cache_size }, { "name", c_string },
                                           { NULL, NULL } };
static const char *const CACHE_REQ[] = { "paths", NULL };
static const struct shape CACHE_SHAPE = { "cache {paths, size, name}", CACHE_PROPS, CACHE_REQ, true };
static bool c_cache(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_string(v) || is_strlist(v))
        return true;
    if (!json_is_object(v))
        return bad(C, ptr, "expected a path, a list of paths or {paths, size, name}");
    return check_shape(C, &CACHE_SHAPE, v, ptr);
}
static bool c_secrets(struct sc *C, json_t *v, const char *ptr)
{
    if (is_strlist(v))
        return true;
    if (!json_is_object(v))
        return bad(C, ptr, "expected a list of secret names or a mapping of variable to secret name");
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
        if (!json_is_string(x)) {
            char *cp = lk_pointer_join(ptr, k);
            bad(C, cp, "expected a secret name string");
            free(cp);
            return false;
        }
    return true;
}
static const struct prop SIG_PROPS[] = { { "algorithm", c_string }, { "value", c_string },
                                         { "signed_fields", c_strlist }, { NULL, NULL } };
static const struct shape SIG_SHAPE = { "signature", SIG_PROPS, NULL, true };
SHAPE_CHECK(c_signature, SIG_SHAPE)
static bool c_plugin(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || (json_is_object(v) && json_object_size(v) <= 1) ||
           bad(C, ptr, "expected a plugin: a name, or a mapping of one name to its settings");
}
static bool c_plugins(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_object(v) || each(C, v, ptr, c_plugin, "plugins");
}

/* soft_fail */
static bool c_soft_status(struct sc *C, json_t *v, const char *ptr)
{
    return bk_json_is_integer(v) || (json_is_string(v) && !strcmp(json_string_value(v), "*")) ||
           bad(C, ptr, "expected an exit status integer or \"*\"");
}
static const struct prop SOFT_PROPS[] = { { "exit_status", c_soft_status }, { NULL, NULL } };
static const struct shape SOFT_SHAPE = { "{exit_status}", SOFT_PROPS, NULL, true };
SHAPE_CHECK(c_soft_one, SOFT_SHAPE)
static bool c_soft_fail(struct sc *C, json_t *v, const char *ptr)
{
    return is_boolish(v) || (json_is_array(v) ? each(C, v, ptr, c_soft_one, "{exit_status}")
                                              : bad(C, ptr, "expected true, false or a list of {exit_status}"));
}

/* retry */
static bool c_retry_status(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v))
        return each(C, v, ptr, c_integer, "exit statuses");
    return c_soft_status(C, v, ptr);
}
static bool c_retry_limit(struct sc *C, json_t *v, const char *ptr)
{
    return (bk_json_is_integer(v) && json_number_value(v) >= 0 && json_number_value(v) <= 10) ||
           bad(C, ptr, "expected a limit from 0 to 10");
}
static const struct prop AUTO_PROPS[] = { { "exit_status", c_retry_status }, { "limit", c_retry_limit },
                                          { "signal", c_string }, { "signal_reason", c_signal_reason },
                                          { NULL, NULL } };
static const struct shape AUTO_SHAPE = { "an automatic retry rule", AUTO_PROPS, NULL, false };
SHAPE_CHECK(c_auto_rule, AUTO_SHAPE)
static bool c_automatic(struct sc *C, json_t *v, const char *ptr)
{
    if (is_boolish(v))
        return true;
    if (json_is_array(v))
        return each(C, v, ptr, c_auto_rule, "retry rules");
    return c_auto_rule(C, v, ptr);
}
static const struct prop MANUAL_PROPS[] = { { "allowed", c_bool }, { "permit_on_passed", c_bool },
                                            { "reason", c_string }, { NULL, NULL } };
static const struct shape MANUAL_SHAPE = { "manual retry {allowed, permit_on_passed, reason}", MANUAL_PROPS,
                                           NULL, false };
static bool c_manual(struct sc *C, json_t *v, const char *ptr)
{
    return is_boolish(v) || check_shape(C, &MANUAL_SHAPE, v, ptr);
}
static const struct prop RETRY_PROPS[] = { { "automatic", c_automatic }, { "manual", c_manual }, { NULL, NULL } };
static const struct shape RETRY_SHAPE = { "retry {automatic, manual}", RETRY_PROPS, NULL, false };
SHAPE_CHECK(c_retry, RETRY_SHAPE)

/* matrix */
static bool c_element(struct sc *C, json_t *v, const char *ptr)
{
    return json_is_string(v) || json_is_boolean(v) || bk_json_is_integer(v) ||
           bad(C, ptr, "expected a matrix element: a string, an integer or a boolean");
}
static bool c_setup(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v))
        return each(C, v, ptr, c_element, "matrix elements");
    if (!json_is_object(v))
        return bad(C, ptr, "expected a list of elements or a mapping of dimension to elements");
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        char *cp = lk_pointer_join(ptr, k);
        bool ok = all_of(k, "_") ? each(C, x, cp, c_element, "matrix elements")
                                 : bad(C, cp, "expected a dimension name of letters, digits and _ (^[a-zA-Z0-9_]+$)");
        free(cp);
        if (!ok)
            return false;
    }
    return true;
}
static bool c_with(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v))
        return each(C, v, ptr, c_element, "matrix elements");
    if (!json_is_object(v))
        return bad(C, ptr, "expected a list of elements or a mapping of dimension to element");
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
        if (!json_is_string(x)) {
            char *cp = lk_pointer_join(ptr, k);
            bad(C, cp, "expected the element as a string");
            free(cp);
            return false;
        }
    return true;
}
static const struct prop ADJ_PROPS[] = { { "with", c_with }, { "skip", c_skip }, { "soft_fail", c_soft_fail },
                                         { NULL, NULL } };
static const char *const ADJ_REQ[] = { "with", NULL };
static const struct shape ADJ_SHAPE = { "a matrix adjustment {with, skip, soft_fail}", ADJ_PROPS, ADJ_REQ, true };
SHAPE_CHECK(c_adjustment, ADJ_SHAPE)
static bool c_adjustments(struct sc *C, json_t *v, const char *ptr)
{
    return each(C, v, ptr, c_adjustment, "adjustments");
}
static const struct prop MATRIX_PROPS[] = { { "setup", c_setup }, { "adjustments", c_adjustments },
                                            { NULL, NULL } };
static const char *const MATRIX_REQ[] = { "setup", NULL };
static const struct shape MATRIX_SHAPE = { "a matrix {setup, adjustments}", MATRIX_PROPS, MATRIX_REQ, true };
static bool c_matrix(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v))
        return each(C, v, ptr, c_element, "matrix elements");
    return check_shape(C, &MATRIX_SHAPE, v, ptr);
}

/* notify: one kind of notification per entry (the schema's oneOf) */
static bool c_slack(struct sc *C, json_t *v, const char *ptr)
{
    static const struct prop P[] = { { "channels", c_strlist }, { "message", c_string }, { NULL, NULL } };
    static const struct shape S = { "slack {channels, message}", P, NULL, true };
    return json_is_string(v) || check_shape(C, &S, v, ptr);
}
static bool c_gh_status(struct sc *C, json_t *v, const char *ptr)
{
    static const struct prop P[] = { { "context", c_string }, { NULL, NULL } };
    static const struct shape S = { "github_commit_status {context}", P, NULL, false };
    return check_shape(C, &S, v, ptr);
}
static const char *const NOTIFY_KINDS[] = { "email", "basecamp_campfire", "slack", "webhook",
                                            "pagerduty_change_event", "github_commit_status", "github_check",
                                            NULL };
static bool c_notify_one(struct sc *C, json_t *v, const char *ptr, bool build)
{
    if (json_is_string(v))
        return c_notify_simple(C, v, ptr);
    if (!json_is_object(v))
        return bad(C, ptr, "expected a notification: github_check, github_commit_status or a mapping");
    const char *kind = NULL;
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        for (size_t i = 0; NOTIFY_KINDS[i]; i++)
            if (!strcmp(k, NOTIFY_KINDS[i])) {
                if (kind)
                    return bad(C, ptr, "expected one kind of notification, found \"%s\" and \"%s\"", kind, k);
                kind = NOTIFY_KINDS[i];
            }
    }
    if (!kind)
        return bad(C, ptr, "expected one kind of notification (%s)",
                   build ? "email, basecamp_campfire, slack, webhook, pagerduty_change_event, "
                           "github_commit_status or github_check"
                         : "basecamp_campfire, slack, github_commit_status or github_check");
    bool step_kind = !strcmp(kind, "basecamp_campfire") || !strcmp(kind, "slack") ||
                     !strcmp(kind, "github_commit_status") || !strcmp(kind, "github_check");
    if (!build && !step_kind)
        return bad(C, ptr, "expected a step notification: \"%s\" is only for a build's notify", kind);
    chk_fn kc = !strcmp(kind, "slack") ? c_slack : !strcmp(kind, "github_commit_status") ? c_gh_status
              : !strcmp(kind, "github_check") ? c_object : c_string;
    json_object_foreach(v, k, x) {
        char *cp = lk_pointer_join(ptr, k);
        bool ok = !strcmp(k, kind) ? kc(C, x, cp)
                  : !strcmp(k, "if") && strcmp(kind, "github_check") ? c_string(C, x, cp)
                  : bad(C, cp, "unknown attribute \"%s\" for a %s notification", k, kind);
        free(cp);
        if (!ok)
            return false;
    }
    return true;
}
static bool c_notify_step_one(struct sc *C, json_t *v, const char *ptr) { return c_notify_one(C, v, ptr, false); }
static bool c_notify_build_one(struct sc *C, json_t *v, const char *ptr) { return c_notify_one(C, v, ptr, true); }
static bool c_notify_step(struct sc *C, json_t *v, const char *ptr)
{
    return each(C, v, ptr, c_notify_step_one, "notifications");
}
static bool c_notify_build(struct sc *C, json_t *v, const char *ptr)
{
    return each(C, v, ptr, c_notify_build_one, "notifications");
}

/* block and input fields */
static bool c_field_key(struct sc *C, json_t *v, const char *ptr)
{
    return (json_is_string(v) && all_of(json_string_value(v), "-_")) ||
           bad(C, ptr, "expected a field key of letters, digits, - and _ (^[a-zA-Z0-9-_]+$)");
}
static const struct prop OPTION_PROPS[] = { { "label", c_string }, { "value", c_string }, { "hint", c_string },
                                            { "required", c_bool }, { NULL, NULL } };
static const char *const OPTION_REQ[] = { "label", "value", NULL };
static const struct shape OPTION_SHAPE = { "a select option {label, value, hint, required}", OPTION_PROPS,
                                           OPTION_REQ, false };
SHAPE_CHECK(c_option, OPTION_SHAPE)
static bool c_options(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v) && json_array_size(v) == 0)
        return bad(C, ptr, "expected at least one option");
    return each(C, v, ptr, c_option, "options");
}
static const struct prop TEXT_PROPS[] = { { "text", c_string }, { "key", c_field_key }, { "hint", c_string },
                                          { "format", c_string }, { "required", c_bool }, { "default", c_string },
                                          { NULL, NULL } };
static const char *const TEXT_REQ[] = { "key", NULL };
static const struct shape TEXT_SHAPE = { "a text field", TEXT_PROPS, TEXT_REQ, false };
static const struct prop SELECT_PROPS[] = { { "select", c_string }, { "key", c_field_key },
                                            { "default", c_str_or_list }, { "hint", c_string },
                                            { "multiple", c_bool }, { "options", c_options },
                                            { "required", c_bool }, { NULL, NULL } };
static const char *const SELECT_REQ[] = { "key", "options", NULL };
static const struct shape SELECT_SHAPE = { "a select field", SELECT_PROPS, SELECT_REQ, false };
static bool c_field(struct sc *C, json_t *v, const char *ptr)
{
    bool select = json_is_object(v) && (json_object_get(v, "options") || json_object_get(v, "select") ||
                                         json_object_get(v, "multiple"));
    return check_shape(C, select ? &SELECT_SHAPE : &TEXT_SHAPE, v, ptr);
}
static bool c_fields(struct sc *C, json_t *v, const char *ptr) { return each(C, v, ptr, c_field, "fields"); }

static const struct prop BUILD_PROPS[] = { { "branch", c_string }, { "commit", c_string }, { "env", c_object },
                                           { "message", c_string }, { "meta_data", c_object }, { NULL, NULL } };
static const struct shape BUILD_SHAPE = { "a trigger's build {branch, commit, env, message, meta_data}",
                                          BUILD_PROPS, NULL, false };
SHAPE_CHECK(c_trigger_build, BUILD_SHAPE)

/* ---- the step shapes --------------------------------------------------------- */

#define COMMON_PROPS                                                                                 \
    { "allow_dependency_failure", c_bool }, { "branches", c_str_or_list }, { "depends_on", c_depends_on }, \
    { "if", c_string }, { "key", c_key }, { "identifier", c_key }, { "id", c_key }

static const struct prop COMMAND_PROPS[] = {
    COMMON_PROPS, { "agents", c_agents }, { "artifact_paths", c_str_or_list }, { "cache", c_cache },
    { "cancel_on_build_failing", c_bool }, { "command", c_str_or_list }, { "commands", c_str_or_list },
    { "concurrency", c_integer }, { "concurrency_group", c_string },
    { "concurrency_method", c_concurrency_method }, { "env", c_object }, { "if_changed", c_if_changed },
    { "image", c_string }, { "label", c_string }, { "name", c_string }, { "signature", c_signature },
    { "matrix", c_matrix }, { "notify", c_notify_step }, { "parallelism", c_integer },
    { "plugins", c_plugins }, { "soft_fail", c_soft_fail }, { "retry", c_retry }, { "skip", c_skip },
    { "timeout_in_minutes", c_timeout }, { "type", c_type_command }, { "priority", c_integer },
    { "secrets", c_secrets }, { NULL, NULL },
};
static const struct prop WAIT_PROPS[] = {
    COMMON_PROPS, { "continue_on_failure", c_bool }, { "label", c_string_or_null },
    { "name", c_string_or_null }, { "type", c_type_wait }, { "wait", c_string_or_null }, { NULL, NULL },
};
static const struct prop BLOCK_PROPS[] = {
    COMMON_PROPS, { "block", c_string }, { "blocked_state", c_blocked_state }, { "fields", c_fields },
    { "label", c_string }, { "name", c_string }, { "prompt", c_string }, { "allowed_teams", c_str_or_list },
    { "type", c_type_block }, { NULL, NULL },
};
static const struct prop INPUT_PROPS[] = {
    COMMON_PROPS, { "input", c_string }, { "blocked_state", c_blocked_state }, { "fields", c_fields },
    { "label", c_string }, { "name", c_string }, { "prompt", c_string }, { "allowed_teams", c_str_or_list },
    { "type", c_type_input }, { NULL, NULL },
};
static const struct prop TRIGGER_PROPS[] = {
    COMMON_PROPS, { "async", c_bool }, { "build", c_trigger_build }, { "if_changed", c_if_changed },
    { "label", c_string }, { "name", c_string }, { "type", c_type_trigger }, { "trigger", c_string },
    { "skip", c_skip }, { "soft_fail", c_soft_fail }, { NULL, NULL },
};
static bool c_group_steps(struct sc *C, json_t *v, const char *ptr);
static const struct prop GROUP_PROPS[] = {
    { "depends_on", c_depends_on }, { "group", c_string_or_null }, { "if", c_string },
    { "if_changed", c_if_changed }, { "key", c_key }, { "identifier", c_key }, { "id", c_key },
    { "label", c_string_or_null }, { "name", c_string_or_null }, { "allow_dependency_failure", c_bool },
    { "notify", c_notify_build }, { "skip", c_skip }, { "steps", c_group_steps }, { NULL, NULL },
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
        return enum_of(C, v, ptr, names);
    }
    if (!json_is_object(v))
        return bad(C, ptr, "expected a step: an object, or \"wait\", \"waiter\", \"block\", \"input\"");
    const char *found = NULL;
    const struct shape *shape = NULL;
    for (size_t i = 0; i < NFAMILY; i++) {
        if (!json_object_get(v, FAMILY[i].name))
            continue;
        if (shape && shape != FAMILY[i].shape)
            return bad(C, ptr, "expected one step type, found both \"%s\" and \"%s\"", found, FAMILY[i].name);
        shape = FAMILY[i].shape;
        found = FAMILY[i].name;
    }
    if (shape == &GROUP_SHAPE && in_group)
        return bad(C, ptr, "expected no group inside a group (groups cannot be nested)");
    /* nested forms: the one attribute wraps the step itself */
    json_t *inner = found ? json_object_get(v, found) : NULL;
    if (json_is_object(inner) && shape != &GROUP_SHAPE) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            bool wrapper = shape == &COMMAND_SHAPE ? (!strcmp(k, "command") || !strcmp(k, "commands") || !strcmp(k, "script"))
                                                   : !strcmp(k, found);
            char *cp = lk_pointer_join(ptr, k);
            bool ok = wrapper ? check_shape(C, shape, x, cp)
                              : bad(C, cp, "unknown attribute \"%s\" beside a nested \"%s\" step", k, found);
            free(cp);
            if (!ok)
                return false;
        }
        return true;
    }
    if (found && !strcmp(found, "script"))
        return bad(C, ptr, "expected \"script\" to hold a command step (script: {command: ...})");
    if (found && !strcmp(found, "waiter"))
        return bad(C, ptr, "expected \"waiter\" to hold a wait step (waiter: {...})");
    if (shape)
        return check_shape(C, shape, v, ptr);
    json_t *type = json_object_get(v, "type");
    if (type) { /* the shape whose `type` takes this value */
        const char *t = json_string_value(type);
        for (size_t i = 0; t && i < NFAMILY; i++)
            if (!strcmp(t, FAMILY[i].name) && FAMILY[i].shape != &GROUP_SHAPE)
                return check_shape(C, FAMILY[i].shape, v, ptr);
        char *cp = lk_pointer_join(ptr, "type");
        bad(C, cp, "expected a step type: script, command, commands, wait, waiter, block, input or trigger");
        free(cp);
        return false;
    }
    /* no attribute names the type: any shape without required attributes */
    static const struct shape *const untyped[] = { &COMMAND_SHAPE, &WAIT_SHAPE, &BLOCK_SHAPE, &INPUT_SHAPE };
    struct sc first = { NULL, NULL };
    for (size_t i = 0; i < 4; i++) {
        struct sc trial = { NULL, NULL };
        if (check_shape(&trial, untyped[i], v, ptr)) {
            sc_clear(&first);
            return true;
        }
        if (i == 0)
            first = trial;
        else
            sc_clear(&trial);
    }
    bad(C, first.eptr, "%s", first.emsg);
    sc_clear(&first);
    return false;
}

static bool c_group_step(struct sc *C, json_t *v, const char *ptr) { return check_step(C, v, ptr, true); }
static bool c_group_steps(struct sc *C, json_t *v, const char *ptr)
{
    if (json_is_array(v) && json_array_size(v) == 0)
        return bad(C, ptr, "expected a non-empty list of steps in the group");
    return each(C, v, ptr, c_group_step, "steps");
}
static bool c_top_step(struct sc *C, json_t *v, const char *ptr) { return check_step(C, v, ptr, false); }

int bk_schema_check(struct bk_loader *L, json_t *root)
{
    static const struct prop TOP_PROPS[] = {
        { "env", c_object },       { "agents", c_agents }, { "notify", c_notify_build }, { "image", c_string },
        { "secrets", c_secrets }, { "priority", c_integer }, { "steps", c_any }, { NULL, NULL },
    };
    static const char *const TOP_REQ[] = { "steps", NULL };
    static const struct shape TOP = { "a pipeline", TOP_PROPS, TOP_REQ, true };
    struct sc C = { NULL, NULL };
    bool ok;
    if (json_is_array(root)) /* a bare list of steps, as the agent takes it */
        ok = each(&C, root, "", c_top_step, "steps");
    else if (!json_is_object(root))
        ok = bad(&C, "", "expected a pipeline: a mapping with \"steps\" or a list of steps");
    else if ((ok = check_shape(&C, &TOP, root, "")))
        ok = json_is_array(json_object_get(root, "steps"))
                 ? each(&C, json_object_get(root, "steps"), "/steps", c_top_step, "steps")
                 : bad(&C, "/steps", "expected a list of steps under \"steps\"");
    if (!ok)
        bk_bad(L, C.eptr, "%s", C.emsg);
    sc_clear(&C);
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
        if (check_shape(&trial, types[i].shape, v, ""))
            shape = types[i].shape;
        sc_clear(&trial);
    }
    for (size_t i = 0; i < 6; i++)
        if (types[i].shape == shape)
            return types[i].t;
    return BK_STEP_COMMAND;
}
