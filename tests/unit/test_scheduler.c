/* Unit tests: the Buildkite scheduler's rules, one build per rule. Steps
 * "run" instantly; a command "exit N" makes the step exit with N. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkcond.h"
#include "buildkite/scheduler.h"
#include "strbuf.h"

static struct bk_pipeline *pl(const char *json)
{
    struct lk_error err = LK_ERROR_INIT;
    struct bk_pipeline *p = bk_pipeline_load("t.json", json, strlen(json), NULL, &err);
    if (!p)
        fail_msg("bad test pipeline: %s: %s", err.place, err.msg);
    return p;
}

static struct bk_sched *sched(const char *branch, enum bk_unblock u, const char *glob, const char *json)
{
    struct bk_sched_options o = { branch, u, glob, NULL };
    struct bk_sched *s = bk_sched_new(&o);
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(bk_sched_upload(s, -1, pl(json), NULL, NULL, &err), 0);
    return s;
}

/* "exit N" exits N; "flaky N" exits 1 in its first N attempts, then 0. */
static int exit_of(const struct bk_sched *s, int id)
{
    const struct bk_step *st = bk_sched_step(s, id);
    const char *e = strstr(st->command, "exit ");
    if (e)
        return atoi(e + 5);
    e = strstr(st->command, "flaky ");
    return e && bk_sched_attempt(s, id) < atoi(e + 6) ? 1 : 0;
}

/* Run to the end one step at a time; returns the run order "k1 k2 ..."
 * (a step's key, else its label, "+N" for the Nth retry). */
static char *run_all(struct bk_sched *s)
{
    struct strbuf sb = STRBUF_INIT;
    int id;
    while ((id = bk_sched_next(s)) >= 0) {
        const struct bk_step *st = bk_sched_step(s, id);
        sb_addf(&sb, "%s%s", sb.len ? " " : "", st->key ? st->key : st->label ? st->label : "?");
        if (bk_sched_attempt(s, id))
            sb_addf(&sb, "+%d", bk_sched_attempt(s, id));
        bk_sched_report_exit(s, id, exit_of(s, id), strstr(st->command, "sleep") != NULL);
    }
    assert_int_equal(id, BK_SCHED_DONE);
    return sb_detach(&sb);
}

static void expect(struct bk_sched *s, const char *key, enum bk_outcome o, const char *reason)
{
    int id = bk_sched_find(s, key);
    if (id < 0)
        fail_msg("no step %s", key);
    if (bk_sched_outcome(s, id) != o)
        fail_msg("%s: outcome %s, want %s (reason %s)", key, bk_outcome_name(bk_sched_outcome(s, id)),
                 bk_outcome_name(o), bk_sched_reason(s, id) ? bk_sched_reason(s, id) : "-");
    if (reason && (!bk_sched_reason(s, id) || !strstr(bk_sched_reason(s, id), reason)))
        fail_msg("%s: reason \"%s\" lacks \"%s\"", key, bk_sched_reason(s, id) ? bk_sched_reason(s, id) : "",
                 reason);
}

static void check_order(struct bk_sched *s, const char *want)
{
    char *got = run_all(s);
    if (strcmp(got, want))
        fail_msg("run order \"%s\", want \"%s\"", got, want);
    free(got);
}

/* One row per step: its key, outcome and a text its reason holds (or NULL). */
struct want {
    const char *key;
    enum bk_outcome outcome;
    const char *reason;
};
#define WANTS(...) ((const struct want[]){ __VA_ARGS__, { NULL, 0, NULL } })

static void expect_all(struct bk_sched *s, const struct want *w)
{
    for (; w->key; w++)
        expect(s, w->key, w->outcome, w->reason);
}

/* Run to the end in order `order`, then every row of `w` holds. */
static void check(struct bk_sched *s, const char *order, const struct want *w)
{
    check_order(s, order);
    expect_all(s, w);
}

#define C(k, extra) "{\"key\": \"" k "\", \"command\": \"true\"" extra "}"
#define F(k, n, extra) "{\"key\": \"" k "\", \"command\": \"exit " #n "\"" extra "}"

