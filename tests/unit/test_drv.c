/* Unit tests: core/drv — ATerm parse/write round trips (real Nix `.drv`
 * files, random derivations over every byte and escape), every parse error
 * with its byte offset, drv_sort, construction helpers, drv_read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drv.h"
#include "realnix_vectors.h"
#include "strbuf.h"
#include "xalloc.h"

static char *write_str(const struct drv *d)
{
    struct strbuf sb = STRBUF_INIT;
    drv_write(d, &sb);
    return sb_detach(&sb);
}

static void test_real_round_trip(void **state)
{
    (void)state;
    assert_true(REALNIX_N_DRVS >= 25);
    for (size_t i = 0; i < REALNIX_N_DRVS; i++) {
        const char *t = realnix_drvs[i].text;
        struct drv d;
        struct lk_error err = LK_ERROR_INIT;
        assert_int_equal(drv_parse(t, strlen(t), realnix_drvs[i].path, &d, &err), 0);
        char *w = write_str(&d);
        assert_string_equal(w, t);
        free(w);
        /* real .drv files are sorted already: drv_sort changes nothing */
        drv_sort(&d);
        w = write_str(&d);
        assert_string_equal(w, t);
        free(w);
        /* clone writes the same */
        struct drv c;
        drv_clone(&c, &d);
        w = write_str(&c);
        assert_string_equal(w, t);
        free(w);
        drv_free(&c);
        drv_free(&d);
        assert_null(d.outputs);
        assert_int_equal(d.n_env, 0);
    }
}

static void test_escapes_written(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    drv_write_string(&sb, "a\"b\\c\nd\re\tf${g}'\x01\x7f\xff\xc3\xa9");
    assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\nd\\re\\tf${g}'\x01\x7f\xff\xc3\xa9\"");
    sb_reset(&sb);
    drv_write_string(&sb, "");
    assert_string_equal(sb.buf, "\"\"");
    sb_release(&sb);

    /* every byte 1..255 in one string: exactly the five escapes, rest raw */
    char all[256];
    for (int c = 1; c < 256; c++)
        all[c - 1] = (char)c;
    all[255] = '\0';
    drv_write_string(&sb, all);
    struct strbuf want = STRBUF_INIT;
    sb_addc(&want, '"');
    for (int c = 1; c < 256; c++) {
        switch (c) {
        case '"': sb_adds(&want, "\\\""); break;
        case '\\': sb_adds(&want, "\\\\"); break;
        case '\n': sb_adds(&want, "\\n"); break;
        case '\r': sb_adds(&want, "\\r"); break;
        case '\t': sb_adds(&want, "\\t"); break;
        default: sb_addc(&want, (char)c);
        }
    }
    sb_addc(&want, '"');
    assert_int_equal(sb.len, want.len);
    assert_memory_equal(sb.buf, want.buf, want.len);
    sb_release(&sb);
    sb_release(&want);
}

static void test_escapes_parsed(void **state)
{
    (void)state;
    /* Nix's parser: \n \r \t are control characters, \x is x for any other x */
    const char *t = "Derive([],[],[],\"\\a\\\"\\\\\\n\\r\\t\\$\\\xff\",\"b\",[],[])";
    struct drv d;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(drv_parse(t, strlen(t), "f", &d, &err), 0);
    assert_string_equal(d.platform, "a\"\\\n\r\t$\xff");
    char *w = write_str(&d);
    assert_string_equal(w, "Derive([],[],[],\"a\\\"\\\\\\n\\r\\t$\xff\",\"b\",[],[])");
    free(w);
    drv_free(&d);
    /* raw control characters inside strings are accepted as they are */
    const char *raw = "Derive([],[],[],\"x\ny\tz\r\",\"b\",[],[])";
    assert_int_equal(drv_parse(raw, strlen(raw), "f", &d, &err), 0);
    assert_string_equal(d.platform, "x\ny\tz\r");
    drv_free(&d);
}

static unsigned rnd_state = 42;
static unsigned rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 16) & 0x7fff;
}

static char *rnd_string(void)
{
    static const char special[] = "\"\\\n\r\t${}()[],";
    size_t n = rnd() % 12;
    char *s = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned r = rnd() % 3;
        s[i] = r == 0 ? special[rnd() % (sizeof special - 1)] : (char)(1 + rnd() % 255);
    }
    s[n] = '\0';
    return s;
}

