/* Unit tests: every invariant check of sim/harness/invariants.c over
 * synthetic builds (held and violated), the fixture expectations, the
 * outcome mapping and the event log reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "harness/invariants.h"
#include "harness/observed.h"
#include "fileio.h"
#include "nix/depot.h"
#include "nix/fixture.h"
#include "xalloc.h"

static const char DEPOT[] = "depot: t\n"
                            "derivations:\n"
                            "  tools/exp:\n"
                            "    build: mkdir $out\n"
                            "  web/script:\n"
                            "    build: printf '@{tools/exp}' > $out\n"
                            "  web/rel:\n"
                            "    build: echo > $out\n"
                            "targets:\n"
                            "  - attrPath: [tools, exp]\n"
                            "  - attrPath: [web, site]\n"
                            "    build: mkdir $out\n"
                            "    meta:\n"
                            "      ci:\n"
                            "        extraSteps:\n"
                            "          check:\n"
                            "            command: web/script\n"
                            "            needsOutput: true\n"
                            "          always:\n"
                            "            command: web/rel\n"
                            "            alwaysRun: true\n"
                            "unchanged: [tools/exp]\n";

static const char *const CHECK = ":gear: check (from web/site)";
static const char *const ALWAYS = ":gear: always (from web/site)";

struct world {
    struct fixture *f;
    struct depot *d;
    struct sim_observed o;
};

static void load(struct world *w, const char *yaml)
{
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(fixture_load_bytes("t.yaml", yaml, strlen(yaml), &w->f, &err), 0);
    assert_int_equal(depot_from_fixture(w->f, &w->d, &err), 0);
    obs_init(&w->o);
}

static int setup(void **state)
{
    struct world *w = xcalloc(1, sizeof(*w));
    load(w, DEPOT);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    obs_free(&w->o);
    depot_free(w->d);
    fixture_free(w->f);
    free(w);
    return 0;
}

static const char *drv(struct world *w, const char *key)
{
    return depot_drv_at(w->d, depot_find_key(w->d, key))->drv_path;
}

static const char *out(struct world *w, const char *key)
{
    return depot_output_path(w->d, depot_find_key(w->d, key), "out");
}

/* A build as lazykite would produce it; every step ran and passed. */
static void good_build(struct world *w)
{
    struct obs_step *s = obs_step_add(&w->o, 0, BK_STEP_COMMAND, "drv-a", ":nix: tools/exp");
    s->skip = true;
    s->outcome = BK_SKIPPED;
    s = obs_step_add(&w->o, 1, BK_STEP_COMMAND, "drv-b", ":nix: web/site");
    s->outcome = BK_PASSED;
    s->ran = true;
    s->step_name = xstrdup("drv-b");
    s->result_link = xstrdup(out(w, "web/site"));
    s->tree_checked = true;
    s->tree_status = xstrdup("");
    s = obs_step_add(&w->o, 2, BK_STEP_COMMAND, "extra-1", CHECK);
    s->skip = true; /* follows its skipped? no: web/site is changed */
    s->skip = false;
    s->outcome = BK_PASSED;
    s->ran = true;
    s->step_name = xstrdup("extra-1");
    s->reached_build_script = s->reached_run_script = true;
    s->result_link = xstrdup(out(w, "web/site"));
    s->script_link = xstrdup(out(w, "web/script"));
    s->tree_checked = true;
    s->tree_status = xstrdup("");
    s = obs_step_add(&w->o, 3, BK_STEP_COMMAND, "extra-2", ALWAYS);
    s->outcome = BK_PASSED;
    s->ran = true;
    s->step_name = xstrdup("extra-2");
    s->reached_build_script = s->reached_run_script = true;
    obs_event_add(&w->o, "build", drv(w, "web/site"), "execution", "drv-b", NULL, out(w, "web/site"));
    obs_event_add(&w->o, "build", drv(w, "tools/exp"), "execution", "extra-1", NULL, out(w, "tools/exp"));
    obs_event_add(&w->o, "build", drv(w, "web/script"), "execution", "extra-1", NULL, out(w, "web/script"));
    obs_event_add(&w->o, "build", drv(w, "web/rel"), "execution", "extra-2", NULL, out(w, "web/rel"));
    /* its generation step fetched the parent build's map: tools/exp is
     * unchanged (the fixture's unchanged: list, as the harness makes it) */
    w->o.parent.default_branch = xstrdup("refs/heads/canon");
    w->o.parent.api_usable = true;
    w->o.parent.fetched_build = w->o.parent.expected_build = 1;
    w->o.parent.fetched = json_pack("{s:s}", "tools/exp", drv(w, "tools/exp"));
    /* the generator ran and wrote a (release) chunk */
    w->o.gen_ran = true;
    w->o.gen_exit = 0;
    obs_chunk_add(&w->o, "release-chunk-1.json", "release", 1,
                  json_pack("{s:[{s:s, s:s}]}", "steps", "key", "rel", "command", "true"), NULL);
}

