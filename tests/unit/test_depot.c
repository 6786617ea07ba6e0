/* Unit tests: depot instantiation against vectors from real Nix, attribute
 * resolution, the manifest, and the export's Nix string escaping.
 *
 * The vectors below were produced by real Nix 2.8: the fixture TINY was
 * exported with `lazykite-sim export-nix` and evaluated with
 * `nix-instantiate --eval --strict --read-write-mode`; paths come from the
 * result and `nix-store -q --outputs`, the ATerm from the written `.drv`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "nix/depot.h"
#include "nix/exportnix.h"
#include "nix/fixture.h"
#include "strbuf.h"

static const char TINY[] = "depot: tiny\n"
                           "derivations:\n"
                           "  base:\n"
                           "    build: echo base > $out\n"
                           "  lib:\n"
                           "    outputs: [out, dev]\n"
                           "    build: mkdir $out $dev; echo @{base} > $dev/x\n"
                           "  app:\n"
                           "    deps: [lib]\n"
                           "    build: cat @{lib^dev}/x > $out\n"
                           "targets:\n"
                           "  - attrPath: [app]\n";

static const char APP_ATERM[] =
    "Derive([(\"out\",\"/nix/store/hskrwacic5dclcia28prq8351k27cmqd-app\",\"\",\"\")],"
    "[(\"/nix/store/haqn5fzp6jk1kl3kpm0ymq9kl2nvs63x-lib.drv\",[\"dev\",\"out\"])],[],"
    "\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"cat /nix/store/ba7lzah21adcv6f80x1zysmwva4xs6q8-lib-dev/x > $out\"],"
    "[(\"PATH\",\"/usr/bin:/bin\"),(\"builder\",\"/bin/sh\"),"
    "(\"deps\",\"/nix/store/5pq7iisw5q87yrnirl9y4wims86sjcyp-lib\"),(\"name\",\"app\"),"
    "(\"out\",\"/nix/store/hskrwacic5dclcia28prq8351k27cmqd-app\"),(\"system\",\"x86_64-linux\")])";

static struct depot *open_depot(const char *yaml, struct fixture **f)
{
    struct lk_error err = LK_ERROR_INIT;
    struct depot *d = NULL;
    if (fixture_load_bytes("t.yaml", yaml, strlen(yaml), f, &err) < 0 ||
        depot_from_fixture(*f, &d, &err) < 0) {
        char *line = lk_error_format(&err);
        fail_msg("unexpected error: %s", line);
        free(line);
    }
    return d;
}

static void test_real_nix_vectors(void **state)
{
    (void)state;
    struct fixture *f;
    struct depot *d = open_depot(TINY, &f);
    assert_int_equal(depot_n_drvs(d), 3);
    /* Dependency order: base, lib, app. */
    assert_string_equal(depot_drv_at(d, 0)->key, "base");
    assert_string_equal(depot_drv_at(d, 1)->key, "lib");
    assert_string_equal(depot_drv_at(d, 2)->key, "app");
    assert_string_equal(depot_drv_at(d, 0)->drv_path,
                        "/nix/store/7wz5ipjw5ylqxz24bcf6d06j4jb97gkn-base.drv");
    assert_string_equal(depot_drv_at(d, 1)->drv_path,
                        "/nix/store/haqn5fzp6jk1kl3kpm0ymq9kl2nvs63x-lib.drv");
    assert_string_equal(depot_drv_at(d, 2)->drv_path,
                        "/nix/store/cgccwqgb2ryix55nk53xm2yk8k8v5syf-app.drv");
    assert_string_equal(depot_output_path(d, 0, "out"),
                        "/nix/store/npsly8l2kja0f1kchz7hwdkdihfg8759-base");
    assert_string_equal(depot_output_path(d, 1, "out"),
                        "/nix/store/5pq7iisw5q87yrnirl9y4wims86sjcyp-lib");
    assert_string_equal(depot_output_path(d, 1, "dev"),
                        "/nix/store/ba7lzah21adcv6f80x1zysmwva4xs6q8-lib-dev");
    assert_null(depot_output_path(d, 1, "doc"));
    const struct depot_drv *app = depot_drv_at(d, 2);
    assert_int_equal(app->aterm_len, strlen(APP_ATERM));
    assert_memory_equal(app->aterm, APP_ATERM, app->aterm_len);
    assert_int_equal(app->fails, 0);
    assert_int_equal(app->n_ifd, 0);

    size_t idx = 99;
    assert_int_equal(depot_find_drv_path(d, "/nix/store/haqn5fzp6jk1kl3kpm0ymq9kl2nvs63x-lib.drv", &idx), 0);
    assert_int_equal(idx, 1);
    assert_int_equal(depot_find_drv_path(d, "/nix/store/haqn5fzp6jk1kl3kpm0ymq9kl2nvs63x-lix.drv", &idx), -1);
    for (size_t i = 0; i < depot_n_drvs(d); i++) {
        assert_int_equal(depot_find_drv_path(d, depot_drv_at(d, i)->drv_path, &idx), 0);
        assert_int_equal(idx, i);
    }
    assert_int_equal(depot_find_drv_path(d, "/nix/store/haqn5fzp", &idx), -1);
    assert_int_equal(depot_find_drv_path(d, "/elsewhere/haqn5fzp6jk1kl3kpm0ymq9kl2nvs63x-lib.drv", &idx), -1);
    assert_int_equal(depot_find_key(d, "app"), 2);
    assert_int_equal(depot_find_key(d, "nope"), (size_t)-1);
    depot_free(d);
    fixture_free(f);
}