static char *rnd_path(void)
{
    char *s = rnd_string();
    char *p = xasprintf("/nix/store/%s", s);
    free(s);
    return p;
}

static void test_random_round_trip(void **state)
{
    (void)state;
    for (int iter = 0; iter < 500; iter++) {
        struct drv d = DRV_INIT;
        size_t n = rnd() % 4;
        for (size_t i = 0; i < n; i++) {
            char *a = rnd_string(), *b = rnd_path(), *c = rnd_string(), *e = rnd_string();
            drv_add_output(&d, a, iter % 2 ? b : "", c, e);
            free(a), free(b), free(c), free(e);
        }
        n = rnd() % 4;
        for (size_t i = 0; i < n; i++) {
            char *p = rnd_path();
            size_t m = rnd() % 3;
            for (size_t j = 0; j < m; j++) {
                char *o = rnd_string();
                drv_add_input(&d, p, o);
                free(o);
            }
            if (m == 0) { /* an input with no output names */
                d.inputs = xrealloc(d.inputs, (d.n_inputs + 1) * sizeof *d.inputs);
                d.inputs[d.n_inputs++] = (struct drv_input){ xstrdup(p), NULL, 0 };
            }
            free(p);
        }
        n = rnd() % 4;
        for (size_t i = 0; i < n; i++) {
            char *p = rnd_path();
            drv_add_src(&d, p);
            free(p);
        }
        char *s = rnd_string();
        drv_set_platform(&d, s);
        free(s);
        s = rnd_string();
        drv_set_builder(&d, s);
        free(s);
        n = rnd() % 5;
        for (size_t i = 0; i < n; i++) {
            s = rnd_string();
            drv_add_arg(&d, s);
            free(s);
        }
        n = rnd() % 6;
        for (size_t i = 0; i < n; i++) {
            char *k = rnd_string(), *v = rnd_string();
            d.env = xrealloc(d.env, (d.n_env + 1) * sizeof *d.env);
            d.env[d.n_env++] = (struct drv_env){ k, v }; /* duplicates allowed */
        }
        if (iter % 3 == 0)
            drv_sort(&d);

        struct strbuf a = STRBUF_INIT;
        drv_write(&d, &a);
        struct drv p;
        struct lk_error err = LK_ERROR_INIT;
        if (drv_parse(a.buf, a.len, "random", &p, &err) < 0)
            fail_msg("random drv %d does not parse: %s: %s\n%s", iter, err.place, err.msg, a.buf);
        /* every field survives */
        assert_int_equal(p.n_outputs, d.n_outputs);
        for (size_t i = 0; i < d.n_outputs; i++) {
            assert_string_equal(p.outputs[i].name, d.outputs[i].name);
            assert_string_equal(p.outputs[i].path, d.outputs[i].path);
            assert_string_equal(p.outputs[i].hash_algo, d.outputs[i].hash_algo);
            assert_string_equal(p.outputs[i].hash, d.outputs[i].hash);
        }
        assert_int_equal(p.n_inputs, d.n_inputs);
        for (size_t i = 0; i < d.n_inputs; i++) {
            assert_string_equal(p.inputs[i].path, d.inputs[i].path);
            assert_int_equal(p.inputs[i].n_outputs, d.inputs[i].n_outputs);
            for (size_t j = 0; j < d.inputs[i].n_outputs; j++)
                assert_string_equal(p.inputs[i].outputs[j], d.inputs[i].outputs[j]);
        }
        assert_int_equal(p.n_srcs, d.n_srcs);
        for (size_t i = 0; i < d.n_srcs; i++)
            assert_string_equal(p.srcs[i], d.srcs[i]);
        assert_string_equal(p.platform, d.platform);
        assert_string_equal(p.builder, d.builder);
        assert_int_equal(p.n_args, d.n_args);
        for (size_t i = 0; i < d.n_args; i++)
            assert_string_equal(p.args[i], d.args[i]);
        assert_int_equal(p.n_env, d.n_env);
        for (size_t i = 0; i < d.n_env; i++) {
            assert_string_equal(p.env[i].key, d.env[i].key);
            assert_string_equal(p.env[i].value, d.env[i].value);
        }
        struct strbuf b = STRBUF_INIT;
        drv_write(&p, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.buf, b.buf, a.len);
        sb_release(&a);
        sb_release(&b);
        drv_free(&p);
        drv_free(&d);
    }
}

