/* Unit tests: core/nixbase32 (Nix base-32) and core/digest (SHA-256/SHA-1, hex).
 * The base-32 vectors were produced with real Nix 2.8
 * (`nix-hash --type <algo> --to-base32 <hex>`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "nixbase32.h"

struct b32_vector {
    const char *algo, *hex, *b32;
};

static const struct b32_vector b32_vectors[] = {
    {"md5", "9532f68f2c745998dca163959f38e63b", "1vwqw9z5b3l7f9hnbl5j7zcclm"},
    {"md5", "a1fda29ecb0887133a6541602274427b", "3v89s24q21clx171q8rfga5zd1"},
    {"sha1", "b2c5a2ad598a043bdf1456aff6e9ac67d4cf2093", "jchczm37mklzdbsn2kgkn14ab6ns5idj"},
    {"sha1", "0c8c52be1afac4d35cf59adad7d328b39121a1ba", "pahj34dk539xgnlsymfd7i7s3az5530c"},
    {"sha256", "ebfe6cc05f33f2ce2017ba56a317e0171951e41cb96b9336cadfc43ece1fa320",
     "08533z73xi6zr8v96sxr3kj5268pw0bs6mms2whcxwikbz06rzpb"},
    {"sha256", "9ef9db1e9c4ae263b84bb03efa64ddebbb1ad6efee9f8b3116c613b1f33ea94e",
     "0km97vrv24y62qqqp7zfxzb1mfzbvmjglgmh9fw67qjakhgdpycy"},
    {"sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
     "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"},
    {"sha256", "0000000000000000000000000000000000000000000000000000000000000000",
     "0000000000000000000000000000000000000000000000000000"},
    {"sha256", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"},
    {"sha512",
     "4521deaa501f4fe7e0d350042d5d7f53f5351c834218dac9775cb60d79a2e7808d4a10630197ff8a0abe7799"
     "0d2415366e252518bbb54485a15877f506b463d3",
     "39n7d06ymvmi8c58jsvn6154mp3c5941ncpgghaibzrf0b32158v077l9whvdjwfz4xl622hcf3bxakgxfjs12hs"
     "ghffkqza2mdw8a5"},
    {"sha512",
     "b4df6a344da49877b559a40f54c7dde6ba09dbc00149df0321bef22077f3818e5c5086e32caa0c77a50d3f9d"
     "eb3f8da73608d530720133d7b58aafcbedf2c185",
     "22w3wpdrfpqmdfp6c0p4c6m10vag39zxffky3d5fw6alb73hr85r3l1ydvj1wmy441xyj81q3dhkfp6vp3m83x4b"
     "6spg6549ls6mpxl"},
};

static void test_alphabet(void **state)
{
    (void)state;
    assert_int_equal(strlen(nixbase32_alphabet), 32);
    assert_string_equal(nixbase32_alphabet, "0123456789abcdfghijklmnpqrsvwxyz");
    for (const char *c = "eotu"; *c; c++)
        assert_false(nixbase32_is_digit(*c));
    assert_false(nixbase32_is_digit('\0'));
    assert_false(nixbase32_is_digit('A'));
}

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof b32_vectors / sizeof b32_vectors[0]; i++) {
        const struct b32_vector *v = &b32_vectors[i];
        unsigned char raw[64], back[64];
        size_t n = strlen(v->hex) / 2;
        struct lk_error err = LK_ERROR_INIT;
        assert_int_equal(hex_decode(v->hex, strlen(v->hex), raw, n, &err), 0);
        char out[200];
        nixbase32_encode(raw, n, out);
        assert_string_equal(out, v->b32);
        assert_int_equal(nixbase32_encoded_len(n), strlen(v->b32));
        assert_int_equal(nixbase32_decoded_len(strlen(v->b32)), n);
        assert_int_equal(nixbase32_decode(v->b32, strlen(v->b32), back, n, &err), 0);
        assert_memory_equal(raw, back, n);
    }
}

static void test_round_trip_all_lengths(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (size_t n = 0; n <= 64; n++) {
        for (int rep = 0; rep < 20; rep++) {
            unsigned char raw[64], back[64];
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                raw[i] = (unsigned char)(rep == 0 ? 0xff : rep == 1 ? 0 : seed >> 16);
            }
            char s[120];
            nixbase32_encode(raw, n, s);
            assert_int_equal(strlen(s), nixbase32_encoded_len(n));
            assert_int_equal(nixbase32_encoded_len(n), (n * 8 + 4) / 5);
            assert_int_equal(nixbase32_decoded_len(strlen(s)), n);
            struct lk_error err = LK_ERROR_INIT;
            memset(back, 0xaa, sizeof back);
            assert_int_equal(nixbase32_decode(s, strlen(s), back, n, &err), 0);
            assert_memory_equal(raw, back, n);
        }
    }
}

static void test_decode_rejects(void **state)
{
    (void)state;
    unsigned char out[32];
    struct lk_error err = LK_ERROR_INIT;
    const char *good = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s";
    /* every invalid character, at the first and the last position */
    for (int c = 1; c < 256; c++) {
        if (nixbase32_is_digit((char)c))
            continue;
        char s[53];
        memcpy(s, good, 53);
        s[5] = (char)c;
        assert_int_equal(nixbase32_decode(s, 52, out, 32, &err), -1);
        assert_non_null(strstr(err.msg, "invalid base-32 character at offset 5"));
        assert_int_equal(err.status, LK_EXIT_INPUT);
        lk_error_clear(&err);
    }
    /* wrong length */
    assert_int_equal(nixbase32_decode(good, 51, out, 32, &err), -1);
    assert_non_null(strstr(err.msg, "expected 52 base-32 characters"));
    lk_error_clear(&err);
    assert_int_equal(nixbase32_decoded_len(51), (size_t)-1);
    assert_int_equal(nixbase32_decoded_len(3), (size_t)-1);
    /* 32 bytes = 256 bits in 52*5 = 260: the top 4 bits of the first char must be 0 */
    for (const char *first = "23456789z"; *first; first++) {
        char s[53];
        memcpy(s, good, 53);
        s[0] = *first;
        assert_int_equal(nixbase32_decode(s, 52, out, 32, &err), -1);
        assert_non_null(strstr(err.msg, "bits set beyond the last byte"));
        lk_error_clear(&err);
    }
    char s[53];
    memcpy(s, good, 53);
    s[0] = '1';
    assert_int_equal(nixbase32_decode(s, 52, out, 32, &err), 0);
}

