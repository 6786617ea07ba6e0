/* Unit tests: evalmerge — shard manifests interleaved back into the one
 * manifest text, and shards that do not fit together refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evalmerge.h"
#include "strbuf.h"
#include "xalloc.h"

#define PIPELINE "\"pipeline\":{\"headBranch\":\"refs/heads/main\"}"

/* The manifest text of targets {"i":K} for the K listed (-1 ends). */
static char *manifest_of(const int *ks)
{
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "{" PIPELINE ",\"targets\":[");
    for (size_t i = 0; ks[i] >= 0; i++)
        sb_addf(&sb, "%s{\"attrPath\":[\"t%d\"],\"i\":%d}", i ? "," : "", ks[i], ks[i]);
    sb_adds(&sb, "],\"version\":1}");
    return sb_detach(&sb);
}

/* The shard of `total` targets holding index I modulo N. */
static char *shard_of(size_t index, size_t count, size_t total)
{
    int *ks = xcalloc(total + 1, sizeof *ks);
    size_t n = 0;
    for (size_t i = index; i < total; i += count)
        ks[n++] = (int)i;
    ks[n] = -1;
    char *text = manifest_of(ks);
    free(ks);
    return text;
}

static char *whole(size_t total)
{
    return shard_of(0, 1, total);
}

static void expect_merge(const struct eval_shard_text *s, size_t n, const char *want)
{
    char *json;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    if (eval_merge(s, n, "depot", &json, &len, &err) != 0)
        fail_msg("eval_merge: %s", err.msg);
    assert_string_equal(json, want);
    assert_int_equal(len, strlen(want));
    free(json);
}

static void fill(struct eval_shard_text *s, size_t index, size_t count, const char *text)
{
    *s = (struct eval_shard_text){ index, count, text, strlen(text) };
}

/* N shards of T targets give back the unsharded text, byte for byte, for
 * every N (more shards than targets included) and T (none included). */
static void test_interleaved(void **state)
{
    (void)state;
    for (size_t total = 0; total <= 9; total++) {
        char *want = whole(total);
        for (size_t n = 1; n <= 12; n++) {
            struct eval_shard_text *s = xcalloc(n, sizeof *s);
            char **texts = xcalloc(n, sizeof *texts);
            /* in any order: here last shard first */
            for (size_t i = 0; i < n; i++) {
                texts[i] = shard_of(n - 1 - i, n, total);
                fill(&s[i], n - 1 - i, n, texts[i]);
            }
            expect_merge(s, n, want);
            for (size_t i = 0; i < n; i++)
                free(texts[i]);
            free(texts);
            free(s);
        }
        free(want);
    }
}

/* A shard split (memory bound): 1 of 2 as 1 of 4 and 3 of 4, and 3 of 4
 * again as 3 of 8 and 7 of 8. */
static void test_split_shards(void **state)
{
    (void)state;
    size_t total = 21;
    char *a = shard_of(0, 2, total), *b = shard_of(1, 4, total), *c = shard_of(3, 8, total),
         *d = shard_of(7, 8, total);
    struct eval_shard_text s[4];
    fill(&s[0], 3, 8, c);
    fill(&s[1], 0, 2, a);
    fill(&s[2], 7, 8, d);
    fill(&s[3], 1, 4, b);
    char *want = whole(total);
    expect_merge(s, 4, want);
    free(want);
    free(a), free(b), free(c), free(d);
}

static void expect_error(const struct eval_shard_text *s, size_t n, int status, const char *msg)
{
    char *json = (char *)"untouched";
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(eval_merge(s, n, "depot", &json, &len, &err), -1);
    assert_null(json);
    assert_int_equal(err.status, status);
    if (!strstr(err.msg, msg))
        fail_msg("message '%s' lacks '%s'", err.msg, msg);
    lk_error_clear(&err);
}

static void test_refused(void **state)
{
    (void)state;
    char *s0 = shard_of(0, 2, 5), *s1 = shard_of(1, 2, 5), *s1of3 = shard_of(1, 3, 5);
    struct eval_shard_text s[3];
    /* a shard missing */
    fill(&s[0], 0, 2, s0);
    expect_error(s, 1, LK_EXIT_FAIL, "holds 3 targets, not the 2");
    /* a shard twice */
    fill(&s[1], 0, 2, s0);
    expect_error(s, 2, LK_EXIT_FAIL, "target 0 is in shard 0 of 2 and in shard 0 of 2");
    /* shards of different splits that overlap */
    fill(&s[1], 1, 2, s1);
    fill(&s[2], 1, 3, s1of3);
    expect_error(s, 3, LK_EXIT_FAIL, "not the");
    /* not a manifest */
    fill(&s[1], 1, 2, "error: nothing");
    expect_error(s, 2, LK_EXIT_INPUT, "shard 1 of 2: nix-instantiate printed no manifest");
    fill(&s[1], 1, 2, "{\"targets\":{}}");
    expect_error(s, 2, LK_EXIT_INPUT, "printed no manifest");
    fill(&s[1], 1, 2, "{\"version\":1}");
    expect_error(s, 2, LK_EXIT_INPUT, "printed no manifest");
    /* the shards disagree on another member */
    char *other = xstrdup(s1);
    other[strlen(other) - 2] = '2'; /* "version":2 */
    fill(&s[1], 1, 2, other);
    expect_error(s, 2, LK_EXIT_FAIL, "disagree on member \"version\"");
    free(other);
    /* a shard index outside its count */
    fill(&s[1], 2, 2, s1);
    expect_error(s, 2, LK_EXIT_FAIL, "shard 2 of 2");
    expect_error(s, 0, LK_EXIT_FAIL, "no shard");
    free(s0), free(s1), free(s1of3);
}

/* Whitespace Nix does not print is kept where it is, outside the array. */
static void test_text_around(void **state)
{
    (void)state;
    const char *a = " { \"targets\" : [ 1 , 3 ] , \"version\" : 1 } ";
    const char *b = " { \"targets\" : [2] , \"version\" : 1 } ";
    struct eval_shard_text s[2];
    fill(&s[0], 0, 2, a);
    fill(&s[1], 1, 2, b);
    expect_merge(s, 2, " { \"targets\" : [1,2,3] , \"version\" : 1 } ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interleaved),
        cmocka_unit_test(test_split_shards),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_text_around),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
