/* Unit tests: eval — the nix-instantiate call, against a fake
 * nix-instantiate (a shell script first on PATH) that records its argv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eval.h"
#include "fileio.h"
#include "xalloc.h"

static const struct eval_options no_opts = { NULL, NULL, NULL, 0 };

struct fake {
    char *dir;      /* holds bin/nix-instantiate, args, depot/, manifest.nix */
    char *old_path;
};

static void put_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
    struct fake *f = xcalloc(1, sizeof *f);
    char tmpl[] = "/tmp/lazykite-test-eval-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    f->dir = xstrdup(tmpl);
    char *p = xasprintf("%s/bin", f->dir);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
    p = xasprintf("%s/depot", f->dir);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
    p = xasprintf("%s/bin/nix-instantiate", f->dir);
    /* argv one a line into $FAKE_ARGS; $FAKE_BYTES bytes of output (or a
     * small manifest); exit $FAKE_EXIT; a line on stderr. */
    put_file(p,
             "#!/bin/sh\n"
             "for a in \"$0\" \"$@\"; do printf '%s\\n' \"$a\"; done > \"$FAKE_ARGS\"\n"
             "echo 'evaluating' >&2\n"
             "if [ -n \"${FAKE_ERROR:-}\" ]; then printf 'warning: w\\n%s\\n       at x\\n' \"$FAKE_ERROR\" >&2; exit 1; fi\n"
             "if [ -n \"${FAKE_BYTES:-}\" ]; then head -c \"$FAKE_BYTES\" /dev/zero | tr '\\0' x;\n"
             "else printf '{\"version\":1,\"targets\":[]}'; fi\n"
             "exit \"${FAKE_EXIT:-0}\"\n",
             0755);
    free(p);
    p = xasprintf("%s/manifest.nix", f->dir);
    put_file(p, "{ depot, targetsAttr }: {}\n", 0644);
    setenv("LAZYKITE_MANIFEST_NIX", p, 1);
    free(p);
    p = xasprintf("%s/args", f->dir);
    setenv("FAKE_ARGS", p, 1);
    free(p);
    unsetenv("FAKE_EXIT");
    unsetenv("FAKE_BYTES");
    unsetenv("FAKE_ERROR");
    unsetenv("LAZYKITE_NIX_INSTANTIATE");
    const char *old = getenv("PATH");
    f->old_path = xstrdup(old ? old : "/usr/bin:/bin");
    p = xasprintf("%s/bin:%s", f->dir, f->old_path);
    setenv("PATH", p, 1);
    free(p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fake *f = *state;
    setenv("PATH", f->old_path, 1);
    unsetenv("LAZYKITE_MANIFEST_NIX");
    file_remove_tree(f->dir);
    free(f->dir);
    free(f->old_path);
    free(f);
    return 0;
}

static char *recorded_args(struct fake *f)
{
    char *p = xasprintf("%s/args", f->dir);
    char *text;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(file_read(p, &text, &len, &err), 0);
    free(p);
    return text;
}

/* The exact argv, the depot made absolute, stdout returned whole. */
static void test_argv_and_output(void **state)
{
    struct fake *f = *state;
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    char *json;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    int rc = eval_depot_manifest("./depot/", &no_opts, &json, &len, &err);
    assert_int_equal(chdir(cwd), 0);
    if (rc != 0)
        fail_msg("eval_depot_manifest: %s", err.msg);
    assert_string_equal(json, "{\"version\":1,\"targets\":[]}");
    assert_int_equal(len, strlen(json));
    free(json);

    char *args = recorded_args(f);
    char *want = xasprintf("%s/bin/nix-instantiate\n--eval\n--strict\n--json\n--read-write-mode\n"
                           "%s/manifest.nix\n--arg\ndepot\n%s/depot\n--argstr\ntargetsAttr\n"
                           "ci.targets\n",
                           f->dir, f->dir, f->dir);
    assert_string_equal(args, want);
    free(args);
    free(want);

    /* the targets attribute; pass-through words first, in order */
    const char *extra[] = { "--argstr", "system", "x86_64-linux", "-I", "nixpkgs=/p", "--show-trace" };
    struct eval_options o = { "my.ci.list", NULL, extra, 6 };
    rc = eval_depot_manifest(f->dir, &o, &json, &len, &err);
    assert_int_equal(rc, 0);
    free(json);
    args = recorded_args(f);
    assert_non_null(strstr(args, "--argstr\ntargetsAttr\nmy.ci.list\n"));
    assert_non_null(strstr(args, "/nix-instantiate\n--argstr\nsystem\nx86_64-linux\n-I\nnixpkgs=/p\n"
                                 "--show-trace\n--eval\n"));
    free(args);
}

