/* Unit tests: Buildkite pipeline loading (JSON and YAML), interpolation on
 * upload, error places, and build validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "buildkite/bkpipeline.h"
#include "buildkite/bkvalidate.h"
#include "xalloc.h"

static struct bk_pipeline *load(const char *file, const char *text, const struct bk_env *env)
{
    struct lk_error err = LK_ERROR_INIT;
    struct bk_load_options o = { env != NULL, env };
    struct bk_pipeline *p = bk_pipeline_load(file, text, strlen(text), &o, &err);
    if (!p)
        fail_msg("%s: unexpected error: %s: %s", file, err.place, err.msg);
    return p;
}

/* Expect a load error whose formatted line equals `want`. */
static void load_err(const char *file, const char *text, const char *want)
{
    struct lk_error err = LK_ERROR_INIT;
    struct bk_load_options o = { true, NULL };
    struct bk_pipeline *p = bk_pipeline_load(file, text, strlen(text), &o, &err);
    if (p)
        fail_msg("%s: expected an error: %s", text, want);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    char *line = lk_error_format(&err);
    if (!strstr(line, want))
        fail_msg("error \"%s\" lacks \"%s\"", line, want);
    free(line);
    lk_error_clear(&err);
}

static void test_json_steps(void **state)
{
    (void)state;
    struct bk_pipeline *p = load("c.json",
        "{\"env\": {\"TOP\": \"t\"}, \"steps\": ["
        " {\"label\": \":nix: a\", \"key\": \"a\", \"command\": \"echo a\", \"env\": {\"X\": 1, \"TOP\": \"s\"},"
        "  \"skip\": \"Target has not changed.\", \"soft_fail\": [{\"exit_status\": 3}], \"timeout_in_minutes\": 2},"
        " {\"id\": \"b\", \"commands\": [\"one\", \"two\"], \"depends_on\": [\"a\", {\"step\": \"c\", \"allow_failure\": true}],"
        "  \"branches\": [\"main\", \"!x\"], \"soft_fail\": true, \"cancel_on_build_failing\": false,"
        "  \"concurrency\": 1, \"concurrency_group\": \"g\", \"agents\": {\"queue\": \"q\"}, \"retry\": {\"manual\": false}},"
        " \"wait\", {\"wait\": null, \"continue_on_failure\": true},"
        " {\"block\": \"Go?\", \"prompt\": \"sure?\", \"key\": \"blk\", \"branches\": \"main\"},"
        " {\"group\": \"G\", \"key\": \"c\", \"depends_on\": null, \"steps\": [{\"command\": \"x\", \"key\": \"c1\"}, \"wait\"]},"
        " {\"trigger\": \"other\", \"label\": \"T\"}, {\"input\": \"Who?\"}]}",
        NULL);
    assert_int_equal(p->nsteps, 8);
    struct bk_step *a = &p->steps[0], *b = &p->steps[1];
    assert_int_equal(a->type, BK_STEP_COMMAND);
    assert_string_equal(a->key, "a");
    assert_string_equal(a->label, ":nix: a");
    assert_true(a->skip);
    assert_string_equal(a->skip_reason, "Target has not changed.");
    assert_string_equal(bk_env_get(&a->env, "X"), "1");
    assert_string_equal(bk_env_get(&a->env, "TOP"), "s");
    assert_true(bk_step_soft_fails(a, 3));
    assert_false(bk_step_soft_fails(a, 1));
    assert_false(bk_step_soft_fails(a, 0));
    assert_int_equal(a->timeout_in_minutes, 2);
    assert_false(a->has_depends_on);
    assert_string_equal(b->key, "b");
    assert_string_equal(b->command, "one\ntwo");
    assert_string_equal(bk_env_get(&b->env, "TOP"), "t");
    assert_int_equal(b->ndeps, 2);
    assert_string_equal(b->deps[1].key, "c");
    assert_true(b->deps[1].allow_failure);
    assert_false(b->deps[0].allow_failure);
    assert_string_equal(b->branches, "main !x");
    assert_true(bk_step_soft_fails(b, 7));
    assert_string_equal(b->concurrency_group, "g");
    assert_int_equal(p->steps[2].type, BK_STEP_WAIT);
    assert_true(p->steps[3].continue_on_failure);
    assert_int_equal(p->steps[4].type, BK_STEP_BLOCK);
    assert_string_equal(p->steps[4].label, "Go?");
    assert_string_equal(p->steps[4].prompt, "sure?");
    assert_int_equal(p->steps[5].type, BK_STEP_GROUP);
    assert_true(p->steps[5].has_depends_on);
    assert_int_equal(p->steps[5].ndeps, 0);
    assert_int_equal(p->steps[5].nsteps, 2);
    assert_string_equal(p->steps[5].steps[0].key, "c1");
    assert_int_equal(p->steps[6].type, BK_STEP_TRIGGER);
    assert_int_equal(p->steps[7].type, BK_STEP_INPUT);
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(bk_pipelines_validate(&p, 1, &err), 0);
    bk_pipeline_free(p);
}