/* Replace the string `*field` by a copy of `value` (NULL: none). */
static void set_str(char **field, const char *value)
{
    free(*field);
    *field = value ? xstrdup(value) : NULL;
}

/* Every invariant and the fixture's expectations, into `r`. */
static void check_all(struct world *w, struct inv_report *r)
{
    inv_check_all(w->f, w->d, &w->o, r);
    inv_expectations(w->f, w->d, &w->o, r);
}

static enum inv_verdict verdict(struct world *w, const char *id, const char *needle)
{
    struct inv_result r;
    assert_int_equal(inv_check(id, w->f, w->d, &w->o, &r), 0);
    assert_string_equal(r.id, id);
    assert_non_null(r.summary);
    enum inv_verdict v = r.verdict;
    if (needle) {
        int found = 0;
        for (size_t i = 0; i < r.n_evidence; i++)
            found |= strstr(r.evidence[i], needle) != NULL;
        if (!found)
            for (size_t i = 0; i < r.n_evidence; i++)
                fprintf(stderr, "evidence: %s\n", r.evidence[i]);
        assert_true(found);
    }
    inv_result_free(&r);
    return v;
}

static void test_good_build_holds_everything(void **state)
{
    struct world *w = *state;
    good_build(w);
    for (const char *const *id = fixture_invariants; *id; id++)
        assert_int_equal(verdict(w, *id, NULL), strcmp(*id, "gc-fallback") ? INV_HELD : INV_NOT_CHECKED);
    assert_int_equal(verdict(w, INV_SCHEMA, NULL), INV_NOT_CHECKED); /* not validated */
    struct inv_result r;
    assert_int_equal(inv_check("no-such-invariant", w->f, w->d, &w->o, &r), -1);
}

static void test_no_early_extra_step_build(void **state)
{
    struct world *w = *state;
    good_build(w);
    /* the script's dependency, built while generating */
    obs_event_add(&w->o, "build", drv(w, "tools/exp"), "construction", "pipeline-gen", NULL, NULL);
    assert_int_equal(verdict(w, "no-early-extra-step-build", "tools/exp"), INV_VIOLATED);
    assert_int_equal(verdict(w, "no-early-extra-step-build", "the command of ':gear: check (from web/site)'"),
                     INV_VIOLATED);
}

/* A violation lists the events and steps it is about (the report's pictures). */
static void test_violations_name_events_and_steps(void **state)
{
    struct world *w = *state;
    good_build(w);
    size_t early = w->o.n_events;
    obs_event_add(&w->o, "build", drv(w, "tools/exp"), "construction", "pipeline-gen", NULL, NULL);
    struct inv_result r;
    assert_int_equal(inv_check("no-early-extra-step-build", w->f, w->d, &w->o, &r), 0);
    assert_int_equal(r.n_events, 1);
    assert_int_equal(r.events[0], early);
    assert_int_equal(r.n_steps, 0);
    inv_result_free(&r);
    set_str(&w->o.steps[1].tree_status, "?? junk\n");
    assert_int_equal(inv_check("tree-clean", w->f, w->d, &w->o, &r), 0);
    assert_int_equal(r.n_steps, 1);
    assert_int_equal(r.steps[0], 1);
    assert_int_equal(r.n_events, 0);
    inv_result_free(&r);
    assert_int_equal(inv_check("skip-consistent", w->f, w->d, &w->o, &r), 0);
    assert_int_equal(r.n_steps + r.n_events, 0); /* held: nothing named */
    inv_result_free(&r);
}

