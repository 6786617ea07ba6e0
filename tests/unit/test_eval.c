/* Unit tests: eval — the nix-instantiate call, against a fake
 * nix-instantiate (a shell script first on PATH) that records its argv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "eval.h"
#include "fileio.h"
#include "xalloc.h"

static const struct eval_options no_opts = { NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL };

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

/* A fake for the sharded calls: the targets are $FAKE_TARGETS; shard I of N
 * prints the trace line and the manifest of its targets; a target in
 * $FAKE_FAIL fails the evaluation (once shard 0 has started), in $FAKE_KILL kills it, in $FAKE_SLOW
 * takes 30 s, in $FAKE_BIG takes $FAKE_MB MiB (through perl); with
 * $FAKE_EARLY_MB, that much before the trace line. The call that opens the
 * store (`--eval -E null`) prints null (fails with $FAKE_OPEN_FAIL), its
 * argv in $FAKE_ARGS.open. Each call's
 * argv goes to $FAKE_ARGS.<shard>, its pid to $FAKE_ARGS.pid.<shard>. */
static const char sharded_fake[] =
    "#!/bin/sh\n"
    "# A fake nix-instantiate for the sharded calls: targets $FAKE_TARGETS.\n"
    "last=; for a in \"$@\"; do last=$a; done\n"
    "if [ \"$last\" = null ]; then\n"
    "    for a in \"$0\" \"$@\"; do printf '%s\\n' \"$a\"; done > \"$FAKE_ARGS.open\"\n"
    "    [ -n \"${FAKE_OPEN_FAIL:-}\" ] && { echo 'error: cannot open the store' >&2; exit 1; }\n"
    "    echo null; exit 0\n"
    "fi\n"
    "shard=0 shards=0 prev2= prev1=\n"
    "for a in \"$@\"; do\n"
    "    [ \"$prev2\" = --arg ] && [ \"$prev1\" = shard ] && shard=$a\n"
    "    [ \"$prev2\" = --arg ] && [ \"$prev1\" = shards ] && shards=$a\n"
    "    prev2=$prev1 prev1=$a\n"
    "done\n"
    "echo $$ > \"$FAKE_ARGS.pid.$shard.tmp\"; mv \"$FAKE_ARGS.pid.$shard.tmp\" \"$FAKE_ARGS.pid.$shard\"\n"
    "for a in \"$0\" \"$@\"; do printf '%s\\n' \"$a\"; done > \"$FAKE_ARGS.$shard\"\n"
    "echo \"evaluating shard $shard\" >&2\n"
    "[ -n \"${FAKE_EARLY_MB:-}\" ] && exec perl -e '$x = \"x\" x ($ARGV[0] * 1048576); sleep 30' \"$FAKE_EARLY_MB\"\n"
    "set -- $FAKE_TARGETS\n"
    "total=$#\n"
    "i=0 count=0 mine= one=\n"
    "for t in \"$@\"; do\n"
    "    if [ \"$shards\" -eq 0 ] || [ $((i % shards)) -eq \"$shard\" ]; then\n"
    "        count=$((count + 1)); mine=\"$mine $t\"; one=\"{\\\"attrPath\\\":[\\\"$t\\\"],\\\"index\\\":$i}\"\n"
    "    fi\n"
    "    i=$((i + 1))\n"
    "done\n"
    "if [ \"$shards\" -gt 0 ]; then\n"
    "    if [ \"$count\" -eq 1 ]; then\n"
    "        echo \"trace: lazykite-shard {\\\"count\\\":1,\\\"shard\\\":$shard,\\\"shards\\\":$shards,\\\"target\\\":$one,\\\"total\\\":$total}\" >&2\n"
    "    else\n"
    "        echo \"trace: lazykite-shard {\\\"count\\\":$count,\\\"shard\\\":$shard,\\\"shards\\\":$shards,\\\"total\\\":$total}\" >&2\n"
    "    fi\n"
    "fi\n"
    "json= mb=0\n"
    "for t in $mine; do\n"
    "    case \" ${FAKE_FAIL:-} \" in *\" $t \"*) while [ ! -s \"$FAKE_ARGS.pid.0\" ]; do sleep 0.05; done; printf 'error: target %s fails\\n       at x\\n' \"$t\" >&2; exit 1 ;; esac\n"
    "    case \" ${FAKE_KILL:-} \" in *\" $t \"*) kill -9 $$ ;; esac\n"
    "    case \" ${FAKE_SLOW:-} \" in *\" $t \"*) sleep 30 ;; esac\n"
    "    case \" ${FAKE_BIG:-} \" in *\" $t \"*) mb=$((mb + ${FAKE_MB:-60})) ;; esac\n"
    "    json=\"$json${json:+,}{\\\"attrPath\\\":[\\\"$t\\\"],\\\"drvPath\\\":\\\"/nix/store/$t.drv\\\"}\"\n"
    "done\n"
    "out=\"{\\\"pipeline\\\":{},\\\"targets\\\":[$json],\\\"version\\\":1}\"\n"
    "[ \"$mb\" -eq 0 ] && { printf '%s' \"$out\"; exit 0; }\n"
    "exec perl -e '$x = \"x\" x ($ARGV[0] * 1048576); select(undef, undef, undef, 1.5); print $ARGV[1]' \"$mb\" \"$out\"\n";