static void test_yaml(void **state)
{
    (void)state;
    struct bk_pipeline *p = load("p.yml",
        "steps:\n"
        "  - label: build\n"
        "    key: build\n"
        "    command: make\n"
        "    skip: false\n"
        "    timeout_in_minutes: 5\n"
        "  - wait: ~\n"
        "  - &t\n"
        "    command: 'echo \"$$HOME\"'\n"
        "    depends_on: build\n"
        "    env: {N: 3, B: true}\n"
        "  - <<: *t\n"
        "    key: copy\n",
        NULL);
    assert_int_equal(p->nsteps, 4);
    assert_false(p->steps[0].skip);
    assert_int_equal(p->steps[0].timeout_in_minutes, 5);
    assert_int_equal(p->steps[1].type, BK_STEP_WAIT);
    assert_string_equal(p->steps[2].command, "echo \"$$HOME\""); /* no interpolation asked */
    assert_string_equal(bk_env_get(&p->steps[2].env, "B"), "true");
    assert_string_equal(p->steps[3].key, "copy");
    assert_string_equal(p->steps[3].deps[0].key, "build");
    bk_pipeline_free(p);
    /* a bare list is a pipeline too */
    p = load("l.yaml", "- command: 'true'\n- wait\n- block: ok\n  branches: [a, b]\n", NULL);
    assert_int_equal(p->nsteps, 3);
    assert_string_equal(p->steps[0].command, "true");
    assert_string_equal(p->steps[2].branches, "a b");
    bk_pipeline_free(p);
    /* the scalar rules of fixtures too (nix/yamltree.h): 0o7 is an integer */
    p = load("s.yaml", "- command: x\n  timeout_in_minutes: 0o7\n", NULL);
    assert_int_equal(p->steps[0].timeout_in_minutes, 7);
    bk_pipeline_free(p);
    load_err("s.yaml", "- command: x\n  priority: .inf\n",
             "s.yaml: 2:13: expected a number JSON can hold, got .inf");
}

static void test_interpolation_values(void **state)
{
    (void)state;
    struct bk_env env = BK_ENV_INIT;
    bk_env_set(&env, "WHO", "world");
    bk_env_set(&env, "Q", "a\"b");
    struct bk_pipeline *p = load("u.json",
        "{\"env\": {\"A\": \"${WHO}!\", \"WHO\": \"ignored\"}, \"steps\": [{\"command\": "
        "\"echo $WHO $A $$x \\\\$y \\\\\\\\$WHO $Q\", \"label\": \"${WHO:0:3}\", \"key\": \"k-$WHO\"}]}",
        &env);
    /* in the JSON text: \\$y is the string \$y -> $y; \\\\$WHO is \\$WHO -> \\world */
    assert_string_equal(p->steps[0].command, "echo world world! $x $y \\\\world a\"b");
    assert_string_equal(p->steps[0].label, "wor");
    assert_string_equal(p->steps[0].key, "k-world");
    assert_string_equal(bk_env_get(&p->env, "A"), "world!");
    assert_string_equal(bk_env_get(&p->steps[0].env, "WHO"), "ignored"); /* the env block itself stays */
    bk_pipeline_free(p);
    bk_env_release(&env);
    load_err("u.json", "{\"steps\": [{\"command\": \"x ${\"}]}",
             "u.json: /steps/0/command: interpolation failed: Expected identifier to start with a letter");
    load_err("u.yml", "steps:\n  - command: x\n  - command: ${NEED?please set it}\n",
             "u.yml: 3:14: interpolation failed: $NEED: please set it");
}

/* The document alone: interpolated as bk_pipeline_load() does, steps the
 * simulation does not run kept; the top level still checked. */