struct bad_case {
    const char *text;
    size_t len; /* 0: strlen */
    const char *place;
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    { "", 0, "byte 0", "expected \"Derive\" at the start of a derivation, found end of input" },
    { "derive([", 0, "byte 0", "expected \"Derive\" at the start of a derivation, found 'd'" },
    { "Deriv", 0, "byte 5", "expected \"Derive\" at the start of a derivation, found end of input" },
    { "Derive[", 0, "byte 6", "expected '(' after \"Derive\", found '['" },
    { "Derive(", 0, "byte 7", "expected '[' starting the list of outputs, found end of input" },
    { "Derive((", 0, "byte 7", "expected '[' starting the list of outputs, found '('" },
    { "Derive([\"out\"", 0, "byte 8", "expected '(' starting an output, found '\"'" },
    { "Derive([(out", 0, "byte 9", "expected the output name (a string), found 'o'" },
    { "Derive([(\"out", 0, "byte 9", "unterminated string" },
    { "Derive([(\"out\\", 0, "byte 9", "unterminated string" },
    { "Derive([(\"out\")", 0, "byte 14", "expected ',' after the output name, found ')'" },
    { "Derive([(\"out\",\"/p\",\"\",\"\"", 0, "byte 25", "expected ')' closing an output, found end of input" },
    { "Derive([(\"out\",\"p\",\"\",\"\")", 0, "byte 15", "expected the output path to be empty or absolute" },
    { "Derive([(\"out\",\"\",\"\",\"\")(", 0, "byte 24", "expected ',' or ']' after an output, found '('" },
    { "Derive([(\"out\",\"\",\"\",\"\"),]", 0, "byte 25", "expected '(' starting an output, found ']'" },
    { "Derive([]]", 0, "byte 9", "expected ',' after the list of outputs, found ']'" },
    { "Derive([],(", 0, "byte 10", "expected '[' starting the list of input derivations, found '('" },
    { "Derive([],[(\"x.drv\"", 0, "byte 12", "expected the input derivation path (an absolute path)" },
    { "Derive([],[(\"/x.drv\"]", 0, "byte 20", "expected ',' after the input derivation path, found ']'" },
    { "Derive([],[(\"/x.drv\",\"out\"", 0, "byte 21", "expected '[' starting the input's output names, found '\"'" },
    { "Derive([],[(\"/x.drv\",[\"out\"]]", 0, "byte 28", "expected ')' closing an input derivation, found ']'" },
    { "Derive([],[(\"/x.drv\",[\"out\" \"dev\"])", 0, "byte 27", "expected ',' or ']' after an output name, found byte 0x20" },
    { "Derive([],[],[\"src\"", 0, "byte 14", "expected an input source (an absolute path)" },
    { "Derive([],[],[\"\"", 0, "byte 14", "expected an input source (an absolute path)" },
    { "Derive([],[],[],x", 0, "byte 16", "expected the platform (a string), found 'x'" },
    { "Derive([],[],[],\"p\"\"b\"", 0, "byte 19", "expected ',' after the platform, found '\"'" },
    { "Derive([],[],[],\"p\",", 0, "byte 20", "expected the builder (a string), found end of input" },
    { "Derive([],[],[],\"p\",\"b\",\"a\"", 0, "byte 24", "expected '[' starting the list of builder arguments, found '\"'" },
    { "Derive([],[],[],\"p\",\"b\",[\"a\",]", 0, "byte 29", "expected a builder argument (a string), found ']'" },
    { "Derive([],[],[],\"p\",\"b\",[],[(\"k\")", 0, "byte 32", "expected ',' after the variable name, found ')'" },
    { "Derive([],[],[],\"p\",\"b\",[],[(\"k\",\"v\"]", 0, "byte 36", "expected ')' closing an environment variable, found ']'" },
    { "Derive([],[],[],\"p\",\"b\",[],[(\"k\",\"v\")]", 0, "byte 38", "expected ')' closing the derivation, found end of input" },
    { "Derive([],[],[],\"p\",\"b\",[],[]) ", 0, "byte 30", "trailing data after the derivation" },
    { "Derive([],[],[],\"p\",\"b\",[],[])\n", 0, "byte 30", "trailing data after the derivation" },
    { "Derive([],[],[],\"p\",\"b\",[],[])Derive", 0, "byte 30", "trailing data after the derivation" },
    { "Derive( [],[],[],\"p\",\"b\",[],[])", 0, "byte 7", "expected '[' starting the list of outputs, found byte 0x20" },
    /* NUL bytes, inside and outside strings */
    { "Derive([],[],[],\"p\0q\",\"b\",[],[])", 32, "byte 18", "NUL byte in a string" },
    { "Derive([],[],[],\"p\\\0\",\"b\",[],[])", 32, "byte 19", "NUL byte in a string" },
    { "Derive([],[],[],\0", 17, "byte 16", "expected the platform (a string), found a NUL byte" },
    { "Derive([],[],[],\"p\",\"b\",[],[])\0", 31, "byte 30", "trailing data after the derivation" },
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t len = c->len ? c->len : strlen(c->text);
        struct drv d;
        struct lk_error err = LK_ERROR_INIT;
        int r = drv_parse(c->text, len, "bad.drv", &d, &err);
        if (r != -1)
            fail_msg("case %zu parsed: %s", i, c->text);
        assert_int_equal(err.status, LK_EXIT_INPUT);
        assert_string_equal(err.file, "bad.drv");
        if (strcmp(err.place, c->place) != 0 || strcmp(err.msg, c->msg) != 0)
            fail_msg("case %zu (%s): got %s: %s; want %s: %s", i, c->text, err.place, err.msg,
                     c->place, c->msg);
        /* the struct is empty after an error */
        assert_null(d.outputs);
        assert_null(d.platform);
        assert_int_equal(d.n_env, 0);
        lk_error_clear(&err);
    }
}

