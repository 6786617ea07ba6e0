/* Unit tests: nixsim's store (sim/nix/store) — path mapping, validity,
 * closures, roots, locks, deletion rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "nix/store.h"
#include "storefx.h"
#include "strbuf.h"
#include "xalloc.h"

#define P(h, name) "/nix/store/" h "-" name
#define HA "0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HB "1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HC "2ccccccccccccccccccccccccccccccc"
#define HD "3ddddddddddddddddddddddddddddddd"

struct fx {
    char *dir;
    struct store s;
};

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof *f);
    *state = f;
    return storefx_open("lk-store", &f->dir, &f->s);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    storefx_close(f->dir, &f->s);
    free(f);
    return 0;
}

/* Create the host file of `path` with `content` and register it. */
static void add(struct fx *f, const char *path, const char *content, const char *const *refs,
                size_t n)
{
    struct lk_error err = LK_ERROR_INIT;
    int added;
    assert_int_equal(store_add_text(&f->s, path, content, strlen(content), refs, n, &added, &err),
                     0);
    assert_int_equal(added, 1);
}

static void test_paths(void **state)
{
    struct fx *f = *state;
    assert_true(store_is_store_path(P(HA, "hello-1.0")));
    assert_true(store_is_store_path(P(HA, "x.drv")));
    assert_false(store_is_store_path(P(HA, "x/y")));
    assert_false(store_is_store_path("/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x")); /* 'e' is not base32 */
    assert_false(store_is_store_path("/nix/store/0aaa-x"));
    assert_false(store_is_store_path(P(HA, ".hidden")));
    assert_false(store_is_store_path("/tmp/" HA "-x"));
    assert_false(store_is_store_path(P(HA, "")));
    assert_false(store_is_store_path(P(HA, "a b")));
    assert_false(f->s.in_place);

    char *host = store_host(&f->s, P(HA, "x") "/bin/y");
    char *expect = xasprintf("%s/store/%s-x/bin/y", f->dir, HA);
    assert_string_equal(host, expect);
    char *back = store_logical(&f->s, host);
    assert_string_equal(back, P(HA, "x") "/bin/y");
    free(host);
    free(expect);
    free(back);
    assert_null(store_host(&f->s, "/tmp/x"));
    assert_null(store_logical(&f->s, "/tmp/x"));

    /* Arguments: logical paths, host paths and links to either, sub-paths stripped. */
    struct lk_error err = LK_ERROR_INIT;
    char *sp;
    assert_int_equal(store_follow_arg(&f->s, P(HA, "x") "/bin/y", &sp, &err), 0);
    assert_string_equal(sp, P(HA, "x"));
    free(sp);
    char *hostx = xasprintf("%s/store/%s-x", f->dir, HA);
    char *l1 = xasprintf("%s/link1", f->dir), *l2 = xasprintf("%s/link2", f->dir);
    assert_int_equal(symlink(hostx, l1), 0);
    assert_int_equal(symlink("link1", l2), 0); /* relative, two hops */
    assert_int_equal(store_follow_arg(&f->s, l2, &sp, &err), 0);
    assert_string_equal(sp, P(HA, "x"));
    free(sp);
    assert_int_equal(store_follow_arg(&f->s, f->dir, &sp, &err), -1);
    assert_non_null(strstr(err.msg, "is not in the Nix store"));
    lk_error_clear(&err);
    char *missing = xasprintf("%s/nope", f->dir);
    assert_int_equal(store_follow_arg(&f->s, missing, &sp, &err), -1);
    assert_non_null(strstr(err.msg, "getting status of"));
    lk_error_clear(&err);
    free(missing);
    free(hostx);
    free(l1);
    free(l2);
}

