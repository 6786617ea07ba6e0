/* Unit tests: `lazykite upload`'s chunk discovery and order (upload.h):
 * last-first in numeric order, phases reversed, other files ignored, gaps
 * and malformed names refused with the file named; the chunk check; the
 * plan read from a directory; the dry run's output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "strbuf.h"
#include "upload.h"
#include "xalloc.h"

#define N(a) (sizeof(a) / sizeof *(a))

/* The plan's chunk paths, one per line. */
static char *paths(const struct upload_plan *plan)
{
    struct strbuf sb = STRBUF_INIT;
    for (size_t k = 0; k < plan->n_chunks; k++)
        sb_addf(&sb, "%s\n", plan->chunks[k].path);
    return sb_detach(&sb);
}

/* upload_order() succeeds and gives the paths `want`. */
static void order_ok(const char *dir, const char *const *names, size_t n_names,
                     const char *const *phases, size_t n_phases, const char *want,
                     struct upload_plan *plan)
{
    struct lk_error err = LK_ERROR_INIT;
    if (upload_order(dir, names, n_names, phases, n_phases, plan, &err) != 0)
        fail_msg("unexpected error: %s: %s", err.file, err.msg);
    char *got = paths(plan);
    assert_string_equal(got, want);
    free(got);
}

/* upload_order() fails with bad input: "<file>: <msg>" equals `want`. */
static void order_err(const char *const *names, size_t n_names, const char *const *phases,
                      size_t n_phases, const char *want)
{
    struct lk_error err = LK_ERROR_INIT;
    struct upload_plan plan;
    assert_int_equal(upload_order("p", names, n_names, phases, n_phases, &plan, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    char *line = lk_error_format(&err);
    assert_string_equal(line, want);
    free(line);
    lk_error_clear(&err);
    assert_null(plan.chunks);
    assert_int_equal(plan.n_chunks, 0);
    upload_plan_free(&plan); /* harmless on a failed plan */
}

static void test_numeric_last_first(void **state)
{
    (void)state;
    /* In ls order 10, 11, 12 come before 2; other files are not chunks. */
    const char *names[] = { "build-chunk-1.json", "build-chunk-10.json", "build-chunk-11.json",
                            "build-chunk-12.json", "build-chunk-2.json", "build-chunk-3.json",
                            "build-chunk-4.json", "build-chunk-5.json", "build-chunk-6.json",
                            "build-chunk-7.json", "build-chunk-8.json", "build-chunk-9.json",
                            ".", "..", ".lazykite-output", "drvmap.json", "release-chunk-1.json",
                            "builder-chunk-x.json", "build-chunks", "build" };
    const char *phases[] = { "build" };
    struct upload_plan plan;
    order_ok("pipeline", names, N(names), phases, 1,
             "pipeline/build-chunk-12.json\npipeline/build-chunk-11.json\npipeline/build-chunk-10.json\n"
             "pipeline/build-chunk-9.json\npipeline/build-chunk-8.json\npipeline/build-chunk-7.json\n"
             "pipeline/build-chunk-6.json\npipeline/build-chunk-5.json\npipeline/build-chunk-4.json\n"
             "pipeline/build-chunk-3.json\npipeline/build-chunk-2.json\npipeline/build-chunk-1.json\n",
             &plan);
    assert_int_equal(plan.n_phases, 1);
    assert_int_equal(plan.phase_chunks[0], 12);
    assert_int_equal(plan.phase_steps[0], 0);
    assert_int_equal(plan.chunks[0].number, 12);
    assert_int_equal(plan.chunks[0].phase, 0);
    assert_int_equal(plan.chunks[11].number, 1);
    upload_plan_free(&plan);
    assert_null(plan.chunks);
}

static void test_phases_reversed(void **state)
{
    (void)state;
    const char *names[] = { "deploy-chunk-2.json", "release-chunk-1.json", "build-chunk-1.json",
                            "deploy-chunk-1.json", "release-chunk-2.json" };
    const char *phases[] = { "release", "deploy" };
    struct upload_plan plan;
    order_ok("d/", names, N(names), phases, N(phases),
             "d/deploy-chunk-2.json\nd/deploy-chunk-1.json\nd/release-chunk-2.json\nd/release-chunk-1.json\n",
             &plan);
    assert_int_equal(plan.phase_chunks[0], 2);
    assert_int_equal(plan.phase_chunks[1], 2);
    assert_int_equal(plan.chunks[0].phase, 1);
    assert_int_equal(plan.chunks[3].phase, 0);
    upload_plan_free(&plan);

    /* A phase without chunks is no error: its count is 0. */
    const char *three[] = { "build", "staging", "release" };
    order_ok("d", names, N(names), three, N(three), "d/release-chunk-2.json\nd/release-chunk-1.json\nd/build-chunk-1.json\n",
             &plan);
    assert_int_equal(plan.phase_chunks[0], 1);
    assert_int_equal(plan.phase_chunks[1], 0);
    assert_int_equal(plan.phase_chunks[2], 2);
    upload_plan_free(&plan);

    /* Nothing at all. */
    order_ok("d", NULL, 0, three, N(three), "", &plan);
    assert_int_equal(plan.n_chunks, 0);
    upload_plan_free(&plan);

    /* An empty directory name: the names as they are. */
    const char *one[] = { "build" };
    order_ok("", names, N(names), one, 1, "build-chunk-1.json\n", &plan);
    upload_plan_free(&plan);
}

static void test_gaps_and_names(void **state)
{
    (void)state;
    const char *build[] = { "build" };
    const char *gap[] = { "build-chunk-3.json", "build-chunk-1.json" };
    order_err(gap, N(gap), build, 1,
              "p/build-chunk-2.json: no such chunk, but build-chunk-3.json exists (a phase's chunks are "
              "numbered from 1 without a gap)");
    const char *no_first[] = { "build-chunk-2.json" };
    order_err(no_first, 1, build, 1,
              "p/build-chunk-1.json: no such chunk, but build-chunk-2.json exists (a phase's chunks are "
              "numbered from 1 without a gap)");
    const char *twice[] = { "build-chunk-1.json", "build-chunk-1.json" };
    order_err(twice, 2, build, 1, "p/build-chunk-1.json: listed twice");

    static const char *const malformed[] = {
        "build-chunk-01.json", "build-chunk-x.json", "build-chunk-0.json", "build-chunk-.json",
        "build-chunk-1.json~", "build-chunk-1.yaml", "build-chunk-1", "build-chunk--1.json",
        "build-chunk-1x.json", "build-chunk- 1.json", "build-chunk-99999999999999999999999.json",
    };
    for (size_t i = 0; i < N(malformed); i++) {
        const char *names[] = { "build-chunk-1.json", malformed[i], "build-chunk-2.json" };
        char *want = xasprintf("p/%s: not a chunk name: expected build-chunk-<n>.json, n a number "
                               "from 1 without leading zeros", malformed[i]);
        order_err(names, N(names), build, 1, want);
        free(want);
    }
    /* A bad name of a phase not asked for is not looked at; one of a
     * later phase stops the whole plan. */
    const char *other[] = { "build-chunk-1.json", "release-chunk-01.json" };
    struct upload_plan plan;
    order_ok("p", other, N(other), build, 1, "p/build-chunk-1.json\n", &plan);
    upload_plan_free(&plan);
    const char *both[] = { "build", "release" };
    order_err(other, N(other), both, 2,
              "p/release-chunk-01.json: not a chunk name: expected release-chunk-<n>.json, n a number "
              "from 1 without leading zeros");
    /* The first bad name in byte order is the one reported. */
    const char *two_bad[] = { "build-chunk-x.json", "build-chunk-01.json" };
    order_err(two_bad, N(two_bad), build, 1,
              "p/build-chunk-01.json: not a chunk name: expected build-chunk-<n>.json, n a number "
              "from 1 without leading zeros");
}

/* upload_count_steps() fails with bad input, its line `want`; for
 * malformed JSON (whose wording is jansson's) only the start up to the
 * first "*" is compared. */
static void count_err(const char *text, const char *want)
{
    struct lk_error err = LK_ERROR_INIT;
    size_t steps = 99;
    assert_int_equal(upload_count_steps("c.json", text, strlen(text), &steps, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_int_equal(steps, 99);
    char *line = lk_error_format(&err);
    const char *star = strchr(want, '*');
    if (star ? strncmp(line, want, (size_t)(star - want)) != 0 : strcmp(line, want) != 0)
        fail_msg("got \"%s\", want \"%s\"", line, want);
    free(line);
    lk_error_clear(&err);
}

static void test_count_steps(void **state)
{
    (void)state;
    struct lk_error err = LK_ERROR_INIT;
    size_t steps;
    const char *text = "{\"steps\":[{\"command\":\"a\"},\"wait\",{\"group\":\"g\",\"steps\":[{}, {}]}]}\n";
    assert_int_equal(upload_count_steps("c.json", text, strlen(text), &steps, &err), 0);
    assert_int_equal(steps, 3); /* a group is one step, as generate counts */
    assert_int_equal(upload_count_steps("c.json", "{\"steps\":[]}", 12, &steps, &err), 0);
    assert_int_equal(steps, 0);
    const char *no_steps = "c.json: not a pipeline chunk: expected a JSON object with a \"steps\" array";
    count_err("{\"stages\":[]}", no_steps);
    count_err("{\"steps\":{}}", no_steps);
    count_err("[{\"command\":\"a\"}]", no_steps);
    count_err("", "c.json: 1:0: malformed JSON: *");
    count_err("{\"steps\":[]", "c.json: 1:11: malformed JSON: *");
    count_err("{\"steps\":[],\"steps\":[]}", "c.json: 1:*"); /* duplicate keys */
    count_err("{\"steps\":[]}\n{}", "c.json: 2:*");           /* two documents */
}

static char dir[] = "/tmp/lk-upload-XXXXXX";

static void put(const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(file_write_atomic(path, text, strlen(text), &err), 0);
    free(path);
}

static void drop(const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    unlink(path);
    free(path);
}

static int setup_dir(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    return file_remove_tree(dir);
}

/* The dry run's render function: the path and the text's length. */
static char *fake_render(void *ctx, const char *path, const char *text, size_t len, struct lk_error *err)
{
    ++*(int *)ctx;
    if (strstr(text, "BAD"))
        return lk_bad_input(err, path, NULL, "cannot render"), NULL;
    return xasprintf("[%s, %zu bytes]\n", strrchr(path, '/') + 1, len);
}

static void test_plan_read_and_dry_run(void **state)
{
    (void)state;
    put("build-chunk-1.json", "{\"steps\":[1,2]}");
    put("build-chunk-2.json", "{\"steps\":[3]}");
    put("release-chunk-1.json", "{\"steps\":[4,5,6]}");
    put("drvmap.json", "{}");
    const char *phases[] = { "build", "release", "deploy" };
    struct upload_plan plan;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(upload_plan_read(dir, phases, N(phases), &plan, &err), 0);
    assert_int_equal(plan.n_chunks, 3);
    assert_int_equal(plan.phase_chunks[0], 2);
    assert_int_equal(plan.phase_steps[0], 3);
    assert_int_equal(plan.phase_chunks[1], 1);
    assert_int_equal(plan.phase_steps[1], 3);
    assert_int_equal(plan.phase_chunks[2], 0);
    assert_int_equal(plan.chunks[0].steps, 3);
    assert_int_equal(plan.chunks[2].steps, 2);

    char *out = NULL;
    size_t out_len = 0;
    FILE *f = open_memstream(&out, &out_len);
    assert_non_null(f);
    int calls = 0;
    assert_int_equal(upload_dry_run(&plan, fake_render, &calls, f, &err), 0);
    fclose(f);
    char *want = xasprintf("# buildkite-agent pipeline upload %s/release-chunk-1.json\n"
                           "[release-chunk-1.json, 17 bytes]\n"
                           "# buildkite-agent pipeline upload %s/build-chunk-2.json\n"
                           "[build-chunk-2.json, 13 bytes]\n"
                           "# buildkite-agent pipeline upload %s/build-chunk-1.json\n"
                           "[build-chunk-1.json, 15 bytes]\n",
                           dir, dir, dir);
    assert_string_equal(out, want);
    assert_int_equal(calls, 3);
    free(want);
    free(out);

    /* A render error stops the dry run there, nothing printed for it. */
    put("build-chunk-2.json", "{\"steps\":[\"BAD\"]}");
    f = open_memstream(&out, &out_len);
    calls = 0;
    assert_int_equal(upload_dry_run(&plan, fake_render, &calls, f, &err), -1);
    fclose(f);
    assert_int_equal(calls, 2);
    assert_non_null(strstr(err.file, "build-chunk-2.json"));
    assert_null(strstr(out, "build-chunk-2.json"));
    free(out);
    lk_error_clear(&err);
    upload_plan_free(&plan);

    /* Checked before anything: the first bad chunk in generation order. */
    put("build-chunk-2.json", "not json");
    put("release-chunk-1.json", "{}");
    assert_int_equal(upload_plan_read(dir, phases, N(phases), &plan, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_non_null(strstr(err.file, "/build-chunk-2.json"));
    assert_null(plan.chunks);
    lk_error_clear(&err);
    drop("build-chunk-2.json");
    drop("release-chunk-1.json");

    /* A chunk that is a directory. */
    char *sub = xasprintf("%s/build-chunk-2.json", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(upload_plan_read(dir, phases, 1, &plan, &err), -1);
    assert_string_equal(err.file, sub);
    lk_error_clear(&err);
    rmdir(sub);
    free(sub);

    /* DIR absent, DIR a file. */
    char *absent = xasprintf("%s/absent", dir);
    assert_int_equal(upload_plan_read(absent, phases, 1, &plan, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.file, absent);
    lk_error_clear(&err);
    free(absent);
    char *file = xasprintf("%s/drvmap.json", dir);
    assert_int_equal(upload_plan_read(file, phases, 1, &plan, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.msg, "not a directory (expected the chunks lazykite generate wrote)");
    lk_error_clear(&err);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric_last_first),
        cmocka_unit_test(test_phases_reversed),
        cmocka_unit_test(test_gaps_and_names),
        cmocka_unit_test(test_count_steps),
        cmocka_unit_test_setup_teardown(test_plan_read_and_dry_run, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