static void test_parse_errors_every_prefix(void **state)
{
    (void)state;
    /* every strict prefix of a real .drv is rejected, and the error is at or
     * before the end of the prefix; no leaks (checked under ASan) */
    const char *t = realnix_drvs[0].text;
    size_t n = strlen(t);
    for (size_t len = 0; len < n; len++) {
        struct drv d;
        struct lk_error err = LK_ERROR_INIT;
        assert_int_equal(drv_parse(t, len, "p.drv", &d, &err), -1);
        size_t at;
        assert_int_equal(sscanf(err.place, "byte %zu", &at), 1);
        assert_true(at <= len);
        lk_error_clear(&err);
    }
}

/* drv_parse_inputs(): the same parser keeping only the input paths. */
static void assert_same_error(const char *text, size_t len)
{
    struct drv d, e;
    struct lk_error err = LK_ERROR_INIT, err2 = LK_ERROR_INIT;
    int r1 = drv_parse(text, len, "x.drv", &d, &err);
    int r2 = drv_parse_inputs(text, len, "x.drv", &e, &err2);
    assert_int_equal(r1, r2);
    if (r1 == 0) {
        assert_int_equal(d.n_inputs, e.n_inputs);
        for (size_t i = 0; i < d.n_inputs; i++) {
            assert_string_equal(d.inputs[i].path, e.inputs[i].path);
            assert_int_equal(e.inputs[i].n_outputs, 0);
            assert_null(e.inputs[i].outputs);
        }
        assert_null(e.outputs);
        assert_int_equal(e.n_outputs, 0);
        assert_null(e.srcs);
        assert_null(e.platform);
        assert_null(e.builder);
        assert_null(e.args);
        assert_null(e.env);
        assert_int_equal(e.n_env, 0);
        drv_free(&d);
        drv_free(&e);
    } else {
        assert_string_equal(err.file, err2.file);
        assert_string_equal(err.place, err2.place);
        assert_string_equal(err.msg, err2.msg);
        assert_null(e.inputs);
        lk_error_clear(&err);
        lk_error_clear(&err2);
    }
}

