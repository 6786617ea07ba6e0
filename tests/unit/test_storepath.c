/* Unit tests: core/storepath — store path validation, compressHash, text,
 * fixed-output and derivation output paths, hashDerivationModulo and `.drv`
 * paths. Expected paths come from real Nix 2.8 runs (realnix_vectors.h and
 * the literals below, from tests/realnix-drv/derivations.nix). */
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
#include "fileio.h"
#include "realnix_vectors.h"
#include "drvhash.h"
#include "storepath.h"
#include "strbuf.h"
#include "xalloc.h"

static void test_parse_paths(void **state)
{
    (void)state;
    struct storepath_parts parts;
    struct lk_error err = LK_ERROR_INIT;
    const char *p = "/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-plain";
    assert_int_equal(storepath_parse(p, &parts, &err), 0);
    assert_string_equal(parts.name, "plain");
    assert_string_equal(parts.base, "qw058yscwgrx7rifbg86mnnljkh4iay1-plain");
    assert_memory_equal(parts.hash, "qw058yscwgrx7rifbg86mnnljkh4iay1", 32);
    for (size_t i = 0; i < REALNIX_N_DRVS; i++)
        assert_true(storepath_is_valid(realnix_drvs[i].path));
    assert_true(storepath_is_valid("/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-.dot"));
    assert_true(storepath_is_valid("/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-_+=?.-"));

    struct { const char *path, *msg; } bad[] = {
        { "/nix/stor/qw058yscwgrx7rifbg86mnnljkh4iay1-plain", "is not in the store" },
        { "nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-plain", "is not in the store" },
        { "/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1", "is not a store path" },
        { "/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-", "is not a store path" },
        { "/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay-plain", "is not a store path" },
        { "/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1_plain", "is not a store path" },
        { "/nix/store/ew058yscwgrx7rifbg86mnnljkh4iay1-plain", "invalid base-32 character" },
        { "/nix/store/Qw058yscwgrx7rifbg86mnnljkh4iay1-plain", "invalid base-32 character" },
        { "/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-pl/ain", "illegal character '/'" },
        { "/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-plain/", "illegal character '/'" },
        { "/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-a b", "illegal byte 0x20" },
        { "/nix/store/qw058yscwgrx7rifbg86mnnljkh4iay1-caf\xc3\xa9", "illegal byte 0xc3" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(storepath_parse(bad[i].path, &parts, &err), -1);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("%s: got '%s', want '%s'", bad[i].path, err.msg, bad[i].msg);
        assert_int_equal(err.status, LK_EXIT_INPUT);
        lk_error_clear(&err);
        assert_false(storepath_is_valid(bad[i].path));
    }
    char name[213];
    memset(name, 'x', 212);
    name[212] = '\0';
    assert_int_equal(storepath_check_name(name, &err), -1);
    assert_non_null(strstr(err.msg, "longer than 211"));
    lk_error_clear(&err);
    name[211] = '\0';
    assert_int_equal(storepath_check_name(name, &err), 0);
    assert_int_equal(storepath_check_name("", &err), -1);
    assert_non_null(strstr(err.msg, "empty"));
    lk_error_clear(&err);
}

static void test_compress(void **state)
{
    (void)state;
    unsigned char in[32], out[20];
    for (int i = 0; i < 32; i++)
        in[i] = (unsigned char)(i * 37 + 1);
    storepath_compress_hash(in, 32, out, 20);
    for (int i = 0; i < 20; i++) {
        unsigned char want = in[i];
        if (i + 20 < 32)
            want ^= in[i + 20];
        assert_int_equal(out[i], want);
    }
}

static void test_fixed_paths(void **state)
{
    (void)state;
    /* from nix-instantiate of tests/realnix-drv/derivations.nix */
    struct { const char *name, *algo, *hash, *path; } v[] = {
        { "fixed-flat", "sha256", "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03",
          "/nix/store/wwklwj0a26pz90f6l7adic854r8mff8v-fixed-flat" },
        { "fixed-rec", "r:sha256", "80e3b9025f0d100a9ae0503c34d793db5455883a3e5bb1ea5e21d3b1aa5daf59",
          "/nix/store/q462m2apqlfd4vvbrjl0aicq75kx0c41-fixed-rec" },
        { "fixed-sha1", "sha1", "f572d396fae9206628714fb2ce00f72e94f2258f",
          "/nix/store/nmgdpynwhd4yljfay4r39m8n1m0khqf9-fixed-sha1" },
        { "fixed-sha1-rec", "r:sha1", "f572d396fae9206628714fb2ce00f72e94f2258f",
          "/nix/store/j5cv4fwxl6lyjd6pdsc1hv9v5jac9f9z-fixed-sha1-rec" },
        { "fixed-sha512", "sha512",
          "e7c22b994c59d9cf2b48e549b1e24666636045930d3da7c1acb299d1c3b7f931f94aae41edda2c2b207a36e1"
          "0f8bcb8d45223e54878f5b316e7ce3b6bc019629",
          "/nix/store/ys02zg7d5dgvqr1cdgkpvnw019jns6p8-fixed-sha512" },
        { "fixed-md5", "md5", "b1946ac92492d2347c6235b4d2611184",
          "/nix/store/068gbfv3c2brijhn2zbpwbpwlvpa2h0n-fixed-md5" },
        /* upper-case hex is the same hash */
        { "fixed-md5", "md5", "B1946AC92492D2347C6235B4D2611184",
          "/nix/store/068gbfv3c2brijhn2zbpwbpwlvpa2h0n-fixed-md5" },
    };
    struct lk_error err = LK_ERROR_INIT;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *p;
        assert_int_equal(storepath_make_fixed(v[i].name, v[i].algo, v[i].hash, &p, &err), 0);
        assert_string_equal(p, v[i].path);
        free(p);
    }
    char *p;
    assert_int_equal(storepath_make_fixed("x", "sha3", "00", &p, &err), -1);
    assert_null(p);
    assert_non_null(strstr(err.msg, "unknown output hash algorithm 'sha3'"));
    lk_error_clear(&err);
    assert_int_equal(storepath_make_fixed("x", "sha1", "00", &p, &err), -1);
    assert_non_null(strstr(err.msg, "expected 40 hex digits, found 2"));
    lk_error_clear(&err);
}

