/* Unit tests: labels, keys, target and extra steps, skip, gating, phases,
 * dependencies, chunking, the output directory and every input error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "chunks.h"
#include "cmdrun.h"
#include "manifest.h"
#include "pipeline.h"
#include "steps.h"

static char store[] = "/tmp/lk-store-XXXXXX";

/* /nix/store/<32 digits of n>-<name>.drv */
#define H(n) "0000000000000000000000000000000" #n
#define DRV(n) "/nix/store/" H(n) "-t" #n ".drv"
#define KEY(n) "drv-" H(n)

static void write_drv(int n, const char *inputs)
{
    char *path = xasprintf("%s/%s-t%d.drv", store, H(0) + 0, n);
    path[strlen(store) + 1 + 31] = (char)('0' + n);
    char *text = xasprintf("Derive([(\"out\",\"/nix/store/%031dz-t%d\",\"\",\"\")],[%s],[],"
                           "\"x86_64-linux\",\"/bin/sh\",[],[])", 0, n, inputs);
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(file_write_atomic(path, text, strlen(text), &err), 0);
    free(text);
    free(path);
}

#define IN(n) "(\"" DRV(n) "\",[\"out\"])"

static int setup_store(void **state)
{
    (void)state;
    if (!mkdtemp(store))
        return -1;
    write_drv(1, "");
    write_drv(2, IN(1));
    write_drv(4, IN(1) "," IN(2)); /* not a target: t3's closest known deps go through it */
    write_drv(3, IN(4));
    write_drv(5, "");
    write_drv(6, "");
    write_drv(7, "");
    return 0;
}

static int teardown_store(void **state)
{
    (void)state;
    file_remove_tree(store);
    return 0;
}

/* Generate from manifest text (and an optional parent map); returns the
 * status (0, or the error status) with `err` set. */
static int gen_with(const char *manifest, const char *parent, bool no_deps, struct pipeline *p,
                    struct lk_error *err)
{
    struct manifest m;
    struct parent_map pm = { NULL };
    memset(p, 0, sizeof(*p));
    if (manifest_parse(manifest, strlen(manifest), "m.json", &m, err) != 0)
        return err->status;
    if (parent && parent_map_parse(parent, strlen(parent), "p.json", &pm, err) != 0) {
        manifest_free(&m);
        return err->status;
    }
    struct generate_request req = { &m, "m.json", parent ? &pm : NULL, no_deps ? NULL : store,
                                   { 0 }, { 0 }, no_deps, NULL, NULL, 0 };
    int rc = pipeline_generate(&req, p, err);
    parent_map_free(&pm);
    manifest_free(&m);
    return rc == 0 ? 0 : err->status;
}

static int gen(const char *manifest, const char *parent, struct pipeline *p, struct lk_error *err)
{
    return gen_with(manifest, parent, false, p, err);
}

/* Generate and write `out` in batches, as the CLI does. */
static int gen_streamed(const char *manifest, bool no_deps, const char *out, struct lk_error *err)
{
    struct manifest m;
    struct pipeline p;
    if (manifest_parse(manifest, strlen(manifest), "m.json", &m, err) != 0)
        return err->status;
    struct chunk_writer *w = chunk_writer_new(out);
    struct generate_request req = { &m, "m.json", NULL, no_deps ? NULL : store, { 0 }, { 0 },
                                    no_deps, chunk_writer_emit, w, CHUNK_MAX_STEPS };
    int rc = pipeline_generate(&req, &p, err);
    if (rc == 0)
        rc = chunk_writer_finish(w, &p, err);
    chunk_writer_free(w);
    pipeline_free(&p);
    manifest_free(&m);
    return rc == 0 ? 0 : err->status;
}

/* JSON values parsed from a pipeline's texts, released by done(). */
static json_t *parsed[64];
static size_t n_parsed;

static json_t *parse_kept(const char *text, size_t len)
{
    json_error_t je;
    json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        fail_msg("generated text is not JSON (%s): %.*s", je.text, (int)len, text);
    assert_true(n_parsed < sizeof(parsed) / sizeof(*parsed));
    parsed[n_parsed++] = v;
    return v;
}

/* The steps of a phase, as a JSON array. */
static json_t *phase(const struct pipeline *p, const char *name)
{
    for (size_t i = 0; i < p->n_phases; i++) {
        if (strcmp(p->phases[i].name, name))
            continue;
        const struct step_list *l = &p->phases[i].steps;
        struct strbuf text = STRBUF_INIT;
        sb_addc(&text, '[');
        for (size_t k = 0; k < l->n; k++) {
            if (k)
                sb_addc(&text, ',');
            size_t from = step_list_start(l, k);
            sb_add(&text, l->text.buf + from, l->ends[k] - from);
        }
        sb_addc(&text, ']');
        json_t *steps = parse_kept(text.buf, text.len);
        sb_release(&text);
        return steps;
    }
    return NULL;
}

static json_t *drvmap_of(const struct pipeline *p)
{
    return parse_kept(p->drvmap, strlen(p->drvmap));
}

static void done(struct pipeline *p)
{
    while (n_parsed)
        json_decref(parsed[--n_parsed]);
    pipeline_free(p);
}

