/* Unit tests: strbuf, error values, fileio. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "outdir.h"
#include "strbuf.h"
#include "xalloc.h"

static void test_strbuf(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_string_equal(sb_str(&sb), "");
    sb_adds(&sb, "abc");
    sb_addc(&sb, 'd');
    sb_addf(&sb, "-%d-%s", 42, "x");
    assert_string_equal(sb_str(&sb), "abcd-42-x");
    assert_int_equal(sb.len, 9);
    for (int i = 0; i < 10000; i++)
        sb_addc(&sb, 'z');
    assert_int_equal(sb.len, 10009);
    sb_truncate(&sb, 2);
    assert_string_equal(sb_str(&sb), "ab");
    char *s = sb_detach(&sb);
    assert_string_equal(s, "ab");
    assert_non_null(sb.buf); /* empty again: "" it does not own */
    assert_string_equal(sb.buf, "");
    free(s);
    sb_release(&sb);
    /* STRBUF_INIT: buf is "" before any growth, and detaching gives a fresh "" */
    struct strbuf e = STRBUF_INIT;
    assert_non_null(e.buf);
    assert_string_equal(e.buf, "");
    char *d = sb_detach(&e);
    assert_string_equal(d, "");
    assert_true(d != strbuf_empty);
    free(d);
    /* a zeroed strbuf works too */
    struct strbuf z;
    memset(&z, 0, sizeof z);
    assert_string_equal(sb_str(&z), "");
    sb_adds(&z, "q");
    assert_string_equal(z.buf, "q");
    sb_release(&z);
    assert_string_equal(z.buf, "");
}

static void test_error_format(void **state)
{
    (void)state;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(lk_bad_input(&err, "m.json", "/targets/0", "expected %s", "a string"), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    lk_error_prefix(&err, "while reading");
    char *line = lk_error_format(&err);
    assert_string_equal(line, "m.json: /targets/0: while reading: expected a string");
    free(line);
    lk_fail(&err, 0, NULL, NULL, "two\nlines");
    line = lk_error_format(&err);
    assert_string_equal(line, "two\\nlines");
    assert_int_equal(err.status, LK_EXIT_FAIL);
    free(line);
    lk_error_clear(&err);
    lk_error_clear(&err);
}

/* A long part is cut in the middle around "…", at most LK_ERROR_PART_MAX
 * bytes of it kept, never inside a UTF-8 sequence; each part on its own. */
static void test_error_cut(void **state)
{
    (void)state;
    struct strbuf v = STRBUF_INIT;
    sb_adds(&v, "x"); /* odd: a cut at an even offset would split an "é" */
    for (int i = 0; i < 1000; i++)
        sb_adds(&v, "\xc3\xa9");
    struct lk_error err = LK_ERROR_INIT;
    lk_bad_input(&err, "f", sb_str(&v), "phase '%s' is not valid", sb_str(&v));
    char *line = lk_error_format(&err);
    /* place and message: head and tail of at most 200 bytes each */
    assert_true(strlen(line) <= 3 + 2 * (LK_ERROR_PART_MAX + 3 + 2));
    assert_true(strncmp(line, "f: x\xc3\xa9", 6) == 0);
    const char *cut = strstr(line, "\xe2\x80\xa6");
    assert_non_null(cut);
    assert_non_null(strstr(cut + 3, "\xe2\x80\xa6")); /* the message is cut too */
    assert_non_null(strstr(line, "\xc3\xa9' is not valid")); /* its tail is kept */
    for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
        if (*p == 0xc3)
            assert_int_equal(p[1], 0xa9), p++;
        else if (*p == 0xe2)
            assert_true(p[1] == 0x80 && p[2] == 0xa6), p += 2;
        else
            assert_true(*p < 0x80);
    }
    free(line);
    /* 400 bytes exactly are not cut */
    sb_reset(&v);
    for (int i = 0; i < LK_ERROR_PART_MAX; i++)
        sb_addc(&v, 'a');
    lk_fail(&err, 0, NULL, NULL, "%s", sb_str(&v));
    line = lk_error_format(&err);
    assert_string_equal(line, sb_str(&v));
    free(line);
    lk_error_clear(&err);
    sb_release(&v);
}

static void test_json_pointer(void **state)
{
    (void)state;
    char *p = lk_pointer_join("/a", "b/c~d");
    assert_string_equal(p, "/a/b~1c~0d");
    char *q = lk_pointer_index(p, 7);
    assert_string_equal(q, "/a/b~1c~0d/7");
    free(p);
    free(q);
    p = lk_pointer_join(NULL, "");
    assert_string_equal(p, "/");
    free(p);

    /* into a buffer when it fits (11 bytes with the NUL), else on the heap */
    char buf[11], *heap;
    const char *r = lk_pointer_join_buf(buf, sizeof buf, "/a", "b/c~d", &heap);
    assert_ptr_equal(r, buf);
    assert_null(heap);
    assert_string_equal(r, "/a/b~1c~0d");
    r = lk_pointer_join_buf(buf, sizeof buf - 1, "/a", "b/c~d", &heap);
    assert_ptr_equal(r, heap);
    assert_string_equal(r, "/a/b~1c~0d");
    free(heap);
}

