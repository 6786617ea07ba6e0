/* Unit tests: strindex, the string → position hash index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "strindex.h"
#include "xalloc.h"

static void test_empty(void **state)
{
    (void)state;
    struct strindex t = STRINDEX_INIT;
    assert_int_equal(strindex_get(&t, "x"), STRINDEX_NONE);
    strindex_release(&t);
}

/* Many keys, through several growths; keys that differ only late and the
 * empty key; every key found with its value, absent keys not found. */
static void test_many(void **state)
{
    (void)state;
    enum { N = 20000 };
    char **keys = xcalloc(N, sizeof *keys);
    struct strindex t = STRINDEX_INIT;
    for (size_t i = 0; i < N; i++) {
        keys[i] = i ? xasprintf("/nix/store/prefix-%zu.drv", i) : xstrdup("");
        strindex_put(&t, keys[i], i * 3);
    }
    assert_int_equal(t.n, N);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(strindex_get(&t, keys[i]), i * 3);
    assert_int_equal(strindex_get(&t, "/nix/store/prefix-20000.drv"), STRINDEX_NONE);
    assert_int_equal(strindex_get(&t, "/nix/store/prefix-1.dr"), STRINDEX_NONE);
    strindex_release(&t);
    assert_int_equal(strindex_get(&t, keys[1]), STRINDEX_NONE);
    for (size_t i = 0; i < N; i++)
        free(keys[i]);
    free(keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