static void test_text_paths(void **state)
{
    (void)state;
    char *a = storepath_make_text("input-a.txt", "some text\n", 10, NULL, 0);
    assert_string_equal(a, "/nix/store/di6q8sbwgf4syqkn8gh4j6js255jcqw0-input-a.txt");
    char *content = xasprintf("#!/bin/sh\ncat %s\n", a);
    char *refs[] = { a, a }; /* duplicates count once */
    char *b = storepath_make_text("input-b.sh", content, strlen(content), refs, 2);
    assert_string_equal(b, "/nix/store/i39ngcb53n7lk9njawlz76kh4ry118zh-input-b.sh");
    free(b);
    b = storepath_make_text("input-b.sh", content, strlen(content), refs, 1);
    assert_string_equal(b, "/nix/store/i39ngcb53n7lk9njawlz76kh4ry118zh-input-b.sh");
    free(b);
    /* without the reference the path differs */
    b = storepath_make_text("input-b.sh", content, strlen(content), NULL, 0);
    assert_string_not_equal(b, "/nix/store/i39ngcb53n7lk9njawlz76kh4ry118zh-input-b.sh");
    free(b);
    free(content);
    free(a);
    char *n = storepath_output_name("multi", "out");
    assert_string_equal(n, "multi");
    free(n);
    n = storepath_output_name("multi", "dev");
    assert_string_equal(n, "multi-dev");
    free(n);
    char *name = drv_name_from_path("/nix/store/flwnigrqmsa8dqsms6fh5r5862hrg572-multi.drv");
    assert_string_equal(name, "multi");
    free(name);
    assert_null(drv_name_from_path("/nix/store/flwnigrqmsa8dqsms6fh5r5862hrg572-.drv"));
    assert_null(drv_name_from_path("/nix/store/flwnigrqmsa8dqsms6fh5r5862hrg572-multi"));
    assert_null(drv_name_from_path("/tmp/x.drv"));
}

