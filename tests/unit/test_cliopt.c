/* Unit tests: cliopt, the command-line option parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliopt.h"
#include "strbuf.h"

enum { O_FILE = 1, O_FLAG, O_OUT };
static const struct cliopt opts[] = {
    { "file", 0, true, O_FILE },
    { "flag", 'f', false, O_FLAG },
    { "output", 'o', true, O_OUT },
    CLIOPT_TABLE_END,
};

/* The items of a command line, one per line: "id=value", "arg=value" or
 * "error: message" (the parse stops at an error). */
static char *parse(int argc, char **argv)
{
    struct cliopt_state st;
    cliopt_init(&st, argc, argv, opts);
    struct strbuf sb = STRBUF_INIT;
    struct lk_error err = LK_ERROR_INIT;
    const char *v;
    int id;
    while ((id = cliopt_next(&st, &v, &err)) != CLIOPT_END) {
        if (id == CLIOPT_ERROR) {
            sb_addf(&sb, "error: %s\n", err.msg);
            assert_int_equal(err.status, LK_EXIT_INPUT);
            lk_error_clear(&err);
            break;
        }
        if (id == CLIOPT_OPERAND)
            sb_addf(&sb, "arg=%s\n", v);
        else
            sb_addf(&sb, "%d=%s\n", id, v ? v : "(none)");
    }
    return sb_detach(&sb);
}

#define CHECK(expected, ...)                                                   \
    do {                                                                       \
        char *argv[] = { "cmd", __VA_ARGS__, NULL };                           \
        char *got = parse((int)(sizeof argv / sizeof *argv) - 1, argv);        \
        assert_string_equal(got, expected);                                    \
        free(got);                                                             \
    } while (0)

static void test_forms(void **state)
{
    (void)state;
    CHECK("1=a\n", "--file", "a");
    CHECK("1=a\n", "--file=a");
    CHECK("1=\n", "--file=");              /* an empty value, given */
    CHECK("1=x=y\n", "--file=x=y");        /* only the first '=' splits */
    CHECK("3=d\n", "-o", "d");
    CHECK("3=d\n", "-od");
    CHECK("2=(none)\n", "-f");
    CHECK("2=(none)\narg=x\n2=(none)\n", "--flag", "x", "-f");
    CHECK("arg=-\n", "-");                 /* stdin's name is an operand */
    CHECK("1=--flag\n", "--file", "--flag"); /* a value may start with '-' */
}

static void test_end_of_options(void **state)
{
    (void)state;
    CHECK("2=(none)\narg=--file\narg=-o\narg=--\n", "-f", "--", "--file", "-o", "--");
    CHECK("arg=x\n", "--", "x");
}

static void test_errors(void **state)
{
    (void)state;
    CHECK("error: unknown option '--fil'\n", "--fil", "a");     /* no abbreviations */
    CHECK("error: unknown option '--files'\n", "--files=a");
    CHECK("error: unknown option '-x'\n", "-x");
    CHECK("error: option '--flag' takes no value\n", "--flag=1");
    CHECK("error: option '-f' takes no value (got '-fo')\n", "-fo");
    CHECK("error: option '--file' needs a value\n", "--file");
    CHECK("error: option '-o' needs a value\n", "-o");
    CHECK("arg=a\nerror: unknown option '--'x''\n", "a", "--'x'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_end_of_options),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