static void test_digest_vectors(void **state)
{
    (void)state;
    char hex[65];
    sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha1_hex("", 0, hex);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_hex("abc", 3, hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(two, strlen(two), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha1_hex(two, strlen(two), hex);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");

    /* incremental == one-shot, over a million 'a's fed in odd pieces */
    char *a = malloc(1000000);
    memset(a, 'a', 1000000);
    struct digest d;
    digest_begin(&d, DIGEST_SHA256);
    for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 3 % 9973 + 1)
        digest_add(&d, a + off, off + step > 1000000 ? 1000000 - off : step);
    unsigned char h[32], h2[32];
    digest_end(&d, h);
    sha256_digest(a, 1000000, h2);
    assert_memory_equal(h, h2, 32);
    hex_encode(h, 32, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    digest_begin(&d, DIGEST_SHA1);
    digest_add(&d, a, 1000000);
    digest_end(&d, h);
    hex_encode(h, 20, hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    assert_int_equal(digest_size(DIGEST_SHA1), 20);
    assert_int_equal(digest_size(DIGEST_SHA256), 32);
    free(a);
}

static void test_hex(void **state)
{
    (void)state;
    unsigned char raw[4];
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(hex_decode("DEADbeef", 8, raw, 4, &err), 0);
    char hex[9];
    hex_encode(raw, 4, hex);
    assert_string_equal(hex, "deadbeef");
    assert_int_equal(hex_decode("deadbee", 7, raw, 4, &err), -1);
    assert_non_null(strstr(err.msg, "expected 8 hex digits, found 7"));
    lk_error_clear(&err);
    assert_int_equal(hex_decode("deadbeeg", 8, raw, 4, &err), -1);
    assert_non_null(strstr(err.msg, "invalid hex digit at offset 7"));
    lk_error_clear(&err);
    hex_encode(raw, 0, hex);
    assert_string_equal(hex, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alphabet),
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_round_trip_all_lengths),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_digest_vectors),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