static void test_load_tree(void **state)
{
    (void)state;
    struct bk_env env = BK_ENV_INIT;
    char *envp[] = { "WHO=world", "EMPTY=", "A=b=c", "NOEQUALS", NULL };
    bk_env_set_envp(&env, envp);
    assert_int_equal(env.n, 3);
    assert_string_equal(bk_env_get(&env, "WHO"), "world");
    assert_string_equal(bk_env_get(&env, "EMPTY"), "");
    assert_string_equal(bk_env_get(&env, "A"), "b=c");
    assert_null(bk_env_get(&env, "NOEQUALS"));
    const char *text = "{\"env\": {\"E\": \"$WHO!\"}, \"steps\": [{\"command\": \"echo $$HOME $E\", "
                       "\"plugins\": [{\"docker#v5\": {\"image\": \"$A\"}}], \"if\": \"x\"}]}";
    struct bk_load_options o = { true, &env };
    struct lk_error err = LK_ERROR_INIT;
    json_t *doc = bk_pipeline_load_tree("t.json", text, strlen(text), &o, &err);
    assert_non_null(doc);
    char *got = json_dumps(doc, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(got, "{\"env\":{\"E\":\"world!\"},\"steps\":[{\"command\":\"echo $HOME world!\","
                             "\"if\":\"x\",\"plugins\":[{\"docker#v5\":{\"image\":\"b=c\"}}]}]}");
    free(got);
    json_decref(doc);
    o.interpolate = false;
    doc = bk_pipeline_load_tree("t.json", text, strlen(text), &o, &err);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(doc, "steps"), 0),
                                                          "command")), "echo $$HOME $E");
    json_decref(doc);
    o.interpolate = true;
    const char *yaml = "steps: [{command: \"${NOPE?}\"}]\n";
    assert_null(bk_pipeline_load_tree("t.yml", yaml, strlen(yaml), &o, &err));
    char *line = lk_error_format(&err);
    assert_string_equal(line, "t.yml: 1:19: interpolation failed: $NOPE: not set");
    free(line);
    lk_error_clear(&err);
    const char *bad = "{\"stepz\": []}";
    assert_null(bk_pipeline_load_tree("t.json", bad, strlen(bad), &o, &err));
    assert_non_null(strstr(err.msg, "expected \"steps\" in a pipeline"));
    lk_error_clear(&err);
    const char *extra = "{\"steps\": [], \"anything\": {\"the schema\": \"allows\"}}";
    doc = bk_pipeline_load_tree("t.json", extra, strlen(extra), &o, &err);
    assert_non_null(doc);
    json_decref(doc);
    bk_env_release(&env);
}

