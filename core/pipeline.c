/* pipeline — see pipeline.h. */
#include "pipeline.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "jsontext.h"
#include "parallel.h"
#include "quote.h"
#include "steps.h"
#include "strbuf.h"
#include "strindex.h"
#include "xalloc.h"

static bool list_has(const struct string_list *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

static char *joined(const struct string_list *l, const char *sep)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            sb_adds(&sb, sep);
        sb_adds(&sb, l->items[i]);
    }
    return sb_detach(&sb);
}

/* Error at item `i` of a list that came from `o`. */
static int list_error(const struct generate_request *req, struct origin o, const char *dflt_place,
                      size_t i, struct lk_error *err, const char *fmt, const char *arg,
                      const char *arg2)
{
    const char *file = o.file ? o.file : req->manifest_file;
    const char *base = o.file ? o.place : dflt_place;
    char *place = base ? lk_pointer_index(base, i) : NULL;
    lk_bad_input(err, file, place, fmt, arg, arg2);
    free(place);
    return -1;
}

static int check_phases(const struct generate_request *req, struct lk_error *err)
{
    const struct pipeline_settings *ps = &req->manifest->pipeline;
    const struct string_list *phases = &ps->phases;
    for (size_t i = 0; i < phases->n; i++) {
        const char *p = phases->items[i];
        if (!*p || strchr(p, '/') || !strcmp(p, ".") || !strcmp(p, ".."))
            return list_error(req, req->phases_origin, "/pipeline/phases", i, err,
                              "phase name '%s' cannot name a chunk file%s", p, "");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(phases->items[j], p))
                return list_error(req, req->phases_origin, "/pipeline/phases", i, err,
                                  "phase '%s' is listed twice%s", p, "");
    }
    if (!ps->has_active_phases)
        return 0;
    char *known = joined(phases, ", ");
    int rc = 0;
    for (size_t i = 0; i < ps->active_phases.n && rc == 0; i++) {
        const char *p = ps->active_phases.items[i];
        if (!list_has(phases, p))
            rc = list_error(req, req->active_phases_origin, "/pipeline/activePhases", i, err,
                            "Active phase '%s' is not valid. Known phases: %s", p, known);
    }
    free(known);
    return rc;
}

static int step_error(const struct generate_request *req, const struct extra_step *s,
                      const char *member, const char *parent_label, struct lk_error *err,
                      const char *what)
{
    char *place = member ? xasprintf("%s/%s", s->pointer, member) : xstrdup(s->pointer);
    lk_bad_input(err, req->manifest_file, place, "In step '%s' (from %s): %s", s->label,
                 parent_label, what);
    free(place);
    return -1;
}

static int check_extra_step(const struct generate_request *req, const struct extra_step *s,
                            const char *parent_label, struct lk_error *err)
{
    const struct string_list *phases = &req->manifest->pipeline.phases;
    int rc = 0;
    if (!list_has(phases, s->phase)) {
        char *known = joined(phases, ", ");
        char *what = xasprintf("Phase '%s' is not valid. Known phases: %s", s->phase, known);
        /* The default phase has no member of its own in the manifest. */
        bool given = strcmp(s->phase, "build") != 0;
        rc = step_error(req, s, given ? "phase" : NULL, parent_label, err, what);
        free(what);
        free(known);
    } else if (s->has_prompt && !strcmp(s->phase, "build")) {
        rc = step_error(req, s, "prompt", parent_label, err,
                        "The 'prompt' feature can not be used by steps in the \"build\" phase, "
                        "because CI builds should not be gated on manual human approvals.");
    } else if (s->n_command_outputs != 1) {
        char *what = xasprintf("the command derivation must have exactly one output, found %zu",
                               s->n_command_outputs);
        rc = step_error(req, s, "command/outputs", parent_label, err, what);
        free(what);
    }
    return rc;
}