static void test_skips(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" C("a", ", \"skip\": \"Target has not changed.\"") "," C("b", ", \"depends_on\": \"a\"") ","
        C("c", ", \"skip\": true") ", \"wait\"," C("d", "") "]");
    check(s, "b d", WANTS({ "a", BK_SKIPPED, "Target has not changed." }, { "b", BK_PASSED, NULL },
        { "c", BK_SKIPPED, NULL }, { "d", BK_PASSED, NULL }));
    assert_false(bk_sched_failing(s));
    bk_sched_free(s);
}

static void test_failures(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" F("a", 1, "") "," C("b", ", \"depends_on\": \"a\"") ","
        C("c", ", \"depends_on\": [{\"step\": \"a\", \"allow_failure\": true}]") ","
        C("d", ", \"depends_on\": \"a\", \"allow_dependency_failure\": true") ","
        F("e", 3, ", \"soft_fail\": [{\"exit_status\": 3}]") "," C("f", ", \"depends_on\": \"e\"") ","
        F("g", 4, ", \"soft_fail\": [{\"exit_status\": 3}]") "," C("h", ", \"depends_on\": \"g\"") ","
        F("i", 9, ", \"soft_fail\": true") "," C("j", ", \"depends_on\": \"i\"") ","
        C("k", ", \"depends_on\": \"b\"") ","
        C("l", ", \"depends_on\": [{\"step\": \"b\", \"allow_failure\": true}]") "]");
    check(s, "a c d e f g i j l", WANTS({ "a", BK_FAILED, "exit status 1" }, { "b", BK_WAITING_FAILED, "a" },
        { "c", BK_PASSED, NULL }, { "d", BK_PASSED, NULL }, { "e", BK_SOFT_FAILED, NULL },
        { "f", BK_PASSED, NULL }, { "g", BK_FAILED, NULL }, { "h", BK_WAITING_FAILED, "g" },
        { "i", BK_SOFT_FAILED, NULL }, { "j", BK_PASSED, NULL },
        { "k", BK_WAITING_FAILED, "b" }, /* waiting_failed propagates */
        { "l", BK_PASSED, NULL }));      /* ...and allow_failure covers it */
    assert_true(bk_sched_failing(s));
    assert_int_equal(bk_sched_exit_status(s, bk_sched_find(s, "a")), 1);
    bk_sched_free(s);
}

static void test_wait(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" C("a", "") "," F("b", 2, "") ", {\"wait\": null, \"key\": \"w1\"}," C("c", "") ","
        C("free", ", \"depends_on\": []") ","
        C("d", ", \"allow_dependency_failure\": true") "]");
    check(s, "a b free d", WANTS({ "w1", BK_WAITING_FAILED, "b" }, { "c", BK_WAITING_FAILED, "w1" },
        { "free", BK_PASSED, NULL }, { "d", BK_PASSED, NULL }));
    bk_sched_free(s);

    s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" F("a", 2, "") ", {\"wait\": \"~\", \"continue_on_failure\": true, \"key\": \"w\"}," C("b", "") ","
        "\"wait\"," C("c", "") "]");
    check(s, "a b", WANTS({ "w", BK_PASSED, NULL }, { "b", BK_PASSED, NULL },
        { "c", BK_WAITING_FAILED, NULL })); /* the next wait sees the failure again */
    bk_sched_free(s);

    /* a wait waits for everything before it, in order */
    s = sched("main", BK_UNBLOCK_NONE, NULL, "[" C("a", "") "," C("b", "") ", \"wait\"," C("c", "") "]");
    int a = bk_sched_next(s), b = bk_sched_next(s);
    assert_int_equal(bk_sched_next(s), BK_SCHED_BUSY); /* c waits for a and b */
    bk_sched_report_exit(s, a, 0, false);
    assert_int_equal(bk_sched_next(s), BK_SCHED_BUSY);
    bk_sched_report_exit(s, b, 0, false);
    int c = bk_sched_next(s);
    assert_int_equal(c, bk_sched_find(s, "c"));
    bk_sched_report_exit(s, c, 0, false);
    assert_int_equal(bk_sched_next(s), BK_SCHED_DONE);
    bk_sched_free(s);
}