static void test_errors(void **state)
{
    (void)state;
    load_err("e.json", "{\"steps\": [", "e.json: 1:11: expected valid JSON");
    load_err("e.json", "{\"steps\": [{\"command\": \"a\", \"command\": \"b\"}]}", "e.json: 1:");
    load_err("e.json", "{\"steps\": 3}", "e.json: /steps: expected a list of steps");
    load_err("e.json", "{\"stepz\": []}", "e.json: (root): expected \"steps\" in a pipeline");
    load_err("e.json", "3", "expected a pipeline");
    load_err("e.json", "[{\"steps\": []}]", "e.json: /0/steps: unknown attribute \"steps\" for a command step");
    load_err("e.json", "[\"bogus\"]", "e.json: /0: expected one of wait, waiter, block, input");
    load_err("e.json", "[{\"command\": \"a\", \"if\": 3}]", "e.json: /0/if: expected a string");
    load_err("e.json", "[{\"command\": \"a\", \"plugins\": [{\"a\": 1, \"b\": 2}]}]", "/0/plugins/0: expected a plugin");
    load_err("e.json", "[{\"command\": \"a\", \"parallelism\": \"3\"}]", "/0/parallelism: expected an integer");
    load_err("e.json", "[{\"command\": \"a\", \"colour\": 3}]", "/0/colour: unknown attribute \"colour\" for a command step");
    load_err("e.json", "[{\"command\": \"a\", \"block\": \"b\"}]", "/0: expected one step type");
    load_err("e.json", "[{\"key\": \"has spaces\", \"command\": \"a\"}]", "/0/key: expected a key of letters, digits and _-:${}., only");
    load_err("e.json", "[{\"key\": \"0123abcd-1234-1234-1234-123456789012\", \"command\": \"a\"}]", "not look like a UUID");
    load_err("e.json", "[{\"wait\": null, \"skip\": true}]", "/0/skip: unknown attribute \"skip\" for a wait step");
    load_err("e.json", "[{\"command\": \"a\", \"skip\": \"a reason much longer than seventy characters, which the schema refuses..\"}]",
             "/0/skip: expected true, false or a reason of at most 70 characters");
    load_err("e.json", "[{\"command\": \"a\", \"retry\": {\"automatic\": {\"limit\": 11}}}]", "/0/retry/automatic/limit: expected a limit from 0 to 10");
    load_err("e.json", "[{\"command\": \"a\", \"matrix\": {\"setup\": {\"a b\": [1]}}}]", "/0/matrix/setup/a b: expected a dimension name");
    load_err("e.json", "[{\"command\": \"a\", \"notify\": [{\"email\": \"x\"}]}]", "/0/notify/0: expected a step notification");
    load_err("e.json", "{\"notify\": [{\"if\": \"x\"}], \"steps\": []}", "/notify/0: expected one kind of notification");
    load_err("e.json", "[{\"block\": \"b\", \"fields\": [{\"key\": \"a b\"}]}]", "/0/fields/0/key: expected a field key");
    load_err("e.json", "[{\"block\": {\"key\": \"x\"}, \"key\": \"y\"}]", "/0/key: unknown attribute \"key\" beside a nested \"block\" step");
    load_err("e.json", "[{\"script\": \"a\"}]", "/0: expected \"script\" to hold a command step");
    load_err("e.json", "[{\"type\": \"group\"}]", "/0/type: expected a step type");
    load_err("e.json", "[{\"trigger\": {\"build\": {}}}]", "/0/trigger: expected \"trigger\" in a trigger step");
    load_err("e.json", "[{\"command\": \"a\", \"if_changed\": {\"exclude\": \"x\"}}]", "/0/if_changed: expected \"include\"");
    load_err("e.json", "[{\"command\": 3}]", "/0/command: expected a string or a list");
    load_err("e.json", "[{\"command\": \"a\", \"depends_on\": 3}]", "/0/depends_on: expected null, a step key");
    load_err("e.json", "[{\"command\": \"a\", \"depends_on\": [{\"step\": \"x\", \"why\": 1}]}]",
             "/0/depends_on/0/why: unknown attribute \"why\" for a dependency");
    load_err("e.json", "[{\"command\": \"a\", \"soft_fail\": [{\"exit_status\": \"x\"}]}]",
             "/0/soft_fail/0/exit_status: expected an exit status integer or \"*\"");
    load_err("e.json", "[{\"command\": \"a\", \"timeout_in_minutes\": 0}]", "/0/timeout_in_minutes: expected an integer of at least 1");
    load_err("e.json", "[{\"group\": \"g\", \"steps\": []}]", "/0/steps: expected a non-empty list");
    load_err("e.json", "[{\"group\": \"g\", \"steps\": [{\"group\": \"h\", \"steps\": [\"wait\"]}]}]",
             "/0/steps/0: expected no group inside a group");
    load_err("e.json", "[{\"wait\": 3}]", "/0/wait: expected a string or null");
    load_err("e.yml", "steps:\n  - command: a\n    skip: 3\n", "e.yml: 3:11: expected true, false or a reason");
    load_err("e.yml", "steps:\n  - command: a\n    command: b\n", "e.yml: 3:5: expected unique mapping keys");
    load_err("e.yml", "steps: [\n", "e.yml: 2:1: expected valid YAML");
    load_err("e.yml", "", "e.yml: 1:1: expected a pipeline, the document is empty");
    load_err("e.yml", "a: &a [*a, *a]\n", "e.yml");
    load_err("e.yml", "- command: true\n", "e.yml: 1:12: expected a string or a list of strings");
    load_err("e.yml", "steps: []\n---\nsteps: []\n", "expected one YAML document");
    load_err("e.yml", "steps:\n  - {command: x, type: wait}\n", "e.yml: 2:24: expected one of script, command, commands");
}

/* Nesting is limited while parsing (nix/yamltree.h): 10^5 levels of flow
 * mappings are rejected at once, at the first collection too deep. */
static void test_deep_yaml(void **state)
{
    (void)state;
    size_t n = 100000;
    char *text = xmalloc(7 + 5 * n + 3);
    char *w = text;
    memcpy(w, "steps: ", 7), w += 7;
    for (size_t i = 0; i < n; i++)
        memcpy(w, "{a: ", 4), w += 4;
    *w++ = '1';
    memset(w, '}', n), w += n;
    strcpy(w, "\n");
    load_err("e.yml", text, "e.yml: 1:1028: expected valid YAML: expected at most 256 levels of nesting");
    free(text);
}

