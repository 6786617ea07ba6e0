/* steps — see steps.h. */
#include "steps.h"

#include <stdlib.h>
#include <string.h>

#include "buildcmd.h"
#include "digest.h"
#include "jsontext.h"
#include "quote.h"
#include "strbuf.h"
#include "xalloc.h"

#define NOT_CHANGED "Target has not changed."
#define COMMAND_SCRIPT_LINK "nix-buildkite-extra-step-command-script"

/* Append `text` as a JSON string as it must be uploaded: every `$`
 * written `$$`, so that Buildkite's upload interpolation (which applies to
 * every string value of the uploaded pipeline) gives back exactly `text`.
 * Used for every string the core derives from the depot (commands, labels,
 * env, group and block texts, prompts, skip reasons, branch lists);
 * Buildkite configuration the user wrote (additionalSteps, postBuildSteps,
 * defaultStepOverrides, buildkiteExtraStepArgs, agents) passes through
 * untouched. */
static void upload_string(struct strbuf *out, const char *text)
{
    if (!strchr(text, '$')) {
        jt_string(out, text);
        return;
    }
    char *s = quote_upload_dup(text);
    jt_string(out, s);
    free(s);
}

/* A skip value: false, or the reason the target is skipped. */
static void skip_value(struct strbuf *out, bool unchanged)
{
    if (unchanged)
        jt_string(out, NOT_CHANGED);
    else
        sb_adds(out, "false");
}

/* The target's own skip value (its extra steps'). */
static void target_skip(struct strbuf *out, const struct target_info *ti)
{
    skip_value(out, ti->unchanged);
}

char *target_label(const struct target *t)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < t->attr_path.n; i++) {
        if (i)
            sb_addc(&sb, '/');
        sb_adds(&sb, t->attr_path.items[i]);
    }
    if (t->subtarget)
        sb_addf(&sb, ":%s", t->subtarget);
    return sb_detach(&sb);
}

char *target_key(const char *drv_path)
{
    const char *base = strrchr(drv_path, '/');
    base = base ? base + 1 : drv_path;
    return xasprintf("drv-%.32s", base);
}

char *extra_step_key(const char *label, const char *parent_label)
{
    char *text = xasprintf("%s-%s", label, parent_label);
    char hex[SHA1_HEX_LEN + 1];
    sha1_hex(text, strlen(text), hex);
    free(text);
    return xasprintf("extra-step-%s", hex);
}

void target_info_init(struct target_info *ti, const struct target *t, const struct parent_map *pm)
{
    ti->target = t;
    ti->label = target_label(t);
    ti->key = target_key(t->drv_path);
    ti->n_attrs = t->attr_path.n + (t->subtarget ? 1 : 0);
    ti->attrs = xcalloc(ti->n_attrs ? ti->n_attrs : 1, sizeof(char *));
    for (size_t i = 0; i < t->attr_path.n; i++)
        ti->attrs[i] = t->attr_path.items[i];
    if (t->subtarget)
        ti->attrs[t->attr_path.n] = t->subtarget;
    const char *parent_drv = parent_map_drv(pm, ti->label);
    ti->unchanged = parent_drv && strcmp(parent_drv, t->drv_path) == 0;
    ti->sharers = NULL;
    ti->n_sharers = 1;
}

void target_info_release(struct target_info *ti)
{
    free(ti->label);
    free(ti->key);
    free(ti->attrs);
    free(ti->sharers);
    memset(ti, 0, sizeof(*ti));
}

/* The k-th target the step of `ti` serves (k < ti->n_sharers). */
static const struct target_info *sharer(const struct target_info *ti, size_t k)
{
    return ti->sharers ? ti->sharers[k] : ti;
}

void target_info_share(struct target_info *first, struct target_info *other)
{
    if (!first->sharers) {
        first->sharers = xcalloc(2, sizeof(*first->sharers));
        first->sharers[0] = first;
    } else if ((first->n_sharers & (first->n_sharers - 1)) == 0) {
        /* a power of two: full */
        first->sharers = xrealloc(first->sharers, 2 * first->n_sharers * sizeof(*first->sharers));
    }
    first->sharers[first->n_sharers++] = other;
    other->n_sharers = 0;
}

bool target_step_unchanged(const struct target_info *ti)
{
    for (size_t k = 0; k < ti->n_sharers; k++)
        if (!sharer(ti, k)->unchanged)
            return false;
    return true;
}

/* The build command of the target itself (or, with `override_step`, of
 * the target as overridden by that extra step's parentOverride). */