static void test_blocks(void **state)
{
    (void)state;
    const char *json =
        "[" C("a", "") ", {\"block\": \":radio_button: Run deploy?\", \"key\": \"blk\"}," C("b", "") ","
        C("c", ", \"depends_on\": \"blk\"") "," C("x", ", \"depends_on\": \"a\"") ","
        "{\"input\": \"Who?\", \"key\": \"in\"}," C("after-input", ", \"depends_on\": \"in\"") "]";
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL, json);
    check(s, "a x", WANTS({ "blk", BK_BLOCKED, NULL }, { "b", BK_NOT_RUN, "blocked by \"blk\"" },
        { "c", BK_NOT_RUN, "blocked by \"blk\"" }, { "in", BK_BLOCKED, NULL },
        { "after-input", BK_NOT_RUN, "blocked by \"in\"" }));
    assert_false(bk_sched_failing(s));
    bk_sched_free(s);

    s = sched("main", BK_UNBLOCK_ALL, NULL, json);
    /* ready steps start in build order */
    check(s, "a b c x after-input", WANTS({ "blk", BK_UNBLOCKED, NULL }));
    bk_sched_free(s);

    s = sched("main", BK_UNBLOCK_GLOB, "*Run deploy?", json);
    check(s, "a b c x", WANTS({ "blk", BK_UNBLOCKED, NULL }, { "in", BK_BLOCKED, NULL }));
    bk_sched_free(s);

    s = sched("main", BK_UNBLOCK_GLOB, "Run*", json); /* must match the whole label */
    check_order(s, "a x");
    bk_sched_free(s);

    /* a block after a failure does not unblock */
    s = sched("main", BK_UNBLOCK_ALL, NULL, "[" F("a", 1, "") ", {\"block\": \"b\", \"key\": \"blk\"}," C("b", "") "]");
    check(s, "a", WANTS({ "blk", BK_WAITING_FAILED, "a" }, { "b", BK_WAITING_FAILED, "blk" }));
    bk_sched_free(s);
}

static void test_groups(void **state)
{
    (void)state;
    /* the DESIGN's prompt gate: group{depends_on, steps: [block, step]} */
    const char *json =
        "[" C("parent", "") ","
        "{\"group\": \"deploy\", \"key\": \"g\", \"depends_on\": [\"parent\"], \"steps\": ["
        "  {\"block\": \":radio_button: Run deploy? (from web)\", \"branches\": []},"
        C("deploy", "") "]},"
        C("after", ", \"depends_on\": \"g\"") "," C("w-dep", "") "," "\"wait\"," C("last", "") "]";
    struct bk_sched *s = sched("refs/heads/canon", BK_UNBLOCK_NONE, NULL, json);
    check(s, "parent w-dep", WANTS({ "deploy", BK_NOT_RUN, "blocked by" }, { "after", BK_NOT_RUN, NULL },
        { "last", BK_NOT_RUN, NULL }, { "g", BK_NOT_RUN, NULL }));
    bk_sched_free(s);
    s = sched("refs/heads/canon", BK_UNBLOCK_ALL, NULL, json);
    check(s, "parent deploy after w-dep last", WANTS({ "g", BK_PASSED, NULL }));
    bk_sched_free(s);
    /* a group's dependency failure holds all of its steps; skip spreads */
    s = sched("main", BK_UNBLOCK_ALL, NULL,
        "[" F("p", 1, "") ", {\"group\": \"g\", \"depends_on\": \"p\", \"steps\": [" C("g1", "") "," C("g2", "") "]},"
        "{\"group\": \"s\", \"skip\": \"Target has not changed.\", \"steps\": [" C("s1", "") "]},"
        C("on-s1", ", \"depends_on\": \"s1\"") "]");
    check(s, "p on-s1", WANTS({ "g1", BK_WAITING_FAILED, "p" }, { "g2", BK_WAITING_FAILED, "p" },
        { "s1", BK_SKIPPED, "Target has not changed." }));
    bk_sched_free(s);
    /* a wait inside a group orders only the group */
    s = sched("main", BK_UNBLOCK_ALL, NULL,
        "[{\"group\": \"g\", \"steps\": [" C("g1", "") ", \"wait\"," C("g2", "") "]}," C("out", "") "]");
    int g1 = bk_sched_next(s), out = bk_sched_next(s);
    assert_int_equal(g1, bk_sched_find(s, "g1"));
    assert_int_equal(out, bk_sched_find(s, "out"));
    assert_int_equal(bk_sched_next(s), BK_SCHED_BUSY);
    bk_sched_report_exit(s, g1, 0, false);
    bk_sched_report_exit(s, out, 0, false);
    check_order(s, "g2");
    bk_sched_free(s);
}