/* A depot-derived text that Buildkite's upload interpolation cannot carry
 * (see quote_upload_carries) is an error rather than a silently changed
 * label, environment value or prompt. */
static int check_carried(const struct generate_request *req, const char *place_base,
                         const char *member, const char *what, const char *text,
                         struct lk_error *err)
{
    if (!text || quote_upload_carries(text))
        return 0;
    char *place = xasprintf("%s/%s", place_base, member);
    lk_bad_input(err, req->manifest_file, place,
                 "%s '%s' has an odd run of backslashes right before a '$', which "
                 "Buildkite's upload interpolation cannot carry", what, text);
    free(place);
    return -1;
}

static int check_extra_step_texts(const struct generate_request *req, const struct extra_step *s,
                                  struct lk_error *err)
{
    if (check_carried(req, s->pointer, "label", "label", s->label, err) != 0 ||
        check_carried(req, s->pointer, "prompt", "prompt", s->prompt, err) != 0 ||
        check_carried(req, s->pointer, "skip", "skip reason",
                      json_is_string(s->skip) ? json_string_value(s->skip) : NULL, err) != 0)
        return -1;
    for (size_t i = 0; s->has_branches && i < s->branches.n; i++)
        if (check_carried(req, s->pointer, "branches", "branch", s->branches.items[i], err) != 0)
            return -1;
    return 0;
}