static void test_validate(void **state)
{
    (void)state;
    struct lk_error err = LK_ERROR_INIT;
    struct bk_pipeline *ps[2];
    ps[0] = load("a.json", "[{\"command\": \"x\", \"key\": \"a\"}, {\"command\": \"y\", \"key\": \"b\", \"depends_on\": \"c\"}]", NULL);
    ps[1] = load("b.json", "[{\"command\": \"z\", \"key\": \"c\", \"depends_on\": [\"a\"]}]", NULL);
    assert_int_equal(bk_pipelines_validate(ps, 1, &err), -1); /* c is in the other chunk */
    assert_non_null(strstr(err.msg, "\"c\" is none"));
    assert_string_equal(err.place, "a.json: /1");
    assert_int_equal(bk_pipelines_validate(ps, 2, &err), 0);
    bk_pipeline_free(ps[1]);
    ps[1] = load("b.json", "[{\"command\": \"z\", \"key\": \"a\"}]", NULL);
    assert_int_equal(bk_pipelines_validate(ps, 2, &err), -1);
    assert_non_null(strstr(err.msg, "unique keys, \"a\""));
    bk_pipeline_free(ps[1]);
    bk_pipeline_free(ps[0]);
    /* cycles: direct, through a group, a child on its own group */
    const char *cycles[] = {
        "[{\"command\": \"x\", \"key\": \"a\", \"depends_on\": \"b\"}, {\"command\": \"y\", \"key\": \"b\", \"depends_on\": \"a\"}]",
        "[{\"command\": \"x\", \"key\": \"a\", \"depends_on\": \"a\"}]",
        "[{\"group\": \"g\", \"key\": \"g\", \"steps\": [{\"command\": \"x\", \"key\": \"a\", \"depends_on\": \"g\"}]}]",
        "[{\"group\": \"g\", \"key\": \"g\", \"depends_on\": \"b\", \"steps\": [{\"command\": \"x\", \"key\": \"a\"}]},"
        " {\"command\": \"y\", \"key\": \"b\", \"depends_on\": \"a\"}]",
    };
    for (size_t i = 0; i < 4; i++) {
        ps[0] = load("cy.json", cycles[i], NULL);
        if (bk_pipelines_validate(ps, 1, &err) != -1)
            fail_msg("cycle %zu not found", i);
        assert_non_null(strstr(err.msg, "cycle"));
        bk_pipeline_free(ps[0]);
    }
    char *longkey = xasprintf("[{\"command\": \"x\", \"key\": \"%0101d\"}]", 0);
    load_err("k.json", longkey, "k.json: /0/key: expected a key of at most 100 characters");
    free(longkey);
    longkey = xasprintf("[{\"command\": \"x\", \"key\": \"%0100d\"}]", 0);
    ps[0] = load("k.json", longkey, NULL);
    free(longkey);
    assert_int_equal(bk_pipelines_validate(ps, 1, &err), 0);
    bk_pipeline_free(ps[0]);
    lk_error_clear(&err);
}

/* Every step shape the schema allows, read into the model: nested forms,
 * what is not simulated and what is only recorded. */