/* Output far larger than a pipe buffer arrives whole. */
static void test_large_output(void **state)
{
    struct fake *f = *state;
    setenv("FAKE_BYTES", "1000000", 1);
    char *json;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    char *depot = xasprintf("%s/depot", f->dir);
    assert_int_equal(eval_depot_manifest(depot, &no_opts, &json, &len, &err), 0);
    assert_int_equal(len, 1000000);
    assert_int_equal(strspn(json, "x"), 1000000);
    free(json);
    free(depot);
}

/* A failing nix-instantiate: status 1, the command and its exit status named. */
static void test_nonzero_exit(void **state)
{
    struct fake *f = *state;
    setenv("FAKE_EXIT", "3", 1);
    char *json = (char *)"untouched";
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    char *depot = xasprintf("%s/depot", f->dir);
    assert_int_equal(eval_depot_manifest(depot, &no_opts, &json, &len, &err), -1);
    assert_null(json);
    assert_int_equal(err.status, LK_EXIT_FAIL);
    assert_non_null(strstr(err.msg, "nix-instantiate --eval --strict --json --read-write-mode"));
    assert_non_null(strstr(err.msg, "exited with status 3"));
    lk_error_clear(&err);
    free(depot);
}

/* No nix-instantiate on PATH at all. */
static void test_not_found(void **state)
{
    struct fake *f = *state;
    char *depot = xasprintf("%s/depot", f->dir);
    setenv("PATH", "/nonexistent", 1);
    char *json;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(eval_depot_manifest(depot, &no_opts, &json, &len, &err), -1);
    assert_int_equal(err.status, LK_EXIT_FAIL);
    assert_non_null(strstr(err.msg, "nix-instantiate"));
    lk_error_clear(&err);
    free(depot);
}

/* Bad depot directories are bad input; a missing manifest.nix is an error. */
static void test_bad_depot(void **state)
{
    struct fake *f = *state;
    char *json;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    char *missing = xasprintf("%s/nope", f->dir);
    assert_int_equal(eval_depot_manifest(missing, &no_opts, &json, &len, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.file, missing);
    lk_error_clear(&err);
    free(missing);

    char *file = xasprintf("%s/manifest.nix", f->dir);
    assert_int_equal(eval_depot_manifest(file, &no_opts, &json, &len, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    lk_error_clear(&err);
    free(file);

    /* any depot path: one that cannot be a path literal goes as a string */
    char *spaced = xasprintf("%s/my depot@x", f->dir);
    assert_int_equal(mkdir(spaced, 0755), 0);
    assert_int_equal(eval_depot_manifest(spaced, &no_opts, &json, &len, &err), 0);
    free(json);
    char *args = recorded_args(f);
    char *want = xasprintf("--arg\ndepot\n/. + \"%s\"\n", spaced);
    assert_non_null(strstr(args, want));
    free(want);
    free(args);
    free(spaced);

    char *depot = xasprintf("%s/depot", f->dir);
    setenv("LAZYKITE_MANIFEST_NIX", "/nonexistent/manifest.nix", 1);
    assert_int_equal(eval_depot_manifest(depot, &no_opts, &json, &len, &err), -1);
    assert_int_equal(err.status, LK_EXIT_FAIL);
    assert_non_null(strstr(err.msg, "LAZYKITE_MANIFEST_NIX"));
    lk_error_clear(&err);
    free(depot);
}

/* An evaluation error is bad input, worded by Nix's first error line;
 * LAZYKITE_NIX_INSTANTIATE names the program. */
static void test_eval_error(void **state)
{
    struct fake *f = *state;
    setenv("FAKE_ERROR", "error: attribute 'ci' missing", 1);
    char *json;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    char *depot = xasprintf("%s/depot", f->dir);
    assert_int_equal(eval_depot_manifest(depot, &no_opts, &json, &len, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.msg, "evaluating the depot's ci.targets: error: attribute 'ci' missing");
    lk_error_clear(&err);
    unsetenv("FAKE_ERROR");
    char *prog = xasprintf("%s/bin/nix-instantiate", f->dir);
    setenv("PATH", "/nonexistent", 1);
    setenv("LAZYKITE_NIX_INSTANTIATE", prog, 1);
    assert_int_equal(eval_depot_manifest(depot, &no_opts, &json, &len, &err), 0);
    free(json);
    free(prog);
    free(depot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_argv_and_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonzero_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_depot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eval_error, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
