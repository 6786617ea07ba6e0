/* Unit tests: the manifest read piece by piece (and in parallel) gives what
 * reading it whole with jansson gives — the same manifest, the same first
 * error, malformed JSON anywhere before any other error; and a parent map
 * checked entry by entry (parent_map_check) gets parent_map_parse's verdict
 * and error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "pipeline.h"
#include "strbuf.h"
#include "xalloc.h"

/* A manifest of `n` targets; target `bad` (if < n) has a bad drvPath,
 * target `broken` (if < n) is malformed JSON; `pipeline` is the pipeline
 * member's value. */
static char *big_manifest(size_t n, size_t bad, size_t broken, const char *pipeline)
{
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "{\"version\": 1,\n \"pipeline\": %s,\n \"targets\": [", pipeline);
    for (size_t i = 0; i < n; i++) {
        sb_addf(&sb, "%s\n  {\"attrPath\": [\"pkgs\", \"t%zu\"], \"drvPath\": \"/nix/store/"
                     "%032zu-t%zu%s\", \"meta\": {\"ci\": {\"extraSteps\": {\"x\": {\"command\": "
                     "{\"drvPath\": \"/nix/store/%032zu-x.drv\"}, \"phase\": \"release\"}}}}%s",
                i ? "," : "", i, i, i, i == bad ? "" : ".drv", i, i == broken ? "" : "}");
    }
    sb_adds(&sb, "\n]}\n");
    return sb_detach(&sb);
}

/* The generated pipeline as one text, or the error line. */
static char *outcome(const char *text, int whole)
{
    struct manifest m;
    struct lk_error err = LK_ERROR_INIT;
    int rc = whole ? manifest_parse_whole(text, strlen(text), "m.json", &m, &err)
                   : manifest_parse(text, strlen(text), "m.json", &m, &err);
    char *out;
    if (rc != 0) {
        out = lk_error_format(&err);
    } else {
        struct generate_request req = { &m, "m.json", NULL, NULL, { 0 }, { 0 }, true, NULL, NULL, 0 };
        struct pipeline p;
        assert_int_equal(pipeline_generate(&req, &p, &err), 0);
        struct strbuf all = STRBUF_INIT;
        for (size_t i = 0; i < p.n_phases; i++)
            sb_add(&all, p.phases[i].steps.text.buf, p.phases[i].steps.text.len);
        sb_adds(&all, p.drvmap);
        pipeline_free(&p);
        out = sb_detach(&all);
    }
    manifest_free(&m);
    lk_error_clear(&err);
    return out;
}

/* Both readings agree; returns the outcome (caller frees). */
static char *agreed(const char *text)
{
    char *fast = outcome(text, 0), *whole = outcome(text, 1);
    assert_string_equal(fast, whole);
    free(whole);
    return fast;
}

static void expect_error(const char *text, const char *line)
{
    char *got = agreed(text);
    assert_string_equal(got, line);
    free(got);
}

/* The outcome of big_manifest(n, bad, broken, pipeline) holds `part` and,
 * when given, `part2`. */
static void expect_big(size_t n, size_t bad, size_t broken, const char *pipeline, const char *part,
                       const char *part2)
{
    char *text = big_manifest(n, bad, broken, pipeline);
    char *got = agreed(text);
    const char *lacks = !strstr(got, part) ? part : part2 && !strstr(got, part2) ? part2 : NULL;
    if (lacks)
        fail_msg("%zu targets (bad %zd, broken %zd), pipeline %s: the outcome lacks \"%s\": %.300s", n,
                 (ssize_t)bad, (ssize_t)broken, pipeline, lacks, got);
    free(got);
    free(text);
}

static void test_large_manifest_same_result(void **state)
{
    (void)state;
    expect_big(2500, (size_t)-1, (size_t)-1, "{\"phases\": [\"build\", \"release\"]}", ":nix: pkgs/t2499",
               ":gear: x (from pkgs/t0)");
}

static void test_first_bad_target_reported(void **state)
{
    (void)state;
    expect_big(2500, 2000, (size_t)-1, "{}", "m.json: /targets/2000/drvPath: expected a derivation store path",
               NULL);
}

static void test_malformed_json_first(void **state)
{
    (void)state;
    /* a bad target early, malformed JSON late: the JSON error wins */
    expect_big(2500, 10, 2400, "{}", "malformed JSON", NULL);
    /* a bad pipeline setting and a bad target: the pipeline's first */
    char *text = big_manifest(2500, 5, (size_t)-1, "{\"phases\": 3}");
    expect_error(text, "m.json: /pipeline/phases: expected an array of strings, found an integer");
    free(text);
}

static void test_top_level_shapes(void **state)
{
    (void)state;
    expect_error("[1]", "m.json: (root): expected an object, found an array");
    expect_error("{\"targets\": {}}", "m.json: /targets: expected an array of targets, found an object");
    expect_error("{\"targets\": [], \"targets\": []}",
                 "m.json: 1:25: malformed JSON: duplicate object key near '\"targets\"'");
    expect_error("{\"t\\u0061rgets\": [1]}", "m.json: /targets/0: expected an object, found an integer");
    expect_error("{\"targets\": [] } x", "m.json: 1:18: malformed JSON: end of file expected near 'x'");
    expect_error("{\"other\": [1, {\"a\": tru}], \"targets\": []}",
                 "m.json: 1:23: malformed JSON: invalid token near 'tru'");
    expect_error("{\"version\": 2, \"targets\": [3]}", "m.json: /version: unsupported manifest version (expected 1)");
    expect_error(" {\"version\": 1, \"x\": null, \"targets\": [ ] } \n", "{}\n");
    /* nested deeper than a scan follows (JSONSCAN_MAX_DEPTH): read whole */
    struct strbuf deep = STRBUF_INIT;
    sb_adds(&deep, "{\"x\": ");
    for (int i = 0; i < 600; i++)
        sb_addc(&deep, '[');
    for (int i = 0; i < 600; i++)
        sb_addc(&deep, ']');
    sb_adds(&deep, ", \"targets\": []}");
    expect_error(deep.buf, "{}\n");
    sb_release(&deep);
}

