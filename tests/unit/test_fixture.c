/* Unit tests: the fixture loader — every field, `@{}` parsing, dependency
 * order, `parent:` (the parent commit's depot: what it replaces, adds and
 * leaves out, written out and loaded again, its own parent), and every kind
 * of bad input with its message and line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "nix/fixture.h"

static struct fixture *load_ok(const char *yaml)
{
    struct fixture *f = NULL;
    struct lk_error err = LK_ERROR_INIT;
    if (fixture_load_bytes("t.yaml", yaml, strlen(yaml), &f, &err) < 0) {
        char *line = lk_error_format(&err);
        fail_msg("unexpected error: %s", line);
    }
    return f;
}

static const char FULL[] =
    "depot: full-1.0\n"
    "description: every field\n"
    "branch: refs/heads/main\n"
    "derivations:\n"
    "  tools/dep:\n"
    "    build: echo dep > $out\n"
    "  lib:\n"
    "    outputs: [out, dev]\n"
    "    name: libname\n"
    "    build: 'cp @{tools/dep} $out; mkdir $dev; echo @@{x} a@b @{tools/dep^out}'\n"
    "  script:\n"
    "    deps: [lib]\n"
    "    fail: true\n"
    "    ifd: [tools/dep]\n"
    "    build: echo @{lib^dev}\n"
    "  override: {}\n"
    "targets:\n"
    "  - attrPath: [tools, dep]\n"
    "  - attrPath: [web, site]\n"
    "    subtarget: docs\n"
    "    build: mkdir $out\n"
    "    deps: [lib]\n"
    "    meta:\n"
    "      timeout: 3600\n"
    "      ci:\n"
    "        postBuild: echo post\n"
    "        buildkiteExtraDeps: [a, b]\n"
    "        buildkiteExtraStepArgs: { priority: 2, soft_fail: true }\n"
    "        extraSteps:\n"
    "          zeta:\n"
    "            command: script\n"
    "            label: Zeta step\n"
    "            needsOutput: true\n"
    "            parentOverride: override\n"
    "            branches: [main, 'feature/*']\n"
    "            alwaysRun: false\n"
    "            prompt: Really?\n"
    "            softFail: true\n"
    "            phase: release\n"
    "            skip: not now\n"
    "            agents: { queue: deploy }\n"
    "          alpha:\n"
    "            command: script\n"
    "            skip: true\n"
    "            prompt: false\n"
    "  - attrPath: [x]\n"
    "    drv: lib\n"
    "unchanged: [tools/dep]\n"
    "headBranch: refs/heads/canon\n"
    "phases: [build, release]\n"
    "activePhases: [build]\n"
    "cancelOnBuildFailing: true\n"
    "additionalSteps: [{ command: echo hi, n: 1.5, z: null }]\n"
    "postBuildSteps: []\n"
    "defaultStepOverrides: { retry: 2 }\n"
    "run: { agents: 3, unblock: true, gc_drvs: true }\n"
    "expect:\n"
    "  construction_builds: [tools/dep]\n"
    "  steps:\n"
    "    ':nix: tools/dep': passed\n"
    "    ':gear: Zeta step (from web/site:docs)': soft_failed\n"
    "    other: not_run\n"
    "  built_by: { script: ':gear: Zeta step (from web/site:docs)' }\n"
    "  violations: [tree-clean, gc-fallback]\n"
    "  generate_exit: 2\n"
    "  generate_error: Phase 'x' is not valid\n";

static void test_every_field(void **state)
{
    (void)state;
    struct fixture *f = load_ok(FULL);
    assert_string_equal(f->path, "t.yaml");
    assert_int_equal(f->text_len, strlen(FULL));
    assert_string_equal(f->depot, "full-1.0");
    assert_string_equal(f->description, "every field");
    assert_string_equal(f->branch, "refs/heads/main");
    /* derivations first in file order, then the inline target one */
    assert_int_equal(f->n_drvs, 5);
    assert_string_equal(f->drvs[0].key, "tools/dep");
    assert_string_equal(f->drvs[0].name, "dep");
    assert_int_equal(f->drvs[0].n_outputs, 1);
    assert_string_equal(f->drvs[0].outputs[0], "out");
    assert_int_equal(f->drvs[0].outputs_explicit, 0);
    const struct fixture_drv *lib = &f->drvs[1];
    assert_string_equal(lib->name, "libname");
    assert_int_equal(lib->n_outputs, 2);
    assert_int_equal(lib->outputs_explicit, 1);
    /* the script: text, ref, text (with @@ and a lone @), ref */
    assert_int_equal(lib->n_script, 4);
    assert_string_equal(lib->script[0].text, "cp ");
    assert_null(lib->script[1].text);
    assert_int_equal(lib->script[1].drv, 0);
    assert_string_equal(lib->script[1].output, "out");
    assert_string_equal(lib->script[2].text, " $out; mkdir $dev; echo @{x} a@b ");
    assert_int_equal(lib->script[3].drv, 0);
    assert_string_equal(lib->script[3].output, "out");
    const struct fixture_drv *script = &f->drvs[2];
    assert_int_equal(script->fail, 1);
    assert_int_equal(script->n_deps, 1);
    assert_int_equal(script->deps[0], 1);
    assert_int_equal(script->n_ifd, 1);
    assert_int_equal(script->ifd[0], 0);
    assert_string_equal(script->script[1].output, "dev");
    assert_null(f->drvs[3].build);
    assert_string_equal(f->drvs[3].script[0].text, "mkdir \"$out\"");
    const struct fixture_drv *inl = &f->drvs[4];
    assert_string_equal(inl->key, "web/site:docs");
    assert_string_equal(inl->name, "site-docs");
    assert_int_equal(inl->inline_target, 1);

    assert_int_equal(f->n_targets, 3);
    const struct fixture_target *t = &f->targets[1];
    assert_int_equal(t->n_attr_path, 2);
    assert_string_equal(t->subtarget, "docs");
    assert_string_equal(t->label, "web/site:docs");
    assert_int_equal(t->drv, 4);
    assert_int_equal(t->has_timeout, 1);
    assert_int_equal(t->timeout, 3600);
    assert_string_equal(t->post_build, "echo post");
    assert_int_equal(t->n_extra_deps, 2);
    assert_int_equal(json_integer_value(json_object_get(t->extra_step_args, "priority")), 2);
    assert_int_equal(t->n_steps, 2);
    /* sorted by name */
    const struct fixture_extra_step *a = &t->steps[0], *z = &t->steps[1];
    assert_string_equal(a->name, "alpha");
    assert_null(a->label);
    assert_int_equal(a->needs_output, FIXTURE_UNSET);
    assert_int_equal(a->parent_override, FIXTURE_NONE);
    assert_null(a->branches);
    assert_true(json_is_true(a->skip));
    assert_true(json_is_false(a->prompt));
    assert_string_equal(z->name, "zeta");
    assert_string_equal(z->label, "Zeta step");
    assert_int_equal(z->command, 2);
    assert_int_equal(z->parent_override, 3);
    assert_int_equal(z->needs_output, 1);
    assert_int_equal(z->always_run, 0);
    assert_int_equal(z->soft_fail, 1);
    assert_int_equal(z->n_branches, 2);
    assert_string_equal(z->branches[1], "feature/*");
    assert_string_equal(json_string_value(z->prompt), "Really?");
    assert_string_equal(json_string_value(z->skip), "not now");
    assert_string_equal(z->phase, "release");
    assert_string_equal(json_string_value(json_object_get(z->agents, "queue")), "deploy");
    assert_int_equal(f->targets[2].drv, 1);
    assert_int_equal(f->targets[2].has_meta, 0);

    assert_int_equal(f->n_unchanged, 1);
    assert_int_equal(f->unchanged[0], 0);
    assert_string_equal(json_string_value(json_object_get(f->pipeline, "headBranch")), "refs/heads/canon");
    assert_int_equal(json_array_size(json_object_get(f->pipeline, "phases")), 2);
    assert_int_equal(json_array_size(json_object_get(f->pipeline, "activePhases")), 1);
    assert_true(json_is_true(json_object_get(f->pipeline, "cancelOnBuildFailing")));
    json_t *add = json_array_get(json_object_get(f->pipeline, "additionalSteps"), 0);
    assert_string_equal(json_string_value(json_object_get(add, "command")), "echo hi");
    assert_true(json_is_real(json_object_get(add, "n")));
    assert_true(json_is_null(json_object_get(add, "z")));
    assert_int_equal(json_array_size(json_object_get(f->pipeline, "postBuildSteps")), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(f->pipeline, "defaultStepOverrides"), "retry")), 2);
    assert_int_equal(f->run.agents, 3);
    assert_int_equal(f->run.unblock, 1);
    assert_int_equal(f->run.gc_drvs, 1);

    const struct fixture_expect *e = &f->expect;
    assert_int_equal(e->n_construction_builds, 1);
    assert_int_equal(e->construction_builds[0], 0);
    assert_int_equal(e->n_steps, 3);
    assert_string_equal(e->steps[1].label, ":gear: Zeta step (from web/site:docs)");
    assert_int_equal(e->steps[1].outcome, BK_SOFT_FAILED);
    assert_int_equal(e->steps[2].outcome, BK_NOT_RUN);
    assert_int_equal(e->n_built_by, 1);
    assert_int_equal(e->built_by[0].drv, 2);
    assert_int_equal(e->n_violations, 2);
    assert_string_equal(e->violations[1], "gc-fallback");
    assert_int_equal(e->generate_exit, 2);
    assert_string_equal(e->generate_error, "Phase 'x' is not valid");

    assert_int_equal(fixture_find_drv(f, "script"), 2);
    assert_int_equal(fixture_find_drv(f, "nope"), FIXTURE_NONE);
    assert_int_equal(fixture_find_target(f, "web/site:docs"), 1);
    assert_int_equal(fixture_find_target(f, "web/site"), FIXTURE_NONE);
    fixture_free(f);
}