static const char TREE[] =
    "depot: tree\n"
    "derivations:\n"
    "  cmd: { build: echo > $out }\n"
    "  patched: { build: mkdir $out }\n"
    "  fails: { build: echo no, fail: true }\n"
    "  ifdsrc: {}\n"
    "  usesifd: { ifd: [ifdsrc] }\n"
    "targets:\n"
    "  - attrPath: [web, site]\n"
    "    build: mkdir $out\n"
    "    meta:\n"
    "      timeout: 60\n"
    "      ci:\n"
    "        extraSteps:\n"
    "          deploy: { command: cmd, parentOverride: patched, needsOutput: true,\n"
    "                    prompt: Go?, skip: false, agents: { queue: q }, branches: [main] }\n"
    "  - attrPath: [web, site]\n"
    "    subtarget: docs\n"
    "    drv: fails\n"
    "  - attrPath: [usesifd]\n"
    "headBranch: refs/heads/main\n";

/* depot_resolve() of the dotted attribute path `path`. */
static int resolve(struct depot *d, const char *path, struct depot_value *v, struct lk_error *err)
{
    const char *attrs[16];
    char buf[256];
    size_t n = 0;
    strcpy(buf, path);
    for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, "."))
        attrs[n++] = tok;
    return depot_resolve(d, attrs, n, v, err);
}

static void resolve_ok(struct depot *d, const char *path, int kind, const char *drv_key,
                       const char *output)
{
    struct depot_value v;
    struct lk_error err = LK_ERROR_INIT;
    if (resolve(d, path, &v, &err) < 0)
        fail_msg("%s: %s", path, err.msg);
    if ((int)v.kind != kind)
        fail_msg("%s: kind %d, want %d", path, (int)v.kind, kind);
    if (drv_key && strcmp(depot_drv_at(d, v.drv)->key, drv_key))
        fail_msg("%s: derivation %s, want %s", path, depot_drv_at(d, v.drv)->key, drv_key);
    if (output && (!v.output || strcmp(v.output, output)))
        fail_msg("%s: output %s, want %s", path, v.output ? v.output : "(none)", output);
}

static void resolve_err(struct depot *d, const char *path, const char *msg)
{
    struct depot_value v;
    struct lk_error err = LK_ERROR_INIT;
    if (resolve(d, path, &v, &err) != -1 || strcmp(err.msg, msg) || err.status != LK_EXIT_FAIL)
        fail_msg("%s: error \"%s\" (status %d), want \"%s\" (status %d)", path, err.msg ? err.msg : "(none)",
                 err.status, msg, LK_EXIT_FAIL);
    lk_error_clear(&err);
}