/* A lookup over the embedded vectors, computing input hashes recursively. */
static int vector_lookup(void *ctx, const char *path, unsigned char out[SHA256_BYTES],
                         struct lk_error *err)
{
    int *calls = ctx;
    (*calls)++;
    for (size_t i = 0; i < REALNIX_N_DRVS; i++) {
        if (strcmp(realnix_drvs[i].path, path) != 0)
            continue;
        struct drv d;
        if (drv_parse(realnix_drvs[i].text, strlen(realnix_drvs[i].text), path, &d, err) < 0)
            return -1;
        int r = drv_hash_modulo(&d, vector_lookup, ctx, out, err);
        drv_free(&d);
        return r;
    }
    return lk_bad_input(err, path, NULL, "unknown input derivation");
}

static const struct realnix_drv *vector_named(const char *suffix)
{
    size_t n = strlen(suffix);
    for (size_t i = 0; i < REALNIX_N_DRVS; i++) {
        size_t m = strlen(realnix_drvs[i].path);
        if (m > n && strcmp(realnix_drvs[i].path + m - n, suffix) == 0 &&
            realnix_drvs[i].path[m - n - 1] == '-')
            return &realnix_drvs[i];
    }
    fail_msg("no vector %s", suffix);
    return NULL;
}

static void test_real_derivations(void **state)
{
    (void)state;
    int calls = 0;
    for (size_t i = 0; i < REALNIX_N_DRVS; i++) {
        const struct realnix_drv *v = &realnix_drvs[i];
        struct drv d, fresh;
        struct lk_error err = LK_ERROR_INIT;
        assert_int_equal(drv_parse(v->text, strlen(v->text), v->path, &d, &err), 0);
        char *name = drv_name_from_path(v->path);
        assert_non_null(name);
        /* the .drv path */
        char *self = drv_store_path(&d, name);
        assert_string_equal(self, v->path);
        free(self);
        /* output paths from scratch: blank them, then fill */
        drv_clone(&fresh, &d);
        for (size_t j = 0; j < fresh.n_outputs; j++) {
            free(fresh.outputs[j].path);
            fresh.outputs[j].path = xstrdup("");
            drv_set_env(&fresh, fresh.outputs[j].name, "");
        }
        assert_int_equal(drv_fill_outputs(&fresh, NULL, vector_lookup, &calls, &err), 0);
        struct strbuf sb = STRBUF_INIT;
        drv_write(&fresh, &sb);
        assert_string_equal(sb.buf, v->text);
        sb_release(&sb);
        drv_free(&fresh);
        free(name);
        drv_free(&d);
    }
    assert_true(calls > 10);
}