static void test_defaults(void **state)
{
    (void)state;
    struct fixture *f = load_ok("depot: d\n");
    assert_string_equal(f->branch, "refs/heads/canon");
    assert_null(f->description);
    assert_int_equal(f->n_drvs, 0);
    assert_int_equal(f->n_targets, 0);
    assert_int_equal(json_object_size(f->pipeline), 0);
    assert_int_equal(f->expect.n_construction_builds, 0);
    assert_int_equal(f->expect.generate_exit, 0);
    assert_null(f->expect.generate_error);
    assert_int_equal(f->run.agents, 1);
    fixture_free(f);
    /* default names from keys */
    f = load_ok("depot: d\nderivations:\n  'a/b c/.hid!den': {}\n  'x/': {}\n");
    assert_string_equal(f->drvs[0].name, "-hid-den");
    assert_string_equal(f->drvs[1].name, "unnamed");
    fixture_free(f);
}

static void test_order(void **state)
{
    (void)state;
    /* d uses c and b; c uses a (ifd); b uses a: inputs come first */
    struct fixture *f = load_ok("depot: d\nderivations:\n"
                                "  d: { deps: [c, b] }\n"
                                "  c: { ifd: [a] }\n"
                                "  b: { build: 'cat @{a}' }\n"
                                "  a: {}\n"
                                "  lone: {}\n");
    size_t pos[5];
    for (size_t i = 0; i < f->n_drvs; i++)
        pos[f->order[i]] = i;
    assert_true(pos[3] < pos[1]); /* a before c */
    assert_true(pos[3] < pos[2]); /* a before b */
    assert_true(pos[1] < pos[0]); /* c before d */
    assert_true(pos[2] < pos[0]); /* b before d */
    /* depth-first, file order: a c b d lone */
    assert_int_equal(f->order[0], 3);
    assert_int_equal(f->order[1], 1);
    assert_int_equal(f->order[2], 2);
    assert_int_equal(f->order[3], 0);
    assert_int_equal(f->order[4], 4);
    fixture_free(f);
}