static int setup_sharded(void **state)
{
    setup(state);
    struct fake *f = *state;
    char *p = xasprintf("%s/bin/nix-instantiate", f->dir);
    put_file(p, sharded_fake, 0755);
    free(p);
    setenv("FAKE_TARGETS", "a b c d e f g", 1);
    unsetenv("FAKE_FAIL");
    unsetenv("FAKE_KILL");
    unsetenv("FAKE_SLOW");
    unsetenv("FAKE_BIG");
    unsetenv("FAKE_MB");
    unsetenv("FAKE_EARLY_MB");
    unsetenv("FAKE_OPEN_FAIL");
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
    struct eval_options o = { "my.ci.list", NULL, extra, 6, 0, 0, NULL, NULL, NULL };
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

/* eval_depot_manifest() with `workers` and a bound; stderr into
 * <dir>/stderr when `capture`. */
static int run_sharded(struct fake *f, size_t workers, unsigned long mib, char **json,
                       struct lk_error *err, int capture)
{
    char *depot = xasprintf("%s/depot", f->dir);
    struct eval_options o = { NULL, NULL, NULL, 0, workers, mib, NULL, NULL, NULL };
    size_t len;
    int saved = -1;
    if (capture) {
        char *p = xasprintf("%s/stderr", f->dir);
        FILE *e = fopen(p, "w");
        assert_non_null(e);
        saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
        dup2(fileno(e), STDERR_FILENO);
        fclose(e);
        free(p);
    }
    int rc = eval_depot_manifest(depot, &o, json, &len, err);
    if (capture) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    if (rc == 0)
        assert_int_equal(len, strlen(*json));
    free(depot);
    return rc;
}

static char *read_text(struct fake *f, const char *name)
{
    char *p = xasprintf("%s/%s", f->dir, name);
    char *text;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    if (file_read(p, &text, &len, &err) != 0)
        fail_msg("%s: %s", p, err.msg);
    free(p);
    return text;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process whose pid <dir>/args.pid.<shard> holds is gone. */
static void assert_gone(struct fake *f, int shard)
{
    char name[32];
    snprintf(name, sizeof name, "args.pid.%d", shard);
    char *text = read_text(f, name);
    pid_t pid = (pid_t)atol(text);
    free(text);
    assert_true(pid > 0);
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
}

/* Any number of shards gives the unsharded manifest; a shard's call is
 * the unsharded one with --arg shard I --arg shards N; the trace line is
 * read, not shown, and Nix's other lines are. */
static void test_sharded_same(void **state)
{
    struct fake *f = *state;
    char *one, *json;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(run_sharded(f, 1, 0, &one, &err, 0), 0);
    char *args = read_text(f, "args.0");
    assert_null(strstr(args, "shard"));
    free(args);
    size_t counts[] = { 2, 3, 7, 9 };
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        if (run_sharded(f, counts[i], 0, &json, &err, 1) != 0)
            fail_msg("%zu workers: %s", counts[i], err.msg);
        assert_string_equal(json, one);
        free(json);
        char *shown = read_text(f, "stderr");
        assert_non_null(strstr(shown, "evaluating shard 1\n"));
        assert_null(strstr(shown, "lazykite-shard"));
        free(shown);
    }
    args = read_text(f, "args.2");
    char *want = xasprintf("--argstr\ntargetsAttr\nci.targets\n--arg\nshard\n2\n--arg\nshards\n9\n");
    assert_non_null(strstr(args, want));
    free(want);
    free(args);
    /* the store opened first, by the same program */
    args = read_text(f, "args.open");
    want = xasprintf("%s/bin/nix-instantiate\n--eval\n-E\nnull\n", f->dir);
    assert_string_equal(args, want);
    free(want);
    free(args);
    free(one);
}

/* The call that opens the store fails: that is the error, and no shard
 * runs. */
static void test_open_fails(void **state)
{
    struct fake *f = *state;
    setenv("FAKE_OPEN_FAIL", "1", 1);
    char *json;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(run_sharded(f, 2, 0, &json, &err, 1), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.msg, "evaluating the depot's ci.targets (opening the store): error: cannot "
                                 "open the store");
    lk_error_clear(&err);
    char *p = xasprintf("%s/args.0", f->dir);
    assert_int_equal(access(p, F_OK), -1);
    free(p);
}

/* A shard's evaluation error fails the whole at once, naming the shard;
 * the other workers are stopped and waited for. */
static void test_shard_error(void **state)
{
    struct fake *f = *state;
    setenv("FAKE_FAIL", "c", 1);
    setenv("FAKE_SLOW", "a", 1);
    char *json = (char *)"untouched";
    struct lk_error err = LK_ERROR_INIT;
    double t0 = seconds();
    assert_int_equal(run_sharded(f, 3, 0, &json, &err, 1), -1);
    assert_true(seconds() - t0 < 10);
    assert_null(json);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.msg,
                        "evaluating the depot's ci.targets (shard 2 of 3): error: target c fails");
    lk_error_clear(&err);
    assert_gone(f, 0);
}