static void test_hash_modulo_details(void **state)
{
    (void)state;
    int calls = 0;
    struct lk_error err = LK_ERROR_INIT;
    /* two fixed-output derivations with the same output hash and name but
     * different builders have the same hash modulo (and the same output) */
    struct drv a, b;
    const struct realnix_drv *va = vector_named("fixed-flat.drv");
    assert_int_equal(drv_parse(va->text, strlen(va->text), "a", &a, &err), 0);
    size_t twins = 0;
    for (size_t i = 0; i < REALNIX_N_DRVS; i++) {
        const struct realnix_drv *v = &realnix_drvs[i];
        if (v == va || !strstr(v->path, "-fixed-flat.drv"))
            continue;
        twins++;
        assert_int_equal(drv_parse(v->text, strlen(v->text), "b", &b, &err), 0);
        assert_string_not_equal(a.args[1], b.args[1]);
        unsigned char ha[32], hb[32];
        assert_int_equal(drv_hash_modulo(&a, vector_lookup, &calls, ha, &err), 0);
        assert_int_equal(drv_hash_modulo(&b, vector_lookup, &calls, hb, &err), 0);
        assert_memory_equal(ha, hb, 32);
        /* = sha256("fixed:out:sha256:<hex>:<path>") */
        char *s = xasprintf("fixed:out:sha256:%s:%s", a.outputs[0].hash, a.outputs[0].path);
        unsigned char hs[32];
        sha256_digest(s, strlen(s), hs);
        free(s);
        assert_memory_equal(ha, hs, 32);
        drv_free(&b);
    }
    assert_int_equal(twins, 1);
    drv_free(&a);

    /* errors: floating CA, a multi-output fixed-output drv, a bad algorithm,
     * no name, a failing lookup */
    struct drv d = DRV_INIT;
    drv_add_output(&d, "out", "", "r:sha256", "");
    drv_set_env(&d, "name", "x");
    unsigned char h[32];
    assert_int_equal(drv_hash_modulo(&d, vector_lookup, &calls, h, &err), -1);
    assert_non_null(strstr(err.msg, "floating"));
    lk_error_clear(&err);
    drv_add_output(&d, "dev", "", "", "");
    assert_int_equal(drv_fill_outputs(&d, NULL, vector_lookup, &calls, &err), -1);
    assert_non_null(strstr(err.msg, "exactly one output"));
    lk_error_clear(&err);
    drv_free(&d);
    drv_add_output(&d, "out", "", "sha257", "00");
    assert_int_equal(drv_fill_outputs(&d, "x", vector_lookup, &calls, &err), -1);
    assert_non_null(strstr(err.msg, "unknown output hash algorithm"));
    lk_error_clear(&err);
    drv_free(&d);
    drv_add_output(&d, "out", "", "", "");
    assert_int_equal(drv_fill_outputs(&d, NULL, vector_lookup, &calls, &err), -1);
    assert_non_null(strstr(err.msg, "no name"));
    lk_error_clear(&err);
    assert_int_equal(drv_fill_outputs(&d, "bad name", vector_lookup, &calls, &err), -1);
    assert_non_null(strstr(err.msg, "illegal byte 0x20"));
    lk_error_clear(&err);
    drv_add_input(&d, "/nix/store/00000000000000000000000000000000-unknown.drv", "out");
    assert_int_equal(drv_fill_outputs(&d, "x", vector_lookup, &calls, &err), -1);
    assert_string_equal(err.msg, "unknown input derivation");
    lk_error_clear(&err);
    drv_free(&d);
}

static void test_build_in_memory(void **state)
{
    (void)state;
    /* Rebuild "multi-user" (an input of multi's dev and lib outputs) the
     * way an evaluator would: add fields in any order, fill outputs. */
    const struct realnix_drv *v = vector_named("multi-user.drv");
    const struct realnix_drv *vm = vector_named("multi.drv");
    struct drv d = DRV_INIT;
    drv_set_env(&d, "system", "x86_64-linux");
    drv_set_env(&d, "name", "multi-user");
    drv_set_env(&d, "builder", "/bin/sh");
    drv_set_env(&d, "PATH", "/usr/bin:/bin");
    drv_add_output(&d, "out", NULL, NULL, NULL);
    drv_add_input(&d, vm->path, "lib");
    drv_add_input(&d, vm->path, "dev");
    drv_set_platform(&d, "x86_64-linux");
    drv_set_builder(&d, "/bin/sh");
    drv_add_arg(&d, "-c");
    drv_add_arg(&d, "cat /nix/store/829y8qczlr3dsvv9mczaf7arnwic4q3s-multi-dev "
                    "/nix/store/g6nsi0x6wj8rm4312955x5j6awckfq2b-multi-lib > $out");
    int calls = 0;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(drv_fill_outputs(&d, NULL, vector_lookup, &calls, &err), 0);
    struct strbuf sb = STRBUF_INIT;
    drv_write(&d, &sb);
    assert_string_equal(sb.buf, v->text);
    sb_release(&sb);
    char *self = drv_store_path(&d, "multi-user");
    assert_string_equal(self, v->path);
    free(self);
    drv_free(&d);
}

