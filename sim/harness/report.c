/* report — text table and JSON report of one played fixture (see report.h). */
#include "harness/report.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "harness/progress.h"
#include "version.h"
#include "xalloc.h"

static const char *step_name(const struct obs_step *s)
{
    return s->label ? s->label : s->key ? s->key : bk_step_type_name(s->type);
}

/* The output tails of steps that failed when the fixture expected otherwise. */
static void print_failed_logs(const struct sim_play_result *res, FILE *to)
{
    const struct sim_observed *o = &res->obs;
    for (size_t i = 0; i < o->n_steps; i++) {
        const struct obs_step *s = &o->steps[i];
        if (!s->log_tail || (s->outcome != BK_FAILED && s->outcome != BK_TIMED_OUT))
            continue;
        int expected = 0;
        for (size_t k = 0; k < res->fixture->expect.n_steps; k++)
            if (s->label && !strcmp(res->fixture->expect.steps[k].label, s->label) &&
                bk_outcome_is_failure(res->fixture->expect.steps[k].outcome))
                expected = 1;
        if ((int)i == o->gen_step)
            expected = o->gen_exit == res->fixture->expect.generate_exit;
        if (expected)
            continue;
        fprintf(to, "  output of '%s' (%s, exit %d), last lines:\n", step_name(s), bk_outcome_name(s->outcome),
                s->exit_status);
        for (const char *l = s->log_tail; *l;) {
            size_t n = strcspn(l, "\n");
            fprintf(to, "      | %.*s\n", (int)n, l);
            l += n + (l[n] ? 1 : 0);
        }
    }
}

void report_print_problems(const struct sim_play_result *res, FILE *to)
{
    if (res->inv.failure)
        fprintf(to, "  failed    %s\n", res->inv.failure);
    for (size_t i = 0; i < res->inv.n; i++) {
        const struct inv_result *r = &res->inv.inv[i];
        if (r->verdict != INV_VIOLATED || inv_expected_violation(res->fixture, r->id))
            continue;
        fprintf(to, "  violated  %s: %s\n", r->id, r->summary ? r->summary : "");
        for (size_t k = 0; k < r->n_evidence; k++)
            fprintf(to, "      %s\n", r->evidence[k]);
    }
    for (size_t i = 0; i < res->inv.n_unmet; i++)
        fprintf(to, "  unmet     %s\n", res->inv.unmet[i]);
    print_failed_logs(res, to);
}

static void print_result(const struct sim_play_result *res, const struct inv_result *r, FILE *to)
{
    int exp = inv_expected_violation(res->fixture, r->id);
    fprintf(to, "  %-11s %-26s %s%s\n", inv_verdict_name(r->verdict), r->id, r->summary ? r->summary : "",
            exp ? (r->verdict == INV_VIOLATED ? " [violation expected]" : " [violation EXPECTED, not found]")
                : "");
    for (size_t k = 0; k < r->n_evidence; k++)
        fprintf(to, "      %s\n", r->evidence[k]);
}

/* The builds before the fixture's, one line each, and which map the
 * generation step fetched. */
static size_t print_parents(const struct sim_play_result *res, FILE *to)
{
    size_t lines = 0;
    size_t i;
    json_t *b;
    json_array_foreach(res->parents, i, b) {
        const json_t *v = json_object_get(b, "violated");
        lines++;
        fprintf(to, "parent build #%lld (%s) of %s: %s%s%s\n", json_integer_value(json_object_get(b, "number")),
                json_string_value(json_object_get(b, "fixture")), json_string_value(json_object_get(b, "branch")),
                json_string_value(json_object_get(b, "state")),
                json_is_true(json_object_get(b, "synthetic")) ? " (made up from unchanged:)" : "",
                json_array_size(v) ? " (its own build violated invariants)" : "");
    }
    const struct obs_parent_map *pm = &res->obs.parent;
    lines += pm->on_default_branch || pm->fetched_build || pm->default_branch;
    if (pm->on_default_branch)
        fprintf(to, "parent map: none (a build of the default branch %s builds every target)\n", pm->default_branch);
    else if (pm->fetched_build)
        fprintf(to, "parent map: the generation step fetched the map of build #%ld%s%s\n", pm->fetched_build,
                pm->fetched_problem ? ", not a drvmap: " : "", pm->fetched_problem ? pm->fetched_problem : "");
    else if (pm->default_branch)
        fprintf(to, "parent map: none fetched%s\n", pm->expected_build ? "" : " (no build has one)");
    return lines;
}

