/* Unit tests: a command step's build matrix expanded into its jobs
 * (bkmatrix.c through bk_pipeline_load): combinations and their order,
 * {{matrix}} / {{matrix.NAME}} in command, label, env and agents, labels,
 * adjustments (skip, soft_fail, new combinations), and what Buildkite
 * refuses at upload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkpipeline.h"

static struct bk_pipeline *load(const char *yaml)
{
    struct lk_error err = LK_ERROR_INIT;
    struct bk_pipeline *p = bk_pipeline_load("m.yml", yaml, strlen(yaml), NULL, &err);
    if (!p)
        fail_msg("unexpected error: %s: %s", err.place, err.msg);
    return p;
}

static void labels(const struct bk_step *s, const char *const *want, size_t n)
{
    if (s->njobs != n)
        fail_msg("%zu jobs, expected %zu (%s)", s->njobs, n, s->upload_error ? s->upload_error : "");
    for (size_t i = 0; i < n; i++)
        assert_string_equal(s->jobs[i].label, want[i]);
}

/* The jobs of step `s` are labelled as listed, in order. */
#define LABELS(s, ...) \
    labels((s), (const char *const[]){ __VA_ARGS__ }, sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

static void test_list(void **state)
{
    (void)state;
    struct bk_pipeline *p = load("steps:\n"
                                 "  - command: echo {{matrix}} {{ matrix }}\n"
                                 "    label: 'build {{matrix}}'\n"
                                 "    key: k\n"
                                 "    env: {OS: '{{matrix}}', PLAIN: x}\n"
                                 "    agents: {queue: 'q-{{matrix}}'}\n"
                                 "    matrix: [linux, 7, true]\n");
    const struct bk_step *s = &p->steps[0];
    LABELS(s, "build linux", "build 7", "build true");
    assert_string_equal(s->jobs[0].command, "echo linux linux");
    assert_string_equal(bk_env_get(&s->jobs[1].env, "OS"), "7");
    assert_string_equal(bk_env_get(&s->jobs[1].env, "PLAIN"), "x");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s->jobs[2].recorded, "agents"), "queue")),
                        "q-true");
    assert_null(s->jobs[0].key); /* the key is the step's */
    assert_string_equal(s->key, "k");
    assert_null(s->upload_error);
    bk_pipeline_free(p);
}

static void test_setup_dimensions(void **state)
{
    (void)state;
    struct bk_pipeline *p = load("steps:\n"
                                 "  - command: 'echo {{matrix.os}}-{{matrix.arch}}'\n"
                                 "    matrix:\n"
                                 "      setup: {os: [linux, darwin], arch: [amd64, arm64]}\n"
                                 "  - command: test\n"
                                 "    label: unchanged\n"
                                 "    matrix: {setup: [a, b]}\n"
                                 "  - command: |\n"
                                 "      run {{matrix.123color}}\n"
                                 "      second line\n"
                                 "    matrix: {setup: {123color: [green]}}\n");
    /* the first dimension varies slowest; a label without matrix values
     * gets them appended, and with no label the first command line does */
    LABELS(&p->steps[0], "echo {{matrix.os}}-{{matrix.arch}} (linux, amd64)",
           "echo {{matrix.os}}-{{matrix.arch}} (linux, arm64)", "echo {{matrix.os}}-{{matrix.arch}} (darwin, amd64)",
           "echo {{matrix.os}}-{{matrix.arch}} (darwin, arm64)");
    assert_string_equal(p->steps[0].jobs[2].command, "echo darwin-amd64");
    LABELS(&p->steps[1], "unchanged (a)", "unchanged (b)");
    LABELS(&p->steps[2], "run {{matrix.123color}} (green)");
    assert_string_equal(p->steps[2].jobs[0].command, "run green\nsecond line\n");
    bk_pipeline_free(p);
}

