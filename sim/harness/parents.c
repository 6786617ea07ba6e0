/* parents — the builds before a fixture's own (see parents.h). */
#include "harness/parents.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "manifest.h"
#include "xalloc.h"

#define GEN_KEY "pipeline-gen"
#define MAP_PATH "pipeline/drvmap.json"

static char *build_id(long number)
{
    return xasprintf("00000000-0000-4000-8000-%012ld", number);
}

/* The fixture's `unchanged:` targets as the drvmap.json of a passed build
 * of the default branch. */
static int seed_unchanged(struct sim_world *w, const struct fixture *f, const struct depot *d, json_t *record,
                          struct lk_error *err)
{
    json_t *map = json_object(), *labels = json_array();
    for (size_t i = 0; i < f->n_unchanged; i++) {
        const struct fixture_target *t = &f->targets[f->unchanged[i]];
        json_t *attr = json_array();
        for (size_t k = 0; k < t->n_attr_path; k++)
            json_array_append_new(attr, json_string(t->attr_path[k]));
        if (t->subtarget)
            json_array_append_new(attr, json_string(t->subtarget));
        const struct depot_drv *dd = depot_drv_at(d, depot_index_of_fixture_drv(d, t->drv));
        json_object_set_new(map, t->label, json_pack("{s:s, s:o}", "drvPath", dd->drv_path, "attrPath", attr));
        json_array_append_new(labels, json_string(t->label));
    }
    char *text = json_dumps(map, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(map);
    char *id = build_id((long)bk_builds_count(w->builds) + 1);
    struct bk_build *b = bk_builds_add(w->builds, id, SIM_DEFAULT_BRANCH, "", "passed");
    bk_build_add_job(b, "0", "script", GEN_KEY, ":llama:", "passed");
    int rc = bk_artifacts_add(w->artifacts, id, "0", GEN_KEY, ":llama:", MAP_PATH, text, strlen(text), err);
    json_array_append_new(record, json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:o, s:[], s:[], s:o}", "number",
                                            (json_int_t)b->number, "id", id, "branch", b->branch, "commit", "",
                                            "state", b->state, "synthetic", 1, "fixture", f->path, "seconds",
                                            json_null(), "violated", "steps", "unchanged", labels));
    free(id);
    free(text);
    return rc;
}

/* What one played parent build was, for the report. */
static json_t *parent_record(const struct sim_play_result *r)
{
    json_t *steps = json_array(), *violated = json_array();
    for (size_t i = 0; i < r->obs.n_steps; i++) {
        const struct obs_step *s = &r->obs.steps[i];
        json_array_append_new(steps, json_pack("{s:o, s:o, s:s}", "label", s->label ? json_string(s->label) : json_null(),
                                               "key", s->key ? json_string(s->key) : json_null(), "outcome",
                                               bk_outcome_name(s->outcome)));
    }
    for (size_t i = 0; i < r->inv.n; i++)
        if (r->inv.inv[i].verdict == INV_VIOLATED)
            json_array_append_new(violated, json_string(r->inv.inv[i].id));
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:f, s:o, s:o}", "number",
                          (json_int_t)r->build_number, "id", r->build_id ? r->build_id : "", "branch",
                          r->branch ? r->branch : "", "commit", r->commit ? r->commit : "", "state",
                          r->build_state ? r->build_state : "?", "synthetic", 0, "fixture", r->fixture->path,
                          "seconds", r->seconds, "violated", violated, "steps", steps);
    return j;
}