static void test_branches(void **state)
{
    (void)state;
    const char *json =
        "[" C("canon-only", ", \"branches\": \"refs/heads/canon\"") ","
        C("not-canon", ", \"branches\": \"!refs/heads/canon\"") ","
        C("on-filtered", ", \"depends_on\": \"not-canon\"") ","
        "{\"wait\": null, \"branches\": \"nope\", \"key\": \"w\"}," C("after", "") "]";
    struct bk_sched *s = sched("refs/heads/canon", BK_UNBLOCK_NONE, NULL, json);
    /* the excluded wait is not in the build: "after" does not wait */
    check(s, "canon-only on-filtered after", WANTS({ "not-canon", BK_FILTERED, NULL },
        { "w", BK_FILTERED, NULL }, { "on-filtered", BK_PASSED, NULL }));
    bk_sched_free(s);
    s = sched("refs/heads/feature", BK_UNBLOCK_NONE, NULL, json);
    check(s, "not-canon on-filtered after", WANTS({ "canon-only", BK_FILTERED, NULL }));
    bk_sched_free(s);
}

/* An empty pipeline uploaded first (nothing scheduled yet), then a step. */
static void test_empty_upload(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL, "[]");
    assert_int_equal(bk_sched_count(s), 0);
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(bk_sched_upload(s, -1, pl("[]"), NULL, NULL, &err), 0);
    assert_int_equal(bk_sched_upload(s, -1, pl("[" C("a", "") "]"), NULL, NULL, &err), 0);
    check_order(s, "a");
    bk_sched_free(s);
}

static void test_uploads(void **state)
{
    (void)state;
    /* the static pipeline: init, generate (uploads chunks last-first), wait, duck */
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" C(":init:", "") "," C("gen", ", \"depends_on\": \":init:\"") ", \"wait\", " C("duck", "") "]");
    struct lk_error err = LK_ERROR_INIT;
    int id = bk_sched_next(s);
    assert_int_equal(id, bk_sched_find(s, ":init:"));
    bk_sched_report_exit(s, id, 0, false);
    int gen = bk_sched_next(s);
    assert_int_equal(gen, bk_sched_find(s, "gen"));
    assert_int_equal(bk_sched_next(s), BK_SCHED_BUSY);
    /* chunk 2 first, then chunk 1: each goes right after "gen" */
    assert_int_equal(bk_sched_upload(s, gen, pl("[" C("c2a", ", \"depends_on\": \"c1a\"") "]"), NULL, NULL, &err), 0);
    assert_int_equal(bk_sched_upload(s, gen, pl("[" C("c1a", "") "," C("c1b", ", \"depends_on\": \"late\"") "]"),
                                     NULL, NULL, &err), 0);
    size_t n;
    const int *order = bk_sched_order(s, &n);
    assert_int_equal(n, 7);
    assert_string_equal(bk_sched_step(s, order[2])->key, "c1a");
    assert_string_equal(bk_sched_step(s, order[3])->key, "c1b");
    assert_string_equal(bk_sched_step(s, order[4])->key, "c2a");
    /* a duplicate key is refused, as Buildkite refuses the upload */
    assert_int_equal(bk_sched_upload(s, gen, pl("[" C("c1a", "") "]"), NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "already used"));
    /* uploaded steps wait for the uploader */
    assert_int_equal(bk_sched_next(s), BK_SCHED_BUSY);
    bk_sched_report_exit(s, gen, 0, false);
    int c1a = bk_sched_next(s);
    assert_int_equal(c1a, bk_sched_find(s, "c1a"));
    /* "late" appears later, uploaded by c1a: c1b waits for it meanwhile */
    assert_int_equal(bk_sched_upload(s, c1a, pl("[" C("late", "") "]"), NULL, NULL, &err), 0);
    bk_sched_report_exit(s, c1a, 0, false);
    check_order(s, "late c1b c2a duck"); /* "late" went right after c1a */
    lk_error_clear(&err);
    bk_sched_free(s);
}

