/* libFuzzer target: evalmerge on any bytes. The input's first byte picks
 * a number of shards N (1 to 8); the rest is a manifest text T. When T is
 * an object with a "targets" array (jsonscan), T is split as N shards
 * would print it (shard I: the elements whose index is I modulo N, the
 * other members as they are) and eval_merge() of the shards must give
 * exactly eval_merge() of T as the only shard. Otherwise eval_merge() of T
 * as the only shard must fail cleanly. No crash, no leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evalmerge.h"
#include "jsonscan.h"
#include "strbuf.h"
#include "xalloc.h"

/* Shard `index` of `count` of `text`, whose targets array is `arr` with
 * elements `el`. */
static char *split(const char *text, size_t len, struct json_span arr, const struct json_span *el,
                   size_t n_el, size_t index, size_t count, size_t *out_len)
{
    struct strbuf sb = STRBUF_INIT;
    sb_add(&sb, text, arr.off);
    sb_addc(&sb, '[');
    for (size_t i = index, k = 0; i < n_el; i += count, k++) {
        if (k)
            sb_addc(&sb, ',');
        sb_add(&sb, text + el[i].off, el[i].len);
    }
    sb_addc(&sb, ']');
    sb_add(&sb, text + arr.off + arr.len, len - arr.off - arr.len);
    *out_len = sb.len;
    return sb_detach(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = 1 + data[0] % 8;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct lk_error err = LK_ERROR_INIT;
    char *whole = NULL;
    size_t whole_len = 0;
    struct eval_shard_text one = { 0, 1, text, len };
    int rc = eval_merge(&one, 1, "f", &whole, &whole_len, &err);
    lk_error_clear(&err);

    struct json_member_span *members = NULL;
    size_t n_members = 0;
    struct json_span arr = { 0, 0 }, *el = NULL;
    size_t n_el = 0;
    int found = 0;
    if (jsonscan_object(text, len, &members, &n_members) == 0) {
        /* the first "targets" member, as evalmerge takes it */
        for (size_t i = 0; i < n_members; i++) {
            struct json_span k = members[i].key, v = members[i].value;
            if (k.len != 9 || memcmp(text + k.off, "\"targets\"", 9) != 0)
                continue;
            if (v.len >= 2 && text[v.off] == '[' && jsonscan_array(text, v, &el, &n_el) == 0) {
                arr = v;
                found = 1;
            }
            break;
        }
    }
    if (found != (rc == 0))
        abort(); /* merged exactly the texts with a targets array */
    if (found && rc == 0) {
        struct eval_shard_text *s = xcalloc(n, sizeof *s);
        char **texts = xcalloc(n, sizeof *texts);
        for (size_t i = 0; i < n; i++) {
            size_t at = n - 1 - i; /* in reverse order */
            size_t tl;
            texts[i] = split(text, len, arr, el, n_el, at, n, &tl);
            s[i] = (struct eval_shard_text){ at, n, texts[i], tl };
        }
        char *merged = NULL;
        size_t merged_len = 0;
        if (eval_merge(s, n, "f", &merged, &merged_len, &err) != 0 || merged_len != whole_len ||
            memcmp(merged, whole, whole_len) != 0)
            abort();
        lk_error_clear(&err);
        free(merged);
        for (size_t i = 0; i < n; i++)
            free(texts[i]);
        free(texts);
        free(s);
    }
    free(members);
    free(el);
    free(whole);
    return 0;
}