void report_print_heading(const struct sim_play_result *res, const char *generator, FILE *to)
{
    fprintf(to, "fixture %s (%s), branch %s, %d agent(s), %s Nix, generator: %s\n\n", res->fixture->path,
            res->fixture->depot, res->branch, res->agents, !strcmp(res->nix, "real") ? "real" : "simulated",
            generator ? generator : "lazykite (ci/pipeline.yml)");
}

size_t report_not_simulated_steps(const struct sim_play_result *res)
{
    size_t n = 0;
    for (size_t i = 0; i < res->obs.n_steps; i++)
        n += res->obs.steps[i].n_not_simulated && res->obs.steps[i].outcome != BK_FILTERED;
    return n;
}

static void print_list(FILE *to, const char *head, char *const *v, size_t n)
{
    fprintf(to, "%s", head);
    for (size_t k = 0; k < n; k++)
        fprintf(to, "%s%s", k ? ", " : "", v[k]);
    fputc('\n', to);
}

void report_print(const struct sim_play_result *res, const char *generator, bool rows_shown, FILE *to)
{
    const struct sim_observed *o = &res->obs;
    size_t count[BK_ABSENT + 1] = { 0 }, shown = 0;
    if (!rows_shown)
        report_print_heading(res, generator, to);
    else
        fputc('\n', to);
    if (print_parents(res, to) && !rows_shown)
        fputc('\n', to);
    for (size_t i = 0; i < o->n_steps; i++) {
        const struct obs_step *s = &o->steps[i];
        count[s->outcome]++;
        bool live = rows_shown && s->ran; /* its row came as it ended */
        if (!live) {
            if (!shown++) {
                if (rows_shown)
                    fprintf(to, "\nthe steps that did not run:\n");
                else
                    progress_header(to);
            }
            char *name = s->attempt && s->retried_by >= 0 ? xasprintf("%s (retry %d, retried)", step_name(s), s->attempt)
                         : s->attempt ? xasprintf("%s (retry %d)", step_name(s), s->attempt)
                         : s->retried_by >= 0 ? xasprintf("%s (retried)", step_name(s)) : xstrdup(step_name(s));
            progress_format_row(to, name, s->group >= 0, s->outcome, s->agent, s->ran ? s->seconds : -1, s->built,
                                s->not_simulated, s->outcome != BK_FILTERED ? s->n_not_simulated : 0);
            free(name);
        }
    }
    size_t nsim = report_not_simulated_steps(res);
    if (nsim) {
        fprintf(to, "\nnot simulated (%zu step%s; accepted and recorded, not run): ", nsim, nsim == 1 ? "" : "s");
        print_list(to, "", o->not_simulated, o->n_not_simulated);
    }
    fprintf(to, "\ntotals:");
    for (int k = 0, first = 1; k <= BK_ABSENT; k++)
        if (count[k]) {
            fprintf(to, "%s %zu %s", first ? "" : ",", count[k], bk_outcome_name((enum bk_outcome)k));
            first = 0;
        }
    fprintf(to, " (%zu step%s)\n", o->n_steps, o->n_steps == 1 ? "" : "s");
    /* what was checked, then (on its own) what was not */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0, first = 1; i < res->inv.n; i++) {
            const struct inv_result *r = &res->inv.inv[i];
            if ((r->verdict == INV_NOT_CHECKED) != pass)
                continue;
            if (first)
                fprintf(to, "\n%s:\n", pass ? "not checked" : "invariants");
            first = 0;
            print_result(res, r, to);
        }
    if (res->inv.failure)
        fprintf(to, "\nthe run failed: %s\n", res->inv.failure);
    if (res->inv.n_unmet) {
        fprintf(to, "\nunmet expectations:\n");
        for (size_t i = 0; i < res->inv.n_unmet; i++)
            fprintf(to, "  %s\n", res->inv.unmet[i]);
    }
    print_failed_logs(res, to);
    if (nsim)
        fprintf(to, "\n%s: %s (%.2f s, %zu step%s not simulated)\n", res->fixture->path, res->ok ? "ok" : "FAILED",
                res->seconds, nsim, nsim == 1 ? "" : "s");
    else
        fprintf(to, "\n%s: %s (%.2f s)\n", res->fixture->path, res->ok ? "ok" : "FAILED", res->seconds);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The ids of the violated invariants whose violation is about step (what
 * 's') or realisation event ('e') number `index` of the observed build. */
