/* Unit tests: the build command and its Nix expressions — the exact text,
 * and the command *executed*: after reversing upload interpolation it runs
 * in bash with stub nix-store/nix-build that record their argv; with real
 * Nix installed, the expression nix-build receives is evaluated against a
 * depot whose attribute names are the hostile ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buildcmd.h"
#include "cmdrun.h"
#include "quote.h"

static void test_plain_form_is_tvl_form(void **state)
{
    (void)state;
    struct strbuf expr = STRBUF_INIT, cmd = STRBUF_INIT;
    char *attrs[] = { "web", "site" };
    buildcmd_attr_expr(&expr, NULL, attrs, 2);
    assert_string_equal(sb_str(&expr),
                        "builtins.getAttr \"site\" (builtins.getAttr \"web\" (import ./. {}))");
    buildcmd_command(&cmd, "/nix/store/abc-site.drv", sb_str(&expr), NULL);
    assert_string_equal(sb_str(&cmd),
        "set -o pipefail; (nix-store --realise '/nix/store/abc-site.drv' --add-root 'result' "
        "--indirect | xargs -r realpath) || (test ! -f '/nix/store/abc-site.drv' && nix-build -E "
        "'builtins.getAttr \"site\" (builtins.getAttr \"web\" (import ./. {}))' --show-trace "
        "--out-link 'result')");
    sb_reset(&expr);
    buildcmd_attr_expr(&expr, NULL, attrs, 0);
    assert_string_equal(sb_str(&expr), "import ./. {}");
    sb_release(&expr);
    sb_release(&cmd);
}

static void test_override_expr(void **state)
{
    (void)state;
    struct strbuf expr = STRBUF_INIT;
    char *attrs[] = { "web", "site" };
    buildcmd_override_expr(&expr, attrs, 2, "deploy");
    const char *t = "builtins.getAttr \"site\" (builtins.getAttr \"web\" (import ./. {}))";
    char *want = xasprintf("(builtins.getAttr \"parentOverride\" (builtins.getAttr \"deploy\" "
                           "(builtins.getAttr \"extraSteps\" (builtins.getAttr \"ci\" "
                           "(builtins.getAttr \"meta\" (%s)))))) (%s)", t, t);
    assert_string_equal(sb_str(&expr), want);
    free(want);
    sb_release(&expr);
}

static const char *hostile[] = {
    "it's", "say \"hi\"", "back\\slash", "${HOME}", "$HOME", "with space", "two\nlines",
    "cr\rtab\t", "ünïcödé ✓", "\\$x", "\\${x}", "$${x}", "trail$", "$(id)", "`id`",
    "'\"'\"'", "\\\\$$", "a/b", "",
};

static bool real_nix(void)
{
    return access("/usr/bin/nix-instantiate", X_OK) == 0;
}

/* A depot whose default.nix nests attribute names read from path.json. */
static void write_depot(const char *dir, char *const *attrs, size_t n)
{
    json_t *path = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(path, json_string(attrs[i]));
    char *p = xasprintf("%s/path.json", dir);
    assert_int_equal(json_dump_file(path, p, 0), 0);
    free(p);
    json_decref(path);
    p = xasprintf("%s/default.nix", dir);
    write_exec(p, "{}: let path = builtins.fromJSON (builtins.readFile ./path.json);\n"
                  "  nest = ps: if ps == [] then { ok = path; }\n"
                  "    else { ${builtins.head ps} = nest (builtins.tail ps); };\n"
                  "in nest path\n");
    free(p);
}

static void assert_argv(char **argv, const char *const *want)
{
    assert_non_null(argv);
    size_t i = 0;
    for (; want[i]; i++) {
        assert_non_null(argv[i]);
        assert_string_equal(argv[i], want[i]);
    }
    assert_null(argv[i]);
}

