/* Unit tests: deps — closest known dependencies over real `.drv` files
 * written into a temporary store directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#include "deps.h"
#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

struct store {
    char *dir;
};

/* "/nix/store/<32 digits>-<name>.drv"; the number orders the paths. */
static char *drv_path(unsigned long n, const char *name)
{
    return xasprintf("/nix/store/%032lu-%s.drv", n, name);
}

/* Write a derivation `n` whose inputDrvs are `inputs` (sorted by caller). */
static void put_drv(struct store *s, unsigned long n, const char *name, const unsigned long *inputs,
                    size_t n_inputs, const char *const *input_names)
{
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "Derive([(\"out\",\"/nix/store/%032lu-%s\",\"\",\"\")],[", n, name);
    for (size_t i = 0; i < n_inputs; i++) {
        char *p = drv_path(inputs[i], input_names[i]);
        sb_addf(&sb, "%s(\"%s\",[\"out\"])", i ? "," : "", p);
        free(p);
    }
    sb_addf(&sb, "],[],\"x86_64-linux\",\"/bin/sh\",[\"-c\",\"echo\"],"
                 "[(\"builder\",\"/bin/sh\"),(\"name\",\"%s\"),(\"out\",\"/nix/store/%032lu-%s\"),"
                 "(\"system\",\"x86_64-linux\")])",
            name, n, name);
    char *file = xasprintf("%s/%032lu-%s.drv", s->dir, n, name);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(sb.buf, 1, sb.len, f), sb.len);
    assert_int_equal(fclose(f), 0);
    free(file);
    sb_release(&sb);
}

/* Single-name helper: every derivation is called "d". */
static void put(struct store *s, unsigned long n, const unsigned long *inputs, size_t n_inputs)
{
    const char **names = xmalloc((n_inputs + 1) * sizeof *names);
    for (size_t i = 0; i < n_inputs; i++)
        names[i] = "d";
    put_drv(s, n, "d", inputs, n_inputs, names);
    free(names);
}

static void known(struct deps *d, unsigned long n, size_t id)
{
    char *p = drv_path(n, "d");
    deps_add_known(d, p, id);
    free(p);
}

static int closest(struct deps *d, unsigned long n, const size_t **ids, size_t *n_ids,
                   struct lk_error *err)
{
    char *p = drv_path(n, "d");
    int rc = deps_closest(d, p, ids, n_ids, err);
    free(p);
    return rc;
}

static void expect_ids(struct deps *d, unsigned long n, const size_t *want, size_t n_want)
{
    const size_t *ids = NULL;
    size_t n_ids = 99;
    struct lk_error err = LK_ERROR_INIT;
    int rc = closest(d, n, &ids, &n_ids, &err);
    if (rc != 0)
        fail_msg("deps_closest: %s", err.msg);
    assert_int_equal(n_ids, n_want);
    for (size_t i = 0; i < n_want; i++)
        assert_int_equal(ids[i], want[i]);
}

/* Each derivation in `ns` known under its own number as id. */
static void knowns(struct deps *d, const unsigned long *ns, size_t n)
{
    for (size_t i = 0; i < n; i++)
        known(d, ns[i], ns[i]);
}

/* Asking for derivation `n` (or for `path` when not NULL) fails with
 * `status` (when >= 0), on `file` (when not NULL) and with a message holding
 * each of the `in_msg` texts (up to a NULL); `what` names the case. */
static void expect_fail(struct deps *d, const char *what, unsigned long n, const char *path, int status,
                        const char *file, const char *const *in_msg)
{
    const size_t *ids;
    size_t n_ids;
    struct lk_error err = LK_ERROR_INIT;
    char *p = path ? xstrdup(path) : drv_path(n, "d");
    if (deps_closest(d, p, &ids, &n_ids, &err) != -1)
        fail_msg("%s: asking for %s did not fail", what, p);
    free(p);
    if (status >= 0 && err.status != status)
        fail_msg("%s: status %d, want %d (%s)", what, err.status, status, err.msg);
    if (file && (!err.file || strcmp(err.file, file)))
        fail_msg("%s: file \"%s\", want \"%s\"", what, err.file ? err.file : "(none)", file);
    for (; in_msg && *in_msg; in_msg++)
        if (!strstr(err.msg, *in_msg))
            fail_msg("%s: message \"%s\" lacks \"%s\"", what, err.msg, *in_msg);
    lk_error_clear(&err);
}