static void assert_json(const json_t *got, const char *want_text)
{
    json_error_t je;
    json_t *want = json_loads(want_text, JSON_DECODE_ANY, &je);
    if (!want)
        fail_msg("bad expected JSON: %s", je.text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
        char *w = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
        print_error("got:\n%s\nwant:\n%s\n", g, w);
        free(g);
        free(w);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

/* Member `member` of step i of `steps` is the JSON value `want_text`. */
static void assert_step(json_t *steps, size_t i, const char *member, const char *want_text)
{
    assert_json(json_object_get(json_array_get(steps, i), member), want_text);
}

static void assert_error(const char *manifest, const char *parent, int status, const char *line)
{
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    int rc = gen(manifest, parent, &p, &err);
    char *got = lk_error_format(&err);
    if (rc != status || strcmp(got, line))
        fail_msg("manifest %s, parent map %s: status %d, want %d; error \"%s\", want \"%s\"", manifest,
                 parent ? parent : "(none)", rc, status, got, line);
    free(got);
    lk_error_clear(&err);
    assert_null(p.phases);
}

static const char *command_of(json_t *step)
{
    return json_string_value(json_object_get(step, "command"));
}

static void test_labels_and_keys(void **state)
{
    (void)state;
    char *k = extra_step_key("check", "web/site");
    assert_string_equal(k, "extra-step-d058350bb78f071aa6c0f34769f7a921ebb22cc3");
    free(k);
    k = target_key("/nix/store/m2sbgq7jdam2y7sgnr9qh2kbp2qiqhld-site.drv");
    assert_string_equal(k, "drv-m2sbgq7jdam2y7sgnr9qh2kbp2qiqhld");
    free(k);
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(gen("{\"targets\":[{\"attrPath\":[\"web\",\"site\"],\"subtarget\":\"docs\","
                         "\"drvPath\":\"" DRV(1) "\"},{\"attrPath\":[],\"drvPath\":\"" DRV(5) "\"}]}",
                         NULL, &p, &err), 0);
    json_t *s = json_array_get(phase(&p, "build"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "label")), ":nix: web/site:docs");
    assert_string_equal(json_string_value(json_object_get(s, "key")), KEY(1));
    assert_json(drvmap_of(&p), "{\"web/site:docs\":{\"drvPath\":\"" DRV(1) "\",\"attrPath\":[\"web\",\"site\",\"docs\"]},"
                          "\"\":{\"drvPath\":\"" DRV(5) "\",\"attrPath\":[]}}");
    assert_non_null(strstr(command_of(json_array_get(phase(&p, "build"), 1)), "-E 'import ./. {}'"));
    done(&p);
}

static void test_target_step(void **state)
{
    (void)state;
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(gen("{\"pipeline\":{\"cancelOnBuildFailing\":true,"
                         "\"defaultStepOverrides\":{\"retry\":1,\"label\":\"overridden\",\"priority\":2}},"
                         "\"targets\":[{\"attrPath\":[\"a\"],\"drvPath\":\"" DRV(1) "\",\"meta\":{"
                         "\"timeout\":3599,\"ci\":{\"buildkiteExtraDeps\":[\"lint\"],"
                         "\"buildkiteExtraStepArgs\":{\"priority\":9},\"postBuild\":\"echo \\\"$X\\\" 'q'\"}}}]}",
                         NULL, &p, &err), 0);
    json_t *s = json_array_get(phase(&p, "build"), 0);
    const char *cmd_plain = "set -o pipefail; (nix-store --realise '" DRV(1) "' --add-root 'result' --indirect"
        " | xargs -r realpath) || (test ! -f '" DRV(1) "' && nix-build -E 'builtins.getAttr \\\"a\\\" "
        "(import ./. {})' --show-trace --out-link 'result') && bash -c 'echo \\\"$$X\\\" '\\\\''q'\\\\'''";
    char *want = xasprintf("{\"label\":\"overridden\",\"key\":\"" KEY(1) "\",\"skip\":false,"
        "\"env\":{\"READTREE_TARGET\":\"a\"},\"cancel_on_build_failing\":true,"
        "\"depends_on\":[\":init:\",\"lint\"],\"retry\":1,\"priority\":9,\"timeout_in_minutes\":59,"
        "\"command\":\"%s\"}", cmd_plain);
    assert_json(s, want);
    free(want);
    char *seen = upload_interpolate(command_of(s));
    assert_non_null(strstr(seen, " && bash -c 'echo \"$X\" '\\''q'\\'''"));
    free(seen);
    done(&p);
}

static void test_dependencies_and_skip(void **state)
{
    (void)state;
    const char *m = "{\"targets\":[{\"attrPath\":[\"t1\"],\"drvPath\":\"" DRV(1) "\"},"
                    "{\"attrPath\":[\"t2\"],\"drvPath\":\"" DRV(2) "\"},"
                    "{\"attrPath\":[\"t3\"],\"drvPath\":\"" DRV(3) "\"}]}";
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(gen(m, NULL, &p, &err), 0);
    json_t *b = phase(&p, "build");
    assert_step(b, 1, "depends_on", "[\":init:\",\"" KEY(1) "\"]");
    assert_step(b, 2, "depends_on", "[\":init:\",\"" KEY(1) "\",\"" KEY(2) "\"]");
    done(&p);
    /* t1 unchanged: skipped, hence not known; t2 changed (other drv). */
    assert_int_equal(gen(m, "{\"t1\":{\"drvPath\":\"" DRV(1) "\",\"attrPath\":[\"t1\"]},"
                            "\"t2\":{\"drvPath\":\"" DRV(5) "\",\"attrPath\":[\"t2\"]}}", &p, &err), 0);
    b = phase(&p, "build");
    assert_step(b, 0, "skip", "\"Target has not changed.\"");
    assert_step(b, 1, "skip", "false");
    assert_step(b, 1, "depends_on", "[\":init:\"]");
    assert_step(b, 2, "depends_on", "[\":init:\",\"" KEY(2) "\"]");
    done(&p);
}

/* --no-deps: only :init: and buildkiteExtraDeps; no .drv is read (t9 has none). */
static void test_no_deps(void **state)
{
    (void)state;
    const char *m = "{\"targets\":[{\"attrPath\":[\"t1\"],\"drvPath\":\"" DRV(1) "\"},"
                    "{\"attrPath\":[\"t3\"],\"drvPath\":\"" DRV(3) "\","
                    "\"meta\":{\"ci\":{\"buildkiteExtraDeps\":[\"x\"]}}},"
                    "{\"attrPath\":[\"t9\"],\"drvPath\":\"" DRV(9) "\"}]}";
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(gen_with(m, NULL, true, &p, &err), 0);
    json_t *b = phase(&p, "build");
    assert_int_equal(json_array_size(b), 3);
    assert_json(json_object_get(json_array_get(b, 0), "depends_on"), "[\":init:\"]");
    assert_json(json_object_get(json_array_get(b, 1), "depends_on"), "[\":init:\",\"x\"]");
    assert_json(json_object_get(json_array_get(b, 2), "depends_on"), "[\":init:\"]");
    done(&p);
}

#define CMD(n) "\"command\":{\"drvPath\":\"" DRV(n) "\",\"outputs\":[\"out\"]}"

/* Targets naming one derivation share one step (one key): its label lists
 * them, each one's extra steps depend on it, and so does a dependant. It is
 * skipped only when every target it serves is unchanged. */
static void test_shared_derivation(void **state)
{
    (void)state;
    const char *m = "{\"targets\":[{\"attrPath\":[\"t1\"],\"drvPath\":\"" DRV(1) "\","
                    "\"meta\":{\"ci\":{\"extraSteps\":{\"a\":{" CMD(5) "}}}}},"
                    "{\"attrPath\":[\"alias\"],\"drvPath\":\"" DRV(1) "\","
                    "\"meta\":{\"ci\":{\"buildkiteExtraDeps\":[\"x\"],\"extraSteps\":{\"b\":{" CMD(6) "}}}}},"
                    "{\"attrPath\":[\"t2\"],\"drvPath\":\"" DRV(2) "\"}]}";
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(gen(m, NULL, &p, &err), 0);
    json_t *b = phase(&p, "build");
    assert_int_equal(json_array_size(b), 4);
    json_t *s = json_array_get(b, 0);
    assert_json(json_object_get(s, "label"), "\":nix: t1, alias\"");
    assert_json(json_object_get(s, "key"), "\"" KEY(1) "\"");
    assert_json(json_object_get(s, "env"), "{\"READTREE_TARGET\":\"t1\"}");
    assert_json(json_object_get(s, "depends_on"), "[\":init:\",\"x\"]");
    assert_step(b, 1, "label", "\":gear: a (from t1)\"");
    assert_step(b, 1, "depends_on", "[\"" KEY(1) "\"]");
    assert_step(b, 2, "label", "\":gear: b (from alias)\"");
    assert_step(b, 2, "depends_on", "[\"" KEY(1) "\"]");
    assert_step(b, 3, "depends_on", "[\":init:\",\"" KEY(1) "\"]");
    assert_json(drvmap_of(&p), "{\"t1\":{\"drvPath\":\"" DRV(1) "\",\"attrPath\":[\"t1\"]},"
                               "\"alias\":{\"drvPath\":\"" DRV(1) "\",\"attrPath\":[\"alias\"]},"
                               "\"t2\":{\"drvPath\":\"" DRV(2) "\",\"attrPath\":[\"t2\"]}}");
    done(&p);
    /* t1 unchanged, alias new: the step runs (t1's extra step is skipped). */
    assert_int_equal(gen(m, "{\"t1\":{\"drvPath\":\"" DRV(1) "\",\"attrPath\":[\"t1\"]}}", &p, &err), 0);
    b = phase(&p, "build");
    assert_step(b, 0, "skip", "false");
    assert_step(b, 1, "skip", "\"Target has not changed.\"");
    assert_step(b, 2, "skip", "false");
    assert_step(b, 3, "depends_on", "[\":init:\",\"" KEY(1) "\"]");
    done(&p);
    /* Both unchanged: skipped, and not a dependency of t2. */
    assert_int_equal(gen(m, "{\"t1\":{\"drvPath\":\"" DRV(1) "\",\"attrPath\":[\"t1\"]},"
                            "\"alias\":{\"drvPath\":\"" DRV(1) "\",\"attrPath\":[\"alias\"]}}", &p, &err), 0);
    b = phase(&p, "build");
    assert_step(b, 0, "skip", "\"Target has not changed.\"");
    assert_step(b, 3, "depends_on", "[\":init:\"]");
    done(&p);
    /* Two targets with one label: an error naming both. */
    assert_error("{\"targets\":[{\"attrPath\":[\"t\"],\"drvPath\":\"" DRV(1) "\"},"
                 "{\"attrPath\":[\"t\"],\"drvPath\":\"" DRV(2) "\"}]}", NULL, 2,
                 "m.json: /targets/1/attrPath: targets /targets/0 and /targets/1 have the same "
                 "label 't' (labels must be unique)");
}

static void test_extra_step_options(void **state)
{
    (void)state;
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    const char *m = "{\"targets\":[{\"attrPath\":[\"w\",\"s\"],\"drvPath\":\"" DRV(1) "\",\"meta\":{\"ci\":{\"extraSteps\":{"
        "\"b\":{" CMD(5) "},"
        "\"a\":{" CMD(6) ",\"label\":\"Lab\",\"softFail\":true,\"agents\":{\"queue\":\"q\"},"
        "\"branches\":[\"main\",\"rel/*\"],\"phase\":\"release\"},"
        "\"C\":{" CMD(7) ",\"needsOutput\":true,\"skip\":\"not today\"},"
        "\"d\":{" CMD(5) ",\"alwaysRun\":true,\"skip\":true}}}}}]}";
    assert_int_equal(gen(m, "{\"w/s\":{\"drvPath\":\"" DRV(1) "\"}}", &p, &err), 0);
    json_t *b = phase(&p, "build"), *r = phase(&p, "release");
    assert_int_equal(json_array_size(b), 4); /* target, then C, b, d (byte order) */
    assert_int_equal(json_array_size(r), 1);
    json_t *c = json_array_get(b, 1), *bb = json_array_get(b, 2), *d = json_array_get(b, 3);
    assert_string_equal(json_string_value(json_object_get(c, "label")), ":gear: C (from w/s)");
    assert_json(json_object_get(c, "skip"), "\"not today\"");
    assert_json(json_object_get(c, "depends_on"), "[]");          /* needsOutput */
    assert_json(json_object_get(bb, "depends_on"), "[\"" KEY(1) "\"]");
    assert_json(json_object_get(bb, "skip"), "\"Target has not changed.\""); /* the parent's */
    assert_json(json_object_get(d, "skip"), "false");             /* alwaysRun wins */
    assert_json(json_object_get(d, "depends_on"), "[]");
    assert_null(json_object_get(bb, "agents"));
    assert_null(json_object_get(bb, "branches"));
    assert_json(json_object_get(bb, "soft_fail"), "false");
    json_t *a = json_array_get(r, 0);
    assert_string_equal(json_string_value(json_object_get(a, "label")), ":gear: Lab (from w/s)");
    char *key = extra_step_key("Lab", "w/s");
    assert_string_equal(json_string_value(json_object_get(a, "key")), key);
    free(key);
    assert_json(json_object_get(a, "agents"), "{\"queue\":\"q\"}");
    assert_json(json_object_get(a, "branches"), "\"main rel/*\"");
    assert_json(json_object_get(a, "soft_fail"), "true");
    /* Scripts: the exact text bash sees after upload interpolation. */
    char *seen = upload_interpolate(command_of(bb));
    assert_string_equal(seen,
        "set -ueo pipefail\n"
        "echo '--- Building extra step script'\n"
        "command_script=\"$(set -o pipefail; (nix-store --realise '" DRV(5) "' --add-root "
        "'nix-buildkite-extra-step-command-script' --indirect | xargs -r realpath) || (test ! -f '"
        DRV(5) "' && nix-build -E 'builtins.getAttr \"command\" (builtins.getAttr \"b\" "
        "(builtins.getAttr \"extraSteps\" (builtins.getAttr \"ci\" (builtins.getAttr \"meta\" "
        "(builtins.getAttr \"s\" (builtins.getAttr \"w\" (import ./. {})))))))' --show-trace "
        "--out-link 'nix-buildkite-extra-step-command-script'))\"\n"
        "echo '+++ Running extra step script'\n"
        "exec \"$command_script\"\n");
    free(seen);
    seen = upload_interpolate(command_of(c));
    assert_non_null(strstr(seen, "set -ueo pipefail\necho '~~~ Preparing build output of w/s'\n"
                                 "set -o pipefail; (nix-store --realise '" DRV(1) "' --add-root 'result' "));
    free(seen);
    done(&p);
}

static void test_gate(void **state)
{
    (void)state;
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    const char *m = "{\"targets\":[{\"attrPath\":[\"t\"],\"drvPath\":\"" DRV(1) "\",\"meta\":{\"ci\":{\"extraSteps\":{"
        "\"dep\":{" CMD(5) ",\"phase\":\"release\",\"prompt\":\"Go?\",\"label\":\"Deploy\",\"branches\":[\"main\"]},"
        "\"nob\":{" CMD(6) ",\"phase\":\"release\",\"prompt\":\"Go?\"},"
        "\"yes\":{" CMD(7) ",\"phase\":\"release\",\"prompt\":true}}}}}]}";
    assert_int_equal(gen(m, NULL, &p, &err), 0);
    json_t *r = phase(&p, "release");
    json_t *g = json_deep_copy(json_array_get(r, 0));
    json_t *inner = json_array_get(json_object_get(g, "steps"), 1);
    assert_non_null(json_object_get(inner, "command"));
    json_object_del(inner, "command");
    char *key = extra_step_key("Deploy", "t");
    char *want = xasprintf("{\"group\":\"Deploy\",\"depends_on\":[\"" KEY(1) "\"],\"skip\":false,\"steps\":["
        "{\"block\":\":radio_button: Run Deploy? (from t)\",\"prompt\":\"Go?\",\"branches\":\"main\"},"
        "{\"key\":\"%s\",\"label\":\":gear: Deploy (from t)\",\"skip\":false,\"soft_fail\":false,"
        "\"branches\":\"main\"}]}", key);
    assert_json(g, want);
    free(want);
    free(key);
    json_decref(g);
    assert_json(json_object_get(json_array_get(json_object_get(json_array_get(r, 1), "steps"), 0), "branches"), "[]");
    /* Only a string prompt gates. */
    assert_null(json_object_get(json_array_get(r, 2), "group"));
    assert_non_null(json_object_get(json_array_get(r, 2), "command"));
    done(&p);
}

/* Every string derived from the depot reaches Buildkite with each `$`
 * written `$$` (upload interpolation applies to every string value), while
 * the key is computed from the label as written. */
static void test_dollar_in_names(void **state)
{
    (void)state;
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    const char *m = "{\"targets\":[{\"attrPath\":[\"a$HOME\"],\"drvPath\":\"" DRV(1) "\",\"meta\":{\"ci\":{\"extraSteps\":{"
        "\"x\":{" CMD(5) ",\"phase\":\"release\",\"prompt\":\"Run ${X}?\",\"label\":\"L$1\",\"branches\":[\"r$b\"]},"
        "\"y\":{" CMD(6) ",\"skip\":\"because $REASON\"}}}}}]}";
    assert_int_equal(gen(m, NULL, &p, &err), 0);
    json_t *b = phase(&p, "build");
    json_t *t = json_array_get(b, 0);
    assert_json(json_object_get(t, "label"), "\":nix: a$$HOME\"");
    assert_json(json_object_get(t, "env"), "{\"READTREE_TARGET\":\"a$$HOME\"}");
    assert_json(json_object_get(json_array_get(b, 1), "skip"), "\"because $$REASON\"");
    json_t *g = json_array_get(phase(&p, "release"), 0);
    assert_json(json_object_get(g, "group"), "\"L$$1\"");
    json_t *block = json_array_get(json_object_get(g, "steps"), 0);
    assert_json(json_object_get(block, "block"), "\":radio_button: Run L$$1? (from a$$HOME)\"");
    assert_json(json_object_get(block, "prompt"), "\"Run $${X}?\"");
    assert_json(json_object_get(block, "branches"), "\"r$$b\"");
    json_t *inner = json_array_get(json_object_get(g, "steps"), 1);
    assert_json(json_object_get(inner, "label"), "\":gear: L$$1 (from a$$HOME)\"");
    char *key = extra_step_key("L$1", "a$HOME");
    assert_string_equal(json_string_value(json_object_get(inner, "key")), key);
    free(key);
    done(&p);

    /* An even run of backslashes before a `$` is carried (`\\\\` is kept as a pair). */
    const char *even = "{\"targets\":[{\"attrPath\":[\"a\\\\\\\\$b\"],\"drvPath\":\"" DRV(1) "\"}]}";
    assert_int_equal(gen(even, NULL, &p, &err), 0);
    assert_json(json_object_get(json_array_get(phase(&p, "build"), 0), "label"), "\":nix: a\\\\\\\\$$b\"");
    done(&p);

    /* No escape makes Buildkite deliver a lone backslash right before a `$`:
     * such a text is an error, not a silently changed label. */
    assert_error("{\"targets\":[{\"attrPath\":[\"a\\\\$b\"],\"drvPath\":\"" DRV(1) "\"}]}", NULL, 2,
                 "m.json: /targets/0/attrPath: label 'a\\$b' has an odd run of backslashes right before a '$', "
                 "which Buildkite's upload interpolation cannot carry");
    assert_error("{\"targets\":[{\"attrPath\":[\"t\"],\"drvPath\":\"" DRV(1) "\",\"meta\":{\"ci\":{\"extraSteps\":{"
                 "\"x\":{" CMD(5) ",\"phase\":\"release\",\"prompt\":\"Go \\\\$X?\"}}}}}]}", NULL, 2,
                 "m.json: /targets/0/meta/ci/extraSteps/x/prompt: prompt 'Go \\$X?' has an odd run of backslashes right "
                 "before a '$', which Buildkite's upload interpolation cannot carry");
}

static void test_phases(void **state)
{
    (void)state;
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    const char *m = "{\"pipeline\":{\"phases\":[\"build\",\"release\",\"deploy\"],\"activePhases\":[\"deploy\",\"release\"],"
        "\"additionalSteps\":[{\"label\":\"add\"}],\"postBuildSteps\":[{\"label\":\"post\"}]},"
        "\"targets\":[{\"attrPath\":[\"t\"],\"drvPath\":\"" DRV(1) "\",\"meta\":{\"ci\":{\"extraSteps\":{"
        "\"b\":{" CMD(5) "},\"r\":{" CMD(6) ",\"phase\":\"release\"},\"d\":{" CMD(7) ",\"phase\":\"deploy\"}}}}}]}";
    assert_int_equal(gen(m, NULL, &p, &err), 0);
    assert_int_equal(p.n_phases, 2);
    assert_string_equal(p.phases[0].name, "release"); /* `phases` order */
    assert_string_equal(p.phases[1].name, "deploy");
    json_t *r = phase(&p, "release");
    assert_int_equal(json_array_size(r), 2);
    assert_json(json_object_get(json_array_get(r, 0), "depends_on"), "[]"); /* no build phase */
    assert_json(json_array_get(r, 1), "{\"label\":\"post\"}");
    assert_int_equal(json_array_size(phase(&p, "deploy")), 1);
    done(&p);
    /* Build only: target, its build step, then additionalSteps. */
    const char *m2 = "{\"pipeline\":{\"activePhases\":[\"build\"],\"additionalSteps\":[{\"label\":\"add\"}],"
        "\"postBuildSteps\":[{\"label\":\"post\"}]},\"targets\":[{\"attrPath\":[\"t\"],\"drvPath\":\"" DRV(1) "\","
        "\"meta\":{\"ci\":{\"extraSteps\":{\"b\":{" CMD(5) "},\"r\":{" CMD(6) ",\"phase\":\"release\"}}}}}]}";
    assert_int_equal(gen(m2, NULL, &p, &err), 0);
    assert_int_equal(p.n_phases, 1);
    json_t *b = phase(&p, "build");
    assert_int_equal(json_array_size(b), 3);
    assert_json(json_array_get(b, 2), "{\"label\":\"add\"}");
    done(&p);
}

static void test_errors(void **state)
{
    (void)state;
#define T "\"attrPath\":[\"w\",\"s\"],\"drvPath\":\"" DRV(1) "\""
#define A "\"attrPath\":[\"a\"],\"drvPath\":\"" DRV(1) "\""
    static const struct { const char *manifest, *parent; int status; const char *line; } cases[] = {
        { "{\"targets\":[{" T ",\"meta\":{\"ci\":{\"extraSteps\":{\"x\":{" CMD(5) ",\"phase\":\"deploy\"}}}}}]}", NULL, 2,
          "m.json: /targets/0/meta/ci/extraSteps/x/phase: In step 'x' (from w/s): "
          "Phase 'deploy' is not valid. Known phases: build, release" },
        { "{\"targets\":[{" T ",\"meta\":{\"ci\":{\"extraSteps\":{\"x\":{" CMD(5) ",\"label\":\"X\",\"prompt\":\"ok?\"}}}}}]}",
          NULL, 2, "m.json: /targets/0/meta/ci/extraSteps/x/prompt: In step 'X' (from w/s): The 'prompt' "
          "feature can not be used by steps in the \"build\" phase, because CI builds should not "
          "be gated on manual human approvals." },
        { "{\"targets\":[{" T ",\"meta\":{\"ci\":{\"extraSteps\":{\"x\":{\"command\":{\"drvPath\":\"" DRV(5)
          "\",\"outputs\":[\"out\",\"doc\"]}}}}}}]}", NULL, 2,
          "m.json: /targets/0/meta/ci/extraSteps/x/command/outputs: In step 'x' (from w/s): "
          "the command derivation must have exactly one output, found 2" },
        { "{\"pipeline\":{\"activePhases\":[\"build\",\"deploy\"]},\"targets\":[]}", NULL, LK_EXIT_INPUT,
          "m.json: /pipeline/activePhases/1: Active phase 'deploy' is not valid. Known phases: build, release" },
        { "{\"pipeline\":{\"phases\":[\"build\",\"../x\"]},\"targets\":[]}", NULL, LK_EXIT_INPUT,
          "m.json: /pipeline/phases/1: phase name '../x' cannot name a chunk file" },
        { "{\"targets\":[{" A ",\"meta\":{\"ci\":{\"extraSteps\":{\"de/ploy\":{" CMD(5) ",\"phase\":7}}}}}]}", NULL,
          LK_EXIT_INPUT, "m.json: /targets/0/meta/ci/extraSteps/de~1ploy/phase: expected a string, found an integer" },
        { "{\"targets\":[{\"attrPath\":[\"a\"]}]}", NULL, LK_EXIT_INPUT,
          "m.json: /targets/0/drvPath: missing (expected a string)" },
        { "{\"targets\":[{\"attrPath\":[\"a\",1],\"drvPath\":\"" DRV(1) "\"}]}", NULL, LK_EXIT_INPUT,
          "m.json: /targets/0/attrPath/1: expected a string, found an integer" },
        { "{\"targets\":[{\"attrPath\":[\"a\"],\"drvPath\":\"/nix/store/x.drv\"}]}", NULL, LK_EXIT_INPUT,
          "m.json: /targets/0/drvPath: expected a derivation store path (/nix/store/<hash>-<name>.drv), "
          "found \"/nix/store/x.drv\"" },
        { "{\"targets\":[{" A ",\"meta\":{\"ci\":{\"extraSteps\":{\"x\":{" CMD(5) ",\"needOutput\":true}}}}}]}", NULL,
          LK_EXIT_INPUT, "m.json: /targets/0/meta/ci/extraSteps/x/needOutput: unknown extra step option \"needOutput\"" },
        { "{\"targets\":[{" A ",\"meta\":{\"ci\":{\"extraSteps\":{\"x\":{\"label\":\"y\"}}}}}]}", NULL, LK_EXIT_INPUT,
          "m.json: /targets/0/meta/ci/extraSteps/x/command: missing (expected an object with a drvPath)" },
        { "{\"targets\":[{" A ",\"meta\":{\"timeout\":\"1h\"}}]}", NULL, LK_EXIT_INPUT,
          "m.json: /targets/0/meta/timeout: expected an integer (seconds), found a string" },
        { "{\"targets\":[{" A ",\"meta\":{\"ci\":{\"extraSteps\":{\"x\":{" CMD(5) ",\"skip\":1}}}}}]}", NULL, LK_EXIT_INPUT,
          "m.json: /targets/0/meta/ci/extraSteps/x/skip: expected a boolean or a string, found an integer" },
        { "{\"pipeline\":{\"phase\":[]}}", NULL, LK_EXIT_INPUT,
          "m.json: /pipeline/phase: unknown pipeline setting \"phase\"" },
        { "{\"version\":2}", NULL, LK_EXIT_INPUT, "m.json: /version: unsupported manifest version (expected 1)" },
        { "{\"targets\":[\n  {\"attrPath\": [\"a\"],}]}", NULL, LK_EXIT_INPUT,
          "m.json: 2:22: malformed JSON: string or '}' expected near '}'" },
        { "{\"a\":1,\"a\":2}", NULL, LK_EXIT_INPUT, "m.json: 1:10: malformed JSON: duplicate object key near '\"a\"'" },
        { "[]", NULL, LK_EXIT_INPUT, "m.json: (root): expected an object, found an array" },
        /* Parent map errors. */
        { "{}", "{\"a\":{\"drvPath\":3}}", 2, "p.json: /a/drvPath: expected a string, found an integer" },
        { "{}", "{\"a\":{}}", 2, "p.json: /a/drvPath: missing (expected a string)" },
    };
#undef T
#undef A
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_error(cases[i].manifest, cases[i].parent, cases[i].status, cases[i].line);
    /* A .drv the dependency analysis cannot read: the deps module's error. */
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(gen("{\"targets\":[{\"attrPath\":[\"a\"],\"drvPath\":\"" DRV(9) "\"}]}", NULL, &p, &err), 2);
    assert_non_null(strstr(err.file, H(9) "-t9.drv"));
    lk_error_clear(&err);
}

/* A pipeline with `n` build steps (additionalSteps only, no targets). */
static char *slurp(const char *dir, const char *name)
{
    char *f = xasprintf("%s/%s", dir, name), *data = NULL;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    if (file_read(f, &data, &len, &err) != 0)
        lk_error_clear(&err);
    free(f);
    return data;
}

/* `n` additional steps make `want_chunks` build chunk files, the last with
 * `last_size` steps, all in order (through the writer the CLI uses). */
static void chunks_of(size_t n, size_t want_chunks, size_t last_size)
{
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "{\"pipeline\":{\"additionalSteps\":[");
    for (size_t i = 0; i < n; i++)
        sb_addf(&sb, "%s{\"label\":\"s%zu\"}", i ? "," : "", i);
    sb_adds(&sb, "]}}");
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(gen(sb_str(&sb), NULL, &p, &err), 0);
    char base[] = "/tmp/lk-chunks-XXXXXX";
    assert_non_null(mkdtemp(base));
    char *out = xasprintf("%s/out", base);
    assert_int_equal(pipeline_write(&p, out, &err), 0);
    size_t seen = 0;
    for (size_t i = 0; i < want_chunks; i++) {
        char *name = xasprintf("build-chunk-%zu.json", i + 1);
        char *text = slurp(out, name);
        assert_non_null(text);
        json_t *doc = json_loads(text, 0, NULL);
        json_t *steps = json_object_get(doc, "steps");
        size_t size = json_array_size(steps);
        assert_int_equal(size, i + 1 < want_chunks ? CHUNK_MAX_STEPS : last_size);
        for (size_t k = 0; k < size; k++) {
            char *label = xasprintf("s%zu", seen++);
            assert_string_equal(json_string_value(json_object_get(json_array_get(steps, k), "label")), label);
            free(label);
        }
        json_decref(doc);
        free(text);
        free(name);
    }
    assert_int_equal(seen, n);
    char *next = xasprintf("build-chunk-%zu.json", want_chunks + 1);
    assert_null(slurp(out, next));
    free(next);
    free(out);
    file_remove_tree(base);
    done(&p);
    sb_release(&sb);
}