static void test_missing_and_cycles(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" C("a", ", \"depends_on\": \"ghost\"") "," C("b", ", \"depends_on\": \"a\"") ","
        C("x", ", \"depends_on\": \"y\"") "," C("y", ", \"depends_on\": \"x\"") "," C("ok", "") "]");
    check(s, "ok", WANTS({ "a", BK_BROKEN, "\"ghost\"" }, { "b", BK_WAITING_FAILED, "a" },
        { "x", BK_NOT_RUN, "dependency cycle" }, { "y", BK_NOT_RUN, "dependency cycle" }));
    assert_true(bk_sched_failing(s));
    bk_sched_free(s);
}

static void test_concurrency_and_cancel(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" C("a", ", \"concurrency\": 1, \"concurrency_group\": \"deploy\"") ","
        C("b", ", \"concurrency\": 1, \"concurrency_group\": \"deploy\"") "," C("c", "") "]");
    int a = bk_sched_next(s);
    int c = bk_sched_next(s);
    assert_string_equal(bk_sched_step(s, a)->key, "a");
    assert_string_equal(bk_sched_step(s, c)->key, "c"); /* b must wait for a */
    assert_int_equal(bk_sched_next(s), BK_SCHED_BUSY);
    assert_int_equal(bk_sched_running(s), 2);
    bk_sched_report_exit(s, a, 0, false);
    int b = bk_sched_next(s);
    assert_string_equal(bk_sched_step(s, b)->key, "b");
    bk_sched_report_exit(s, b, 0, false);
    bk_sched_report_exit(s, c, 0, false);
    assert_int_equal(bk_sched_next(s), BK_SCHED_DONE);
    bk_sched_free(s);

    s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" C("c", ", \"cancel_on_build_failing\": true, \"depends_on\": []") ","
        F("a", 1, "") ", {\"key\": \"t\", \"command\": \"sleep 9\", \"timeout_in_minutes\": 1}, \"wait\", "
        "{\"wait\": null, \"continue_on_failure\": true},"
        C("d", ", \"depends_on\": [{\"step\": \"a\", \"allow_failure\": true}], \"cancel_on_build_failing\": true") "]");
    /* c runs before anything fails; d is canceled */
    check(s, "c a t", WANTS({ "t", BK_TIMED_OUT, "timed out" }, { "d", BK_CANCELED, "failing" }));
    bk_sched_free(s);
}

/* bk_sched_edges as "k1 k2" (keys, "?" for a step without one). */
static char *edges(struct bk_sched *s, const char *key)
{
    size_t n;
    int *e = bk_sched_edges(s, bk_sched_find(s, key), &n);
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        const char *k = bk_sched_step(s, e[i])->key;
        sb_addf(&sb, "%s%s", sb.len ? " " : "", k ? k : "?");
    }
    free(e);
    return sb_detach(&sb);
}

static void expect_edges(struct bk_sched *s, const char *key, const char *want)
{
    char *got = edges(s, key);
    if (strcmp(got, want))
        fail_msg("%s depends on \"%s\", want \"%s\"", key, got, want);
    free(got);
}