static json_t *violations_naming(const struct sim_play_result *res, char what, size_t index)
{
    json_t *ids = json_array();
    for (size_t i = 0; i < res->inv.n; i++) {
        const struct inv_result *r = &res->inv.inv[i];
        const size_t *v = what == 's' ? r->steps : r->events;
        size_t n = what == 's' ? r->n_steps : r->n_events;
        for (size_t k = 0; k < n; k++)
            if (v[k] == index && r->verdict == INV_VIOLATED) {
                json_array_append_new(ids, json_string(r->id));
                break;
            }
    }
    return ids;
}

/* What the builders did: every build (or failed build) and every
 * derivation found valid, with the step whose process asked (LAZYKITE_STEP)
 * and the phase. */
static json_t *builds_json(const struct sim_play_result *res)
{
    const struct sim_observed *o = &res->obs;
    json_t *builds = json_array();
    for (size_t e = 0; e < o->n_events; e++) {
        const struct obs_event *ev = &o->events[e];
        if (strcmp(ev->event, "build") && strcmp(ev->event, "fail") && strcmp(ev->event, "valid"))
            continue;
        size_t i;
        const char *key = ev->drv && res->depot && depot_find_drv_path(res->depot, ev->drv, &i) == 0
                              ? depot_drv_at(res->depot, i)->key : NULL;
        const struct obs_step *s = obs_step_by_name(o, ev->step);
        json_array_append_new(builds, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "event", ev->event,
                                                "drv", str_or_null(key), "drv_path", str_or_null(ev->drv),
                                                "phase", str_or_null(ev->phase), "step",
                                                s ? json_integer(s->id) : json_null(), "cause",
                                                str_or_null(ev->cause), "violates",
                                                violations_naming(res, 'e', e)));
    }
    return builds;
}

/* The JSON report (every field described in sim/harness/report.schema.json):
 * {"format": REPORT_FORMAT, "version", "fixture", "depot", "nix": "sim"|"real",
 *  "facts": {"build", "instantiate", "valid"}: how each kind of event was obtained,
 *  "comparison": {"with": "sim", "differences": [...]} or null, "branch", "agents", "generator" (null: the static
 *  pipeline's), "gc_drvs", "seconds", "ok",
 *  "pipeline": {"file", "sha256", "generation_step" (null: the file's)},
 *  "generation": {"exit_status", "chunks": [names in generation order],
 *                 "upload_errors": [...]},
 *  "agent": {"meta_data", "annotations", "calls", "artifacts"},
 *  "schema": {"validated": bool, "valid": bool|null, "note"},
 *  "steps": [{"id", "type", "key", "label", "group" (label or null), "skip",
 *             "outcome", "reason", "agent", "seconds", "exit_status",
 *             "built": [fixture keys], "depends_on": [ids], "started", "violates": [ids],
 *             "log_tail" (only after a non-zero exit)}],
 *  "builds": [{"event": "build"|"fail"|"valid", "drv" (key), "drv_path", "phase", "step" (id),
 *              "cause", "violates": [invariant ids]}],
 *             "log_tail" (only after a non-zero exit),
 *             "not_simulated": [...], "attempt", "retried", "parent" (the id of its
 *             group, or of the step it is a job of, or null), "recorded" (when any)}],
 *  "not_simulated": {what: how many steps (in the build) asked for it},
 *  "notify": [{"pipeline", "notify"}] (the uploaded pipelines' notify, recorded),
 *  "invariants": [{"id", "verdict": "held"|"violated"|"not-checked",
 *                  "expected_violation", "checked" (how many things), "summary",
 *                  "evidence": [...]}] (the fixture invariants, then pipeline-schema),
 *  "not_checked": [ids of the invariants not checked],
 *  "parents": [the builds before it: {"number", "id", "branch", "commit", "state",
 *              "synthetic", "fixture", "seconds", "violated", "steps", ("unchanged")}],
 *  "parent_map": {"default_branch", "on_default_branch", "api_usable", "fetched_build",
 *                 "fetched_problem", "expected_build"},
 *  "api": {"url", "fault", "default_branch", "requests": [the REST API's log]},
 *  "failure": why the run failed whatever the invariants say, or null,
 *  "unmet": [...], "work_dir": kept dir or null} */