static void test_step_model(void **state)
{
    (void)state;
    struct bk_pipeline *p = load("m.yml",
        "secrets: [TOKEN]\n"
        "priority: 3\n"
        "agents: {queue: q}\n"
        "extra: {any: thing}\n"
        "steps:\n"
        "  - type: script\n"
        "  - command: {command: blah.sh, key: n1}\n"
        "  - script: {command: s.sh}\n"
        "  - commands: {commands: [a, b]}\n"
        "  - plugins: [a-plugin#v1.0.0, {docker#v5: {image: alpine}}]\n"
        "  - {command: c, cache: dist/, image: node, signature: {value: v}, priority: -1, plugins: {x#v1: {}}}\n"
        "  - wait: {continue_on_failure: true, key: w2}\n"
        "  - waiter: {continue_on_failure: true}\n"
        "  - block: {fields: [{text: F, key: f1, default: d}], key: b2}\n"
        "  - input: {key: i2}\n"
        "  - {trigger: slug, build: {message: m, env: {A: b}}, async: true}\n"
        "  - {command: x, key: a, identifier: b, id: c, if: 'build.tag == null', if_changed: {include: [a/**], exclude: a/b}}\n"
        "  - {command: x, env: {L: [1, 2], N: null, 'A=B': 1}, retry: {automatic: [{exit_status: [1, 2], limit: 3}, {signal: kill}], manual: {allowed: false}}}\n"
        "  - {command: x, parallelism: 3, label: P}\n"
        "  - {command: x, parallelism: 2, matrix: [a]}\n"
        "  - {label: untyped, key: u}\n"
        "  - {prompt: untyped block}\n",
        NULL);
    assert_int_equal(p->nsteps, 17);
    struct bk_step *st = p->steps;
    assert_int_equal(st[0].type, BK_STEP_COMMAND);
    assert_false(st[0].has_command);
    assert_string_equal(st[0].command, "");
    assert_string_equal(st[1].command, "blah.sh");
    assert_string_equal(st[1].key, "n1");
    assert_string_equal(st[2].command, "s.sh");
    assert_string_equal(st[3].command, "a\nb");
    assert_false(st[4].has_command);
    assert_int_equal(st[4].n_not_simulated, 3);
    assert_string_equal(st[4].not_simulated[0], "plugins a-plugin#v1.0.0");
    assert_string_equal(st[4].not_simulated[1], "plugins docker#v5");
    assert_string_equal(st[4].not_simulated[2], "secrets");
    assert_int_equal(st[4].priority, 3);
    assert_string_equal(json_string_value(json_object_get(json_object_get(st[4].recorded, "agents"), "queue")), "q");
    assert_int_equal(st[5].priority, -1);
    assert_int_equal(st[5].n_not_simulated, 5); /* secrets, plugins x#v1, cache, image, signature */
    assert_int_equal(st[6].type, BK_STEP_WAIT);
    assert_true(st[6].continue_on_failure);
    assert_string_equal(st[6].key, "w2");
    assert_true(st[7].continue_on_failure);
    assert_int_equal(st[8].type, BK_STEP_BLOCK);
    assert_string_equal(st[8].key, "b2");
    assert_string_equal(st[8].label, "block");
    assert_int_equal(json_array_size(st[8].fields), 1);
    assert_int_equal(st[9].type, BK_STEP_INPUT);
    assert_int_equal(st[10].type, BK_STEP_TRIGGER);
    assert_string_equal(st[10].trigger, "slug");
    assert_true(json_is_true(json_object_get(st[10].recorded, "async")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(st[10].recorded, "build"), "message")), "m");
    assert_string_equal(st[11].key, "a"); /* key, then identifier, then id */
    assert_string_equal(st[11].cond, "build.tag == null");
    assert_true(st[11].has_if_changed);
    assert_int_equal(st[11].n_changed_include, 1);
    assert_string_equal(st[11].changed_exclude[0], "a/b");
    assert_string_equal(bk_env_get(&st[12].env, "L"), "[1,2]");
    assert_string_equal(bk_env_get(&st[12].env, "N"), "");
    assert_null(bk_env_get(&st[12].env, "A=B"));
    assert_string_equal(st[12].not_simulated[0], "env \"A=B\" (not a variable name)");
    assert_int_equal(st[12].nretry_rules, 2);
    assert_int_equal(st[12].retry_rules[0].limit, 3);
    assert_int_equal(bk_step_retry_rule(&st[12], 2, NULL, NULL), 0);
    assert_int_equal(bk_step_retry_rule(&st[12], 3, NULL, NULL), -1);
    assert_int_equal(bk_step_retry_rule(&st[12], -1, "SIGKILL", "cancel"), 1);
    assert_int_equal(st[12].retry_rules[1].limit, 2);
    assert_true(json_is_false(json_object_get(json_object_get(st[12].recorded, "retry_manual"), "allowed")));
    assert_int_equal(st[13].njobs, 3);
    assert_string_equal(st[13].jobs[2].label, "P (3/3)");
    assert_string_equal(bk_env_get(&st[13].jobs[2].env, "BUILDKITE_PARALLEL_JOB"), "2");
    assert_string_equal(bk_env_get(&st[13].jobs[0].env, "BUILDKITE_PARALLEL_JOB_COUNT"), "3");
    assert_null(st[13].jobs[0].key);
    assert_int_equal(st[14].njobs, 0); /* Buildkite refuses matrix with parallelism, at upload */
    assert_non_null(strstr(st[14].upload_error, "not both"));
    assert_int_equal(st[15].type, BK_STEP_COMMAND);
    assert_int_equal(st[16].type, BK_STEP_BLOCK);
    bk_pipeline_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_steps), cmocka_unit_test(test_yaml),
        cmocka_unit_test(test_interpolation_values), cmocka_unit_test(test_load_tree),
        cmocka_unit_test(test_errors), cmocka_unit_test(test_deep_yaml),
        cmocka_unit_test(test_validate), cmocka_unit_test(test_step_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