static void parent_build_command(struct strbuf *out, const struct target_info *ti,
                                 const struct extra_step *override_step)
{
    struct strbuf expr = STRBUF_INIT;
    const char *drv = ti->target->drv_path;
    if (override_step && override_step->parent_override_drv) {
        buildcmd_override_expr(&expr, ti->attrs, ti->n_attrs, override_step->name);
        drv = override_step->parent_override_drv;
    } else {
        buildcmd_attr_expr(&expr, NULL, ti->attrs, ti->n_attrs);
    }
    buildcmd_command(out, drv, sb_str(&expr), "result");
    sb_release(&expr);
}

/* The shell text (not yet upload-escaped) of the target's build command,
 * with ` && bash -c '<postBuild>'` appended for the meta.ci.postBuild of
 * every target the step serves that has one, in manifest order. */
static char *target_command(const struct target_info *ti)
{
    struct strbuf cmd = STRBUF_INIT;
    parent_build_command(&cmd, ti, NULL);
    for (size_t k = 0; k < ti->n_sharers; k++) {
        const char *post_build = sharer(ti, k)->target->post_build;
        if (post_build) {
            sb_adds(&cmd, " && bash -c ");
            quote_shell_word(&cmd, post_build);
        }
    }
    return sb_detach(&cmd);
}

/* The extra-step script as bash must see it (not yet upload-escaped). */
static char *extra_step_script(const struct target_info *ti, const struct extra_step *s)
{
    struct strbuf sc = STRBUF_INIT;
    sb_adds(&sc, "set -ueo pipefail\n");
    if (s->needs_output) {
        char *msg = xasprintf("~~~ Preparing build output of %s", ti->label);
        sb_adds(&sc, "echo ");
        quote_shell_word(&sc, msg);
        sb_addc(&sc, '\n');
        free(msg);
        parent_build_command(&sc, ti, s);
        sb_addc(&sc, '\n');
    }
    sb_adds(&sc, "echo '--- Building extra step script'\n");

    /* The script is exposed at <parent>.meta.ci.extraSteps.<name>.command. */
    size_t n = ti->n_attrs + 5;
    char **attrs = xcalloc(n, sizeof(char *));
    memcpy(attrs, ti->attrs, ti->n_attrs * sizeof(char *));
    char *const tail[] = { "meta", "ci", "extraSteps", s->name, "command" };
    memcpy(attrs + ti->n_attrs, tail, sizeof(tail));
    struct strbuf expr = STRBUF_INIT;
    buildcmd_attr_expr(&expr, NULL, attrs, n);
    free(attrs);
    sb_adds(&sc, "command_script=\"$(");
    buildcmd_command(&sc, s->command_drv, sb_str(&expr), COMMAND_SCRIPT_LINK);
    sb_adds(&sc, ")\"\n");
    sb_release(&expr);

    sb_adds(&sc, "echo '+++ Running extra step script'\n");
    sb_adds(&sc, "exec \"$command_script\"\n");
    return sb_detach(&sc);
}

/* Item i of sharer k's buildkiteExtraDeps came earlier in the step's list. */
static bool extra_dep_seen(const struct target_info *ti, size_t k, size_t i)
{
    const char *dep = sharer(ti, k)->target->extra_deps.items[i];
    for (size_t k2 = 0; k2 <= k; k2++) {
        const struct string_list *deps = &sharer(ti, k2)->target->extra_deps;
        for (size_t i2 = 0; i2 < (k2 < k ? deps->n : i); i2++)
            if (!strcmp(deps->items[i2], dep))
                return true;
    }
    return false;
}

void target_step(struct strbuf *out, const struct target_info *ti, char *const *dep_keys,
                 size_t n_dep_keys, bool cancel_on_build_failing, const json_t *overrides)
{
    struct jt_object step = JT_OBJECT_INIT;
    struct strbuf label = STRBUF_INIT;
    sb_adds(&label, ":nix: ");
    for (size_t k = 0; k < ti->n_sharers; k++)
        sb_addf(&label, "%s%s", k ? ", " : "", sharer(ti, k)->label);
    upload_string(jt_member(&step, "label"), sb_str(&label));
    sb_release(&label);
    jt_string(jt_member(&step, "key"), ti->key);
    skip_value(jt_member(&step, "skip"), target_step_unchanged(ti));
    char *cmd = target_command(ti);
    upload_string(jt_member(&step, "command"), cmd);
    free(cmd);
    struct strbuf *v = jt_member(&step, "env");
    sb_adds(v, "{\"READTREE_TARGET\":");
    upload_string(v, ti->label);
    sb_addc(v, '}');
    sb_adds(jt_member(&step, "cancel_on_build_failing"), cancel_on_build_failing ? "true" : "false");

    v = jt_member(&step, "depends_on");
    sb_adds(v, "[\":init:\"");
    for (size_t i = 0; i < n_dep_keys; i++) {
        sb_addc(v, ',');
        jt_string(v, dep_keys[i]);
    }
    for (size_t k = 0; k < ti->n_sharers; k++) {
        const struct string_list *deps = &sharer(ti, k)->target->extra_deps;
        for (size_t i = 0; i < deps->n; i++) {
            if (extra_dep_seen(ti, k, i))
                continue;
            sb_addc(v, ',');
            jt_string(v, deps->items[i]);
        }
    }
    sb_addc(v, ']');

    if (overrides)
        jt_object_update(&step, overrides);
    for (size_t k = 0; k < ti->n_sharers; k++) {
        const struct target *t = sharer(ti, k)->target;
        if (t->has_timeout)
            sb_addf(jt_member(&step, "timeout_in_minutes"), "%" JSON_INTEGER_FORMAT,
                    t->timeout / 60);
        if (t->extra_step_args)
            jt_object_update(&step, t->extra_step_args);
    }
    jt_object_write(&step, out);
    jt_object_release(&step);
}

