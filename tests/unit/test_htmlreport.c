/* Unit tests: the HTML page and the Markdown summary of a run, from a
 * hand-made report (htmlreport.h, mdreport.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "harness/htmlreport.h"
#include "harness/mdreport.h"

static json_t *report(void)
{
    json_t *steps = json_array(), *evidence = json_array();
    const double secs[] = { 0.5, 2.25, -1, 1.0, 0.1, 0.2, 0.3 };
    for (int i = 0; i < 7; i++) {
        char label[32];
        snprintf(label, sizeof label, "step %d", i);
        json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:o, s:o}", "label", i == 1 ? "a|b *c* <i>" : label,
                                               "type", "command", "outcome", "passed", "agent",
                                               json_string("agent-1"), "seconds",
                                               secs[i] < 0 ? json_null() : json_real(secs[i])));
    }
    for (int i = 0; i < 12; i++)
        json_array_append_new(evidence, json_sprintf("line %d", i));
    return json_pack("{s:s, s:s, s:s, s:i, s:n, s:b, s:f, s:o, s:[], s:[{s:s, s:s, s:b, s:i, s:s, s:o}],"
                     " s:[s], s:n}",
                     "fixture", "fixtures/x</script>.yaml", "depot", "x", "branch", "refs/heads/canon",
                     "agents", 1, "generator", "ok", 0, "seconds", 3.5, "steps", steps, "builds",
                     "invariants", "id", "tree-clean", "verdict", "violated", "expected_violation", 0,
                     "checked", 3, "summary", "it\nchecked", "evidence", evidence, "unmet", "want [this]",
                     "failure");
}

static void test_html(void **state)
{
    (void)state;
    json_t *r = report();
    struct lk_error err = LK_ERROR_INIT;
    char *page = htmlreport_render(r, "draw();\n", "body { color: red; }\n", &err);
    assert_non_null(page);
    /* the report's text cannot end an element: only the page's own tags */
    const char *p = page;
    int scripts = 0;
    while ((p = strstr(p, "</script>")))
        scripts++, p++;
    assert_int_equal(scripts, 2);
    assert_non_null(strstr(page, "x\\u003c/script\\u003e.yaml"));
    assert_non_null(strstr(page, "<title>FAILED: fixtures/x&lt;/script&gt;.yaml"));
    assert_non_null(strstr(page, "<style>\nbody { color: red; }\n</style>"));
    assert_non_null(strstr(page, "<script>\ndraw();\n</script>"));
    assert_non_null(strstr(page, "id=\"lazykite-report\""));
    assert_null(strstr(page, "src="));
    free(page);
    /* a script or style that would end its element is refused */
    assert_null(htmlreport_render(r, "x = '</SCRIPT>';", "", &err));
    assert_int_equal(err.status, LK_EXIT_FAIL);
    lk_error_clear(&err);
    assert_null(htmlreport_render(r, "", "a{}</style>", &err));
    lk_error_clear(&err);
    json_decref(r);
}

static void test_markdown(void **state)
{
    (void)state;
    json_t *r = report();
    char *md = mdreport_render(r);
    assert_non_null(strstr(md, "### \xe2\x9d\x8c lazykite-sim: fixtures/x&lt;/script&gt;.yaml FAILED\n"));
    assert_non_null(strstr(md, "; 7 steps, 6 ran, 0 derivation build(s); 3.50 s\n"));
    assert_non_null(strstr(md, "| tree-clean | **violated** | 3 | it checked |\n"));
    /* evidence: at most MDREPORT_MAX_LINES lines, then how many more */
    assert_non_null(strstr(md, "  - line 9\n  - … and 2 more"));
    assert_null(strstr(md, "line 10"));
    assert_non_null(strstr(md, "- want \\[this\\]\n"));
    /* the slowest first, MDREPORT_SLOWEST of them, text escaped */
    const char *slow = strstr(md, "**The slowest steps** (of 6 that ran)");
    assert_non_null(slow);
    const char *a = strstr(slow, "| a\\|b \\*c\\* &lt;i&gt; | passed | agent-1 | 2.25 |");
    const char *b = strstr(slow, "| step 3 | passed | agent-1 | 1.00 |");
    const char *c = strstr(slow, "| step 0 |");
    assert_true(a && b && c && a < b && b < c);
    assert_null(strstr(slow, "| step 4 |")); /* 0.1 s: the sixth */
    free(md);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_markdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