/* A worker killed by a signal: status 1, the signal and the shard. */
static void test_shard_killed(void **state)
{
    struct fake *f = *state;
    setenv("FAKE_KILL", "b", 1);
    char *json;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(run_sharded(f, 3, 0, &json, &err, 1), -1);
    assert_int_equal(err.status, LK_EXIT_FAIL);
    assert_non_null(strstr(err.msg, "was killed by signal 9 (shard 1 of 3)"));
    assert_non_null(strstr(err.msg, "--arg shard 1 --arg shards 3"));
    lk_error_clear(&err);
}

/* Above the bound, a shard is split in two and evaluated again: the same
 * manifest. Shard 0 of 2 (a c e g) holds two big targets (2 x 60 MiB), so
 * it goes again as 0 of 4 (a e) and 2 of 4 (c g). */
static void test_memory_split(void **state)
{
    struct fake *f = *state;
    char *one, *json;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(run_sharded(f, 1, 0, &one, &err, 0), 0);
    setenv("FAKE_BIG", "a c", 1);
    setenv("FAKE_MB", "60", 1);
    if (run_sharded(f, 2, 100, &json, &err, 1) != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(json, one);
    free(json);
    char *args = read_text(f, "args.2");
    assert_non_null(strstr(args, "--arg\nshard\n2\n--arg\nshards\n4\n"));
    free(args);
    free(one);
}

/* A target alone above the bound is an error naming it; so is a depot
 * above it before any target. */
static void test_memory_errors(void **state)
{
    struct fake *f = *state;
    setenv("FAKE_BIG", "c", 1);
    setenv("FAKE_MB", "150", 1);
    char *json;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(run_sharded(f, 3, 100, &json, &err, 1), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    if (!strstr(err.msg, "evaluating the depot's ci.targets: target c (ci.targets[2]) alone "
                         "exceeds --eval-max-memory 100 MiB (its nix-instantiate reached 1"))
        fail_msg("%s", err.msg);
    lk_error_clear(&err);
    unsetenv("FAKE_BIG");
    setenv("FAKE_EARLY_MB", "150", 1);
    double t0 = seconds();
    assert_int_equal(run_sharded(f, 2, 100, &json, &err, 1), -1);
    assert_true(seconds() - t0 < 10);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_non_null(strstr(err.msg, "the depot exceeds --eval-max-memory 100 MiB before any target"));
    lk_error_clear(&err);
    assert_gone(f, 0);
    assert_gone(f, 1);
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
        cmocka_unit_test_setup_teardown(test_sharded_same, setup_sharded, teardown),
        cmocka_unit_test_setup_teardown(test_open_fails, setup_sharded, teardown),
        cmocka_unit_test_setup_teardown(test_shard_error, setup_sharded, teardown),
        cmocka_unit_test_setup_teardown(test_shard_killed, setup_sharded, teardown),
        cmocka_unit_test_setup_teardown(test_memory_split, setup_sharded, teardown),
        cmocka_unit_test_setup_teardown(test_memory_errors, setup_sharded, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