static void test_no_early_needs_output_parent(void **state)
{
    struct world *w = *state;
    good_build(w);
    obs_event_add(&w->o, "build", drv(w, "web/site"), "construction", "pipeline-gen", "ifd while evaluating x", NULL);
    assert_int_equal(verdict(w, "no-early-extra-step-build", "needsOutput parent"), INV_VIOLATED);
    /* valid (already there) is not a build */
    obs_free(&w->o);
    good_build(w);
    obs_event_add(&w->o, "valid", drv(w, "web/site"), "construction", "pipeline-gen", NULL, NULL);
    assert_int_equal(verdict(w, "no-early-extra-step-build", NULL), INV_HELD);
}

static void test_construction_builds(void **state)
{
    struct world *w = *state;
    /* no generation step ran: nothing checked */
    assert_int_equal(verdict(w, "construction-builds", NULL), INV_NOT_CHECKED);
    w->o.gen_ran = true;
    assert_int_equal(verdict(w, "construction-builds", NULL), INV_HELD);
    obs_event_add(&w->o, "build", drv(w, "web/rel"), "construction", NULL, NULL, NULL);
    assert_int_equal(verdict(w, "construction-builds", "web/rel"), INV_VIOLATED);
}

static void test_construction_builds_expected(void **state)
{
    (void)state;
    struct world w;
    memset(&w, 0, sizeof w);
    char *yaml = xasprintf("%sexpect:\n  construction_builds: [web/rel]\n", DEPOT);
    load(&w, yaml);
    w.o.gen_ran = true;
    assert_int_equal(verdict(&w, "construction-builds", "not built during construction"), INV_VIOLATED);
    obs_event_add(&w.o, "build", drv(&w, "web/rel"), "construction", NULL, NULL, NULL);
    assert_int_equal(verdict(&w, "construction-builds", NULL), INV_HELD);
    obs_free(&w.o);
    depot_free(w.d);
    fixture_free(w.f);
    free(yaml);
}

static void test_script_built_at_execution(void **state)
{
    struct world *w = *state;
    good_build(w);
    /* drop the script's build from the log: it "was built earlier" */
    set_str(&w->o.events[2].phase, "construction");
    assert_int_equal(verdict(w, "script-built-at-execution", "built during construction"), INV_VIOLATED);
    /* realised (valid) by this step in execution: fine */
    obs_event_add(&w->o, "valid", drv(w, "web/script"), "execution", "extra-1", NULL, NULL);
    assert_int_equal(verdict(w, "script-built-at-execution", NULL), INV_HELD);
    /* realised by another step does not count */
    set_str(&w->o.events[w->o.n_events - 1].step, "extra-2");
    assert_int_equal(verdict(w, "script-built-at-execution", "did not build web/script"), INV_VIOLATED);
}

static void test_script_built_but_not_run(void **state)
{
    struct world *w = *state;
    good_build(w);
    w->o.steps[2].reached_run_script = false;
    set_str(&w->o.steps[2].script_link, NULL);
    assert_int_equal(verdict(w, "script-built-at-execution", "never ran it"), INV_VIOLATED);
    /* a step that failed before building its script is excused */
    obs_free(&w->o);
    good_build(w);
    w->o.n_events = 1 + 0; /* keep only web/site's build... */
    for (size_t i = 1; i < 4; i++) {
        free(w->o.events[i].event);
        free(w->o.events[i].drv);
        free(w->o.events[i].phase);
        free(w->o.events[i].step);
        free(w->o.events[i].out);
    }
    w->o.steps[2].outcome = BK_FAILED;
    w->o.steps[2].reached_build_script = w->o.steps[2].reached_run_script = false;
    w->o.steps[3].ran = false;
    assert_int_equal(verdict(w, "script-built-at-execution", "failed before building"), INV_HELD);
}