#define MSG(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* 1 -> 2 -> 3 with 1 and 3 known (ids 1 and 3). */
static struct deps *chain3(struct store *s)
{
    put(s, 1, (unsigned long[]){ 2 }, 1);
    put(s, 2, (unsigned long[]){ 3 }, 1);
    put(s, 3, NULL, 0);
    struct deps *d = deps_new(s->dir);
    knowns(d, (unsigned long[]){ 1, 3 }, 2);
    return d;
}

static int setup(void **state)
{
    struct store *s = xcalloc(1, sizeof *s);
    /* tmpfs when there is one: the long-chain test writes 100k files */
    char shm[] = "/dev/shm/lazykite-test-deps-XXXXXX";
    char tmp[] = "/tmp/lazykite-test-deps-XXXXXX";
    char *dir = mkdtemp(shm);
    if (!dir)
        dir = mkdtemp(tmp);
    assert_non_null(dir);
    s->dir = xstrdup(dir);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct store *s = *state;
    file_remove_tree(s->dir);
    free(s->dir);
    free(s);
    return 0;
}

static char *host_file(struct store *s, unsigned long n)
{
    return xasprintf("%s/%032lu-d.drv", s->dir, n);
}

/* A (known) -> U1 -> U2 -> B (known): B is found through unknown drvs. */
static void test_chain_through_unknown(void **state)
{
    struct store *s = *state;
    put(s, 1, (unsigned long[]){ 2 }, 1);
    put(s, 2, (unsigned long[]){ 3 }, 1);
    put(s, 3, (unsigned long[]){ 4 }, 1);
    put(s, 4, NULL, 0);
    struct deps *d = deps_new(s->dir);
    known(d, 1, 10);
    known(d, 4, 40);
    expect_ids(d, 1, (size_t[]){ 40 }, 1);
    expect_ids(d, 4, NULL, 0);
    expect_ids(d, 2, (size_t[]){ 40 }, 1); /* unknown drvs can be asked too */
    deps_free(d);
}

/* Diamond: A -> U1, U2; U1 -> U3; U2 -> U3; U3 -> B, C; A, B, C known
 * (ids 0, 1, 2). */
static struct deps *diamond(struct store *s)
{
    put(s, 1, (unsigned long[]){ 2, 3 }, 2);
    put(s, 2, (unsigned long[]){ 4 }, 1);
    put(s, 3, (unsigned long[]){ 4 }, 1);
    put(s, 4, (unsigned long[]){ 5, 6 }, 2);
    put(s, 5, NULL, 0);
    put(s, 6, NULL, 0);
    struct deps *d = deps_new(s->dir);
    known(d, 1, 0);
    known(d, 5, 1);
    known(d, 6, 2);
    return d;
}

/* The diamond: each file read once. */
static void test_diamond(void **state)
{
    struct store *s = *state;
    struct deps *d = diamond(s);
    expect_ids(d, 1, (size_t[]){ 1, 2 }, 2);
    assert_int_equal(deps_files_read(d), 4); /* A, U1, U2, U3; B and C not needed */
    deps_free(d);
}

/* A -> B (known) -> C (known): C is behind B, so only B. B is not read. */
static void test_known_behind_known(void **state)
{
    struct store *s = *state;
    put(s, 1, (unsigned long[]){ 2, 3 }, 2);
    put(s, 2, (unsigned long[]){ 4 }, 1);
    put(s, 3, (unsigned long[]){ 5 }, 1);
    put(s, 4, (unsigned long[]){ 6 }, 1);
    put(s, 5, NULL, 0);
    put(s, 6, NULL, 0);
    struct deps *d = deps_new(s->dir);
    known(d, 1, 100);
    known(d, 2, 200);
    known(d, 6, 600);
    /* 1 -> 2 (known, taken; 6 behind it not), 1 -> 3 -> 5 (no known) */
    expect_ids(d, 1, (size_t[]){ 200 }, 1);
    assert_int_equal(deps_files_read(d), 3); /* 1, 3, 5 */
    expect_ids(d, 2, (size_t[]){ 600 }, 1);
    deps_free(d);
}

