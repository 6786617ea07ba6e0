/* yamltree: the compact tree built from libyaml's events equals libyaml's
 * own document (yaml_parser_load) on every input: the documents below, which
 * cover every node kind, style, anchors and aliases (also a document that
 * refers to itself), several documents, empty input and each composer error;
 * then 20,000 deterministic mutations of them (characters YAML treats
 * specially inserted, deleted or swapped), which reach scanner and parser
 * errors at every place. Then the nesting limit, found while parsing: deep
 * input is rejected in linear time (libyaml's scanner is quadratic in the
 * flow depth: 10^5 levels took over 20 s). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "nix/yamltree.h"
#include "yamlcmp.h"

static const char *const docs[] = {
    "",
    "---\n",
    "a: 1\n",
    "depot: x\nderivations:\n  a:\n    deps: [b, c]\n    build: |\n      echo > $out\n"
    "  b: {build: 'x', outputs: [out, dev]}\n  c:\n    build: \"q\\\"\\n\"\ntargets:\n"
    "  - attrPath: [a]\n    drv: a\n",
    "- &a [1, 2]\n- *a\n- &b {k: *a}\n- *b\n",
    "&r [*r]\n",
    "&m {a: *m}\n",
    "a: *nope\n",
    "- &x 1\n- &x 2\n",
    "a: &x 1\nb: &y 2\nc: *y\n",
    "--- 1\n--- [2]\n--- {3: 4}\n...\n",
    "? complex\n: value\n? [k]\n: v\n",
    "!!str 1: !custom {a: ~}\nb: null\nc: ''\nd: >\n  folded\n  text\n",
    "a:\n- b\n-\n- - c\n  - d\n",
    "x: [a, {b: c}, [d, [e]]]\n",
    "a: b: c\n",
    "[1, 2\n",
    "{a: 1\n",
    "'unterminated\n",
    "\t- tab\n",
    "a: \"\\u00e9\\x41\\0\"\n",
    "%YAML 1.1\n---\na: 1\n",
    "%TAG !e! tag:example.com,2000:\n--- !e!x 1\n",
    "a: 1\n---\n&a x\n--- *a\n",
};

static void check(const char *data, size_t len)
{
    char why[256];
    if (yamlcmp_check(data, len, why, sizeof why) != 0)
        fail_msg("%s, for input (%zu bytes): %.*s", why, len, (int)len, data);
}

static void test_documents(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        check(docs[i], strlen(docs[i]));
}

static void test_composer_errors_are_libyamls(void **state)
{
    (void)state;
    const char *const bad[] = { "a: *nope\n", "- &x 1\n- &x 2\n" };
    const char *const problem[] = { "found undefined alias", "second occurrence" };
    for (size_t i = 0; i < 2; i++) {
        yaml_parser_t p;
        yaml_parser_initialize(&p);
        yaml_parser_set_input_string(&p, (const unsigned char *)bad[i], strlen(bad[i]));
        struct yamltree t;
        assert_int_equal(yamltree_load(&p, &t), 0);
        assert_int_equal(p.error, YAML_COMPOSER_ERROR);
        assert_string_equal(p.problem, problem[i]);
        yamltree_free(&t);
        yaml_parser_delete(&p);
    }
}

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_mutations(void **state)
{
    (void)state;
    static const char special[] = "&*:-[]{}\"'\n !|>?#,~%@`\\\t";
    uint64_t seed = 0x9e3779b97f4a7c15u;
    char buf[512];
    for (int round = 0; round < 20000; round++) {
        const char *d = docs[next(&seed) % (sizeof docs / sizeof *docs)];
        size_t len = strlen(d);
        memcpy(buf, d, len);
        for (int m = 0, k = 1 + (int)(next(&seed) % 3); m < k && len + 2 < sizeof buf; m++) {
            size_t at = len ? next(&seed) % len : 0;
            char c = special[next(&seed) % (sizeof special - 1)];
            switch (next(&seed) % 3) {
            case 0: /* insert */
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
                break;
            case 1: /* delete */
                if (len) {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
                break;
            default: /* replace */
                if (len)
                    buf[at] = c;
            }
        }
        check(buf, len);
    }
}

/* `prefix`, then `n` times `open`, then "1", then `n` times `close`. */
static char *nested(const char *prefix, const char *open, const char *close, size_t n)
{
    size_t lp = strlen(prefix), lo = strlen(open), lc = strlen(close);
    char *s = malloc(lp + n * (lo + lc) + 3);
    char *w = s;
    memcpy(w, prefix, lp), w += lp;
    for (size_t i = 0; i < n; i++)
        memcpy(w, open, lo), w += lo;
    *w++ = '1';
    for (size_t i = 0; i < n; i++)
        memcpy(w, close, lc), w += lc;
    *w++ = '\n';
    *w = 0;
    return s;
}