static void test_edges(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" C("a", "") "," C("b", "") ", {\"wait\": null, \"key\": \"w1\"}," C("c", "") ","
        C("d", ", \"depends_on\": [\"a\", \"nope\"]") "," C("free", ", \"depends_on\": []") ","
        "{\"wait\": null, \"key\": \"w2\"},"
        "{\"group\": \"G\", \"key\": \"g\", \"depends_on\": \"c\", \"steps\": ["
        "{\"block\": \"B\", \"key\": \"bl\"}," C("in", "") "]},"
        C("x", ", \"branches\": \"other\"") "," "{\"wait\": null, \"key\": \"w3\"}]");
    expect_edges(s, "a", "");
    expect_edges(s, "w1", "a b");
    expect_edges(s, "c", "w1");
    expect_edges(s, "d", "a");          /* explicit, the missing key left out */
    expect_edges(s, "free", "");
    expect_edges(s, "w2", "w1 c d free");
    expect_edges(s, "g", "c");
    expect_edges(s, "bl", "");          /* the group's dependencies are the group's */
    expect_edges(s, "in", "bl");
    expect_edges(s, "w3", "w2 g");      /* a filtered step is no dependency */
    bk_sched_free(s);

    /* an uploaded step depends on its uploader too */
    s = sched("main", BK_UNBLOCK_NONE, NULL, "[" C("gen", "") ", \"wait\", " C("after", "") "]");
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(bk_sched_upload(s, bk_sched_find(s, "gen"), pl("[" C("up", "") "," C("up2", ", \"depends_on\": \"up\"") "]"),
                                     NULL, NULL, &err), 0);
    expect_edges(s, "up", "gen");
    expect_edges(s, "up2", "up");
    bk_sched_free(s);
}

static const char *const CHANGED[] = { "src/a.c", "README" };

static struct bk_sched *sched_build(const struct bk_build_info *b, const char *json)
{
    struct bk_sched_options o = { b->branch, BK_UNBLOCK_NONE, NULL, b };
    struct bk_sched *s = bk_sched_new(&o);
    struct lk_error err = LK_ERROR_INIT;
    if (bk_sched_upload(s, -1, pl(json), NULL, NULL, &err) < 0)
        fail_msg("upload: %s: %s", err.place, err.msg);
    return s;
}

/* if and if_changed, decided at upload: a step left out is filtered and a
 * dependency on it is ignored; what cannot be evaluated refuses the upload. */
static void test_conditions(void **state)
{
    (void)state;
    struct bk_build_info b;
    memset(&b, 0, sizeof b);
    b.branch = "main";
    b.default_branch = "main";
    b.pr_draft = -1;
    b.has_changed_files = true;
    b.changed_files = CHANGED;
    b.n_changed_files = 2;
    const char *json =
        "[" C("a", ", \"if\": \"build.branch == pipeline.default_branch\"") ","
        C("b", ", \"if\": \"build.branch != pipeline.default_branch\"") ","
        C("c", ", \"depends_on\": \"b\"") ","
        "{\"group\": \"G\", \"key\": \"g\", \"if\": \"false\", \"steps\": [" C("d", "") "]},"
        C("e", ", \"if_changed\": \"docs/**\"") "," C("f", ", \"if_changed\": [\"src/**\"]") ","
        C("x", ", \"if\": \"false\"") "," C("x", "") "]";
    struct bk_sched *s = sched_build(&b, json);
    check(s, "a c f x", WANTS({ "a", BK_PASSED, NULL },
        { "c", BK_PASSED, NULL }, /* its dependency b was left out: ignored */
        { "f", BK_PASSED, NULL }));
    assert_false(bk_sched_if_changed_unchecked(s, bk_sched_find(s, "f")));
    size_t n;
    const int *order = bk_sched_order(s, &n);
    int filtered = 0;
    for (size_t i = 0; i < n; i++) {
        const struct bk_step *st = bk_sched_step(s, order[i]);
        if (bk_sched_outcome(s, order[i]) != BK_FILTERED)
            continue;
        filtered++;
        const char *r = bk_sched_reason(s, order[i]);
        if (!strcmp(st->key, "b"))
            assert_string_equal(r, "if: build.branch != pipeline.default_branch is false");
        else if (!strcmp(st->key, "e"))
            assert_string_equal(r, "if_changed: no changed file matches");
        else if (!strcmp(st->key, "d") || !strcmp(st->key, "g"))
            assert_string_equal(r, "if: false is false");
    }
    assert_int_equal(filtered, 5); /* b, g, d, e and the first x */
    bk_sched_free(s);

    /* no list of changed files: if_changed keeps the step and says so */
    b.has_changed_files = false;
    s = sched_build(&b, "[" C("e", ", \"if_changed\": \"docs/**\"") "]");
    check_order(s, "e");
    assert_true(bk_sched_if_changed_unchecked(s, bk_sched_find(s, "e")));
    bk_sched_free(s);

    /* a condition that cannot be evaluated refuses the whole upload */
    struct bk_sched_options o2 = { "main", BK_UNBLOCK_NONE, NULL, &b };
    s = bk_sched_new(&o2);
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(bk_sched_upload(s, -1, pl("[" C("ok", "") "," C("no", ", \"if\": \"build.creator.email == 'x'\"") "]"),
                                     NULL, NULL, &err), -1);
    char *line = lk_error_format(&err);
    assert_string_equal(line, "t.json: /1: if: condition \"build.creator.email == 'x'\", column 1: "
                              "build.creator.email is not simulated (the simulated build has no such value)");
    free(line);
    assert_int_equal(bk_sched_count(s), 0);
    assert_int_equal(bk_sched_upload(s, -1, pl("[" C("m", ", \"matrix\": [1], \"parallelism\": 2") "]"), NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "not both"));
    lk_error_clear(&err);
    bk_sched_free(s);
}

