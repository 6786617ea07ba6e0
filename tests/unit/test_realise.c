/* Unit tests: realisation (sim/nix/realise) over a private store — closure
 * order, builder environment, references, failures leave nothing valid,
 * concurrent realisations of one derivation build it once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drv.h"
#include "fileio.h"
#include "nix/realise.h"
#include "nix/store.h"
#include "storefx.h"
#include "drvhash.h"
#include "storepath.h"
#include "strbuf.h"
#include "xalloc.h"

struct fx {
    char *dir, *log;
    struct store s;
};

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof *f);
    *state = f;
    int rc = storefx_open("lk-realise", &f->dir, &f->s);
    f->log = xasprintf("%s/log", f->dir);
    setenv("LAZYKITE_LOG", f->log, 1);
    return rc;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    storefx_close(f->dir, &f->s);
    unsetenv("LAZYKITE_LOG");
    free(f->log);
    free(f);
    return 0;
}

/* Make a `/bin/sh -c script` derivation with inputs (drv path, output) and
 * write its `.drv` into the store; returns the drv path (caller frees). */
static char *make_drv(struct fx *f, const char *name, const char *script, const char *const *outs,
                      size_t n_outs, const char *const *inputs, size_t n_inputs)
{
    struct drv d = DRV_INIT;
    drv_set_platform(&d, "x86_64-linux");
    drv_set_builder(&d, "/bin/sh");
    drv_add_arg(&d, "-c");
    drv_add_arg(&d, script);
    drv_set_env(&d, "name", name);
    drv_set_env(&d, "builder", "/bin/sh");
    drv_set_env(&d, "system", "x86_64-linux");
    drv_set_env(&d, "PATH", "/usr/bin:/bin");
    struct strbuf ol = STRBUF_INIT;
    for (size_t i = 0; i < n_outs; i++) {
        drv_add_output(&d, outs[i], "", "", "");
        drv_set_env(&d, outs[i], "");
        sb_addf(&ol, "%s%s", i ? " " : "", outs[i]);
    }
    if (n_outs > 1)
        drv_set_env(&d, "outputs", sb_str(&ol));
    sb_release(&ol);
    for (size_t i = 0; i < n_inputs; i++)
        drv_add_input(&d, inputs[i], "out");
    struct lk_error err = LK_ERROR_INIT;
    struct drv_store_hashes *cache = drv_store_hashes_new(f->s.dir);
    assert_int_equal(drv_fill_outputs(&d, name, drv_store_hashes_lookup, cache, &err), 0);
    drv_store_hashes_free(cache);
    char *dname = xasprintf("%s.drv", name);
    char *path = drv_store_path(&d, dname);
    free(dname);
    struct strbuf text = STRBUF_INIT;
    drv_write(&d, &text);
    const char **refs = xcalloc(n_inputs + 1, sizeof *refs);
    for (size_t i = 0; i < d.n_inputs; i++)
        refs[i] = d.inputs[i].path;
    int added;
    assert_int_equal(store_add_text(&f->s, path, text.buf, text.len, refs, d.n_inputs, &added,
                                    &err),
                     0);
    free(refs);
    sb_release(&text);
    drv_free(&d);
    return path;
}

static char *out_path(struct fx *f, const char *drv_path, const char *output)
{
    struct drv d = DRV_INIT;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(realise_read_drv(&f->s, drv_path, &d, &err), 0);
    char *p = xstrdup(drv_get_output(&d, output)->path);
    drv_free(&d);
    return p;
}

static char *host_content(struct fx *f, const char *path)
{
    char *h = store_host(&f->s, path);
    char *data;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    int rc = file_read(h, &data, &len, &err);
    free(h);
    return rc == 0 ? data : NULL;
}

/* Count log lines with event `event` (and drv `drv` when not NULL). */
static int count_events(struct fx *f, const char *event, const char *drv)
{
    char *data;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    if (file_read(f->log, &data, &len, &err) != 0) {
        lk_error_clear(&err);
        return 0;
    }
    int n = 0;
    char *save;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *j = json_loads(l, 0, &jerr);
        assert_non_null(j);
        if (!strcmp(json_string_value(json_object_get(j, "event")), event) &&
            (!drv || !strcmp(json_string_value(json_object_get(j, "drv")), drv)))
            n++;
        json_decref(j);
    }
    free(data);
    return n;
}

