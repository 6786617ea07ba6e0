/* libFuzzer target: jsontext against jansson on any bytes. The input is
 * split at 0xFF bytes into pieces; every valid UTF-8 piece must be written
 * by jt_string_len exactly as jansson dumps it. The pieces, taken as key,
 * value, key, value, ..., fill two jansson objects (members alternating
 * between them, so keys repeat across the two); a jt_object updated from
 * the first and then the second must be written exactly as jansson dumps
 * the first object updated with the second (sorted keys, later values
 * replacing earlier ones, keys of any UTF-8 but NUL). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

static void expect_same(const json_t *v, const struct strbuf *got)
{
    char *want = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    if (!want || strlen(want) != got->len || memcmp(want, got->buf, got->len) != 0)
        abort();
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_t *objs[2] = { json_object(), json_object() };
    const char *key = NULL;
    size_t key_len = 0, members = 0, start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != 0xFF)
            continue;
        const char *piece = text + start;
        size_t len = i - start;
        start = i + 1;
        json_t *s = json_stringn(piece, len);
        if (!s) /* not UTF-8: never given to jsontext */
            continue;
        struct strbuf got = STRBUF_INIT;
        jt_string_len(&got, piece, len);
        expect_same(s, &got);
        sb_release(&got);
        if (!key) {
            key = piece;
            key_len = len;
            json_decref(s);
            continue;
        }
        /* jansson rejects a NUL in a key when it reads JSON: no key has one. */
        if (memchr(key, 0, key_len))
            json_decref(s);
        else
            json_object_setn_new(objs[members++ % 2], key, key_len, s);
        key = NULL;
    }
    struct jt_object o = JT_OBJECT_INIT;
    jt_object_update(&o, objs[0]);
    jt_object_update(&o, objs[1]);
    struct strbuf got = STRBUF_INIT;
    jt_object_write(&o, &got);
    json_object_update(objs[0], objs[1]);
    expect_same(objs[0], &got);
    sb_release(&got);
    jt_object_release(&o);
    json_decref(objs[0]);
    json_decref(objs[1]);
    return 0;
}