/* Append `text` (`len` bytes), or `dflt` when it is NULL. */
static void add_or(struct strbuf *out, const char *text, size_t len, const char *dflt)
{
    if (text)
        sb_add(out, text, len);
    else
        sb_adds(out, dflt);
}

/* Append the block-gated group (a string `prompt`) holding `step`. */
static void gate(struct strbuf *out, const struct target_info *ti, const struct extra_step *s,
                 struct jt_object *step)
{
    struct jt_object group = JT_OBJECT_INIT;
    upload_string(jt_member(&group, "group"), s->label);
    size_t len = 0;
    const char *deps = jt_object_get(step, "depends_on", &len);
    if (deps) /* always: the step has its own (possibly overridden) list */
        sb_add(jt_member(&group, "depends_on"), deps, len);
    target_skip(jt_member(&group, "skip"), ti);

    struct strbuf *steps = jt_member(&group, "steps");
    struct jt_object block = JT_OBJECT_INIT;
    char *text = xasprintf(":radio_button: Run %s? (from %s)", s->label, ti->label);
    upload_string(jt_member(&block, "block"), text);
    free(text);
    upload_string(jt_member(&block, "prompt"), s->prompt);
    const char *branches = jt_object_get(step, "branches", &len);
    add_or(jt_member(&block, "branches"), branches, len, "[]");
    sb_addc(steps, '[');
    jt_object_write(&block, steps);
    sb_addc(steps, ',');
    jt_object_del(step, "depends_on");
    jt_object_write(step, steps);
    sb_addc(steps, ']');
    jt_object_release(&block);

    jt_object_write(&group, out);
    jt_object_release(&group);
}

void extra_step(struct strbuf *out, const struct target_info *ti, const struct extra_step *s,
                bool build_enabled, const json_t *overrides)
{
    struct jt_object step = JT_OBJECT_INIT;
    char *key = extra_step_key(s->label, ti->label);
    jt_string(jt_member(&step, "key"), key);
    free(key);
    char *label = xasprintf(":gear: %s (from %s)", s->label, ti->label);
    upload_string(jt_member(&step, "label"), label);
    free(label);

    struct strbuf *v = jt_member(&step, "skip");
    if (s->always_run)
        sb_adds(v, "false");
    else if (json_is_string(s->skip))
        upload_string(v, json_string_value(s->skip));
    else if (json_is_true(s->skip))
        sb_adds(v, "true");
    else
        target_skip(v, ti);

    v = jt_member(&step, "depends_on");
    sb_addc(v, '[');
    if (build_enabled && !s->always_run && !s->needs_output)
        jt_string(v, ti->key);
    sb_addc(v, ']');

    char *script = extra_step_script(ti, s);
    upload_string(jt_member(&step, "command"), script);
    free(script);
    sb_adds(jt_member(&step, "soft_fail"), s->soft_fail ? "true" : "false");
    if (s->agents)
        jt_value(jt_member(&step, "agents"), s->agents);
    if (s->has_branches) {
        struct strbuf b = STRBUF_INIT;
        for (size_t i = 0; i < s->branches.n; i++) {
            if (i)
                sb_addc(&b, ' ');
            sb_adds(&b, s->branches.items[i]);
        }
        upload_string(jt_member(&step, "branches"), sb_str(&b));
        sb_release(&b);
    }
    if (overrides)
        jt_object_update(&step, overrides);
    if (s->prompt)
        gate(out, ti, s, &step);
    else
        jt_object_write(&step, out);
    jt_object_release(&step);
}