static void test_result_link(void **state)
{
    struct world *w = *state;
    good_build(w);
    set_str(&w->o.steps[2].result_link, out(w, "tools/exp"));
    assert_int_equal(verdict(w, "result-link", "result points at"), INV_VIOLATED);
    set_str(&w->o.steps[2].result_link, out(w, "web/site"));
    set_str(&w->o.steps[2].script_link, NULL);
    assert_int_equal(verdict(w, "result-link", "points at nothing"), INV_VIOLATED);
}

static void test_tree_clean(void **state)
{
    struct world *w = *state;
    good_build(w);
    set_str(&w->o.steps[1].tree_status, "?? result-link\n?? junk\n");
    assert_int_equal(verdict(w, "tree-clean", "?? result-link; ?? junk"), INV_VIOLATED);
}

static json_t *chunk_of(size_t n, const char *prefix, size_t first)
{
    json_t *steps = json_array();
    for (size_t i = 0; i < n; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s%zu", prefix, first + i);
        json_array_append_new(steps, json_pack("{s:s, s:s, s:[]}", "key", key, "command", "true", "depends_on"));
    }
    return json_pack("{s:o}", "steps", steps);
}

static void test_pipeline_valid(void **state)
{
    struct world *w = *state;
    obs_chunk_add(&w->o, "build-chunk-1.json", "build", 1, chunk_of(2, "k", 1), NULL);
    obs_chunk_add(&w->o, "build-chunk-2.json", "build", 2, chunk_of(1, "k", 3), NULL);
    w->o.gen_exit = 0;
    w->o.schema_state = 0;
    const char *ids[] = { "k1", "k2", "k3" };
    for (size_t i = 0; i < 3; i++)
        strv_add(&w->o.uploaded_ids, &w->o.n_uploaded_ids, ids[i]);
    assert_int_equal(verdict(w, "pipeline-valid", NULL), INV_HELD);
    /* chunk 2 uploaded before chunk 1 (first-first upload) */
    set_str(&w->o.uploaded_ids[0], "k3");
    set_str(&w->o.uploaded_ids[2], "k2");
    set_str(&w->o.uploaded_ids[1], "k1");
    assert_int_equal(verdict(w, "pipeline-valid", "upload order differs"), INV_VIOLATED);
}