/* A matrix or parallel step is its jobs: depending on it waits for all of
 * them, and it fails when one does. */
static void test_jobs(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[{\"key\": \"m\", \"label\": \"m {{matrix}}\", \"command\": \"exit {{matrix}}\", \"matrix\": [0, 2, 0]},"
        C("after", ", \"depends_on\": \"m\"") ","
        "{\"key\": \"p\", \"label\": \"p\", \"command\": \"true\", \"parallelism\": 2},"
        C("afterp", ", \"depends_on\": \"p\"") ","
        "{\"key\": \"s\", \"command\": \"x\", \"skip\": true, \"matrix\": [1, 2]},"
        C("afters", ", \"depends_on\": \"s\"") "]");
    check(s, "m 0 m 2 m 0 p (1/2) p (2/2) afterp afters", WANTS({ "m", BK_FAILED, "m 2" },
        { "after", BK_WAITING_FAILED, "m" }, { "p", BK_PASSED, NULL }, { "s", BK_SKIPPED, NULL }));
    int p = bk_sched_find(s, "p");
    assert_int_equal(bk_sched_parent(s, p + 1), p);
    assert_string_equal(bk_env_get(&bk_sched_step(s, p + 2)->env, "BUILDKITE_PARALLEL_JOB"), "1");
    bk_sched_free(s);
}

/* retry.automatic: a new attempt when a rule matches and has retries left;
 * a job that then passes counts as passed for dependants, waits and the
 * failure count. */
static void test_retries(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[{\"key\": \"r\", \"command\": \"flaky 1\", \"retry\": {\"automatic\": true}},"
        C("dep", ", \"depends_on\": \"r\"") ", \"wait\"," C("z", "") "]");
    /* dep waits for the latest attempt; the first attempt keeps its outcome */
    check(s, "r r+1 dep z", WANTS({ "r", BK_FAILED, "retried (attempt 2)" }));
    int r = bk_sched_find(s, "r");
    int r1 = bk_sched_retried_by(s, r);
    assert_true(r1 > r);
    assert_int_equal(bk_sched_retry_of(s, r1), r);
    assert_int_equal(bk_sched_latest(s, r), r1);
    assert_int_equal(bk_sched_outcome(s, r1), BK_PASSED);
    expect_all(s, WANTS({ "dep", BK_PASSED, NULL }, { "z", BK_PASSED, NULL }));
    assert_false(bk_sched_failing(s));
    bk_sched_free(s);
}

static void test_retry_rules(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "[" F("limit", 3, ", \"retry\": {\"automatic\": {\"exit_status\": 3, \"limit\": 1}}") ","
        F("other", 4, ", \"retry\": {\"automatic\": {\"exit_status\": 3}}") ","
        F("twice", 5, ", \"retry\": {\"automatic\": [{\"exit_status\": [5], \"limit\": 1}, {\"exit_status\": \"*\", \"limit\": 1}]}") ","
        F("soft", 7, ", \"soft_fail\": true, \"retry\": {\"automatic\": {\"limit\": 1}}") ","
        "{\"key\": \"t\", \"command\": \"sleep 9\", \"timeout_in_minutes\": 1, \"retry\": {\"automatic\": {\"signal\": \"kill\", \"limit\": 1}}},"
        "{\"key\": \"nosig\", \"command\": \"exit 1\", \"retry\": {\"automatic\": {\"signal_reason\": \"cancel\"}}},"
        "{\"key\": \"zero\", \"command\": \"exit 1\", \"retry\": {\"automatic\": {\"limit\": 0}}}]");
    /* limit 1: two attempts; no matching rule: one; the first rule that
     * matches decides (its limit spent, a later rule does not retry);
     * a retry runs at once, before the steps after it */
    check_order(s, "limit limit+1 other twice twice+1 soft soft+1 t t+1 nosig zero");
    int id = bk_sched_latest(s, bk_sched_find(s, "limit"));
    assert_int_equal(bk_sched_attempt(s, id), 1);
    assert_int_equal(bk_sched_outcome(s, id), BK_FAILED);
    assert_int_equal(bk_sched_retried_by(s, bk_sched_find(s, "other")), -1);
    assert_int_equal(bk_sched_outcome(s, bk_sched_latest(s, bk_sched_find(s, "soft"))), BK_SOFT_FAILED);
    assert_int_equal(bk_sched_outcome(s, bk_sched_latest(s, bk_sched_find(s, "t"))), BK_TIMED_OUT);
    assert_int_equal(bk_sched_retried_by(s, bk_sched_find(s, "nosig")), -1);
    assert_int_equal(bk_sched_retried_by(s, bk_sched_find(s, "zero")), -1);
    assert_true(bk_sched_failing(s));
    bk_sched_free(s);
}

static void test_priority(void **state)
{
    (void)state;
    struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL,
        "{\"priority\": 1, \"steps\": [" C("low", ", \"priority\": -5") "," C("default", "") ","
        C("high", ", \"priority\": 10") "," C("also", "") "]}");
    check_order(s, "high default also low");
    bk_sched_free(s);
}