static void test_script_refs(void **state)
{
    (void)state;
    struct fixture *f = load_ok("depot: d\nderivations:\n"
                                "  'k^x': {}\n"
                                "  m: { outputs: [out, lib] }\n"
                                "  s: { build: '@{m^lib}@{m}@@@{m}@@@@{@{k^x^out}' }\n");
    const struct fixture_drv *s = &f->drvs[2];
    assert_int_equal(s->n_script, 6);
    assert_string_equal(s->script[0].output, "lib");
    assert_string_equal(s->script[1].output, "out");
    assert_string_equal(s->script[2].text, "@");
    assert_int_equal(s->script[3].drv, 1);
    assert_string_equal(s->script[4].text, "@@{");
    assert_int_equal(s->script[5].drv, 0);
    assert_string_equal(s->script[5].output, "out");
    fixture_free(f);
}

struct bad_case {
    const char *yaml;
    const char *place;
    const char *msg; /* the message must contain this */
};

static const struct bad_case bad_cases[] = {
    { "", "1:1", "empty file" },
    { "- a\n", "1:1", "expected a mapping with depot" },
    { "depot: [x\n", "2:1", "invalid YAML" },
    { "description: x\n", "1:1", "missing key 'depot'" },
    { "depot: 'a b'\n", "1:8", "depot: 'a b' is not a valid name" },
    { "depot: \"a\\0b\"\n", "1:8", "NUL byte" },
    { "depot: x\nfoo: 1\n", "2:1", "fixture: unknown key 'foo' (expected one of: depot, description" },
    { "depot: x\ndepot: y\n", "2:1", "fixture: duplicate key 'depot'" },
    { "depot: x\n---\ndepot: y\n", "3:1", "expected one YAML document" },
    { "depot: x\nderivations: [a]\n", "2:14", "derivations: expected a mapping, found a list" },
    { "depot: x\nderivations:\n  a:\n    bild: x\n", "4:5", "derivation 'a': unknown key 'bild'" },
    { "depot: x\nderivations:\n  a: {}\n  a: {}\n", "4:3", "derivations: duplicate key 'a'" },
    { "depot: x\nderivations:\n  a:\n    fail: yes\n", "4:11", "fail: expected a boolean (true or false), found a string" },
    { "depot: x\nderivations:\n  a:\n    build: [x]\n", "4:12", "build: expected a string, found a list" },
    { "depot: x\nderivations:\n  a:\n    deps: x\n", "4:11", "deps: expected a list, found a scalar" },
    { "depot: x\nderivations:\n  a:\n    build: echo @{nope}\n", "4:12", "build script: no derivation has the key 'nope'" },
    { "depot: x\nderivations:\n  a:\n    build: echo @{a\n", "4:12", "'@{' at character 6 is not closed" },
    { "depot: x\nderivations:\n  a:\n    build: echo @{}\n", "4:12", "expected '@{key}' or '@{key^output}'" },
    { "depot: x\nderivations:\n  b: {}\n  a:\n    build: echo @{b^dev}\n", "5:12", "derivation 'b' has no output 'dev'" },
    { "depot: x\nderivations:\n  a:\n    deps: [nope]\n", "4:12", "deps: no derivation has the key 'nope'" },
    { "depot: x\nderivations:\n  a:\n    ifd: [b, nope]\n  b: {}\n", "4:14", "ifd: no derivation has the key 'nope'" },
    { "depot: x\nderivations:\n  a:\n    outputs: [out, drv]\n", "4:14", "output name 'drv' is not valid" },
    { "depot: x\nderivations:\n  a:\n    outputs: [out, all]\n", "4:14", "output name 'all' is not valid" },
    { "depot: x\nderivations:\n  a:\n    outputs: [out, out]\n", "4:14", "output 'out' listed twice" },
    { "depot: x\nderivations:\n  a:\n    outputs: []\n", "4:14", "expected at least one output" },
    { "depot: x\nderivations:\n  a:\n    name: 'a/b'\n", "4:11", "not a valid Nix name" },
    { "depot: x\nderivations:\n  a:\n    name: .hidden\n", "4:11", "starts with '.'" },
    { "depot: x\nderivations:\n  '': {}\n", "3:3", "a derivation key must not be empty" },
    { "depot: x\nderivations:\n  a: { deps: [b] }\n  b: { build: '@{c}' }\n  c: { ifd: [a] }\n",
      "3:3", "dependency cycle: 'a' -> 'b' -> 'c' -> 'a'" },
    { "depot: x\nderivations:\n  a: { deps: [a] }\n", "3:3", "dependency cycle: 'a' -> 'a'" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n", "3:5", "drv (default: the target's label): no derivation has the key 'a'" },
    { "depot: x\ntargets:\n  - drv: a\n", "3:5", "target: missing key 'attrPath'" },
    { "depot: x\ntargets:\n  - attrPath: []\n", "3:15", "attrPath: expected at least one attribute name" },
    { "depot: x\ntargets:\n  - attrPath: [a, '']\n", "3:15", "attribute name must not be empty" },
    { "depot: x\ntargets:\n  - attrPath: ['a/b']\n", "3:15", "must not contain '/'" },
    { "depot: x\ntargets:\n  - attrPath: [ci, x]\n    build: x\n", "3:15", "'ci' is reserved" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n    drv: b\n", "4:10", "drv: no derivation has the key 'b'" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n    drv: b\n    build: x\n", "4:10", "cannot be combined with an inline derivation" },
    { "depot: x\nderivations:\n  a: {}\ntargets:\n  - attrPath: [a]\n    build: x\n", "5:5", "its inline derivation's key 'a' is already a key in derivations" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n    build: x\n  - attrPath: [a]\n    build: y\n", "5:5", "target a: duplicate label" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n    build: x\n  - attrPath: [a, meta]\n    build: y\n", "5:5", "attribute 'meta' below target a clashes" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n    build: x\n    bogus: 1\n", "5:5", "target: unknown key 'bogus'" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n    build: x\n    meta: { timeout: soon }\n", "5:22", "timeout: expected an integer, found a string" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n    build: x\n    meta: { ci: { extra: 1 } }\n", "5:19", "meta.ci of a: unknown key 'extra'" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n    build: x\n    meta: { ci: { extraSteps: { s: { label: L } } } }\n",
      "5:36", "extra step 's' of a: missing key 'command'" },
    { "depot: x\ntargets:\n  - attrPath: [a]\n    build: x\n    meta: { ci: { extraSteps: { s: { command: nope } } } }\n",
      "5:47", "command: no derivation has the key 'nope'" },
    { "depot: x\nderivations:\n  c: { outputs: [out, dev] }\ntargets:\n  - attrPath: [a]\n    build: x\n    meta: { ci: { extraSteps: { s: { command: c } } } }\n",
      "7:47", "command: derivation 'c' has 2 outputs; an extra step's command must have exactly one" },
    { "depot: x\nderivations:\n  c: {}\ntargets:\n  - attrPath: [a]\n    build: x\n    meta: { ci: { extraSteps: { s: { command: c, parentOverride: p } } } }\n",
      "7:66", "parentOverride: no derivation has the key 'p'" },
    { "depot: x\nderivations:\n  c: {}\ntargets:\n  - attrPath: [a]\n    build: x\n    meta: { ci: { extraSteps: { s: { command: c, colour: red } } } }\n",
      "7:50", "extra step 's' of a: unknown key 'colour'" },
    { "depot: x\nderivations:\n  c: {}\ntargets:\n  - attrPath: [a]\n    build: x\n    meta: { ci: { extraSteps: { s: { command: c, skip: [1] } } } }\n",
      "7:56", "skip: expected a boolean or a string, found a list" },
    { "depot: x\nderivations:\n  c: {}\ntargets:\n  - attrPath: [a]\n    build: x\n    meta: { ci: { extraSteps: { s: { command: c, agents: q } } } }\n",
      "7:58", "agents: expected a mapping or a list" },
    { "depot: x\nderivations:\n  c: {}\ntargets:\n  - attrPath: [a]\n    build: x\n    meta:\n      ci:\n        extraSteps:\n"
      "          s: { command: c, label: L }\n          t: { command: c, label: L }\n",
      "11:11", "extra step 't' of a: duplicate label 'L'" },
    { "depot: x\nderivations:\n  c: {}\ntargets:\n  - attrPath: [a]\n    build: x\n    meta:\n      ci:\n        extraSteps:\n"
      "          s: { command: c }\n          s: { command: c }\n",
      "11:11", "extraSteps: duplicate key 's'" },
    { "depot: x\nunchanged: [nope]\n", "2:13", "unchanged: no target has the label 'nope'" },
    { "depot: x\ntargets:\n  - { attrPath: [a], build: x }\nunchanged: [a, a]\n", "4:16", "unchanged: label 'a' listed twice" },
    { "depot: x\nphases: build\n", "2:9", "phases: expected a list, found a scalar" },
    { "depot: x\ncancelOnBuildFailing: 1\n", "2:23", "cancelOnBuildFailing: expected a boolean" },
    { "depot: x\ndefaultStepOverrides: [1]\n", "2:23", "defaultStepOverrides: expected a mapping" },
    { "depot: x\nadditionalSteps: {a: 1}\n", "2:18", "additionalSteps: expected a list of steps" },
    { "depot: x\ndefaultStepOverrides: {a: 1, a: 2}\n", "2:30", "defaultStepOverrides: duplicate key 'a'" },
    { "depot: x\nexpect: { steps: { a: great } }\n", "2:23", "unknown outcome 'great'" },
    { "depot: x\nexpect: { violations: [tree-dirty] }\n", "2:24", "unknown invariant 'tree-dirty'" },
    { "depot: x\nexpect: { built_by: { nope: s } }\n", "2:23", "built_by: no derivation has the key 'nope'" },
    { "depot: x\nexpect: { construction_builds: [nope] }\n", "2:33", "construction_builds: no derivation has the key 'nope'" },
    { "depot: x\nexpect: { generate_exit: 300 }\n", "2:26", "generate_exit: expected an integer from 0 to 255" },
    { "depot: x\nexpect: { what: 1 }\n", "2:11", "expect: unknown key 'what'" },
    { "depot: x\nrun: { agents: 0 }\n", "2:16", "agents: expected an integer from 1 to 64" },
    { "depot: x\nrun: { fast: true }\n", "2:8", "run: unknown key 'fast'" },
    { "depot: x\nrun: { api: flaky }\n", "2:13", "api: expected ok, garbage or wrong-token, found 'flaky'" },
    { "depot: x\ntargets:\n  - { attrPath: [a], build: x }\nunchanged: [a]\nparent: {}\n", "5:9",
      "parent: a fixture has either a parent or an unchanged list, not both" },
    { "depot: x\nparent: { derivations: [1] }\n", "2:24", "parent.derivations: expected a mapping, found a list" },
    { "depot: x\nparent: { targets: {} }\n", "2:20", "parent.targets: expected a list, found a mapping" },
    { "depot: x\nparent: { colour: red }\n", "2:11", "parent: unknown key 'colour'" },
    { "depot: x\nparent: { targets: [ { build: x } ] }\n", "2:22", "parent.targets: expected a target with an attrPath list" },
    { "depot: x\nparent: { absent: [a] }\n", "2:20", "parent.absent: 'a' is not a target of this depot" },
    /* errors in the parent depot are placed in the file */
    { "depot: x\ntargets:\n  - { attrPath: [a], build: x }\nparent:\n  targets:\n    - { attrPath: [a], deps: [nope], build: y }\n",
      "6:31", "in the parent depot (parent:): deps: no derivation has the key 'nope'" },
    { "depot: x\nparent:\n  parent:\n    derivations: { d: { deps: [e] } }\n", "4:32",
      "in the parent depot (parent:): in the parent depot (parent:): deps: no derivation has the key 'e'" },
    { "depot: x\ndefaultStepOverrides: &a { x: *a }\n", "2:23", "defaultStepOverrides: nested deeper than 64 levels" },
    { "depot: x\ndefaultStepOverrides: { priority: -1E999 }\n", "2:35", "defaultStepOverrides: the number -1E999 is out of range" },
    { "depot: x\ndefaultStepOverrides: { priority: .inf }\n", "2:35", "defaultStepOverrides: the number .inf is out of range" },
};

static void test_bad_input(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct fixture *f = (struct fixture *)1;
        struct lk_error err = LK_ERROR_INIT;
        int rc = fixture_load_bytes("t.yaml", c->yaml, strlen(c->yaml), &f, &err);
        if (rc != -1)
            fail_msg("case %zu accepted:\n%s", i, c->yaml);
        assert_null(f);
        assert_int_equal(err.status, LK_EXIT_INPUT);
        assert_string_equal(err.file, "t.yaml");
        if (!err.place || strcmp(err.place, c->place) || !strstr(err.msg, c->msg)) {
            print_error("case %zu:\n%s\nexpected %s: ...%s...\ngot      %s: %s\n", i, c->yaml,
                        c->place, c->msg, err.place ? err.place : "(none)", err.msg);
            failures++;
        }
        lk_error_clear(&err);
    }
    assert_int_equal(failures, 0);
}

/* The text of derivation `key` of f, or "". */
static const char *build_of(const struct fixture *f, const char *key)
{
    size_t i = fixture_find_drv(f, key);
    return i == FIXTURE_NONE || !f->drvs[i].build ? "" : f->drvs[i].build;
}

static void test_parent(void **state)
{
    (void)state;
    struct fixture *f = load_ok("depot: p\n"
                "branch: refs/heads/change\n"
                "derivations:\n"
                "  d1: { build: 'echo one > $out' }\n"
                "  d2: { build: \"echo 'two' > $out\" }\n"
                "targets:\n"
                "  - attrPath: [a]\n"
                "    drv: d1\n"
                "  - attrPath: [b]\n"
                "    build: |\n"
                "      echo b2 > $out\n"
                "      echo 42\n"
                "  - attrPath: [new]\n"
                "    build: echo new > $out\n"
                "  - attrPath: [c]\n"
                "    subtarget: s\n"
                "    drv: d2\n"
                "run: { agents: 2 }\n"
                "expect: { steps: { x: passed } }\n"
                "parent:\n"
                "  derivations:\n"
                "    d1: { build: 'echo uno > $out' }\n"
                "    old: { build: 'echo old > $out' }\n"
                "  targets:\n"
                "    - attrPath: [b]\n"
                "      build: echo b1 > $out\n"
                "    - attrPath: [gone]\n"
                "      drv: old\n"
                "  absent: [new]\n"
                "  parent:\n"
                "    derivations:\n"
                "      d2: { build: 'echo deux > $out' }\n");
    const struct fixture *p = f->parent, *pp;
    assert_non_null(p);
    assert_string_equal(p->path, "t.yaml (parent 1)");
    assert_string_equal(p->depot, "p");
    assert_string_equal(p->branch, "refs/heads/canon"); /* branch: dropped */
    assert_int_equal(p->expect.n_steps, 0);              /* expect: dropped */
    assert_int_equal(p->run.agents, 2);                  /* run: kept */
    assert_string_equal(build_of(p, "d1"), "echo uno > $out");
    assert_string_equal(build_of(p, "d2"), "echo 'two' > $out");
    assert_string_equal(build_of(p, "old"), "echo old > $out");
    assert_string_equal(build_of(f, "d1"), "echo one > $out");
    /* the fixture's targets, b replaced, new left out, gone added */
    assert_int_equal(p->n_targets, 4);
    assert_string_equal(p->targets[0].label, "a");
    assert_string_equal(p->targets[1].label, "b");
    assert_string_equal(build_of(p, "b"), "echo b1 > $out");
    assert_string_equal(p->targets[2].label, "c:s");
    assert_string_equal(p->targets[3].label, "gone");
    /* its text is what it was loaded from, without the grandparent */
    assert_null(strstr(p->text, "\nparent:"));
    assert_non_null(strstr(p->text, "depot: p"));
    /* the multi-line script survived being written out */
    assert_string_equal(build_of(f, "b"), "echo b2 > $out\necho 42\n");
    pp = p->parent;
    assert_non_null(pp);
    assert_string_equal(pp->path, "t.yaml (parent 2)");
    assert_string_equal(build_of(pp, "d2"), "echo deux > $out");
    assert_string_equal(build_of(pp, "d1"), "echo uno > $out");
    assert_string_equal(build_of(pp, "b"), "echo b1 > $out");
    assert_int_equal(pp->n_targets, 4);
    assert_null(pp->parent);
    fixture_free(f);
    /* a parent that changes nothing */
    f = load_ok("depot: x\nparent: { absent: [] }\n");
    assert_non_null(f->parent);
    assert_int_equal(f->parent->n_targets, 0);
    fixture_free(f);
}

static void test_alias_bomb(void **state)
{
    (void)state;
    /* Each level doubles the nodes reached through aliases: 2^30 if expanded. */
    char yaml[4096] = "depot: x\ndefaultStepOverrides:\n  l0: &l0 [1, 2]\n";
    for (int i = 1; i <= 30; i++) {
        char line[64];
        snprintf(line, sizeof line, "  l%d: &l%d [*l%d, *l%d]\n", i, i, i - 1, i - 1);
        strcat(yaml, line);
    }
    struct fixture *f;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(fixture_load_bytes("t.yaml", yaml, strlen(yaml), &f, &err), -1);
    assert_non_null(strstr(err.msg, "value too large"));
    lk_error_clear(&err);
}

static void test_load_file(void **state)
{
    (void)state;
    struct fixture *f;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(fixture_load("/nonexistent/x.yaml", &f, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.file, "/nonexistent/x.yaml");
    lk_error_clear(&err);
    assert_string_equal(bk_outcome_name(BK_BLOCKED), "blocked");
    assert_int_equal(bk_outcome_parse("filtered"), BK_FILTERED);
    assert_int_equal(bk_outcome_parse("passd"), -1);
    fixture_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field), cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_order),       cmocka_unit_test(test_script_refs),
        cmocka_unit_test(test_bad_input),   cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_load_file),   cmocka_unit_test(test_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