static char *write_vector_store(void)
{
    char *dir = xstrdup("/tmp/lk-test-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < REALNIX_N_DRVS; i++) {
        char *p = xasprintf("%s/%s", dir, realnix_drvs[i].path + strlen(NIX_STORE_DIR) + 1);
        struct lk_error err = LK_ERROR_INIT;
        assert_int_equal(file_write_atomic(p, realnix_drvs[i].text, strlen(realnix_drvs[i].text), &err), 0);
        free(p);
    }
    return dir;
}

static void test_store_lookup(void **state)
{
    (void)state;
    char *dir = write_vector_store();
    struct drv_store_hashes *c = drv_store_hashes_new(dir);
    int calls = 0;
    struct lk_error err = LK_ERROR_INIT;
    for (size_t i = 0; i < REALNIX_N_DRVS; i++) {
        unsigned char h1[32], h2[32];
        assert_int_equal(drv_store_hashes_lookup(c, realnix_drvs[i].path, h1, &err), 0);
        assert_int_equal(vector_lookup(&calls, realnix_drvs[i].path, h2, &err), 0);
        assert_memory_equal(h1, h2, 32);
        /* memoised: a second lookup answers the same */
        assert_int_equal(drv_store_hashes_lookup(c, realnix_drvs[i].path, h1, &err), 0);
        assert_memory_equal(h1, h2, 32);
    }
    /* errors: missing file, malformed file, a path outside the store, a cycle */
    unsigned char h[32];
    const char *missing = "/nix/store/00000000000000000000000000000000-missing.drv";
    assert_int_equal(drv_store_hashes_lookup(c, missing, h, &err), -1);
    assert_non_null(strstr(err.file, "-missing.drv"));
    assert_non_null(strstr(err.msg, "cannot open"));
    lk_error_clear(&err);
    assert_int_equal(drv_store_hashes_lookup(c, missing, h, &err), -1); /* again */
    lk_error_clear(&err);
    assert_int_equal(drv_store_hashes_lookup(c, "/tmp/x.drv", h, &err), -1);
    lk_error_clear(&err);

    const char *pa = "/nix/store/00000000000000000000000000000000-a.drv";
    const char *pb = "/nix/store/11111111111111111111111111111111-b.drv";
    char *fa = xasprintf("%s/00000000000000000000000000000000-a.drv", dir);
    char *fb = xasprintf("%s/11111111111111111111111111111111-b.drv", dir);
    char *ta = xasprintf("Derive([(\"out\",\"\",\"\",\"\")],[(\"%s\",[\"out\"])],[],\"s\",\"b\",[],[])", pb);
    char *tb = xasprintf("Derive([(\"out\",\"\",\"\",\"\")],[(\"%s\",[\"out\"])],[],\"s\",\"b\",[],[])", pa);
    assert_int_equal(file_write_atomic(fa, ta, strlen(ta), &err), 0);
    assert_int_equal(file_write_atomic(fb, tb, strlen(tb), &err), 0);
    assert_int_equal(drv_store_hashes_lookup(c, pa, h, &err), -1);
    assert_non_null(strstr(err.msg, "cycle"));
    lk_error_clear(&err);
    /* a malformed input names the file and byte */
    assert_int_equal(file_write_atomic(fb, "Derive(x", 8, &err), 0);
    struct drv_store_hashes *c2 = drv_store_hashes_new(dir);
    assert_int_equal(drv_store_hashes_lookup(c2, pa, h, &err), -1);
    assert_non_null(strstr(err.file, "-b.drv"));
    assert_string_equal(err.place, "byte 7");
    lk_error_clear(&err);
    drv_store_hashes_free(c2);
    drv_store_hashes_free(c);
    free(ta);
    free(tb);
    free(fa);
    free(fb);
    file_remove_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_paths),
        cmocka_unit_test(test_compress),
        cmocka_unit_test(test_fixed_paths),
        cmocka_unit_test(test_text_paths),
        cmocka_unit_test(test_real_derivations),
        cmocka_unit_test(test_hash_modulo_details),
        cmocka_unit_test(test_build_in_memory),
        cmocka_unit_test(test_store_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