/* 1 if the document loads, 0 with the problem and its mark checked. */
static int load_nested(const char *text, size_t want_column)
{
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
    struct yamltree t;
    int ok = yamltree_load(&p, &t);
    if (!ok) {
        assert_int_equal(p.error, YAML_COMPOSER_ERROR);
        assert_string_equal(p.problem, YAMLTREE_DEPTH_PROBLEM);
        assert_int_equal(p.problem_mark.column, want_column);
    }
    yamltree_free(&t);
    yaml_parser_delete(&p);
    return ok;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_depth_limit(void **state)
{
    (void)state;
    /* YAMLTREE_MAX_DEPTH levels load (the root mapping is one), one more
     * does not; the mark is the collection one too deep. */
    char *ok = nested("a: ", "[", "]", YAMLTREE_MAX_DEPTH - 1);
    char *deep = nested("a: ", "[", "]", YAMLTREE_MAX_DEPTH);
    assert_int_equal(load_nested(ok, 0), 1);
    assert_int_equal(load_nested(deep, 3 + YAMLTREE_MAX_DEPTH - 1), 0);
    free(ok);
    free(deep);
    /* 10^5 levels, flow mappings, flow sequences and block sequences: each
     * rejected at once. The bound is generous (the linear path takes
     * milliseconds, even under valgrind; the quadratic one took 20 s). */
    const char *const open[] = { "{a: ", "[", "- " }, *const close[] = { "}", "]", "" };
    for (size_t k = 0; k < 3; k++) {
        char *text = nested("", open[k], close[k], 100000);
        double t0 = now();
        assert_int_equal(load_nested(text, k == 0 ? 4 * YAMLTREE_MAX_DEPTH
                                           : k == 1 ? YAMLTREE_MAX_DEPTH
                                                    : 2 * YAMLTREE_MAX_DEPTH), 0);
        double took = now() - t0;
        if (took > 2.0)
            fail_msg("%zu: 10^5 levels rejected in %.2f s", k, took);
        free(text);
    }
}

/* The scalar rules (YAML 1.2 core schema) on one-scalar documents. */
static enum yscalar_type resolve(const char *text, struct yscalar *v)
{
    yaml_parser_t parser;
    assert_true(yaml_parser_initialize(&parser));
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    struct yamltree t;
    assert_int_equal(yamltree_load(&parser, &t), 1);
    assert_non_null(t.root);
    assert_int_equal(t.root->type, YAML_SCALAR_NODE);
    enum yscalar_type type = yamltree_resolve(t.root, v);
    yamltree_free(&t);
    yaml_parser_delete(&parser);
    return type;
}

static void test_scalar_rules(void **state)
{
    (void)state;
    struct yscalar v;
    static const char *const nulls[] = { "~", "null", "Null", "NULL", "--- \n" };
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++)
        assert_int_equal(resolve(nulls[i], &v), YSCALAR_NULL);
    assert_int_equal(resolve("True", &v), YSCALAR_BOOL);
    assert_int_equal(v.boolean, 1);
    assert_int_equal(resolve("FALSE", &v), YSCALAR_BOOL);
    assert_int_equal(v.boolean, 0);
    static const struct { const char *text; long long value; } ints[] = {
        { "0", 0 }, { "-17", -17 }, { "+5", 5 }, { "007", 7 }, { "0x1F", 31 }, { "0o17", 15 },
        { "9223372036854775807", 9223372036854775807LL },
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        assert_int_equal(resolve(ints[i].text, &v), YSCALAR_INT);
        assert_true(v.integer == ints[i].value);
    }
    static const struct { const char *text; double value; } floats[] = {
        { "2e3", 2000 }, { "1.5", 1.5 }, { "1.", 1 }, { ".5", 0.5 }, { "-2.5E-1", -0.25 },
        { "+1e+2", 100 },
    };
    for (size_t i = 0; i < sizeof floats / sizeof *floats; i++) {
        assert_int_equal(resolve(floats[i].text, &v), YSCALAR_FLOAT);
        assert_true(v.real == floats[i].value);
        assert_false(v.integral);
    }
    assert_int_equal(resolve("99999999999999999999", &v), YSCALAR_FLOAT); /* as go-yaml */
    assert_true(v.integral);
    assert_int_equal(resolve("-.inf", &v), YSCALAR_FLOAT);
    assert_true(isinf(v.real) && v.real < 0);
    assert_int_equal(resolve(".NaN", &v), YSCALAR_FLOAT);
    assert_true(isnan(v.real));
    assert_int_equal(resolve("1e999", &v), YSCALAR_FLOAT);
    assert_true(isinf(v.real));
    static const char *const strings[] = {
        "'1'", "\"true\"", "yes", "on", "1_000", "0b101", "0x", "0o8", "1e", ".", "-x", "+.",
        ".e1", "0x1p3", "1.2.3", "infinity", "nan", "0xFFFFFFFFFFFFFFFFFF", "|\n  7\n", "'~'",
    };
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        assert_int_equal(resolve(strings[i], &v), YSCALAR_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_composer_errors_are_libyamls),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_scalar_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