static void test_hostile_names_executed(void **state)
{
    (void)state;
    bool eval = real_nix();
    if (eval)
        setenv("LK_REAL_EVAL", "1", 1);
    for (size_t h = 0; h < sizeof(hostile) / sizeof(hostile[0]); h++) {
        char *dir = stub_dir_new();
        char *depot = xasprintf("%s/depot", dir);
        mkdir(depot, 0755);
        char *attrs[] = { "top", (char *)hostile[h], "x" };
        write_depot(depot, attrs, 3);
        char *drv = xasprintf("%s/no such/%s.drv", dir, hostile[h]);
        char *link = xasprintf("out'%s", hostile[h]);
        struct strbuf expr = STRBUF_INIT, cmd = STRBUF_INIT;
        buildcmd_attr_expr(&expr, NULL, attrs, 3);
        buildcmd_command(&cmd, drv, sb_str(&expr), link);

        char *uploaded = quote_upload_dup(sb_str(&cmd));
        char *seen = upload_interpolate(uploaded);
        assert_non_null(seen);
        assert_string_equal(seen, sb_str(&cmd));
        assert_int_equal(stub_run(dir, depot, seen), 0);

        char **a = stub_call(dir, 0, "nix-store");
        assert_argv(a, (const char *[]){ "--realise", drv, "--add-root", link, "--indirect", NULL });
        argv_free(a);
        a = stub_call(dir, 1, "nix-build");
        assert_argv(a, (const char *[]){ "-E", sb_str(&expr), "--show-trace", "--out-link", link, NULL });
        argv_free(a);
        if (eval) {
            char *got = stub_file(dir, "calls/001-nix-build-eval.json");
            assert_non_null(got);
            json_t *v = json_loads(got, 0, NULL);
            if (!v)
                fail_msg("nix-instantiate gave no JSON for name #%zu", h);
            assert_true(json_is_array(v) && json_array_size(v) == 3);
            for (size_t i = 0; i < 3; i++)
                assert_string_equal(json_string_value(json_array_get(v, i)), attrs[i]);
            json_decref(v);
            free(got);
        }
        free(seen);
        free(uploaded);
        sb_release(&expr);
        sb_release(&cmd);
        free(drv);
        free(link);
        free(depot);
        file_remove_tree(dir);
        free(dir);
    }
    unsetenv("LK_REAL_EVAL");
}

/* The override expression means "the target's parentOverride applied to the target". */
static void test_override_expr_evaluates(void **state)
{
    (void)state;
    if (!real_nix())
        skip();
    char dir[] = "/tmp/lk-ovr-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *p = xasprintf("%s/default.nix", dir);
    write_exec(p, "{}: { \"we'b\".\"$\\{\" = { name = \"site\"; meta.ci.extraSteps.\"de$ploy\".parentOverride =\n"
                  "  t: t // { name = \"overridden-\" + t.name; }; }; }\n");
    free(p);
    char *attrs[] = { "we'b", "${" };
    struct strbuf expr = STRBUF_INIT, cmd = STRBUF_INIT;
    buildcmd_override_expr(&expr, attrs, 2, "de$ploy");
    sb_adds(&cmd, "/usr/bin/nix-instantiate --eval --strict --json -E ");
    struct strbuf full = STRBUF_INIT;
    sb_addf(&full, "(%s).name", sb_str(&expr));
    quote_shell_word(&cmd, sb_str(&full));
    char *uploaded = quote_upload_dup(sb_str(&cmd));
    char *seen = upload_interpolate(uploaded);
    char *stub = stub_dir_new();
    assert_int_equal(stub_run(stub, dir, seen), 0);
    char *out = stub_file(stub, "stdout");
    assert_string_equal(out, "\"overridden-site\"");
    free(out);
    free(seen);
    free(uploaded);
    sb_release(&full);
    sb_release(&expr);
    sb_release(&cmd);
    file_remove_tree(stub);
    free(stub);
    file_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_form_is_tvl_form),
        cmocka_unit_test(test_override_expr),
        cmocka_unit_test(test_hostile_names_executed),
        cmocka_unit_test(test_override_expr_evaluates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