/* A known target's answer never contains itself, even when a dependency
 * shares its closure; a cycle in malformed input is an error, not a hang. */
static void test_self_and_cycle(void **state)
{
    struct store *s = *state;
    struct deps *d = chain3(s);
    expect_ids(d, 1, (size_t[]){ 3 }, 1);
    expect_ids(d, 3, NULL, 0);
    deps_free(d);

    put(s, 7, (unsigned long[]){ 8 }, 1);
    put(s, 8, (unsigned long[]){ 9 }, 1);
    put(s, 9, (unsigned long[]){ 7 }, 1);
    d = deps_new(s->dir);
    known(d, 7, 7);
    expect_fail(d, "cycle 7-8-9", 7, NULL, LK_EXIT_INPUT, NULL, MSG("cycle"));
    /* the failed walk leaves nothing half-done behind: asking again fails the same way */
    expect_fail(d, "cycle 7-8-9 again", 7, NULL, -1, NULL, MSG("cycle"));
    deps_free(d);

    /* a cycle among unknown derivations below a known one */
    put(s, 9, (unsigned long[]){ 8 }, 1);
    d = deps_new(s->dir);
    known(d, 7, 7);
    expect_fail(d, "cycle 8-9 below 7", 7, NULL, -1, NULL, MSG("cycle"));
    deps_free(d);
}

/* A missing input .drv: bad input naming the file, the store path and the referrer. */
/* Reading ahead reads the whole closure of the known derivations once, on
 * several threads; the answers are those of the lazy walk, nothing is read
 * again, and a file that cannot be read is reported by the walk as before. */
static void test_read_ahead(void **state)
{
    struct store *s = *state;
    enum { WIDE = 3000 }; /* enough files for several threads */
    struct deps *d = diamond(s);
    for (unsigned long i = 1000; i < 1000 + WIDE; i++) {
        put(s, i, (unsigned long[]){ 6 }, 1);
        known(d, i, i);
    }
    deps_read_ahead(d);
    assert_int_equal(deps_files_read(d), 6 + WIDE);
    for (unsigned long i = 1; i <= 6; i++) {
        char *f = host_file(s, i);
        assert_int_equal(unlink(f), 0);
        free(f);
    }
    expect_ids(d, 1, (size_t[]){ 1, 2 }, 2);
    expect_ids(d, 1999, (size_t[]){ 2 }, 1);
    assert_int_equal(deps_files_read(d), 6 + WIDE);
    deps_free(d);

    /* 7 -> 8 (missing): read ahead skips it, the walk reports it */
    put(s, 7, (unsigned long[]){ 8 }, 1);
    d = deps_new(s->dir);
    known(d, 7, 7);
    deps_read_ahead(d);
    char *file = host_file(s, 8);
    expect_fail(d, "7 -> missing 8 after reading ahead", 7, NULL, -1, file, MSG("cannot open"));
    free(file);
    deps_free(d);
}

static void test_missing_drv(void **state)
{
    struct store *s = *state;
    put(s, 1, (unsigned long[]){ 2 }, 1);
    struct deps *d = deps_new(s->dir);
    known(d, 1, 1);
    char *file = host_file(s, 2), *p2 = drv_path(2, "d"), *p1 = drv_path(1, "d");
    expect_fail(d, "1 -> missing 2", 1, NULL, LK_EXIT_INPUT, file, MSG(p2, p1));
    free(p1);
    free(p2);
    free(file);
    /* the top-level drv itself missing */
    expect_fail(d, "missing 5", 5, NULL, LK_EXIT_INPUT, NULL, NULL);
    /* not a store path at all */
    expect_fail(d, "/etc/passwd", 0, "/etc/passwd", LK_EXIT_INPUT, NULL, MSG("/nix/store"));
    expect_fail(d, "a path out of the store", 0, "/nix/store/../../etc/x.drv", -1, NULL, NULL);
    deps_free(d);
}