static void test_chunk_boundaries(void **state)
{
    (void)state;
    chunks_of(0, 0, 0);
    chunks_of(1, 1, 1);
    chunks_of(192, 1, 192);
    chunks_of(193, 2, 1);
    chunks_of(385, 3, 1);
    chunks_of(192 * 10 + 5, 11, 5);
}

static void test_sorted_output_and_outdir(void **state)
{
    (void)state;
    char base[] = "/tmp/lk-out-XXXXXX";
    assert_non_null(mkdtemp(base));
    char *out = xasprintf("%s/out", base);
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    /* Keys sorted at every depth, compact, one final newline. */
    assert_int_equal(gen("{\"pipeline\":{\"postBuildSteps\":[{\"label\":\"p\"},"
                         "{\"b\":{\"z\":1,\"a\":[{\"y\":1,\"x\":2}]},\"a\":\"ü$\"}]},\"targets\":[{\"attrPath\":[\"t\"],"
                         "\"drvPath\":\"" DRV(1) "\"}]}", NULL, &p, &err), 0);
    assert_int_equal(pipeline_write(&p, out, &err), 0);
    assert_int_equal(pipeline_write(&p, out, &err), 0); /* replaces */
    char *f = xasprintf("%s/release-chunk-1.json", out), *data;
    size_t len;
    assert_int_equal(file_read(f, &data, &len, &err), 0);
    assert_string_equal(data, "{\"steps\":[{\"label\":\"p\"},{\"a\":\"ü$\",\"b\":{\"a\":[{\"x\":2,\"y\":1}],\"z\":1}}]}\n");
    free(data);
    free(f);
    /* A directory that cannot be created: status 1, nothing left. */
    char *bad = xasprintf("%s/missing/out", base);
    assert_int_equal(pipeline_write(&p, bad, &err), -1);
    assert_int_equal(err.status, LK_EXIT_FAIL);
    lk_error_clear(&err);
    free(bad);
    done(&p);
    free(out);
    file_remove_tree(base);
}