/* realise(drv) fails with `status` (when >= 0) and a message that is `msg`,
 * or holds it when `part`. */
static void realise_fails(struct fx *f, const char *drv, int status, const char *msg, bool part)
{
    struct lk_error err = LK_ERROR_INIT;
    const char *want[] = { drv };
    if (realise(&f->s, want, 1, NULL, &err) != -1)
        fail_msg("%s: realised without an error", drv);
    if ((status >= 0 && err.status != status) || (part ? !strstr(err.msg, msg) : strcmp(err.msg, msg)))
        fail_msg("%s: status %d (want %d), message \"%s\" (want %s\"%s\")", drv, err.status, status, err.msg,
                 part ? "a part " : "", msg);
    lk_error_clear(&err);
}

static void test_closure_env_refs(void **state)
{
    struct fx *f = *state;
    const char *out[] = { "out" };
    char *a = make_drv(f, "a", "echo a-content > $out", out, 1, NULL, 0);
    char *a_out = out_path(f, a, "out");
    /* b records the builder's environment and refers to a's output. */
    char *script = xasprintf("{ echo %s; cat %s; env | sort; pwd; umask; } > $out; "
                             "test ! -t 0 && cat > /dev/null",
                             a_out, a_out);
    const char *in_b[] = { a };
    char *b = make_drv(f, "b", script, out, 1, in_b, 1);
    free(script);
    const char *outs2[] = { "out", "dev" };
    const char *in_c[] = { b };
    char *c = make_drv(f, "c", "echo $(cat /dev/null) > $out; mkdir $dev; ln -s $out $dev/link",
                       outs2, 2, in_c, 1);
    struct lk_error err = LK_ERROR_INIT;
    struct realise_opts o = { "test cause", NULL };
    const char *want[] = { c };
    assert_int_equal(realise(&f->s, want, 1, &o, &err), 0);
    char *b_out = out_path(f, b, "out"), *c_out = out_path(f, c, "out"),
         *c_dev = out_path(f, c, "dev");
    assert_true(store_is_valid(&f->s, a_out));
    assert_true(store_is_valid(&f->s, b_out));
    assert_true(store_is_valid(&f->s, c_out));
    assert_true(store_is_valid(&f->s, c_dev));
    char *env = host_content(f, b_out);
    assert_non_null(env);
    assert_non_null(strstr(env, "a-content\n"));
    const char *expect[] = { "\nHOME=/homeless-shelter\n", "\nNIX_STORE=/nix/store\n",
                             "\nNIX_LOG_FD=2\n", "\nTERM=xterm-256color\n",
                             "\nPATH=/usr/bin:/bin\n", "\nname=b\n", "\nNIX_BUILD_CORES=",
                             "\nNIX_BUILD_TOP=", "\nTMPDIR=", "\nTEMPDIR=", "\nTMP=", "\nTEMP=",
                             "\n0022\n" };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
        if (!strstr(env, expect[i]))
            fail_msg("builder env lacks <%s>:\n%s", expect[i], env);
    char *outline = xasprintf("\nout=%s\n", b_out);
    assert_non_null(strstr(env, outline));
    free(outline);
    /* nothing of nixsim's own environment leaks in */
    assert_null(strstr(env, "LAZYKITE_LOG"));
    free(env);

    /* references: b refers to a; c's dev refers to c's out (a symlink) */
    struct store_info info;
    assert_int_equal(store_query(&f->s, b_out, &info, &err), 0);
    /* b's output holds its own path too (the env dump): a self-reference */
    assert_int_equal(info.n_refs, 2);
    int self_first = strcmp(b_out, a_out) < 0;
    assert_string_equal(info.refs[self_first ? 1 : 0], a_out);
    assert_string_equal(info.refs[self_first ? 0 : 1], b_out);
    assert_string_equal(info.deriver, b);
    store_info_free(&info);
    assert_int_equal(store_query(&f->s, c_dev, &info, &err), 0);
    assert_int_equal(info.n_refs, 1);
    assert_string_equal(info.refs[0], c_out);
    store_info_free(&info);
    assert_int_equal(store_query(&f->s, c_out, &info, &err), 0);
    assert_int_equal(info.n_refs, 0);
    store_info_free(&info);

    assert_int_equal(count_events(f, "build", NULL), 3);
    assert_int_equal(count_events(f, "build", c), 1);
    /* a second realisation builds nothing and logs `valid` */
    assert_int_equal(realise(&f->s, want, 1, &o, &err), 0);
    assert_int_equal(count_events(f, "build", NULL), 3);
    assert_int_equal(count_events(f, "valid", c), 1);
    free(a);
    free(b);
    free(c);
    free(a_out);
    free(b_out);
    free(c_out);
    free(c_dev);
}