static void test_resolve(void **state)
{
    (void)state;
    struct fixture *f;
    struct depot *d = open_depot(TREE, &f);
    resolve_ok(d, "web", DV_ATTRS, NULL, NULL);
    resolve_ok(d, "web.site", DV_DRV, "web/site", "out");
    resolve_ok(d, "web.site.out", DV_DRV, "web/site", "out");
    resolve_ok(d, "web.site.docs", DV_DRV, "fails", "out");
    resolve_ok(d, "web.site.meta", DV_ATTRS, NULL, NULL);
    resolve_ok(d, "web.site.meta.timeout", DV_OTHER, NULL, NULL);
    resolve_ok(d, "web.site.meta.ci.extraSteps.deploy", DV_ATTRS, NULL, NULL);
    resolve_ok(d, "web.site.meta.ci.extraSteps.deploy.command", DV_DRV, "cmd", "out");
    resolve_ok(d, "web.site.meta.ci.extraSteps.deploy.parentOverride", DV_FUNCTION, "patched", NULL);
    resolve_ok(d, "web.site.meta.ci.extraSteps.deploy.prompt", DV_OTHER, NULL, NULL);
    resolve_ok(d, "ci.targets", DV_OTHER, NULL, NULL);
    resolve_ok(d, "ci.pipeline", DV_OTHER, NULL, NULL);
    resolve_ok(d, "usesifd", DV_DRV, "usesifd", NULL);
    resolve_ok(d, "web.site.drvPath", DV_OTHER, NULL, NULL);
    resolve_ok(d, "web.site.docs.__subtarget", DV_OTHER, NULL, NULL);
    resolve_ok(d, "", DV_ATTRS, NULL, NULL);
    resolve_err(d, "nope", "attribute 'nope' missing");
    resolve_err(d, "web.nope", "attribute 'nope' missing");
    resolve_err(d, "web.site.meta.ci.extraSteps.other", "attribute 'other' missing");
    resolve_err(d, "web.site.meta.ci.extraSteps.deploy.label", "attribute 'label' missing");
    resolve_err(d, "web.site.docs.meta", "attribute 'meta' missing");
    resolve_err(d, "ci.other", "attribute 'other' missing");
    resolve_err(d, "ci.targets.x", "value is a list while a set was expected");

    /* ifd and fail reach the depot entries. */
    size_t u = depot_find_key(d, "usesifd");
    assert_int_equal(depot_drv_at(d, u)->n_ifd, 1);
    assert_string_equal(depot_drv_at(d, depot_drv_at(d, u)->ifd[0])->key, "ifdsrc");
    size_t fl = depot_find_key(d, "fails");
    assert_int_equal(depot_drv_at(d, fl)->fails, 1);
    assert_non_null(strstr(depot_drv_at(d, fl)->aterm, ",[\"-c\",\"echo no\\nexit 1\"],"));
    /* ifd does not make the ifd derivation an input. */
    assert_int_equal(depot_drv_at(d, u)->n_inputs, 0);
    depot_free(d);
    fixture_free(f);
}

static void test_manifest(void **state)
{
    (void)state;
    struct fixture *f;
    struct depot *d = open_depot(TREE, &f);
    struct lk_error err = LK_ERROR_INIT;
    json_t *m = depot_manifest(d, &err);
    assert_non_null(m);
    assert_int_equal(json_integer_value(json_object_get(m, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(m, "pipeline"), "headBranch")),
                        "refs/heads/main");
    json_t *ts = json_object_get(m, "targets");
    assert_int_equal(json_array_size(ts), 3);
    json_t *t0 = json_array_get(ts, 0), *t1 = json_array_get(ts, 1);
    assert_string_equal(json_string_value(json_object_get(t0, "drvPath")),
                        depot_drv_at(d, depot_find_key(d, "web/site"))->drv_path);
    assert_null(json_object_get(t0, "subtarget"));
    assert_string_equal(json_string_value(json_object_get(t1, "subtarget")), "docs");
    assert_int_equal(json_array_size(json_object_get(t1, "attrPath")), 2);
    /* No meta in the fixture: {} (manifest.nix gives `target.meta or { }`). */
    assert_true(json_is_object(json_object_get(t1, "meta")));
    assert_int_equal(json_object_size(json_object_get(t1, "meta")), 0);
    json_t *meta = json_object_get(t0, "meta");
    assert_int_equal(json_integer_value(json_object_get(meta, "timeout")), 60);
    json_t *step = json_object_get(json_object_get(json_object_get(meta, "ci"), "extraSteps"), "deploy");
    assert_string_equal(json_string_value(json_object_get(json_object_get(step, "command"), "drvPath")),
                        depot_drv_at(d, depot_find_key(d, "cmd"))->drv_path);
    assert_string_equal(json_string_value(json_object_get(json_object_get(step, "parentOverride"), "drvPath")),
                        depot_drv_at(d, depot_find_key(d, "patched"))->drv_path);
    assert_true(json_is_true(json_object_get(step, "needsOutput")));
    assert_string_equal(json_string_value(json_object_get(step, "prompt")), "Go?");
    assert_true(json_is_false(json_object_get(step, "skip")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(step, "agents"), "queue")), "q");
    /* Unset options are absent (the generator applies its defaults). */
    assert_null(json_object_get(step, "label"));
    assert_null(json_object_get(step, "phase"));
    assert_null(json_object_get(step, "alwaysRun"));
    json_decref(m);
    depot_free(d);
    fixture_free(f);
}

static void test_nix_string(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    exportnix_string(&sb, "a\"b\\c${d}$e\nf\rg\th''i ü");
    assert_string_equal(sb_str(&sb), "\"a\\\"b\\\\c\\${d}\\$e\\nf\\rg\\th''i ü\"");
    sb_release(&sb);
}

static void test_depot_open_missing(void **state)
{
    (void)state;
    struct depot *d = (struct depot *)1;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(depot_open("/nonexistent-dir-xyz", &d, &err), -1);
    assert_null(d);
    assert_string_equal(err.file, "/nonexistent-dir-xyz/depot.yaml");
    lk_error_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_nix_vectors),
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_nix_string),
        cmocka_unit_test(test_depot_open_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