/* Written in batches while generating (CLI) or at once: the same files;
 * a failure after batches were written leaves nothing behind. */
static void test_streamed_output(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "{\"pipeline\":{\"additionalSteps\":[{\"label\":\"a\"}],"
                 "\"postBuildSteps\":[{\"label\":\"p\"}]},\"targets\":[");
    /* Targets 0 to 498 each have a derivation of their own in the store
     * (targets naming one derivation would share one step); 499's is missing. */
    for (int i = 0; i < 500; i++) {
        char *drv = xasprintf("/nix/store/%032d-s%d.drv", 1000 + i, i);
        if (i < 499) {
            char *file = xasprintf("%s/%s", store, drv + strlen("/nix/store/"));
            char *text = xasprintf("Derive([(\"out\",\"/nix/store/%032dz-s%d\",\"\",\"\")],[],[],"
                                   "\"x86_64-linux\",\"/bin/sh\",[],[])", 1000 + i, i);
            struct lk_error werr = LK_ERROR_INIT;
            assert_int_equal(file_write_atomic(file, text, strlen(text), &werr), 0);
            free(text);
            free(file);
        }
        sb_addf(&sb, "%s{\"attrPath\":[\"t%d\"],\"drvPath\":\"%s\"", i ? "," : "", i,
                i == 499 ? DRV(8) : drv);
        free(drv);
        if (i % 3 == 0)
            sb_addf(&sb, ",\"meta\":{\"ci\":{\"extraSteps\":{\"b\":{" CMD(5) "},"
                         "\"r\":{" CMD(6) ",\"phase\":\"release\"}}}}");
        sb_addc(&sb, '}');
    }
    sb_adds(&sb, "]}");
    char base[] = "/tmp/lk-stream-XXXXXX";
    assert_non_null(mkdtemp(base));
    char *whole = xasprintf("%s/whole", base), *parts = xasprintf("%s/parts", base);
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(gen_with(sb_str(&sb), NULL, true, &p, &err), 0);
    assert_int_equal(pipeline_write(&p, whole, &err), 0);
    done(&p);
    assert_int_equal(gen_streamed(sb_str(&sb), true, parts, &err), 0);
    /* 500 + 167 build steps + 1 = 668: 4 chunks; 167 + 1 release: 1 chunk */
    const char *names[] = { "build-chunk-1.json", "build-chunk-2.json", "build-chunk-3.json",
                            "build-chunk-4.json", "build-chunk-5.json", "release-chunk-1.json",
                            "release-chunk-2.json", "drvmap.json" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *a = slurp(whole, names[i]), *b = slurp(parts, names[i]);
        bool exists = i != 4 && i != 6;
        if (exists) {
            assert_non_null(a);
            assert_non_null(b);
            assert_string_equal(a, b);
        } else {
            assert_null(a);
            assert_null(b);
        }
        free(a);
        free(b);
    }
    /* With the analysis, the last target's .drv is missing: an error after
     * three build chunks were written, and no output (not even a temporary). */
    char *failed = xasprintf("%s/failed", base);
    assert_int_equal(gen_streamed(sb_str(&sb), false, failed, &err), LK_EXIT_INPUT);
    lk_error_clear(&err);
    char *ls = xasprintf("ls -A %s | grep -v -x -e whole -e parts", base);
    assert_int_not_equal(system(ls), 0); /* grep finds nothing */
    free(ls);
    free(failed);
    free(whole);
    free(parts);
    sb_release(&sb);
    file_remove_tree(base);
}