static void test_pipeline_invalid_chunks(void **state)
{
    struct world *w = *state;
    w->o.gen_exit = 0;
    obs_chunk_add(&w->o, "build-chunk-1.json", "build", 1, chunk_of(193, "k", 1), NULL);
    assert_int_equal(verdict(w, "pipeline-valid", "193 steps"), INV_VIOLATED);
    obs_free(&w->o);
    /* a duplicate key across chunks, a dangling depends_on, a gap in numbering */
    obs_chunk_add(&w->o, "build-chunk-1.json", "build", 1, chunk_of(1, "k", 1), NULL);
    obs_chunk_add(&w->o, "build-chunk-3.json", "build", 3, chunk_of(1, "k", 1), NULL);
    assert_int_equal(verdict(w, "pipeline-valid", "not numbered"), INV_VIOLATED);
    assert_int_equal(verdict(w, "pipeline-valid", "k1"), INV_VIOLATED);
    obs_free(&w->o);
    json_t *c = json_pack("{s:[{s:s, s:s, s:[s]}]}", "steps", "key", "a", "command", "true", "depends_on", "nope");
    obs_chunk_add(&w->o, "build-chunk-1.json", "build", 1, c, NULL);
    assert_int_equal(verdict(w, "pipeline-valid", "nope"), INV_VIOLATED);
    obs_free(&w->o);
    char longkey[128];
    memset(longkey, 'k', 101);
    longkey[101] = '\0';
    c = json_pack("{s:[{s:s, s:s}]}", "steps", "key", longkey, "command", "true");
    obs_chunk_add(&w->o, "build-chunk-1.json", "build", 1, c, NULL);
    assert_int_equal(verdict(w, "pipeline-valid", "at most 100 characters"), INV_VIOLATED);
    obs_free(&w->o);
    /* every key that breaks the schema's rule is named, nested and grouped ones too */
    c = json_pack("{s:[{s:s, s:s}, {s:{s:s}}, {s:s, s:s, s:[{s:s, s:s}]}, {s:s, s:s}]}", "steps",
                  "key", "has space", "command", "true",
                  "block", "key", "no/slash",
                  "group", "g", "key", "ok-group", "steps", "id", "0123abcd-1234-1234-1234-123456789012",
                  "command", "true",
                  "identifier", "fine", "command", "true");
    obs_chunk_add(&w->o, "build-chunk-1.json", "build", 1, c, NULL);
    struct inv_result r;
    assert_int_equal(inv_check("pipeline-valid", w->f, w->d, &w->o, &r), 0);
    assert_int_equal(r.verdict, INV_VIOLATED);
    const char *want[] = { "build-chunk-1.json: /steps/0/key: key \"has space\": expected a key of letters",
                           "build-chunk-1.json: /steps/1/block/key: key \"no/slash\"",
                           "build-chunk-1.json: /steps/2/steps/0/id: key \"0123abcd-1234-1234-1234-123456789012\": "
                           "expected a key that does not look like a UUID" };
    size_t keys = 0;
    for (size_t i = 0; i < r.n_evidence; i++)
        keys += strstr(r.evidence[i], ": key \"") != NULL;
    assert_int_equal(keys, 3); /* (and the loader's first complaint not repeated) */
    for (size_t k = 0; k < 3; k++) {
        bool found = false;
        for (size_t i = 0; i < r.n_evidence; i++)
            found |= !strncmp(r.evidence[i], want[k], strlen(want[k]));
        if (!found)
            fail_msg("no evidence \"%s\"", want[k]);
    }
    inv_result_free(&r);
    obs_free(&w->o);
    /* upload rejected, schema errors, schema not validated (a note, said plainly) */
    strv_add(&w->o.upload_errors, &w->o.n_upload_errors, "build-chunk-1.json: duplicate key");
    assert_int_equal(verdict(w, "pipeline-valid", "upload rejected"), INV_VIOLATED);
    obs_free(&w->o);
    /* the schema is a check of its own: not validated is not-checked, never held */
    obs_chunk_add(&w->o, "build-chunk-1.json", "build", 1, chunk_of(1, "k", 1), NULL);
    w->o.schema_note = xstrdup("the Buildkite schema x is absent");
    assert_int_equal(verdict(w, INV_SCHEMA, NULL), INV_NOT_CHECKED);
    w->o.schema_state = 0;
    assert_int_equal(verdict(w, INV_SCHEMA, NULL), INV_HELD);
    w->o.schema_state = 1;
    strv_add(&w->o.schema_errors, &w->o.n_schema_errors, "build-chunk-1.json: /steps/0: bad");
    assert_int_equal(verdict(w, INV_SCHEMA, "schema: build-chunk-1.json"), INV_VIOLATED);
}

/* A generator that exited 0 and wrote nothing: no invariant that had
 * nothing to check holds, and the run fails with the reason. */
static void test_nothing_checked_is_not_held(void **state)
{
    struct world *w = *state;
    w->o.gen_ran = true;
    w->o.gen_exit = 0;
    struct inv_report r;
    check_all(w, &r);
    for (size_t i = 0; i < r.n; i++) {
        if (strcmp(r.inv[i].id, "construction-builds")) /* the generator ran: that was checked */
            assert_int_equal(r.inv[i].verdict, INV_NOT_CHECKED);
        assert_int_equal(r.inv[i].n_checked, strcmp(r.inv[i].id, "construction-builds") ? 0 : depot_n_drvs(w->d));
    }
    assert_string_equal(r.inv[r.n - 1].id, INV_SCHEMA);
    assert_non_null(r.failure);
    assert_non_null(strstr(r.failure, "produced no pipeline"));
    assert_false(inv_report_ok(w->f, &r));
    inv_report_free(&r);
    /* a generator the fixture expects to fail is the expectations' business,
     * not a failure of the run (a generation step that fails because its
     * generator wrote nothing for `lazykite upload` still is one) */
    w->o.gen_exit = 2;
    w->f->expect.generate_exit = 2;
    check_all(w, &r);
    assert_null(r.failure);
    inv_report_free(&r);
    w->f->expect.generate_exit = 0;
    check_all(w, &r);
    assert_non_null(r.failure);
    inv_report_free(&r);
}

