/* Unit tests: hugeheap's pure parts, the GLIBC_TUNABLES value of a restart
 * and the kernel's THP mode. (The restart itself is tested through the real
 * binaries: tests/hugeheap/run.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "hugeheap.h"

static void expect_tunables(const char *current, const char *want)
{
    char *got = hugeheap_tunables(current);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_tunables(void **state)
{
    (void)state;
    expect_tunables(NULL, "glibc.malloc.hugetlb=1");
    expect_tunables("", "glibc.malloc.hugetlb=1");
    expect_tunables("glibc.malloc.arena_max=2",
                    "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
    expect_tunables("glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0",
                    "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=1");
    /* set already, to anything, anywhere in the list: no restart */
    expect_tunables("glibc.malloc.hugetlb=1", NULL);
    expect_tunables("glibc.malloc.hugetlb=0", NULL);
    expect_tunables("glibc.malloc.hugetlb=", NULL);
    expect_tunables("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2", NULL);
    expect_tunables("glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2", NULL);
    /* names that only contain or start like it are other tunables */
    expect_tunables("glibc.malloc.hugetlbx=1", "glibc.malloc.hugetlbx=1:glibc.malloc.hugetlb=1");
    expect_tunables("xglibc.malloc.hugetlb=1", "xglibc.malloc.hugetlb=1:glibc.malloc.hugetlb=1");
    expect_tunables("glibc.malloc.hugetlb", "glibc.malloc.hugetlb:glibc.malloc.hugetlb=1");
    expect_tunables("a=glibc.malloc.hugetlb=0", "a=glibc.malloc.hugetlb=0:glibc.malloc.hugetlb=1");
}

static void test_thp_mode(void **state)
{
    (void)state;
    assert_int_equal(hugeheap_thp_mode("always [madvise] never\n"), HUGEHEAP_THP_MADVISE);
    assert_int_equal(hugeheap_thp_mode("[always] madvise never\n"), HUGEHEAP_THP_ALWAYS);
    assert_int_equal(hugeheap_thp_mode("always madvise [never]\n"), HUGEHEAP_THP_NEVER);
    assert_int_equal(hugeheap_thp_mode("always madvise [never]"), HUGEHEAP_THP_NEVER);
    assert_int_equal(hugeheap_thp_mode("always madvise never\n"), HUGEHEAP_THP_UNKNOWN);
    assert_int_equal(hugeheap_thp_mode(""), HUGEHEAP_THP_UNKNOWN);
    assert_int_equal(hugeheap_thp_mode("always [inherit] madvise never\n"), HUGEHEAP_THP_UNKNOWN);
    assert_int_equal(hugeheap_thp_mode("x[madvise] never\n"), HUGEHEAP_THP_UNKNOWN);
    assert_int_equal(hugeheap_thp_mode("always [madvise]x never\n"), HUGEHEAP_THP_UNKNOWN);
}

/* Whether the heap is on huge pages: always with the kernel's "always";
 * with "madvise" only when glibc.malloc.hugetlb is set to a non-zero number. */
static void test_on(void **state)
{
    (void)state;
    const enum hugeheap_thp M = HUGEHEAP_THP_MADVISE;
    assert_true(hugeheap_on(NULL, HUGEHEAP_THP_ALWAYS));
    assert_true(hugeheap_on("glibc.malloc.hugetlb=0", HUGEHEAP_THP_ALWAYS));
    assert_false(hugeheap_on("glibc.malloc.hugetlb=1", HUGEHEAP_THP_NEVER));
    assert_false(hugeheap_on("glibc.malloc.hugetlb=1", HUGEHEAP_THP_UNKNOWN));
    assert_false(hugeheap_on(NULL, M));
    assert_false(hugeheap_on("", M));
    assert_true(hugeheap_on("glibc.malloc.hugetlb=1", M));
    assert_true(hugeheap_on("glibc.malloc.hugetlb=2", M));
    assert_true(hugeheap_on("glibc.malloc.arena_max=4:glibc.malloc.hugetlb=1", M));
    assert_true(hugeheap_on("glibc.malloc.hugetlb=1:glibc.malloc.arena_max=4", M));
    assert_false(hugeheap_on("glibc.malloc.hugetlb=0", M));
    assert_false(hugeheap_on("glibc.malloc.hugetlb=00:glibc.malloc.arena_max=4", M));
    assert_false(hugeheap_on("glibc.malloc.hugetlb=", M));
    assert_false(hugeheap_on("glibc.malloc.hugetlb=yes", M));
    assert_false(hugeheap_on("glibc.malloc.hugetlb=1x", M));
    assert_false(hugeheap_on("glibc.malloc.arena_max=4", M));
    assert_false(hugeheap_on("xglibc.malloc.hugetlb=1", M));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tunables),
        cmocka_unit_test(test_thp_mode),
        cmocka_unit_test(test_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
