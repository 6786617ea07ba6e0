/* Unit tests: jsontext writes what jansson writes (every byte below 0x80
 * in a string, UTF-8, sorted and replaced members, jansson values), and a
 * jt_object's get/del/update. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

static void assert_dumped_as(const json_t *v, const struct strbuf *got)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    assert_non_null(want);
    assert_int_equal(got->len, strlen(want));
    assert_memory_equal(got->buf, want, got->len);
    free(want);
}

static void test_every_ascii_byte(void **state)
{
    (void)state;
    for (int c = 1; c < 0x80; c++) {
        char s[4] = { 'a', (char)c, 'z', 0 };
        struct strbuf got = STRBUF_INIT;
        jt_string(&got, s);
        json_t *v = json_string(s);
        assert_dumped_as(v, &got);
        json_decref(v);
        sb_release(&got);
    }
    struct strbuf got = STRBUF_INIT;
    jt_string_len(&got, "a\0b", 3);
    assert_string_equal(sb_str(&got), "\"a\\u0000b\"");
    sb_reset(&got);
    jt_string(&got, "\x1f\"\\/\x7f \xc3\xbc \xf0\x9f\x90\xa2");
    assert_string_equal(sb_str(&got), "\"\\u001F\\\"\\\\/\x7f \xc3\xbc \xf0\x9f\x90\xa2\"");
    sb_release(&got);
}

static void test_object_members(void **state)
{
    (void)state;
    json_error_t je;
    json_t *user = json_loads("{\"b\":[1,{\"z\":null,\"a\":true}],\"ab\":\"\\u00fc\",\"\":0}", 0, &je);
    assert_non_null(user);
    struct jt_object o = JT_OBJECT_INIT;
    sb_adds(jt_member(&o, "b"), "false");
    jt_string(jt_member(&o, "a"), "x");
    sb_adds(jt_member(&o, "c"), "[]");
    jt_object_update(&o, user);
    sb_adds(jt_member(&o, "c"), "2.5");
    size_t len = 0;
    const char *v = jt_object_get(&o, "b", &len);
    assert_non_null(v);
    assert_int_equal(len, strlen("[1,{\"a\":true,\"z\":null}]"));
    assert_memory_equal(v, "[1,{\"a\":true,\"z\":null}]", len);
    assert_null(jt_object_get(&o, "nope", &len));
    jt_object_del(&o, "a");
    jt_object_del(&o, "nope");
    struct strbuf got = STRBUF_INIT;
    jt_object_write(&o, &got);
    assert_string_equal(sb_str(&got), "{\"\":0,\"ab\":\"\xc3\xbc\",\"b\":[1,{\"a\":true,\"z\":null}],\"c\":2.5}");
    sb_release(&got);
    jt_object_release(&o);

    /* The same members, from jansson alone. */
    jt_object_update(&o, user);
    jt_object_write(&o, &got);
    assert_dumped_as(user, &got);
    sb_release(&got);
    jt_object_release(&o);
    json_decref(user);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_ascii_byte),
        cmocka_unit_test(test_object_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