/* An extra step with needsOutput and parentOverride, executed with stub
 * nix-store/nix-build: the overridden parent is built (realise of the
 * override drv, then the override expression), then the script, which is exec'd. */
static void test_extra_step_executed(void **state)
{
    (void)state;
    struct pipeline p;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(gen("{\"targets\":[{\"attrPath\":[\"we$b\",\"it's\"],\"drvPath\":\"" DRV(1) "\",\"meta\":{\"ci\":"
                         "{\"extraSteps\":{\"go\":{" CMD(5) ",\"needsOutput\":true,\"phase\":\"release\","
                         "\"parentOverride\":{\"drvPath\":\"" DRV(6) "\"}}}}}}]}", NULL, &p, &err), 0);
    char *dir = stub_dir_new();
    char *script = xasprintf("%s/script", dir);
    write_exec(script, "#!/bin/sh\necho \"script ran: $0\"\n");
    setenv("STUB_OUT", script, 1);
    char *seen = upload_interpolate(command_of(json_array_get(phase(&p, "release"), 0)));
    assert_non_null(seen);
    assert_int_equal(stub_run(dir, "/", seen), 0);
    unsetenv("STUB_OUT");
    char **a = stub_call(dir, 0, "nix-store");
    assert_non_null(a);
    assert_string_equal(a[1], DRV(6));
    argv_free(a);
    a = stub_call(dir, 1, "nix-build");
    assert_non_null(a);
    assert_string_equal(a[1], "(builtins.getAttr \"parentOverride\" (builtins.getAttr \"go\" (builtins.getAttr "
        "\"extraSteps\" (builtins.getAttr \"ci\" (builtins.getAttr \"meta\" (builtins.getAttr \"it's\" "
        "(builtins.getAttr \"we$b\" (import ./. {})))))))) (builtins.getAttr \"it's\" (builtins.getAttr \"we$b\" (import ./. {})))");
    assert_string_equal(a[4], "result");
    argv_free(a);
    a = stub_call(dir, 2, "nix-store");
    assert_string_equal(a[1], DRV(5));
    assert_string_equal(a[3], "nix-buildkite-extra-step-command-script");
    argv_free(a);
    a = stub_call(dir, 3, "nix-build");
    assert_non_null(a);
    argv_free(a);
    char *out = stub_file(dir, "stdout");
    char *want = xasprintf("~~~ Preparing build output of we$b/it's\n%s\n--- Building extra step script\n"
                           "+++ Running extra step script\nscript ran: %s\n", script, script);
    assert_string_equal(out, want);
    free(want);
    free(out);
    free(seen);
    free(script);
    file_remove_tree(dir);
    free(dir);
    done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_and_keys),
        cmocka_unit_test(test_target_step),
        cmocka_unit_test(test_dependencies_and_skip),
        cmocka_unit_test(test_no_deps),
        cmocka_unit_test(test_extra_step_options),
        cmocka_unit_test(test_gate),
        cmocka_unit_test(test_dollar_in_names),
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_chunk_boundaries),
        cmocka_unit_test(test_sorted_output_and_outdir),
        cmocka_unit_test(test_streamed_output),
        cmocka_unit_test(test_shared_derivation),
        cmocka_unit_test(test_extra_step_executed),
    };
    return cmocka_run_group_tests(tests, setup_store, teardown_store);
}