static void test_parse_inputs(void **state)
{
    (void)state;
    size_t with_inputs = 0;
    for (size_t i = 0; i < REALNIX_N_DRVS; i++) {
        const char *t = realnix_drvs[i].text;
        struct drv d;
        struct lk_error err = LK_ERROR_INIT;
        assert_int_equal(drv_parse_inputs(t, strlen(t), "x.drv", &d, &err), 0);
        with_inputs += d.n_inputs > 0;
        drv_free(&d);
        assert_same_error(t, strlen(t));
    }
    assert_true(with_inputs > 0);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
        assert_same_error(bad_cases[i].text, bad_cases[i].len ? bad_cases[i].len : strlen(bad_cases[i].text));
    /* escapes at the start of checked paths */
    assert_same_error("Derive([(\"out\",\"\\/x\",\"\",\"\")],[],[],\"p\",\"b\",[],[])", 49);
    assert_same_error("Derive([(\"out\",\"\\nx\",\"\",\"\")],[],[],\"p\",\"b\",[],[])", 49);
    assert_same_error("Derive([],[(\"\\/a.drv\",[\"out\"])],[\"\\x\"],\"p\",\"b\",[],[])", 53);
    /* every prefix of a real .drv with inputs */
    for (size_t i = 0; i < REALNIX_N_DRVS; i++) {
        const char *t = realnix_drvs[i].text;
        if (!strstr(t, "],[(\""))
            continue;
        for (size_t len = 0; len < strlen(t); len++)
            assert_same_error(t, len);
        break;
    }
}

static void test_sort(void **state)
{
    (void)state;
    struct drv d = DRV_INIT;
    drv_add_output(&d, "out", "", "", "");
    drv_add_output(&d, "dev", "/a", "", "");
    drv_add_output(&d, "bin", "", "", "");
    drv_add_output(&d, "dev", "/b", "", "");
    drv_add_input(&d, "/nix/store/z.drv", "out");
    drv_add_input(&d, "/nix/store/a.drv", "lib");
    drv_add_input(&d, "/nix/store/a.drv", "dev");
    drv_add_input(&d, "/nix/store/a.drv", "lib");
    /* a second entry for the same path: merged */
    d.inputs = xrealloc(d.inputs, (d.n_inputs + 1) * sizeof *d.inputs);
    char **outs = xmalloc(2 * sizeof *outs);
    outs[0] = xstrdup("bin");
    outs[1] = xstrdup("dev");
    d.inputs[d.n_inputs++] = (struct drv_input){ xstrdup("/nix/store/a.drv"), outs, 2 };
    drv_add_src(&d, "/nix/store/s2");
    drv_add_src(&d, "/nix/store/s1");
    drv_add_src(&d, "/nix/store/s2");
    drv_set_platform(&d, "x86_64-linux");
    drv_set_builder(&d, "/bin/sh");
    drv_add_arg(&d, "b");
    drv_add_arg(&d, "a");
    drv_set_env(&d, "z", "1");
    drv_set_env(&d, "\xc3\xa9", "high byte sorts last");
    drv_set_env(&d, "Z", "upper before lower");
    drv_set_env(&d, "a", "first");
    d.env = xrealloc(d.env, (d.n_env + 1) * sizeof *d.env);
    d.env[d.n_env++] = (struct drv_env){ xstrdup("a"), xstrdup("last wins") };
    drv_set_env(&d, "z", "2"); /* replaces */
    drv_sort(&d);
    char *w = write_str(&d);
    assert_string_equal(w,
        "Derive([(\"bin\",\"\",\"\",\"\"),(\"dev\",\"/b\",\"\",\"\"),(\"out\",\"\",\"\",\"\")],"
        "[(\"/nix/store/a.drv\",[\"bin\",\"dev\",\"lib\"]),(\"/nix/store/z.drv\",[\"out\"])],"
        "[\"/nix/store/s1\",\"/nix/store/s2\"],\"x86_64-linux\",\"/bin/sh\",[\"b\",\"a\"],"
        "[(\"Z\",\"upper before lower\"),(\"a\",\"last wins\"),(\"z\",\"2\"),"
        "(\"\xc3\xa9\",\"high byte sorts last\")])");
    free(w);
    assert_string_equal(drv_get_env(&d, "a"), "last wins");
    assert_null(drv_get_env(&d, "missing"));
    assert_string_equal(drv_get_output(&d, "dev")->path, "/b");
    assert_null(drv_get_output(&d, "lib"));
    drv_free(&d);
    /* an empty drv writes with empty platform and builder */
    struct drv e = DRV_INIT;
    drv_sort(&e);
    w = write_str(&e);
    assert_string_equal(w, "Derive([],[],[],\"\",\"\",[],[])");
    free(w);
    drv_free(&e);
}