static void test_skip_consistent(void **state)
{
    struct world *w = *state;
    good_build(w);
    w->o.steps[0].skip = false; /* unchanged target not skipped */
    assert_int_equal(verdict(w, "skip-consistent", "':nix: tools/exp' is not skipped"), INV_VIOLATED);
    w->o.steps[0].skip = true;
    w->o.steps[3].skip = true; /* alwaysRun step skipped */
    assert_int_equal(verdict(w, "skip-consistent", "alwaysRun"), INV_VIOLATED);
    w->o.steps[3].skip = false;
    /* skipped through its group */
    struct obs_step *g = obs_step_add(&w->o, 9, BK_STEP_GROUP, NULL, CHECK);
    g->skip = true;
    w->o.steps[2].group = 4;
    assert_int_equal(verdict(w, "skip-consistent", "should not be"), INV_VIOLATED);
}

/* The skips follow the map the build fetched; that map must be the newest
 * parent build's, and fetched when there is one; none on the default branch. */
static void test_skip_consistent_parent_map(void **state)
{
    struct world *w = *state;
    good_build(w);
    assert_int_equal(verdict(w, "skip-consistent", NULL), INV_HELD);
    w->o.parent.expected_build = 2; /* a newer build had a map */
    assert_int_equal(verdict(w, "skip-consistent", "fetched the parent map of build #1, but the newest"),
                     INV_VIOLATED);
    w->o.parent.fetched_build = 0; /* fetched nothing at all */
    json_decref(w->o.parent.fetched);
    w->o.parent.fetched = NULL;
    assert_int_equal(verdict(w, "skip-consistent", "fetched no parent map, but build #2"), INV_VIOLATED);
    w->o.parent.api_usable = false; /* the API could not give it: every target built is right */
    w->o.steps[0].skip = false;
    assert_int_equal(verdict(w, "skip-consistent", NULL), INV_HELD);
    w->o.steps[0].skip = true; /* skipped without a map */
    assert_int_equal(verdict(w, "skip-consistent", "is skipped but the target is changed"), INV_VIOLATED);
    /* a map with another drv for the label: changed */
    w->o.parent.fetched_build = 2;
    w->o.parent.fetched = json_pack("{s:s}", "tools/exp", drv(w, "web/rel"));
    assert_int_equal(verdict(w, "skip-consistent", "is skipped but the target is changed"), INV_VIOLATED);
    /* on the default branch the map is not used */
    json_decref(w->o.parent.fetched);
    w->o.parent.fetched = json_pack("{s:s}", "tools/exp", drv(w, "tools/exp"));
    w->o.parent.on_default_branch = true;
    assert_int_equal(verdict(w, "skip-consistent", "is skipped but the target is changed"), INV_VIOLATED);
    w->o.steps[0].skip = false;
    assert_int_equal(verdict(w, "skip-consistent", NULL), INV_HELD);
}

static void test_gc_fallback(void **state)
{
    struct world *w = *state;
    good_build(w);
    w->o.gc_drvs = true;
    assert_int_equal(verdict(w, "gc-fallback", NULL), INV_HELD);
    w->o.steps[1].outcome = BK_FAILED;
    assert_int_equal(verdict(w, "gc-fallback", "failed"), INV_VIOLATED);
    w->o.steps[1].outcome = BK_PASSED;
    set_str(&w->o.steps[1].result_link, NULL);
    assert_int_equal(verdict(w, "gc-fallback", "nothing"), INV_VIOLATED);
    w->o.gc_error = xstrdup("error: cannot delete");
    assert_int_equal(verdict(w, "gc-fallback", "cannot delete"), INV_VIOLATED);
}