json_t *report_json(const struct sim_play_result *res, const char *generator, char *const *diffs)
{
    const struct sim_observed *o = &res->obs;
    json_t *steps = json_array();
    for (size_t i = 0; i < o->n_steps; i++) {
        const struct obs_step *s = &o->steps[i];
        json_t *built = json_array();
        if (s->built) {
            char *copy = xstrdup(s->built), *save = NULL;
            for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
                json_array_append_new(built, json_string(w));
            free(copy);
        }
        json_array_append_new(
            steps, json_pack("{s:i, s:s, s:o, s:o, s:o, s:b, s:s, s:o, s:o, s:o, s:o, s:o}", "id", s->id,
                             "type", bk_step_type_name(s->type), "key", str_or_null(s->key), "label",
                             str_or_null(s->label), "group",
                             s->group >= 0 ? str_or_null(step_name(&o->steps[s->group])) : json_null(),
                             "skip", s->skip, "outcome", bk_outcome_name(s->outcome), "reason",
                             str_or_null(s->reason), "agent", str_or_null(s->agent), "seconds",
                             s->ran ? json_real(s->seconds) : json_null(), "exit_status",
                             s->ran && s->exit_status >= 0 ? json_integer(s->exit_status) : json_null(),
                             "built", built));
        json_t *js = json_array_get(steps, json_array_size(steps) - 1);
        json_t *deps = json_array();
        for (size_t k = 0; k < s->n_deps; k++)
            json_array_append_new(deps, json_integer(s->deps[k]));
        json_object_set_new(js, "depends_on", deps);
        json_object_set_new(js, "started", s->ran ? json_real(s->started) : json_null());
        json_object_set_new(js, "violates", violations_naming(res, 's', i));
        if (s->tree_checked)
            json_object_set_new(js, "tree_check", json_string(s->tree_by_git ? "git" : "snapshot"));
        if (s->log_tail)
            json_object_set_new(js, "log_tail", json_string(s->log_tail));
        json_t *ns = json_array();
        for (size_t k = 0; k < s->n_not_simulated; k++)
            json_array_append_new(ns, json_string(s->not_simulated[k]));
        json_object_set_new(js, "not_simulated", ns);
        json_object_set_new(js, "attempt", json_integer(s->attempt));
        json_object_set_new(js, "parent", s->group >= 0 ? json_integer(o->steps[s->group].id) : json_null());
        json_object_set_new(js, "retried", json_boolean(s->retried_by >= 0));
        if (s->recorded)
            json_object_set_new(js, "recorded", json_deep_copy(s->recorded));
    }
    json_t *not_simulated = json_object();
    for (size_t k = 0; k < o->n_not_simulated; k++) {
        size_t count = 0;
        for (size_t i = 0; i < o->n_steps; i++)
            for (size_t j = 0; j < o->steps[i].n_not_simulated && o->steps[i].outcome != BK_FILTERED; j++)
                count += !strcmp(o->steps[i].not_simulated[j], o->not_simulated[k]);
        json_object_set_new(not_simulated, o->not_simulated[k], json_integer((json_int_t)count));
    }
    json_t *invs = json_array(), *not_checked = json_array();
    for (size_t i = 0; i < res->inv.n; i++) {
        const struct inv_result *r = &res->inv.inv[i];
        json_t *ev = json_array();
        for (size_t k = 0; k < r->n_evidence; k++)
            json_array_append_new(ev, json_string(r->evidence[k]));
        json_array_append_new(invs, json_pack("{s:s, s:s, s:b, s:I, s:o, s:o}", "id", r->id, "verdict",
                                              inv_verdict_name(r->verdict), "expected_violation",
                                              inv_expected_violation(res->fixture, r->id), "checked",
                                              (json_int_t)r->n_checked, "summary", str_or_null(r->summary),
                                              "evidence", ev));
        if (r->verdict == INV_NOT_CHECKED)
            json_array_append_new(not_checked, json_string(r->id));
    }
    json_t *unmet = json_array();
    for (size_t i = 0; i < res->inv.n_unmet; i++)
        json_array_append_new(unmet, json_string(res->inv.unmet[i]));
    json_t *chunks = json_array(), *uerr = json_array();
    for (size_t i = 0; i < o->n_chunks; i++)
        json_array_append_new(chunks, json_string(o->chunks[i].name));
    for (size_t i = 0; i < o->n_upload_errors; i++)
        json_array_append_new(uerr, json_string(o->upload_errors[i]));
    json_t *gen = json_pack("{s:o, s:o, s:o}", "exit_status",
                            o->gen_ran && o->gen_exit >= 0 ? json_integer(o->gen_exit) : json_null(),
                            "chunks", chunks, "upload_errors", uerr);
    json_t *schema = json_pack("{s:b, s:o, s:o}", "validated", o->schema_state >= 0, "valid",
                               o->schema_state >= 0 ? json_boolean(o->schema_state == 0) : json_null(),
                               "note", str_or_null(o->schema_note));
    json_t *agent = res->agent ? json_deep_copy(res->agent) : json_null();
    json_t *pipeline = res->pipeline ? json_deep_copy(res->pipeline) : json_null();
    /* how each kind of fact in the realisation log was obtained */
    bool real = !strcmp(res->nix, "real");
    json_t *facts = json_pack(
        "{s:s, s:s, s:s}", "build",
        real ? "Nix's post-build-hook (sim/nix/post-build-hook), after each build" : "nixsim, as it builds",
        "instantiate",
        real ? "derived: the .drv files that appeared in the store during each step (a listing after it)"
             : "nixsim, as it writes each .drv file",
        "valid",
        real ? "derived: the links a step left in its checkout (result, the script link) point at the output"
             : "nixsim, when a realisation finds the output valid");
    json_t *comparison = json_null();
    if (diffs) {
        json_t *list = json_array();
        for (size_t i = 0; diffs[i]; i++)
            json_array_append_new(list, json_string(diffs[i]));
        comparison = json_pack("{s:s, s:o}", "with", "sim", "differences", list);
    }
    const struct obs_parent_map *pm = &o->parent;
    json_t *parent_map = json_pack("{s:o, s:b, s:b, s:o, s:o, s:o}", "default_branch",
                                   str_or_null(pm->default_branch), "on_default_branch", pm->on_default_branch,
                                   "api_usable", pm->api_usable, "fetched_build",
                                   pm->fetched_build ? json_integer(pm->fetched_build) : json_null(),
                                   "fetched_problem", str_or_null(pm->fetched_problem), "expected_build",
                                   pm->expected_build ? json_integer(pm->expected_build) : json_null());
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:i, s:o, s:b, s:f, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                     "format", REPORT_FORMAT, "version", LAZYKITE_VERSION, "fixture",
                     res->fixture->path, "depot", res->fixture->depot, "nix", res->nix, "facts", facts, "comparison", comparison,
                     "branch", res->branch, "agents",
                     res->agents, "generator", str_or_null(generator), "gc_drvs", o->gc_drvs, "seconds",
                     res->seconds, "ok", res->ok, "pipeline", pipeline, "generation", gen, "agent", agent,
                     "schema", schema, "steps", steps, "builds", builds_json(res),
                     "invariants", invs, "not_checked", not_checked, "failure",
                     str_or_null(res->inv.failure), "unmet", unmet, "work_dir", str_or_null(res->work_dir));
    json_object_set_new(j, "parents", res->parents ? json_deep_copy(res->parents) : json_array());
    json_object_set_new(j, "parent_map", parent_map);
    json_object_set_new(j, "api", res->api ? json_deep_copy(res->api) : json_null());
    json_object_set_new(j, "not_simulated", not_simulated);
    json_object_set_new(j, "notify", o->notify ? json_deep_copy(o->notify) : json_array());
    return j;
}

int report_write(const struct sim_play_result *res, const char *generator, char *const *diffs,
                 const char *path, struct lk_error *err)
{
    json_t *j = report_json(res, generator, diffs);
    if (!j) /* a field json_pack could not take (not UTF-8): say so rather than write half */
        return lk_fail(err, LK_EXIT_FAIL, path, NULL, "the report could not be encoded as JSON");
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    json_decref(j);
    size_t len = strlen(text);
    text = xrealloc(text, len + 2);
    text[len++] = '\n';
    int rc = file_write_atomic(path, text, len, err);
    free(text);
    return rc;
}
