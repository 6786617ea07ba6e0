/* steps — see steps.h. */
#include "steps.h"

#include <stdlib.h>
#include <string.h>

#include "buildcmd.h"
#include "digest.h"
#include "quote.h"
#include "strbuf.h"
#include "xalloc.h"

#define NOT_CHANGED "Target has not changed."
#define COMMAND_SCRIPT_LINK "nix-buildkite-extra-step-command-script"

/* Input strings are valid UTF-8 (jansson checked them when the manifest was
 * read), and so is every concatenation of them: no second check. */
static json_t *jstr(const char *s)
{
    json_t *v = json_string_nocheck(s);
    if (!v)
        abort(); /* only on allocation failure */
    return v;
}

/* A string as it must be uploaded: every `$` written `$$`, so that
 * Buildkite's upload interpolation (which applies to every string value of
 * the uploaded pipeline) gives back exactly `text`. Used for every string
 * the core derives from the depot (commands, labels, env, group and block
 * texts, prompts, skip reasons, branch lists); Buildkite configuration the
 * user wrote (additionalSteps, postBuildSteps, defaultStepOverrides,
 * buildkiteExtraStepArgs, agents) passes through untouched. */
static json_t *jstr_upload(const char *text)
{
    if (!strchr(text, '$'))
        return jstr(text);
    char *s = quote_upload_dup(text);
    json_t *v = jstr(s);
    free(s);
    return v;
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
    ti->skip = parent_drv && strcmp(parent_drv, t->drv_path) == 0 ? jstr(NOT_CHANGED) : json_false();
}

void target_info_release(struct target_info *ti)
{
    free(ti->label);
    free(ti->key);
    free(ti->attrs);
    json_decref(ti->skip);
    memset(ti, 0, sizeof(*ti));
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

char *target_command(const struct target_info *ti)
{
    struct strbuf cmd = STRBUF_INIT;
    parent_build_command(&cmd, ti, NULL);
    if (ti->target->post_build) {
        sb_adds(&cmd, " && bash -c ");
        quote_shell_word(&cmd, ti->target->post_build);
    }
    return sb_detach(&cmd);
}

char *extra_step_script(const struct target_info *ti, const struct extra_step *s)
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

json_t *target_step(const struct target_info *ti, char *const *dep_keys, size_t n_dep_keys,
                    bool cancel_on_build_failing, json_t *overrides)
{
    const struct target *t = ti->target;
    json_t *step = json_object();
    char *label = xasprintf(":nix: %s", ti->label);
    json_object_set_new(step, "label", jstr_upload(label));
    free(label);
    json_object_set_new(step, "key", jstr(ti->key));
    json_object_set(step, "skip", ti->skip);
    char *cmd = target_command(ti);
    json_object_set_new(step, "command", jstr_upload(cmd));
    free(cmd);
    json_t *env = json_object();
    json_object_set_new(env, "READTREE_TARGET", jstr_upload(ti->label));
    json_object_set_new(step, "env", env);
    json_object_set_new(step, "cancel_on_build_failing", json_boolean(cancel_on_build_failing));

    json_t *deps = json_array();
    json_array_append_new(deps, jstr(":init:"));
    for (size_t i = 0; i < n_dep_keys; i++)
        json_array_append_new(deps, jstr(dep_keys[i]));
    for (size_t i = 0; i < t->extra_deps.n; i++)
        json_array_append_new(deps, jstr(t->extra_deps.items[i]));
    json_object_set_new(step, "depends_on", deps);

    if (overrides)
        json_object_update(step, overrides);
    if (t->has_timeout)
        json_object_set_new(step, "timeout_in_minutes", json_integer(t->timeout / 60));
    if (t->extra_step_args)
        json_object_update(step, t->extra_step_args);
    return step;
}

/* Wrap `step` (consumed) in a block-gated group (a string `prompt`). */
static json_t *gate(const struct target_info *ti, const struct extra_step *s, json_t *step)
{
    json_t *group = json_object();
    json_object_set_new(group, "group", jstr_upload(s->label));
    json_object_set(group, "depends_on", json_object_get(step, "depends_on"));
    json_object_set(group, "skip", ti->skip);

    json_t *block = json_object();
    char *text = xasprintf(":radio_button: Run %s? (from %s)", s->label, ti->label);
    json_object_set_new(block, "block", jstr_upload(text));
    free(text);
    json_object_set_new(block, "prompt", jstr_upload(s->prompt));
    json_t *branches = json_object_get(step, "branches");
    json_object_set_new(block, "branches", branches ? json_incref(branches) : json_array());

    json_object_del(step, "depends_on");
    json_t *steps = json_array();
    json_array_append_new(steps, block);
    json_array_append_new(steps, step);
    json_object_set_new(group, "steps", steps);
    return group;
}

json_t *extra_step(const struct target_info *ti, const struct extra_step *s, bool build_enabled,
                   json_t *overrides)
{
    json_t *step = json_object();
    char *key = extra_step_key(s->label, ti->label);
    json_object_set_new(step, "key", jstr(key));
    free(key);
    char *label = xasprintf(":gear: %s (from %s)", s->label, ti->label);
    json_object_set_new(step, "label", jstr_upload(label));
    free(label);

    json_t *skip;
    if (s->always_run)
        skip = json_false();
    else if (json_is_string(s->skip))
        skip = jstr_upload(json_string_value(s->skip));
    else if (json_is_true(s->skip))
        skip = json_incref(s->skip);
    else
        skip = json_incref(ti->skip);
    json_object_set_new(step, "skip", skip);

    json_t *deps = json_array();
    if (build_enabled && !s->always_run && !s->needs_output)
        json_array_append_new(deps, jstr(ti->key));
    json_object_set_new(step, "depends_on", deps);

    char *script = extra_step_script(ti, s);
    json_object_set_new(step, "command", jstr_upload(script));
    free(script);
    json_object_set_new(step, "soft_fail", json_boolean(s->soft_fail));
    if (s->agents)
        json_object_set(step, "agents", s->agents);
    if (s->has_branches) {
        struct strbuf b = STRBUF_INIT;
        for (size_t i = 0; i < s->branches.n; i++) {
            if (i)
                sb_addc(&b, ' ');
            sb_adds(&b, s->branches.items[i]);
        }
        json_object_set_new(step, "branches", jstr_upload(sb_str(&b)));
        sb_release(&b);
    }
    if (overrides)
        json_object_update(step, overrides);
    return s->prompt ? gate(ti, s, step) : step;
}