static void test_failure_leaves_nothing(void **state)
{
    struct fx *f = *state;
    const char *out[] = { "out" };
    char *bad = make_drv(f, "bad", "mkdir $out; echo partial > $out/x; exit 3", out, 1, NULL, 0);
    const char *in[] = { bad };
    char *dep = make_drv(f, "dep", "echo > $out", out, 1, in, 1);
    char *msg = xasprintf("builder for '%s' failed with exit code 3", bad);
    realise_fails(f, bad, REALISE_EXIT_BUILD_FAILED, msg, false);
    free(msg);
    char *bad_out = out_path(f, bad, "out");
    assert_false(store_is_valid(&f->s, bad_out));
    char *host = store_host(&f->s, bad_out);
    struct stat st;
    assert_int_not_equal(lstat(host, &st), 0);
    free(host);
    assert_int_equal(count_events(f, "fail", bad), 1);

    /* a dependant reports its failed dependency */
    msg = xasprintf("1 dependencies of derivation '%s' failed to build", dep);
    realise_fails(f, dep, REALISE_EXIT_BUILD_FAILED, msg, false);
    free(msg);
    assert_int_equal(count_events(f, "build", NULL), 0);

    /* a builder that does not create its output fails too */
    char *lazy = make_drv(f, "lazy", "true", out, 1, NULL, 0);
    realise_fails(f, lazy, -1, "failed to produce output path for output 'out'", true);

    /* a missing .drv */
    realise_fails(f, "/nix/store/00000000000000000000000000000000-ghost.drv", 1,
                  "cannot build missing derivation '/nix/store/00000000000000000000000000000000-ghost.drv'", false);
    free(bad);
    free(dep);
    free(lazy);
    free(bad_out);
}

/* A stale, unregistered output path (a crashed build) is replaced. */
static void test_stale_output(void **state)
{
    struct fx *f = *state;
    const char *out[] = { "out" };
    char *d = make_drv(f, "stale", "mkdir $out && echo fresh > $out/f", out, 1, NULL, 0);
    char *o = out_path(f, d, "out");
    char *host = store_host(&f->s, o);
    assert_int_equal(mkdir(host, 0555), 0); /* read-only leftover */
    struct lk_error err = LK_ERROR_INIT;
    const char *want[] = { d };
    assert_int_equal(realise(&f->s, want, 1, NULL, &err), 0);
    char *fp = xasprintf("%s/f", o);
    char *content = host_content(f, fp);
    assert_string_equal(content, "fresh\n");
    free(content);
    free(fp);
    free(host);
    free(o);
    free(d);
}

enum { PROCS = 8 };

static void test_concurrent_build_once(void **state)
{
    struct fx *f = *state;
    const char *out[] = { "out" };
    const char *ins[1];
    char *dep = make_drv(f, "slowdep", "sleep 0.2; echo dep > $out", out, 1, NULL, 0);
    ins[0] = dep;
    char *d = make_drv(f, "slow", "sleep 0.3; echo built > $out", out, 1, ins, 1);
    pid_t pids[PROCS];
    for (int i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct lk_error err = LK_ERROR_INIT;
            const char *want[] = { d };
            _exit(realise(&f->s, want, 1, NULL, &err) == 0 ? 0 : 1);
        }
    }
    for (int i = 0; i < PROCS; i++) {
        int st;
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(count_events(f, "build", d), 1);
    assert_int_equal(count_events(f, "build", dep), 1);
    assert_int_equal(count_events(f, "build", d) + count_events(f, "valid", d), PROCS);
    char *o = out_path(f, d, "out");
    char *content = host_content(f, o);
    assert_string_equal(content, "built\n");
    free(content);
    free(o);
    free(d);
    free(dep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_closure_env_refs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_build_once, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