/* Emitting batches while later rounds are generated (9000 targets: two
 * rounds): every batch in order,
 * and a failing emit stops generation with its error, no batch after it. */
struct emitted {
    size_t calls, steps, fail_at;
};

static int count_batches(void *ctx, const char *phase, const struct step_list *steps,
                         struct lk_error *err)
{
    struct emitted *e = ctx;
    if (strcmp(phase, "build") != 0)
        return 0;
    e->calls++;
    /* each batch starts with the step of the target after the last one */
    char *want = xasprintf("\"label\":\":nix: pkgs/t%zu\"", e->steps);
    assert_non_null(strstr(steps->text.buf, want));
    free(want);
    e->steps += steps->n;
    if (e->calls == e->fail_at)
        return lk_fail(err, LK_EXIT_FAIL, "out", NULL, "disk full");
    return 0;
}

/* parent_map_check's verdict and line, then parent_map_parse's must be the same. */
static void check_map(const char *text, int want_rc, size_t want_labels, const char *want_error)
{
    struct lk_error e1 = LK_ERROR_INIT, e2 = LK_ERROR_INIT;
    size_t n = 99;
    int rc = parent_map_check(text, strlen(text), "p.json", &n, &e1);
    struct parent_map pm = { NULL };
    int rc2 = parent_map_parse(text, strlen(text), "p.json", &pm, &e2);
    assert_int_equal(rc, want_rc);
    assert_int_equal(rc2, want_rc);
    if (rc == 0) {
        assert_int_equal(n, want_labels);
        assert_int_equal(json_object_size(pm.drvs), want_labels);
    } else {
        char *l1 = lk_error_format(&e1), *l2 = lk_error_format(&e2);
        assert_string_equal(l1, want_error);
        assert_string_equal(l2, want_error);
        free(l1);
        free(l2);
    }
    parent_map_free(&pm);
    lk_error_clear(&e1);
    lk_error_clear(&e2);
}

static void test_parent_map_check(void **state)
{
    (void)state;
    check_map("{}", 0, 0, NULL);
    check_map(" {\"a\": {\"drvPath\": \"/nix/store/x.drv\", \"attrPath\": [\"a\"]}, \"b:c\": {\"drvPath\": \"d\"}} ",
              0, 2, NULL);
    check_map("[]", -1, 0, "p.json: (root): expected an object, found an array");
    check_map("this is not a drvmap", -1, 0, "p.json: 1:4: malformed JSON: '[' or '{' expected near 'this'");
    check_map("{\"a\": {\"drvPath\": 7}}", -1, 0, "p.json: /a/drvPath: expected a string, found an integer");
    check_map("{\"a/b\": {}}", -1, 0, "p.json: /a~1b/drvPath: missing (expected a string)");
    check_map("{\"a\": {\"drvPath\": \"d\", \"attrPath\": [1]}}", -1, 0,
              "p.json: /a/attrPath/0: expected a string, found an integer");
    check_map("{\"a\": {\"drvPath\": \"d\"}, \"a\": {\"drvPath\": \"d\"}}", -1, 0,
              "p.json: 1:27: malformed JSON: duplicate object key near '\"a\"'");
    /* a bad entry first, malformed JSON after it: the JSON error */
    check_map("{\"a\": 1, \"b\": {\"drvPath\": tru}}", -1, 0, "p.json: 1:29: malformed JSON: invalid token near 'tru'");
    /* a large one */
    struct strbuf sb = STRBUF_INIT;
    sb_addc(&sb, '{');
    for (int i = 0; i < 5000; i++)
        sb_addf(&sb, "%s\"t%d\": {\"drvPath\": \"/nix/store/%032d-t.drv\", \"attrPath\": [\"t%d\"]}", i ? "," : "", i, i, i);
    sb_addc(&sb, '}');
    check_map(sb.buf, 0, 5000, NULL);
    sb_release(&sb);
}

static void test_emitted_in_order(void **state)
{
    (void)state;
    char *text = big_manifest(9000, (size_t)-1, (size_t)-1, "{}");
    struct manifest m;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(manifest_parse(text, strlen(text), "m.json", &m, &err), 0);
    for (size_t fail_at = 0; fail_at <= 30; fail_at += 30) {
        struct emitted e = { 0, 0, fail_at };
        struct generate_request req = { &m, "m.json", NULL, NULL, { 0 }, { 0 }, true,
                                        count_batches, &e, 192 };
        struct pipeline p;
        int rc = pipeline_generate(&req, &p, &err);
        if (fail_at) {
            assert_int_equal(rc, -1);
            assert_string_equal(err.msg, "disk full");
            assert_int_equal(e.calls, fail_at);
            lk_error_clear(&err);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(e.calls, 9000 / 192);
            assert_int_equal(e.steps + p.phases[0].steps.n, 9000);
            pipeline_free(&p);
        }
    }
    manifest_free(&m);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_large_manifest_same_result),
        cmocka_unit_test(test_first_bad_target_reported),
        cmocka_unit_test(test_malformed_json_first),
        cmocka_unit_test(test_top_level_shapes),
        cmocka_unit_test(test_emitted_in_order),
        cmocka_unit_test(test_parent_map_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