/* concurrency_method: ordered (the default) starts a group's jobs in the
 * order they were created; eager starts any that is ready. */
static void test_concurrency_method(void **state)
{
    (void)state;
    for (int eager = 0; eager < 2; eager++) {
        char *json = NULL;
        const char *m = eager ? ", \"concurrency_method\": \"eager\"" : "";
        if (asprintf(&json, "[" C("slow", "") ",{\"key\": \"a\", \"command\": \"true\", \"depends_on\": \"slow\", "
                            "\"concurrency\": 1, \"concurrency_group\": \"g\"%s},"
                            "{\"key\": \"b\", \"command\": \"true\", \"depends_on\": [], "
                            "\"concurrency\": 1, \"concurrency_group\": \"g\"%s}]", m, m) < 0)
            fail();
        struct bk_sched *s = sched("main", BK_UNBLOCK_NONE, NULL, json);
        free(json);
        int slow = bk_sched_next(s);
        assert_string_equal(bk_sched_step(s, slow)->key, "slow");
        int next = bk_sched_next(s);
        if (!eager) {
            assert_int_equal(next, BK_SCHED_BUSY); /* b waits for a, created before it */
            bk_sched_report_exit(s, slow, 0, false);
            check_order(s, "a b");
        } else {
            assert_string_equal(bk_sched_step(s, next)->key, "b");
            bk_sched_report_exit(s, slow, 0, false);
            assert_int_equal(bk_sched_next(s), BK_SCHED_BUSY); /* a waits: b holds the group */
            bk_sched_report_exit(s, next, 0, false);
            check_order(s, "a");
        }
        bk_sched_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conditions), cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_retries),    cmocka_unit_test(test_retry_rules),
        cmocka_unit_test(test_priority),   cmocka_unit_test(test_concurrency_method),
        cmocka_unit_test(test_skips),    cmocka_unit_test(test_failures),
        cmocka_unit_test(test_wait),     cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_groups),   cmocka_unit_test(test_branches),
        cmocka_unit_test(test_empty_upload),
        cmocka_unit_test(test_uploads),  cmocka_unit_test(test_missing_and_cycles),
        cmocka_unit_test(test_concurrency_and_cancel), cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