static int check_extra_steps(const struct generate_request *req, struct lk_error *err)
{
    const struct manifest *m = req->manifest;
    for (size_t i = 0; i < m->n_targets; i++) {
        const struct target *t = &m->targets[i];
        char *label = target_label(t);
        int rc = check_carried(req, t->pointer, "attrPath", "label", label, err);
        for (size_t j = 0; j < t->n_extra_steps && rc == 0; j++) {
            rc = check_extra_step(req, &t->extra_steps[j], label, err);
            if (rc == 0)
                rc = check_extra_step_texts(req, &t->extra_steps[j], err);
        }
        free(label);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Mark the end of a step just appended to l->text. */
static void step_list_end_step(struct step_list *l)
{
    XGROW(l->ends, l->alloc, l->n + 1);
    l->ends[l->n++] = l->text.len;
}

size_t step_list_start(const struct step_list *l, size_t i)
{
    return i ? l->ends[i - 1] : 0;
}

static void step_list_clear(struct step_list *l)
{
    sb_reset(&l->text);
    l->n = 0;
}

static void step_list_release(struct step_list *l)
{
    sb_release(&l->text);
    free(l->ends);
    memset(l, 0, sizeof(*l));
}

/* The step just appended to the phase is complete; hand full batches to
 * req->emit. */
static int end_step(const struct generate_request *req, struct phase_steps *ph,
                    struct lk_error *err)
{
    step_list_end_step(&ph->steps);
    if (!req->emit || req->emit_every == 0 || ph->steps.n < req->emit_every)
        return 0;
    if (req->emit(req->emit_ctx, ph->name, &ph->steps, err) != 0)
        return -1;
    step_list_clear(&ph->steps);
    return 0;
}

/* Steps the user wrote (additionalSteps, postBuildSteps), as they are. */
static void add_user_steps(struct phase_steps *ph, const json_t *steps)
{
    size_t i;
    json_t *step;
    json_array_foreach(steps, i, step) {
        jt_value(&ph->steps.text, step);
        step_list_end_step(&ph->steps);
    }
}

static int by_label(const void *a, const void *b)
{
    const struct target_info *x = *(const struct target_info *const *)a;
    const struct target_info *y = *(const struct target_info *const *)b;
    return strcmp(x->label, y->label); /* labels are unique (share_steps) */
}

static char *make_drvmap(const struct target_info *infos, size_t n)
{
    const struct target_info **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
    for (size_t i = 0; i < n; i++)
        sorted[i] = &infos[i];
    qsort(sorted, n, sizeof(*sorted), by_label);
    struct strbuf map = STRBUF_INIT;
    sb_grow(&map, n * 160); /* about the size of an entry: no copies while it grows */
    sb_addc(&map, '{');
    for (size_t i = 0; i < n; i++) {
        const struct target_info *ti = sorted[i];
        if (map.len > 1)
            sb_addc(&map, ',');
        jt_string(&map, ti->label);
        sb_adds(&map, ":{\"attrPath\":[");
        for (size_t k = 0; k < ti->n_attrs; k++) {
            if (k)
                sb_addc(&map, ',');
            jt_string(&map, ti->attrs[k]);
        }
        sb_adds(&map, "],\"drvPath\":");
        jt_string(&map, ti->target->drv_path);
        sb_addc(&map, '}');
    }
    sb_adds(&map, "}\n");
    free(sorted);
    return sb_detach(&map);
}

/* The drvmap, made beside the steps. */
struct drvmap_job {
    const struct target_info *infos;
    size_t n;
    char *text;
};

static void make_drvmap_job(void *arg)
{
    struct drvmap_job *j = arg;
    j->text = make_drvmap(j->infos, j->n);
}

/* Targets are turned into steps in rounds of ROUND_TARGETS: within a round
 * in parallel, each job writing the steps of its range into lists of its
 * own; the lists are then appended to the phases in order (and full chunks
 * emitted), so memory stays bounded by a round. */
enum { ROUND_TARGETS = 8192, MIN_TARGETS_PER_JOB = 512 };

struct round {
    const struct generate_request *req;
    const struct target_info *infos;
    const struct pipeline *p;
    size_t start;                   /* the round's first target */
    const size_t **dep_ids;         /* per target of the round (deps analysis) */
    size_t *n_dep_ids;
    struct step_list *lists;        /* [job * p->n_phases + phase] */
};

static size_t phase_index(const struct pipeline *p, const char *name)
{
    for (size_t i = 0; i < p->n_phases; i++)
        if (!strcmp(p->phases[i].name, name))
            return i;
    return p->n_phases;
}

static struct phase_steps *phase_of(struct pipeline *p, const char *name)
{
    size_t i = phase_index(p, name);
    return i < p->n_phases ? &p->phases[i] : NULL;
}

static void round_range(void *ctx, size_t job, size_t from, size_t to)
{
    struct round *r = ctx;
    const struct pipeline_settings *ps = &r->req->manifest->pipeline;
    struct step_list *lists = r->lists + job * r->p->n_phases;
    size_t build = phase_index(r->p, "build");
    char **keys = NULL;
    size_t keys_alloc = 0;
    for (size_t k = from; k < to; k++) {
        const struct target_info *ti = &r->infos[r->start + k];
        if (build < r->p->n_phases && ti->n_sharers > 0) {
            size_t n_ids = r->n_dep_ids[k];
            XGROW(keys, keys_alloc, n_ids + 1);
            for (size_t d = 0; d < n_ids; d++)
                keys[d] = r->infos[r->dep_ids[k][d]].key;
            target_step(&lists[build].text, ti, keys, n_ids, ps->cancel_on_build_failing,
                        ps->default_step_overrides);
            step_list_end_step(&lists[build]);
        }
        for (size_t j = 0; j < ti->target->n_extra_steps; j++) {
            const struct extra_step *s = &ti->target->extra_steps[j];
            size_t ph = phase_index(r->p, s->phase);
            if (ph < r->p->n_phases) {
                extra_step(&lists[ph].text, ti, s, build < r->p->n_phases,
                           ps->default_step_overrides);
                step_list_end_step(&lists[ph]);
            }
        }
    }
    free(keys);
}

/* Append the steps of `from` to the phase, emitting full batches. */
static int append_steps(const struct generate_request *req, struct phase_steps *ph,
                        const struct step_list *from, struct lk_error *err)
{
    for (size_t k = 0; k < from->n; k++) {
        size_t start = step_list_start(from, k);
        sb_add(&ph->steps.text, from->text.buf + start, from->ends[k] - start);
        if (end_step(req, ph, err) != 0)
            return -1;
    }
    return 0;
}

/* The closest known dependencies of the round's targets. */
static int round_deps(struct deps *d, const struct manifest *m, struct round *r, size_t n,
                      struct lk_error *err)
{
    for (size_t k = 0; k < n; k++) {
        r->dep_ids[k] = NULL;
        r->n_dep_ids[k] = 0;
        if (d && deps_closest(d, m->targets[r->start + k].drv_path, &r->dep_ids[k],
                              &r->n_dep_ids[k], err) != 0)
            return -1;
    }
    return 0;
}

/* Appending a generated round to the phases (and writing full chunks),
 * beside the generation of the next round. */
struct round_output {
    const struct generate_request *req;
    struct pipeline *p;
    struct step_list *lists;        /* the round's, [job * p->n_phases + phase] */
    size_t jobs;
    int rc;                         /* the first failure stops all output */
    struct lk_error err;
};

static void write_round(void *arg)
{
    struct round_output *o = arg;
    for (size_t j = 0; j < o->jobs; j++) {
        for (size_t ph = 0; ph < o->p->n_phases; ph++) {
            struct step_list *l = &o->lists[j * o->p->n_phases + ph];
            if (o->rc == 0)
                o->rc = append_steps(o->req, &o->p->phases[ph], l, &o->err);
            step_list_clear(l);
        }
    }
}

/* The target steps (with their dependencies) and extra steps, in order. */
static int add_target_steps(const struct generate_request *req, struct target_info *infos,
                            struct pipeline *p, struct lk_error *err)
{
    const struct manifest *m = req->manifest;
    bool build = phase_of(p, "build") != NULL;
    struct deps *d = NULL;
    if (build && !req->no_deps) {
        d = deps_new(req->store_dir);
        for (size_t i = 0; i < m->n_targets; i++)
            if (infos[i].n_sharers > 0 && !target_step_unchanged(&infos[i]))
                deps_add_known(d, m->targets[i].drv_path, i);
        deps_read_ahead(d); /* every known target is asked for below */
    }
    /* Two sets of lists: one being generated, one being written. */
    size_t max_jobs = parallel_jobs(ROUND_TARGETS, MIN_TARGETS_PER_JOB);
    size_t per_set = max_jobs * (p->n_phases ? p->n_phases : 1);
    struct step_list *sets = xcalloc(2 * per_set, sizeof(*sets));
    struct round r = { req, infos, p, 0, xcalloc(ROUND_TARGETS, sizeof(*r.dep_ids)),
                       xcalloc(ROUND_TARGETS, sizeof(*r.n_dep_ids)), sets };
    struct round_output out = { req, p, NULL, 0, 0, LK_ERROR_INIT };
    struct background writer = { 0 };
    int rc = 0;
    for (size_t k = 0; r.start < m->n_targets; k++, r.start += ROUND_TARGETS) {
        size_t n = m->n_targets - r.start < ROUND_TARGETS ? m->n_targets - r.start : ROUND_TARGETS;
        if (round_deps(d, m, &r, n, err) != 0) {
            rc = -1;
            break;
        }
        r.lists = sets + (k % 2) * per_set;
        size_t jobs = parallel_jobs(n, MIN_TARGETS_PER_JOB);
        parallel_run(n, jobs, round_range, &r);
        background_wait(&writer);
        if (out.rc != 0)
            break;
        out.lists = r.lists;
        out.jobs = jobs;
        background_start(&writer, write_round, &out);
    }
    background_wait(&writer);
    if (rc == 0 && out.rc != 0) {
        *err = out.err; /* moved */
        out.err = (struct lk_error)LK_ERROR_INIT;
        rc = -1;
    }
    lk_error_clear(&out.err);
    for (size_t i = 0; i < 2 * per_set; i++)
        step_list_release(&sets[i]);
    free(sets);
    free(r.dep_ids);
    free(r.n_dep_ids);
    if (d)
        deps_free(d);
    return rc;
}

/* Labels must be unique (drvmap.json maps each to its target), and the
 * targets naming one derivation share its step (a step key is made from the
 * drv: Buildkite rejects an upload with a key twice). */
static int share_steps(const struct generate_request *req, struct target_info *infos,
                       struct lk_error *err)
{
    const struct manifest *m = req->manifest;
    struct strindex labels = STRINDEX_INIT, drvs = STRINDEX_INIT;
    int rc = 0;
    for (size_t i = 0; i < m->n_targets && rc == 0; i++) {
        size_t same = strindex_get(&labels, infos[i].label);
        if (same != STRINDEX_NONE) {
            char *place = lk_pointer_join(m->targets[i].pointer, "attrPath");
            rc = lk_bad_input(err, req->manifest_file, place,
                              "targets %s and %s have the same label '%s' (labels must be unique)",
                              m->targets[same].pointer, m->targets[i].pointer, infos[i].label);
            free(place);
            break;
        }
        strindex_put(&labels, infos[i].label, i);
        size_t first = strindex_get(&drvs, m->targets[i].drv_path);
        if (first == STRINDEX_NONE)
            strindex_put(&drvs, m->targets[i].drv_path, i);
        else
            target_info_share(&infos[first], &infos[i]);
    }
    strindex_release(&labels);
    strindex_release(&drvs);
    return rc;
}

int pipeline_generate(const struct generate_request *req, struct pipeline *out,
                      struct lk_error *err)
{
    memset(out, 0, sizeof(*out));
    const struct manifest *m = req->manifest;
    const struct pipeline_settings *ps = &m->pipeline;
    if (check_phases(req, err) != 0 || check_extra_steps(req, err) != 0)
        return -1;

    out->phases = xcalloc(ps->phases.n ? ps->phases.n : 1, sizeof(*out->phases));
    for (size_t i = 0; i < ps->phases.n; i++) {
        const char *name = ps->phases.items[i];
        if (ps->has_active_phases && !list_has(&ps->active_phases, name))
            continue;
        out->phases[out->n_phases].name = xstrdup(name);
        out->n_phases++;
    }

    struct target_info *infos = xcalloc(m->n_targets ? m->n_targets : 1, sizeof(*infos));
    for (size_t i = 0; i < m->n_targets; i++)
        target_info_init(&infos[i], &m->targets[i], req->parent_map);
    struct drvmap_job dj = { infos, m->n_targets, NULL };
    struct background drvmap = { 0 };
    int rc = share_steps(req, infos, err);
    for (size_t i = 0; rc == 0 && req->parent_map && i < m->n_targets; i++)
        if (infos[i].n_sharers > 0 && target_step_unchanged(&infos[i]))
            out->n_skipped++;
    if (rc == 0) {
        background_start(&drvmap, make_drvmap_job, &dj);
        rc = add_target_steps(req, infos, out, err);
        background_wait(&drvmap);
    }
    if (rc == 0) {
        struct phase_steps *build = phase_of(out, "build");
        struct phase_steps *release = phase_of(out, "release");
        if (build && ps->additional_steps)
            add_user_steps(build, ps->additional_steps);
        if (release && ps->post_build_steps)
            add_user_steps(release, ps->post_build_steps);
        out->drvmap = dj.text;
        dj.text = NULL;
    }
    free(dj.text);
    for (size_t i = 0; i < m->n_targets; i++)
        target_info_release(&infos[i]);
    free(infos);
    if (rc != 0)
        pipeline_free(out);
    return rc;
}

void pipeline_free(struct pipeline *p)
{
    for (size_t i = 0; i < p->n_phases; i++) {
        free(p->phases[i].name);
        step_list_release(&p->phases[i].steps);
    }
    free(p->phases);
    free(p->drvmap);
    memset(p, 0, sizeof(*p));
}