/* The longest whole-line prefix within the limit, else the first line. */
static void test_whole_lines_prefix(void **state)
{
    (void)state;
    const char *t = "ab\ncde\nf\n";
    assert_int_equal(whole_lines_prefix(t, 9, 9), 9);   /* all of it fits */
    assert_int_equal(whole_lines_prefix(t, 9, 8), 7);   /* two lines */
    assert_int_equal(whole_lines_prefix(t, 9, 6), 3);   /* one line */
    assert_int_equal(whole_lines_prefix(t, 9, 3), 3);
    assert_int_equal(whole_lines_prefix(t, 9, 2), 3);   /* a longer first line: whole */
    assert_int_equal(whole_lines_prefix("abcdef", 6, 2), 6); /* no newline: all */
    assert_int_equal(whole_lines_prefix("", 0, 4), 0);
}

static void test_outdir(void **state)
{
    (void)state;
    char base[] = "/tmp/lk-test-XXXXXX";
    assert_non_null(mkdtemp(base));
    char *final = xasprintf("%s/out", base);
    struct lk_error err = LK_ERROR_INIT;
    /* Fresh, replaced by exchange, replaced by two renames (no
     * RENAME_EXCHANGE), fresh without RENAME_NOREPLACE: each time whole. */
    for (int round = 0; round < 4; round++) {
        outdir_test_without_rename_flags(round >= 2);
        if (round == 3)
            assert_int_equal(file_remove_tree(final), 0);
        struct outdir od;
        assert_int_equal(outdir_begin(&od, final, &err), 0);
        char *f = outdir_path(&od, round % 2 ? "x.json" : "y.json");
        assert_int_equal(file_write_atomic(f, "{}", 2, &err), 0);
        free(f);
        assert_int_equal(outdir_commit(&od, &err), 0);
        char *other = xasprintf("%s/%s", final, round % 2 ? "y.json" : "x.json");
        char *marker = xasprintf("%s/" OUTDIR_MARKER, final);
        struct stat st;
        assert_int_not_equal(stat(other, &st), 0); /* the previous output is gone */
        assert_int_equal(stat(marker, &st), 0);
        free(other);
        free(marker);
        char *ls = xasprintf("test $(ls -A %s | wc -l) -eq 1", base); /* no temporaries */
        assert_int_equal(system(ls), 0);
        free(ls);
    }
    outdir_test_without_rename_flags(false);
    /* A directory of other files is refused and kept. */
    char *foreign = xasprintf("%s/foreign", base);
    assert_int_equal(mkdir(foreign, 0755), 0);
    char *kept = xasprintf("%s/keep", foreign);
    assert_int_equal(file_write_atomic(kept, "k", 1, &err), 0);
    struct outdir refused;
    assert_int_equal(outdir_begin(&refused, foreign, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    assert_non_null(strstr(err.msg, "not a lazykite output"));
    lk_error_clear(&err);
    struct stat kst;
    assert_int_equal(stat(kept, &kst), 0);
    assert_int_equal(file_remove_tree(foreign), 0);
    free(kept);
    free(foreign);
    char *f = xasprintf("%s/x.json", final);
    char *data;
    size_t len;
    assert_int_equal(file_read(f, &data, &len, &err), 0);
    assert_string_equal(data, "{}");
    free(data);
    free(f);
    /* An aborted directory leaves nothing behind. */
    struct outdir od;
    assert_int_equal(outdir_begin(&od, final, &err), 0);
    char *tmp = xstrdup(od.tmp);
    outdir_abort(&od);
    struct stat st;
    assert_int_not_equal(stat(tmp, &st), 0);
    free(tmp);
    /* An empty file reads as an empty, NUL-terminated string. */
    char *empty = xasprintf("%s/empty", base);
    assert_int_equal(file_write_atomic(empty, "", 0, &err), 0);
    assert_int_equal(file_read(empty, &data, &len, &err), 0);
    assert_int_equal(len, 0);
    assert_string_equal(data, "");
    free(data);
    free(empty);
    assert_int_equal(file_read(base, &data, &len, &err), -1); /* a directory */
    assert_int_equal(err.status, LK_EXIT_INPUT);
    lk_error_clear(&err);
    assert_int_equal(file_read("/nonexistent/x", &data, &len, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    lk_error_clear(&err);

    /* file_map: a regular file mapped, an empty one read, errors as file_read */
    struct mapped_file m;
    f = xasprintf("%s/out/x.json", base);
    assert_int_equal(file_map(f, &m, &err), 0);
    assert_non_null(m.map);
    assert_int_equal(m.len, 2);
    assert_memory_equal(m.data, "{}", 2);
    file_unmap(&m);
    free(f);
    empty = xasprintf("%s/empty", base);
    assert_int_equal(file_map(empty, &m, &err), 0);
    assert_null(m.map);
    assert_int_equal(m.len, 0);
    file_unmap(&m);
    free(empty);
    assert_int_equal(file_map(base, &m, &err), -1); /* a directory */
    assert_string_equal(err.msg, "expected a file, found a directory");
    lk_error_clear(&err);
    assert_int_equal(file_map("/nonexistent/x", &m, &err), -1);
    assert_int_equal(err.status, LK_EXIT_INPUT);
    lk_error_clear(&err);
    assert_int_equal(file_remove_tree(base), 0);
    free(final);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf),
        cmocka_unit_test(test_error_format), cmocka_unit_test(test_error_cut),
        cmocka_unit_test(test_json_pointer),
        cmocka_unit_test(test_whole_lines_prefix),
        cmocka_unit_test(test_outdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