/* A malformed .drv: bad input with the byte offset from the parser. */
static void test_malformed_drv(void **state)
{
    struct store *s = *state;
    put(s, 1, (unsigned long[]){ 2 }, 1);
    char *file = host_file(s, 2);
    struct lk_error err = LK_ERROR_INIT;
    const char *text = "Derive([(\"out\",\"/nix/store/x\",\"\",\"\")],[(";
    assert_int_equal(file_write_atomic(file, text, strlen(text), &err), 0);
    struct deps *d = deps_new(s->dir);
    known(d, 1, 1);
    const size_t *ids;
    size_t n;
    assert_int_equal(closest(d, 1, &ids, &n, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.file, file);
    assert_non_null(err.place);
    assert_non_null(strstr(err.place, "byte"));
    lk_error_clear(&err);

    /* an input outside /nix/store */
    const char *bad = "Derive([(\"out\",\"/nix/store/00000000000000000000000000000003-d\",\"\",\"\")],"
                      "[(\"/tmp/evil.drv\",[\"out\"])],[],\"x86_64-linux\",\"/bin/sh\",[],[])";
    assert_int_equal(file_write_atomic(file, bad, strlen(bad), &err), 0);
    deps_free(d);
    d = deps_new(s->dir);
    known(d, 1, 1);
    expect_fail(d, "an input outside /nix/store", 1, NULL, LK_EXIT_INPUT, NULL, NULL);
    free(file);
    deps_free(d);
}

/* Files around the first reading buffer size and one far bigger (read in
 * pieces, then grown to the size fstat reports) are read whole; a directory
 * where a .drv should be is bad input. */
static void test_file_kinds(void **state)
{
    struct store *s = *state;
    struct lk_error err = LK_ERROR_INIT;
    put(s, 3, NULL, 0);
    size_t sizes[] = { 16383, 16384, 16385, 200000 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        put(s, 1, (unsigned long[]){ 2 }, 1);
        struct strbuf sb = STRBUF_INIT;
        sb_addf(&sb, "Derive([(\"out\",\"/nix/store/%032d-d\",\"\",\"\")],"
                     "[(\"/nix/store/%032d-d.drv\",[\"out\"])],[],\"x\",\"/bin/sh\",[],"
                     "[(\"pad\",\"", 2, 3);
        const char *tail = "\")])";
        while (sb.len + strlen(tail) < sizes[k])
            sb_addc(&sb, 'p');
        sb_adds(&sb, tail);
        assert_int_equal(sb.len, sizes[k]);
        char *file = host_file(s, 2);
        assert_int_equal(file_write_atomic(file, sb.buf, sb.len, &err), 0);
        free(file);
        sb_release(&sb);
        struct deps *d = deps_new(s->dir);
        known(d, 3, 7);
        print_message("file of %zu bytes\n", sizes[k]);
        expect_ids(d, 1, (size_t[]){ 7 }, 1);
        deps_free(d);
    }

    put(s, 4, (unsigned long[]){ 5 }, 1);
    char *dir = host_file(s, 5);
    assert_int_equal(mkdir(dir, 0755), 0);
    struct deps *d = deps_new(s->dir);
    expect_fail(d, "a directory for 5", 4, NULL, LK_EXIT_INPUT, dir, MSG("expected a regular file"));
    deps_free(d);
    rmdir(dir);
    free(dir);
}

/* Each .drv is read once: asking again, or for another target sharing the
 * closure, reads nothing (the files can even be gone). */
static void test_memoised(void **state)
{
    struct store *s = *state;
    enum { SHARED = 50 };
    /* shared chain 100..149, 149 -> known 200; targets 1..20 -> 100 */
    for (unsigned long i = 100; i < 100 + SHARED - 1; i++)
        put(s, i, (unsigned long[]){ i + 1 }, 1);
    put(s, 100 + SHARED - 1, (unsigned long[]){ 200 }, 1);
    put(s, 200, NULL, 0);
    for (unsigned long t = 1; t <= 20; t++)
        put(s, t, (unsigned long[]){ 100 }, 1);
    struct deps *d = deps_new(s->dir);
    for (unsigned long t = 1; t <= 20; t++)
        known(d, t, t);
    known(d, 200, 200);
    expect_ids(d, 1, (size_t[]){ 200 }, 1);
    assert_int_equal(deps_files_read(d), 1 + SHARED);
    for (unsigned long i = 100; i < 100 + SHARED; i++) {
        char *f = host_file(s, i);
        assert_int_equal(unlink(f), 0);
        free(f);
    }
    for (unsigned long t = 1; t <= 20; t++)
        expect_ids(d, t, (size_t[]){ 200 }, 1);
    expect_ids(d, 1, (size_t[]){ 200 }, 1);
    assert_int_equal(deps_files_read(d), 1 + SHARED + 19);
    deps_free(d);
}

/* The order of TVL's analyzer: inputs already settled when the walk starts
 * come first (in .drv order), then the answers of the pending ones. */
static void test_order(void **state)
{
    struct store *s = *state;
    /* A(1) -> U(2), K1(3); U -> K2(4), K0(0) */
    put(s, 1, (unsigned long[]){ 2, 3 }, 2);
    put(s, 2, (unsigned long[]){ 0, 4 }, 2);
    put(s, 3, NULL, 0);
    put(s, 4, NULL, 0);
    put(s, 0, NULL, 0);
    const unsigned long known_ones[] = { 1, 3, 4, 0 };
    struct deps *d = deps_new(s->dir);
    knowns(d, known_ones, 4);
    /* U is pending when A starts: K1 first, then U's answer [K0, K2] */
    expect_ids(d, 1, (size_t[]){ 3, 0, 4 }, 3);
    deps_free(d);

    d = deps_new(s->dir);
    knowns(d, known_ones, 4);
    expect_ids(d, 2, (size_t[]){ 0, 4 }, 2); /* U settled first */
    expect_ids(d, 1, (size_t[]){ 0, 4, 3 }, 3);
    deps_free(d);
}

/* Adding a known derivation after answers were computed recomputes them. */
static void test_add_known_later(void **state)
{
    struct store *s = *state;
    struct deps *d = chain3(s);
    const size_t *old;
    size_t n_old;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(closest(d, 1, &old, &n_old, &err), 0);
    assert_int_equal(n_old, 1);
    known(d, 2, 2);
    expect_ids(d, 1, (size_t[]){ 2 }, 1);
    assert_int_equal(old[0], 3); /* earlier arrays stay valid */
    assert_int_equal(deps_files_read(d), 2); /* parses are kept */
    deps_free(d);
}

/* A 100k-long chain of unknown derivations: no recursion limit, linear work.
 * Under valgrind or AddressSanitizer (each file read costs ~50x there) the
 * chain is 20k long, still far beyond any recursion the C stack would take
 * with sanitizer-sized frames. */
static unsigned long chain_length(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return 20000;
#else
    return RUNNING_ON_VALGRIND ? 20000 : 100000;
#endif
}

static void test_long_chain(void **state)
{
    struct store *s = *state;
    const unsigned long LEN = chain_length();
    for (unsigned long i = 1; i < LEN; i++)
        put(s, i, (unsigned long[]){ i + 1 }, 1);
    put(s, LEN, NULL, 0);
    struct deps *d = deps_new(s->dir);
    known(d, 1, 1);
    known(d, LEN, LEN);
    expect_ids(d, 1, (size_t[]){ LEN }, 1);
    assert_int_equal(deps_files_read(d), LEN - 1);
    deps_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_through_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_diamond, setup, teardown),
        cmocka_unit_test_setup_teardown(test_known_behind_known, setup, teardown),
        cmocka_unit_test_setup_teardown(test_self_and_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_drv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_drv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memoised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_known_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_ahead, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