static void test_expectations(void **state)
{
    (void)state;
    struct world w;
    memset(&w, 0, sizeof w);
    char *yaml = xasprintf("%sexpect:\n  steps:\n    \":nix: web/site\": passed\n    \"%s\": failed\n"
                           "  built_by:\n    web/script: \"%s\"\n  violations: [tree-clean]\n"
                           "  generate_error: boom\n",
                           DEPOT, CHECK, CHECK);
    load(&w, yaml);
    good_build(&w);
    w.o.gen_step = 0;
    w.o.gen_ran = true;
    w.o.gen_exit = 0;
    w.o.gen_output = xstrdup("no error here");
    struct inv_report r;
    check_all(&w, &r);
    /* check passed (expected failed), tree-clean held (expected violated), no "boom" */
    assert_int_equal(r.n_unmet, 3);
    assert_non_null(strstr(r.unmet[0], "expected failed, got passed"));
    assert_non_null(strstr(r.unmet[1], "tree-clean"));
    assert_non_null(strstr(r.unmet[2], "boom"));
    assert_false(inv_report_ok(w.f, &r));
    inv_report_free(&r);
    /* now make it all true */
    w.o.steps[2].outcome = BK_FAILED;
    set_str(&w.o.steps[1].tree_status, "?? x\n");
    set_str(&w.o.gen_output, "error: boom\n");
    check_all(&w, &r);
    for (size_t i = 0; i < r.n_unmet; i++)
        fprintf(stderr, "unmet: %s\n", r.unmet[i]);
    assert_int_equal(r.n_unmet, 0);
    assert_true(inv_report_ok(w.f, &r));
    inv_report_free(&r);
    /* built by the wrong step */
    set_str(&w.o.events[2].step, "extra-2");
    check_all(&w, &r);
    assert_int_equal(r.n_unmet, 1);
    assert_non_null(strstr(r.unmet[0], "built by ':gear: always (from web/site)' (execution)"));
    inv_report_free(&r);
    obs_free(&w.o);
    depot_free(w.d);
    fixture_free(w.f);
    free(yaml);
}

static void test_outcome_names(void **state)
{
    (void)state;
    /* every final outcome and absent: a name, parsed back */
    for (int o = BK_PASSED; o <= BK_ABSENT; o++) {
        const char *name = bk_outcome_name((enum bk_outcome)o);
        assert_int_equal(bk_outcome_parse(name), o);
        assert_non_null(strstr(bk_outcome_names(), name));
    }
    assert_string_equal(bk_outcome_name(BK_WAITING_FAILED), "waiting_failed");
    assert_int_equal(bk_outcome_parse("pending"), -1); /* never a final outcome */
    assert_int_equal(bk_outcome_parse("soft-failed"), -1);
    assert_true(bk_outcome_is_failure(BK_TIMED_OUT));
    assert_false(bk_outcome_is_failure(BK_SOFT_FAILED));
}

static void test_read_log(void **state)
{
    (void)state;
    char path[] = "/tmp/test-invariants-log.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char good[] = "{\"event\":\"build\",\"drv\":\"/nix/store/a.drv\",\"outputs\":{\"dev\":\"/nix/store/d\",\"out\":\"/nix/store/o\"},"
                        "\"phase\":\"construction\",\"step\":null,\"cause\":\"ifd while evaluating x\"}\n"
                        "{\"event\":\"valid\",\"drv\":null,\"outputs\":{}}\n";
    assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
    struct sim_observed o;
    obs_init(&o);
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(obs_read_log(&o, path, &err), 0);
    assert_int_equal(o.n_events, 2);
    assert_string_equal(o.events[0].out, "/nix/store/o");
    assert_string_equal(o.events[0].cause, "ifd while evaluating x");
    assert_null(o.events[0].step);
    assert_null(o.events[1].drv);
    assert_int_equal(write(fd, "not json\n", 9), 9);
    assert_int_equal(obs_read_log(&o, path, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.place, "line 3");
    lk_error_clear(&err);
    close(fd);
    unlink(path);
    assert_int_equal(obs_read_log(&o, path, &err), 0); /* absent: nothing realised */
    obs_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_build_holds_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_violations_name_events_and_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_early_extra_step_build, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_early_needs_output_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_construction_builds, setup, teardown),
        cmocka_unit_test(test_construction_builds_expected),
        cmocka_unit_test_setup_teardown(test_script_built_at_execution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_script_built_but_not_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tree_clean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipeline_invalid_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_checked_is_not_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_consistent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_consistent_parent_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_fallback, setup, teardown),
        cmocka_unit_test(test_expectations),
        cmocka_unit_test(test_outcome_names),
        cmocka_unit_test(test_read_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