int parents_play(struct sim_world *w, const struct sim_play_options *opt, const struct fixture *f,
                 const struct depot *d, const char *work, json_t **record, struct lk_error *err)
{
    *record = json_array();
    if (f->n_unchanged)
        return seed_unchanged(w, f, d, *record, err);
    size_t n = 0;
    for (const struct fixture *p = f->parent; p; p = p->parent)
        n++;
    const struct fixture **chain = xcalloc(n + 1, sizeof *chain);
    n = 0;
    for (const struct fixture *p = f->parent; p; p = p->parent)
        chain[n++] = p;
    int rc = 0;
    for (size_t k = n; k-- > 0 && rc == 0;) { /* oldest first */
        struct sim_play_options po = *opt;
        char *dir = xasprintf("%s/parent-%zu", work, k + 1);
        po.fixture_path = chain[k]->path;
        po.fixture = chain[k];
        po.world = w;
        po.branch = SIM_DEFAULT_BRANCH;
        po.gc_drvs = 0;
        po.keep = dir;
        po.unblock = opt->unblock;
        struct sim_play_result pr;
        rc = sim_play(&po, &pr, err);
        if (rc == 0)
            json_array_append_new(*record, parent_record(&pr));
        else
            lk_error_prefix(err, "playing the parent build (%s)", chain[k]->path);
        sim_play_result_free(&pr);
        free(dir);
    }
    free(chain);
    return rc;
}

/* The map artifact of build `b`'s generation job, or NULL. */
static const struct bk_artifact *map_of(const struct sim_world *w, const struct bk_build *b)
{
    size_t nj;
    const struct bk_artifact *found = NULL;
    struct bk_build_job *jobs = bk_build_jobs(b, &nj);
    for (size_t i = 0; i < nj && !found; i++) {
        if (!jobs[i].step_key || strcmp(jobs[i].step_key, GEN_KEY))
            continue;
        size_t na;
        const struct bk_artifact **a = bk_artifacts_find(w->artifacts, b->id, jobs[i].id, MAP_PATH, &na);
        for (size_t k = 0; k < na && !found; k++)
            if (!strcmp(a[k]->job_id, jobs[i].id) && !strcmp(a[k]->path, MAP_PATH))
                found = a[k];
        free(a);
    }
    bk_build_jobs_free(jobs, nj);
    return found;
}

static long number_of(const struct sim_world *w, const char *id)
{
    for (size_t i = 0; i < bk_builds_count(w->builds); i++)
        if (!strcmp(bk_builds_at(w->builds, i)->id, id))
            return bk_builds_at(w->builds, i)->number;
    return 0;
}

void parents_observe(struct sim_world *w, long number, const char *branch, bool token_ok,
                     struct sim_observed *o)
{
    struct obs_parent_map *pm = &o->parent;
    pm->default_branch = xstrdup(SIM_DEFAULT_BRANCH);
    pm->on_default_branch = !strcmp(branch, SIM_DEFAULT_BRANCH);
    pm->api_usable = w->fault == BK_API_OK && token_ok;
    /* the newest build the parent map should come from */
    for (size_t i = bk_builds_count(w->builds); i-- > 0 && !pm->expected_build;) {
        const struct bk_build *b = bk_builds_at(w->builds, i);
        const char *state = b->live ? "running" : b->state;
        if (b->number != number && !strcmp(b->branch, SIM_DEFAULT_BRANCH) &&
            (!strcmp(state, "passed") || !strcmp(state, "running")) && map_of(w, b))
            pm->expected_build = b->number;
    }
    /* the map the build's jobs downloaded last */
    json_t *log = bk_rest_api_requests(w->api), *e;
    size_t i;
    const struct bk_artifact *got = NULL;
    json_array_foreach(log, i, e) {
        json_t *art = json_object_get(e, "artifact");
        if (json_integer_value(json_object_get(e, "build")) == number && art &&
            json_integer_value(json_object_get(e, "status")) == 200)
            got = bk_artifacts_by_number(w->artifacts, (size_t)json_integer_value(json_object_get(art, "number")));
    }
    json_decref(log);
    if (!got)
        return;
    pm->fetched_build = number_of(w, got->build_id);
    char *text = NULL;
    size_t len = 0;
    struct lk_error err = LK_ERROR_INIT;
    struct parent_map map = { NULL };
    char *what = xasprintf("build #%ld's %s", pm->fetched_build, got->path);
    if (file_read(got->file, &text, &len, &err) == 0 && parent_map_parse(text, len, what, &map, &err) == 0) {
        pm->fetched = map.drvs;
        map.drvs = NULL;
    } else {
        pm->fetched_problem = lk_error_format(&err);
    }
    lk_error_clear(&err);
    parent_map_free(&map);
    free(what);
    free(text);
}