static void test_adjustments(void **state)
{
    (void)state;
    struct bk_pipeline *p = load("steps:\n"
                                 "  - command: 'x {{matrix.color}} {{matrix.shape}}'\n"
                                 "    label: '{{matrix.color}} {{matrix.shape}}'\n"
                                 "    soft_fail: false\n"
                                 "    matrix:\n"
                                 "      setup: {color: [green, blue], shape: [triangle, hexagon]}\n"
                                 "      adjustments:\n"
                                 "        - with: {color: blue, shape: triangle}\n"
                                 "          skip: true\n"
                                 "        - with: {color: green, shape: triangle}\n"
                                 "          skip: 'hexagons are better'\n"
                                 "        - with: {color: purple, shape: octagon}\n"
                                 "        - with: {shape: hexagon}\n"
                                 "          soft_fail: [{exit_status: 3}]\n"
                                 "  - command: 'echo {{matrix}}'\n"
                                 "    matrix:\n"
                                 "      setup: [one, two]\n"
                                 "      adjustments: [{with: [three], skip: true}, {with: [one], soft_fail: true}]\n");
    const struct bk_step *s = &p->steps[0];
    LABELS(s, "green triangle", "green hexagon", "blue triangle", "blue hexagon", "purple octagon");
    assert_false(s->jobs[1].skip);
    assert_true(s->jobs[2].skip);
    assert_null(s->jobs[2].skip_reason);
    assert_true(s->jobs[0].skip);
    assert_string_equal(s->jobs[0].skip_reason, "hexagons are better");
    assert_false(s->jobs[4].skip);
    assert_string_equal(s->jobs[4].command, "x purple octagon");
    assert_true(bk_step_soft_fails(&s->jobs[1], 3)); /* a partial `with`: every hexagon */
    assert_true(bk_step_soft_fails(&s->jobs[3], 3));
    assert_false(bk_step_soft_fails(&s->jobs[0], 3));
    LABELS(&p->steps[1], "echo {{matrix}} (one)", "echo {{matrix}} (two)", "echo {{matrix}} (three)");
    assert_true(p->steps[1].jobs[2].skip);
    assert_true(bk_step_soft_fails(&p->steps[1].jobs[0], 1));
    assert_false(bk_step_soft_fails(&p->steps[1].jobs[1], 1));
    bk_pipeline_free(p);
}

/* Schema-valid, refused by Buildkite when uploaded: kept as the step's
 * upload_error, no jobs. */
static void test_refused(void **state)
{
    (void)state;
    static const struct { const char *matrix, *command, *want; } cases[] = {
        { "[a]", "echo {{matrix.os}}", "{{matrix.os}} names no dimension" },
        { "{setup: {os: [a]}}", "echo {{matrix}}", "{{matrix}} in a matrix of named dimensions" },
        { "{setup: {os: [a]}, adjustments: [{with: {arch: x}}]}", "x", "\"arch\" is none" },
        { "{setup: {os: [a], arch: [b]}, adjustments: [{with: {os: z}}]}", "x",
          "expected an adjustment to match a combination or to name every dimension" },
        { "{setup: {os: [a], arch: [b]}, adjustments: [{with: [a]}]}", "x", "give all 2 dimension(s)" },
        { "[]", "x", "at least one combination" },
        { "{setup: {a: [1,2,3,4,5,6,7,8,9,10], b: [1,2,3,4,5,6,7,8,9,10], c: [1,2,3,4,5,6,7,8,9,10], d: [1,2]}}",
          "x", "at most 1000 matrix combinations" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *yaml = NULL;
        if (asprintf(&yaml, "steps:\n  - command: '%s'\n    matrix: %s\n", cases[i].command, cases[i].matrix) < 0)
            fail();
        struct bk_pipeline *p = load(yaml);
        free(yaml);
        const struct bk_step *s = &p->steps[0];
        if (!s->upload_error || !strstr(s->upload_error, cases[i].want))
            fail_msg("case %zu: upload_error \"%s\" lacks \"%s\"", i, s->upload_error ? s->upload_error : "(none)",
                     cases[i].want);
        assert_int_equal(s->njobs, 0);
        bk_pipeline_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_setup_dimensions),
        cmocka_unit_test(test_adjustments),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