static void test_validity_and_closure(void **state)
{
    struct fx *f = *state;
    struct lk_error err = LK_ERROR_INIT;
    const char *a = P(HA, "a"), *b = P(HB, "b"), *c = P(HC, "c"), *d = P(HD, "d.drv");
    assert_false(store_is_valid(&f->s, a));
    struct store_info info;
    assert_int_equal(store_query(&f->s, a, &info, &err), -1);
    assert_string_equal(err.msg, "path '/nix/store/" HA "-a' is not valid");
    lk_error_clear(&err);

    add(f, a, "a", NULL, 0);
    const char *rb[] = { a };
    add(f, b, "b", rb, 1);
    const char *rc_[] = { b, a, c }; /* unsorted, with a self-reference */
    add(f, c, "c", rc_, 3);
    int added;
    assert_int_equal(store_add_text(&f->s, c, "c", 1, rc_, 3, &added, &err), 0);
    assert_int_equal(added, 0); /* already valid */
    assert_int_equal(store_query(&f->s, c, &info, &err), 0);
    assert_null(info.deriver);
    assert_int_equal(info.n_refs, 3);
    assert_string_equal(info.refs[0], a);
    assert_string_equal(info.refs[1], b);
    assert_string_equal(info.refs[2], c);
    store_info_free(&info);
    assert_int_equal(store_register(&f->s, c, d, rc_, 3, &err), 0);
    assert_int_equal(store_query(&f->s, c, &info, &err), 0);
    assert_string_equal(info.deriver, d);
    store_info_free(&info);

    char **cl;
    size_t n;
    const char *start[] = { c };
    assert_int_equal(store_closure(&f->s, start, 1, &cl, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(store_topo_order(&f->s, cl, n, &err), 0);
    assert_string_equal(cl[0], a); /* dependencies first */
    assert_string_equal(cl[1], b);
    assert_string_equal(cl[2], c);
    strv_free(cl, n);

    char **all;
    assert_int_equal(store_list_valid(&f->s, &all, &n, &err), 0);
    assert_int_equal(n, 3);
    strv_free(all, n);

    /* A corrupt record is bad input naming the journal (here another
     * process's line, read on the miss). */
    assert_int_equal(store_sync(&f->s, &err), 0);
    char *jf = xasprintf("%s/state/valid.journal", f->dir);
    FILE *fp = fopen(jf, "a");
    assert_non_null(fp);
    fputs("+" HD "-e {\n", fp);
    fclose(fp);
    assert_int_equal(store_query(&f->s, P(HD, "e"), &info, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_string_equal(err.file, jf);
    lk_error_clear(&err);
    free(jf);
}

static void test_roots_and_delete(void **state)
{
    struct fx *f = *state;
    struct lk_error err = LK_ERROR_INIT;
    const char *a = P(HA, "a"), *b = P(HB, "b"), *c = P(HC, "c"), *d = P(HD, "d.drv");
    add(f, a, "a", NULL, 0);
    const char *rb[] = { a };
    add(f, b, "b", rb, 1);
    add(f, c, "c", NULL, 0);
    add(f, d, "d", NULL, 0);
    char *link = xasprintf("%s/result", f->dir), *abs;
    assert_int_equal(store_add_root(&f->s, b, link, &abs, &err), 0);
    assert_string_equal(abs, link);
    char target[4096];
    ssize_t tl = readlink(link, target, sizeof target - 1);
    assert_true(tl > 0);
    target[tl] = '\0';
    char *hostb = store_host(&f->s, b);
    assert_string_equal(target, hostb); /* out-links resolve on the host */
    free(hostb);
    free(abs);
    char **roots;
    size_t n;
    assert_int_equal(store_roots(&f->s, &roots, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(roots[0], b);
    strv_free(roots, n);

    size_t deleted;
    unsigned long long bytes;
    /* b is a root, a is in its closure: both alive. */
    const char *del_b[] = { b };
    assert_int_equal(store_delete(&f->s, del_b, 1, NULL, &deleted, &bytes, &err), -1);
    assert_string_equal(err.msg, "Cannot delete path '" P(HB, "b") "' since it is still alive. "
                                 "To find out why, use: nix-store --query --roots");
    lk_error_clear(&err);
    const char *del_a[] = { a };
    assert_int_equal(store_delete(&f->s, del_a, 1, NULL, &deleted, &bytes, &err), -1);
    lk_error_clear(&err);
    assert_true(store_is_valid(&f->s, a));
    /* unreferenced paths (a .drv among them) can go */
    const char *del_cd[] = { c, d };
    assert_int_equal(store_delete(&f->s, del_cd, 2, NULL, &deleted, &bytes, &err), 0);
    assert_int_equal(deleted, 2);
    assert_int_equal(bytes, 2);
    assert_false(store_is_valid(&f->s, c));
    assert_false(store_is_valid(&f->s, d));
    char *hostd = store_host(&f->s, d);
    struct stat st;
    assert_int_not_equal(lstat(hostd, &st), 0);
    free(hostd);
    /* Remove the out-link: the root is stale, and a and b may go together
     * (b refers to a, but b is being deleted too). */
    assert_int_equal(unlink(link), 0);
    const char *del_ab[] = { b, a };
    assert_int_equal(store_delete(&f->s, del_ab, 2, NULL, &deleted, &bytes, &err), 0);
    assert_int_equal(deleted, 2);
    assert_int_equal(store_roots(&f->s, &roots, &n, &err), 0);
    assert_int_equal(n, 0);
    strv_free(roots, n);
    free(link);
}

static void test_referenced_not_deleted(void **state)
{
    struct fx *f = *state;
    struct lk_error err = LK_ERROR_INIT;
    const char *a = P(HA, "a.drv"), *b = P(HB, "b.drv");
    add(f, a, "a", NULL, 0);
    const char *rb[] = { a };
    add(f, b, "b", rb, 1);
    size_t deleted;
    unsigned long long bytes;
    const char *del[] = { a };
    assert_int_equal(store_delete(&f->s, del, 1, NULL, &deleted, &bytes, &err), -1);
    assert_non_null(strstr(err.msg, "still alive"));
    assert_int_equal(deleted, 0);
    lk_error_clear(&err);
}

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void test_locks(void **state)
{
    struct fx *f = *state;
    struct lk_error err = LK_ERROR_INIT;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int l;
        if (store_lock(&f->s, P(HA, "x"), &l, &err) != 0)
            _exit(1);
        if (write(fds[1], "x", 1) != 1)
            _exit(1);
        usleep(300000);
        store_unlock(l);
        _exit(0);
    }
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    double t0 = now();
    int l;
    assert_int_equal(store_lock(&f->s, P(HA, "x"), &l, &err), 0);
    double waited = now() - t0;
    assert_true(waited > 0.15);
    /* a different path is not blocked */
    int l2;
    t0 = now();
    assert_int_equal(store_lock(&f->s, P(HB, "y"), &l2, &err), 0);
    assert_true(now() - t0 < 0.1);
    store_unlock(l);
    store_unlock(l2);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(fds[0]);
    close(fds[1]);
}

/* A second handle on the same store, as another process has it. */
static void open_other(struct fx *f, struct store *o)
{
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(store_open(o, f->s.dir, f->s.state, &err), 0);
}

static void test_journal_visibility(void **state)
{
    struct fx *f = *state;
    const char *refs[] = { P(HB, "b.drv") };
    add(f, P(HB, "b.drv"), "Derive(b)", NULL, 0);
    add(f, P(HA, "a.drv"), "Derive(a)", refs, 1);
    /* the writer sees them at once; the .drv files are complete */
    assert_true(store_is_valid(&f->s, P(HA, "a.drv")));
    char *host = store_host(&f->s, P(HA, "a.drv")), *data;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(file_read(host, &data, &len, &err), 0);
    assert_string_equal(data, "Derive(a)");
    free(data);
    free(host);
    /* another process only after store_sync() */
    struct store o;
    open_other(f, &o);
    assert_false(store_is_valid(&o, P(HA, "a.drv")));
    assert_int_equal(store_sync(&f->s, &err), 0);
    /* the journal as written: a line per path */
    char *journal = xasprintf("%s/valid.journal", f->s.state), *text;
    assert_int_equal(file_read(journal, &text, &len, &err), 0);
    assert_true(len > strlen(P(HA, "a.drv")) + strlen(P(HB, "b.drv")));
    free(text);
    free(journal);
    assert_true(store_is_valid(&o, P(HA, "a.drv"))); /* the tail is re-read on a miss */
    struct store_info info;
    assert_int_equal(store_query(&o, P(HA, "a.drv"), &info, &err), 0);
    assert_null(info.deriver);
    assert_int_equal(info.n_refs, 1);
    assert_string_equal(info.refs[0], P(HB, "b.drv"));
    store_info_free(&info);
    /* adding again is a no-op; a path listed once */
    int added = 1;
    assert_int_equal(store_add_text(&o, P(HA, "a.drv"), "x", 1, NULL, 0, &added, &err), 0);
    assert_int_equal(added, 0);
    assert_int_equal(store_register(&o, P(HB, "b.drv"), NULL, NULL, 0, &err), 0);
    char **v;
    size_t n;
    assert_int_equal(store_list_valid(&o, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0], P(HA, "a.drv"));
    assert_string_equal(v[1], P(HB, "b.drv"));
    strv_free(v, n);
    store_close(&o);
}

static void test_journal_unfinished_line(void **state)
{
    struct fx *f = *state;
    char *jf = xasprintf("%s/valid.journal", f->s.state);
    FILE *fp = fopen(jf, "a");
    assert_non_null(fp);
    fputs("+" HC "-c.drv {\"deriver\":null,\"references\":[]}\n+" HD "-d.drv {\"deriver\":nu", fp);
    fclose(fp);
    assert_true(store_is_valid(&f->s, P(HC, "c.drv")));
    assert_false(store_is_valid(&f->s, P(HD, "d.drv"))); /* its writer is not done */
    fp = fopen(jf, "a");
    fputs("ll,\"references\":[\"" P(HC, "c.drv") "\"]}\n", fp);
    fclose(fp);
    assert_true(store_is_valid(&f->s, P(HD, "d.drv")));
    struct store_info info;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(store_query(&f->s, P(HD, "d.drv"), &info, &err), 0);
    assert_int_equal(info.n_refs, 1);
    store_info_free(&info);
    free(jf);
}

/* Processes appending at once: every line of every process arrives whole. */
static void test_journal_concurrent(void **state)
{
    struct fx *f = *state;
    enum { PROCS = 4, EACH = 3000 };
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            struct store o;
            struct lk_error err = LK_ERROR_INIT;
            int ok = store_open(&o, f->s.dir, f->s.state, &err) == 0;
            for (int i = 0; i < EACH && ok; i++) {
                char *path = xasprintf("/nix/store/%d%031d-x.drv", p, i);
                const char *refs[] = { P(HA, "a") };
                int added;
                ok = store_add_text(&o, path, "D", 1, refs, 1, &added, &err) == 0 && added;
                free(path);
                if (i % 700 == 0)
                    ok = ok && store_sync(&o, &err) == 0;
            }
            ok = ok && store_sync(&o, &err) == 0;
            store_close(&o);
            _exit(ok ? 0 : 1);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int st;
        assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    char **v;
    size_t n;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(store_list_valid(&f->s, &v, &n, &err), 0);
    assert_int_equal(n, PROCS * EACH);
    for (size_t i = 0; i < n; i++) {
        struct store_info info;
        assert_int_equal(store_query(&f->s, v[i], &info, &err), 0);
        assert_int_equal(info.n_refs, 1);
        assert_string_equal(info.refs[0], P(HA, "a"));
        store_info_free(&info);
    }
    strv_free(v, n);
}

static void test_journal_delete(void **state)
{
    struct fx *f = *state;
    add(f, P(HA, "a.drv"), "Derive(a)", NULL, 0);
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(store_sync(&f->s, &err), 0);
    const char *del[] = { P(HA, "a.drv") };
    size_t nd;
    unsigned long long bytes;
    assert_int_equal(store_delete(&f->s, del, 1, NULL, &nd, &bytes, &err), 0);
    assert_int_equal(nd, 1);
    assert_false(store_is_valid(&f->s, P(HA, "a.drv")));
    struct store o;
    open_other(f, &o);
    assert_false(store_is_valid(&o, P(HA, "a.drv")));
    add(f, P(HA, "a.drv"), "Derive(a)", NULL, 0); /* instantiated again */
    assert_int_equal(store_sync(&f->s, &err), 0);
    assert_true(store_is_valid(&o, P(HA, "a.drv")));
    store_close(&o);
}

/* A batch of 2,000 files (made on several threads): an already valid path is
 * left as it is, a leftover invalid file is replaced, the rest are created;
 * the journal lines follow the item order. A failing item stops the batch:
 * the items before it are added, no file of a later one is left. */
static void test_add_texts_batch(void **state)
{
    struct fx *f = *state;
    enum { N = 2000 };
    struct lk_error err = LK_ERROR_INIT;
    char **paths = xcalloc(N, sizeof *paths), **data = xcalloc(N, sizeof *data);
    struct store_text *items = xcalloc(N, sizeof *items);
    for (size_t i = 0; i < N; i++) {
        paths[i] = xasprintf("/nix/store/%032zu-t%zu.drv", i, i);
        data[i] = xasprintf("Derive(%zu)", i);
        items[i] = (struct store_text){ paths[i], data[i], strlen(data[i]), NULL, 0, 0 };
    }
    add(f, paths[7], "kept", NULL, 0);
    char *leftover = store_host(&f->s, paths[9]);
    assert_int_equal(file_write_atomic(leftover, "half", 4, &err), 0);
    items[N - 1].refs = (const char *const *)&paths[0];
    items[N - 1].n_refs = 1;
    assert_int_equal(store_add_texts(&f->s, items, N, &err), 0);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(items[i].added, i != 7);
        assert_true(store_is_valid(&f->s, paths[i]));
        char *host = store_host(&f->s, paths[i]), *got;
        size_t len;
        assert_int_equal(file_read(host, &got, &len, &err), 0);
        assert_string_equal(got, i == 7 ? "kept" : data[i]);
        free(got);
        free(host);
    }
    struct store_info info;
    assert_int_equal(store_query(&f->s, paths[N - 1], &info, &err), 0);
    assert_int_equal(info.n_refs, 1);
    assert_string_equal(info.refs[0], paths[0]);
    store_info_free(&info);

    /* a failing item in the middle of a new batch */
    for (size_t i = 0; i < N; i++) {
        free(paths[i]);
        paths[i] = xasprintf("/nix/store/%032zu-u%zu.drv", i, i);
        items[i] = (struct store_text){ paths[i], data[i], strlen(data[i]), NULL, 0, 0 };
    }
    items[1000].path = "/elsewhere/x.drv";
    assert_int_equal(store_add_texts(&f->s, items, N, &err), -1);
    assert_string_equal(err.msg, "path '/elsewhere/x.drv' is not in the Nix store");
    lk_error_clear(&err);
    for (size_t i = 0; i < N; i++) {
        if (i == 1000)
            continue;
        char *host = store_host(&f->s, paths[i]);
        assert_int_equal(items[i].added, i < 1000);
        assert_int_equal(store_is_valid(&f->s, paths[i]), i < 1000);
        assert_int_equal(access(host, F_OK) == 0, i < 1000);
        free(host);
    }
    for (size_t i = 0; i < N; i++) {
        free(paths[i]);
        free(data[i]);
    }
    free(paths);
    free(data);
    free(items);
    free(leftover);
}

static void test_open_env(void **state)
{
    (void)state;
    struct store s;
    struct lk_error err = LK_ERROR_INIT;
    unsetenv("NIXSIM_STORE");
    setenv("NIXSIM_STATE", "/tmp/x", 1);
    assert_int_equal(store_open_env(&s, &err), -1);
    assert_non_null(strstr(err.msg, "NIXSIM_STORE is not set"));
    lk_error_clear(&err);
    setenv("NIXSIM_STORE", "/tmp/x", 1);
    unsetenv("NIXSIM_STATE");
    assert_int_equal(store_open_env(&s, &err), -1);
    assert_non_null(strstr(err.msg, "NIXSIM_STATE is not set"));
    lk_error_clear(&err);
    unsetenv("NIXSIM_STORE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validity_and_closure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roots_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_referenced_not_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_visibility, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_unfinished_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_journal_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_texts_batch, setup, teardown),
        cmocka_unit_test(test_open_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
