/* Unit tests: the checkout snapshots (sim/harness/treesnap.c) that spare
 * tree-clean a git run when a step changed nothing but new top-level
 * entries: what counts as unchanged, every kind of change seen, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "harness/treesnap.h"
#include "xalloc.h"

static char snaproot[64];

static void put(const char *rel, const char *text)
{
    char *p = xasprintf("%s/%s", snaproot, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

/* Runs `cmd` with sh in the snapshot root. */
static void sh(const char *cmd)
{
    char *line = xasprintf("cd %s && %s", snaproot, cmd);
    int st = system(line);
    if (st != 0)
        fail_msg("%s: status %d", line, st);
    free(line);
}

static struct tree_snap *snap(void)
{
    struct tree_snap *s = NULL;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(tree_snap_take(snaproot, &s, &err), 0);
    assert_non_null(s);
    return s;
}

/* compare(before, now): -1 if different, else the number of added entries,
 * whose names are joined by ' ' into `names`. */
static int compare(const struct tree_snap *before, char *names, size_t size)
{
    struct tree_snap *now = snap();
    char **added = (char **)1;
    size_t n = 99;
    bool same = tree_snap_compare(before, now, &added, &n);
    tree_snap_free(now);
    names[0] = '\0';
    if (!same) {
        assert_null(added);
        assert_int_equal(n, 0);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(names + strlen(names), size - strlen(names), "%s%s", i ? " " : "", added[i]);
        free(added[i]);
    }
    free(added);
    return (int)n;
}

static int snap_setup(void **state)
{
    (void)state;
    snprintf(snaproot, sizeof snaproot, "/tmp/lk-treesnap-XXXXXX");
    if (!mkdtemp(snaproot))
        return -1;
    /* "a" (a directory), "a-b" and "a.c": walk order is not strcmp order */
    sh("mkdir -p a/deep .git/refs && echo x > a/x && echo y > a/deep/y && echo head > .git/HEAD");
    put("a-b", "ab\n");
    put("f", "0123456789\n");
    sh("ln -s a/x link");
    return 0;
}

static int snap_teardown(void **state)
{
    (void)state;
    file_remove_tree(snaproot);
    return 0;
}

static void test_snapshot_unchanged_and_added(void **state)
{
    (void)state;
    char names[256];
    struct tree_snap *base = snap();
    assert_int_equal(tree_snap_count(base), 10); /* .git{,/HEAD,/refs} a{,/deep,/deep/y,/x} a-b f link */
    assert_int_equal(compare(base, names, sizeof names), 0);
    /* new top-level files and links: allowed, listed sorted */
    sh("ln -s /nix/store/x result && ln -s /nix/store/y nix-buildkite-extra-step-command-script");
    put("a.c", "new\n");
    assert_int_equal(compare(base, names, sizeof names), 3);
    assert_string_equal(names, "a.c nix-buildkite-extra-step-command-script result");
    sh("rm result nix-buildkite-extra-step-command-script a.c");
    assert_int_equal(compare(base, names, sizeof names), 0);
    tree_snap_free(base);
}

static void test_snapshot_sees_every_change(void **state)
{
    (void)state;
    char names[256];
    static const char *const changes[] = {
        "mkdir result",                 /* a new top-level directory */
        "touch a/new",                  /* a new entry further down */
        "touch .git/index",             /* git's own files */
        "rm a-b",                       /* a removed file */
        "chmod +x f",                   /* mode only */
        "touch -d 2001-01-01 a/x",      /* mtime only */
        /* content, same size, mtime set back: the change time moves */
        "cp -p f ../lk-treesnap-keep && printf 9 | dd of=f bs=1 count=1 conv=notrunc 2>/dev/null && "
        "touch -r ../lk-treesnap-keep f && rm ../lk-treesnap-keep",
        "rm link && ln -s a/deep link", /* a link retargeted */
        "ln f hard && rm hard",         /* f's link count went and came back: its change time moved */
        "mv a/deep/y a/deep/z",         /* a rename */
        "rm -r a/deep",                 /* a removed directory */
    };
    for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
        snap_teardown(NULL);
        assert_int_equal(snap_setup(NULL), 0);
        struct tree_snap *base = snap();
        sh(changes[i]);
        if (compare(base, names, sizeof names) != -1)
            fail_msg("change %zu (%s) was not seen", i, changes[i]);
        tree_snap_free(base);
    }
}

static void test_snapshot_errors(void **state)
{
    (void)state;
    struct tree_snap *s = (struct tree_snap *)1;
    struct lk_error err = LK_ERROR_INIT;
    char *absent = xasprintf("%s/absent", snaproot);
    assert_int_equal(tree_snap_take(absent, &s, &err), -1);
    assert_null(s);
    assert_non_null(strstr(err.msg, "No such file"));
    lk_error_clear(&err);
    free(absent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_unchanged_and_added, snap_setup, snap_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_sees_every_change, snap_setup, snap_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_errors, snap_setup, snap_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