/* drv_sort at sizes from 2 to 100: keys drawn with repeats, in random
 * order; the result must be the sorted distinct keys, each with the value of
 * its last entry (env, outputs), and srcs deduplicated. Checked against a
 * reference computed here. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_sort_sizes(void **state)
{
    (void)state;
    static const size_t sizes[] = { 2, 3, 15, 16, 17, 31, 40, 100 };
    unsigned seed = 12345;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t n = sizes[si];
        struct drv d = DRV_INIT;
        char **keys = xcalloc(n, sizeof *keys), **last = xcalloc(n, sizeof *last);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            keys[i] = xasprintf("k%zu", (size_t)(seed >> 16) % (n / 2 + 1));
            char *value = xasprintf("v%zu", i);
            /* appended directly: drv_set_env would replace in place */
            d.env = xrealloc(d.env, (d.n_env + 1) * sizeof *d.env);
            d.env[d.n_env++] = (struct drv_env){ xstrdup(keys[i]), xstrdup(value) };
            d.outputs = xrealloc(d.outputs, (d.n_outputs + 1) * sizeof *d.outputs);
            d.outputs[d.n_outputs++] =
                (struct drv_output){ xstrdup(keys[i]), xstrdup(value), xstrdup(""), xstrdup("") };
            drv_add_src(&d, keys[i]);
            free(value);
        }
        /* reference: distinct keys sorted, the last value of each */
        char **want = xcalloc(n, sizeof *want);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            size_t j = 0;
            while (j < m && strcmp(want[j], keys[i]) != 0)
                j++;
            if (j == m)
                want[m++] = keys[i];
            free(last[j]);
            last[j] = xasprintf("v%zu", i);
        }
        char **sorted = xcalloc(m, sizeof *sorted);
        memcpy(sorted, want, m * sizeof *sorted);
        qsort(sorted, m, sizeof *sorted, cmp_str);
        drv_sort(&d);
        assert_int_equal(d.n_env, m);
        assert_int_equal(d.n_outputs, m);
        assert_int_equal(d.n_srcs, m);
        for (size_t i = 0; i < m; i++) {
            size_t j = 0;
            while (strcmp(want[j], sorted[i]) != 0)
                j++;
            assert_string_equal(d.env[i].key, sorted[i]);
            assert_string_equal(d.env[i].value, last[j]);
            assert_string_equal(d.outputs[i].name, sorted[i]);
            assert_string_equal(d.outputs[i].path, last[j]);
            assert_string_equal(d.srcs[i], sorted[i]);
        }
        /* sorting a sorted derivation changes nothing */
        char *once = write_str(&d);
        drv_sort(&d);
        char *twice = write_str(&d);
        assert_string_equal(once, twice);
        free(once);
        free(twice);
        for (size_t i = 0; i < n; i++) {
            free(keys[i]);
            free(last[i]);
        }
        free(keys);
        free(last);
        free(want);
        free(sorted);
        drv_free(&d);
    }
}

static void test_read(void **state)
{
    (void)state;
    char dir[] = "/tmp/lk-test-drv-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *good = xasprintf("%s/good.drv", dir), *bad = xasprintf("%s/bad.drv", dir);
    FILE *f = fopen(good, "w");
    fputs(realnix_drvs[1].text, f);
    fclose(f);
    f = fopen(bad, "w");
    fputs("Derive([],[],[],\"p\",\"b\",[],[]))", f);
    fclose(f);
    struct drv d;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(drv_read(good, &d, &err), 0);
    char *w = write_str(&d);
    assert_string_equal(w, realnix_drvs[1].text);
    free(w);
    drv_free(&d);
    assert_int_equal(drv_read(bad, &d, &err), -1);
    assert_string_equal(err.file, bad);
    assert_string_equal(err.place, "byte 30");
    assert_string_equal(err.msg, "trailing data after the derivation");
    lk_error_clear(&err);
    char *missing = xasprintf("%s/missing.drv", dir);
    assert_int_equal(drv_read(missing, &d, &err), -1);
    assert_string_equal(err.file, missing);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    lk_error_clear(&err);
    unlink(good);
    unlink(bad);
    rmdir(dir);
    free(good);
    free(bad);
    free(missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_round_trip),
        cmocka_unit_test(test_escapes_written),
        cmocka_unit_test(test_escapes_parsed),
        cmocka_unit_test(test_random_round_trip),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_errors_every_prefix),
        cmocka_unit_test(test_parse_inputs),
        cmocka_unit_test(test_sort),
        cmocka_unit_test(test_sort_sizes),
        cmocka_unit_test(test_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
