/* Unit tests: Nix string literals, shell words, upload escaping — and that
 * a quoted word survives upload interpolation and bash byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "cmdrun.h"
#include "quote.h"
#include "strbuf.h"

static char *nix(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    quote_nix_string(&sb, s);
    return sb_detach(&sb);
}

static char *shell(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    quote_shell_word(&sb, s);
    return sb_detach(&sb);
}

#define ASSERT_QUOTED(fn, in, want)          \
    do {                                     \
        char *got_ = fn(in);                 \
        assert_string_equal(got_, want);     \
        free(got_);                          \
    } while (0)

static void test_nix_string(void **state)
{
    (void)state;
    ASSERT_QUOTED(nix, "plain-name_1", "\"plain-name_1\"");
    ASSERT_QUOTED(nix, "", "\"\"");
    ASSERT_QUOTED(nix, "a\"b", "\"a\\\"b\"");
    ASSERT_QUOTED(nix, "a\\b", "\"a\\\\b\"");
    ASSERT_QUOTED(nix, "${x}", "\"$\\{x}\"");
    ASSERT_QUOTED(nix, "$x $", "\"$x $\"");
    ASSERT_QUOTED(nix, "$${x}", "\"$$\\{x}\"");
    ASSERT_QUOTED(nix, "\\${", "\"\\\\$\\{\"");
    ASSERT_QUOTED(nix, "l1\nl2\r\t", "\"l1\\nl2\\r\\t\"");
    ASSERT_QUOTED(nix, "it's ünï ✓", "\"it's ünï ✓\"");
}

static void test_shell_word(void **state)
{
    (void)state;
    ASSERT_QUOTED(shell, "/nix/store/abc-x.drv", "'/nix/store/abc-x.drv'");
    ASSERT_QUOTED(shell, "", "''");
    ASSERT_QUOTED(shell, "it's", "'it'\\''s'");
    ASSERT_QUOTED(shell, "$HOME \"x\"", "'$HOME \"x\"'");
    /* A backslash is never left right before a dollar. */
    ASSERT_QUOTED(shell, "a\\$b", "'a\\''$b'");
    ASSERT_QUOTED(shell, "a\\\\$b", "'a\\\\''$b'");
}

static void test_upload(void **state)
{
    (void)state;
    char *s = quote_upload_dup("plain text");
    assert_string_equal(s, "plain text");
    free(s);
    s = quote_upload_dup("x=\"$(cmd)\" $a ${b} $$");
    assert_string_equal(s, "x=\"$$(cmd)\" $$a $${b} $$$$");
    char *back = upload_interpolate(s);
    assert_string_equal(back, "x=\"$(cmd)\" $a ${b} $$");
    free(back);
    free(s);
    /* The reversal rejects what Buildkite would expand. */
    assert_null(upload_interpolate("echo $HOME"));
    back = upload_interpolate("a\\\\$$b \\$c");
    assert_string_equal(back, "a\\\\$b $c");
    free(back);
}

/* Random words through quote_shell_word + quote_upload, Buildkite's
 * interpolation and a real bash: printf must print the word unchanged. */
static void test_words_survive_upload_and_bash(void **state)
{
    (void)state;
    static const char *pieces[] = { "a", " ", "'", "\"", "\\", "$", "{", "}", "`", "\n",
                                    "\t", "!", "*", "ü", "✓", "$(", "${", "\\$", "''", "%" };
    const size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);
    char *dir = stub_dir_new();
    unsigned seed = 12345;
    for (int round = 0; round < 150; round++) {
        struct strbuf word = STRBUF_INIT;
        int len = round < 20 ? round % 4 + 1 : 1 + (int)(rand_r(&seed) % 12);
        for (int i = 0; i < len; i++)
            sb_adds(&word, pieces[round < 20 ? (size_t)(round * 7 + i) % n_pieces
                                             : (size_t)rand_r(&seed) % n_pieces]);
        struct strbuf cmd = STRBUF_INIT;
        sb_adds(&cmd, "printf %s ");
        quote_shell_word(&cmd, sb_str(&word));
        char *uploaded = quote_upload_dup(sb_str(&cmd));
        char *seen = upload_interpolate(uploaded);
        assert_non_null(seen);
        assert_int_equal(stub_run(dir, "/", seen), 0);
        char *out = stub_file(dir, "stdout");
        assert_non_null(out);
        assert_string_equal(out, sb_str(&word));
        free(out);
        free(seen);
        free(uploaded);
        sb_release(&cmd);
        sb_release(&word);
    }
    file_remove_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nix_string),
        cmocka_unit_test(test_shell_word),
        cmocka_unit_test(test_upload),
        cmocka_unit_test(test_words_survive_upload_and_bash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
