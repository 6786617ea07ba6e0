/* htmlreport — the HTML page of one played fixture (see htmlreport.h). */
#include "harness/htmlreport.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

/* Text for an HTML element or attribute. */
static void add_text(struct strbuf *sb, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': sb_adds(sb, "&amp;"); break;
        case '<': sb_adds(sb, "&lt;"); break;
        case '>': sb_adds(sb, "&gt;"); break;
        case '"': sb_adds(sb, "&quot;"); break;
        default: sb_addc(sb, *s);
        }
    }
}

/* JSON text that cannot end a <script> element: `<`, `>`, `&` occur only
 * inside JSON strings, where \u escapes mean the same. */
static void add_json(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': sb_adds(sb, "\\u003c"); break;
        case '>': sb_adds(sb, "\\u003e"); break;
        case '&': sb_adds(sb, "\\u0026"); break;
        default: sb_addc(sb, *s);
        }
    }
}

static int contains_ci(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

char *htmlreport_render(json_t *report, const char *script, const char *style, struct lk_error *err)
{
    if (contains_ci(script, "</script")) {
        lk_fail(err, LK_EXIT_FAIL, "htmlreport.js", NULL, "the script holds \"</script\"");
        return NULL;
    }
    if (contains_ci(style, "</style")) {
        lk_fail(err, LK_EXIT_FAIL, "htmlreport.css", NULL, "the style holds \"</style\"");
        return NULL;
    }
    const char *fixture = json_string_value(json_object_get(report, "fixture"));
    int ok = json_is_true(json_object_get(report, "ok"));
    char *json = json_dumps(report, JSON_INDENT(1) | JSON_ENSURE_ASCII);
    struct strbuf sb = STRBUF_INIT;
    sb_adds(&sb, "<!DOCTYPE html>\n<html lang=\"en\" data-rendered=\"no\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    add_text(&sb, ok ? "ok: " : "FAILED: ");
    add_text(&sb, fixture ? fixture : "?");
    sb_adds(&sb, " \xe2\x80\x94 lazykite-sim</title>\n<style>\n");
    sb_adds(&sb, style);
    sb_adds(&sb, "</style>\n</head>\n<body>\n<main id=\"lazykite-main\">\n<noscript><h1>");
    add_text(&sb, ok ? "ok: " : "FAILED: ");
    add_text(&sb, fixture ? fixture : "?");
    sb_adds(&sb, "</h1><p>The pictures of this run (the pipeline as a graph, each derivation build in its "
                 "step, the agents' timeline) are drawn by the page's own script: allow scripts for this "
                 "file. The report itself is in the element #lazykite-report.</p></noscript>\n"
                 "<p id=\"lazykite-error\"></p>\n</main>\n"
                 "<script type=\"application/json\" id=\"lazykite-report\">\n");
    add_json(&sb, json);
    sb_adds(&sb, "\n</script>\n<script>\n");
    sb_adds(&sb, script);
    sb_adds(&sb, "</script>\n</body>\n</html>\n");
    free(json);
    return sb_detach(&sb);
}

int htmlreport_write(json_t *report, const char *root, const char *path, struct lk_error *err)
{
    char *js_path = xasprintf("%s/sim/harness/htmlreport.js", root);
    char *css_path = xasprintf("%s/sim/harness/htmlreport.css", root);
    char *script = NULL, *style = NULL, *page = NULL;
    size_t len;
    int rc = -1;
    if (file_read(js_path, &script, &len, err) == 0 && file_read(css_path, &style, &len, err) == 0 &&
        (page = htmlreport_render(report, script, style, err)))
        rc = file_write_atomic(path, page, strlen(page), err);
    free(page);
    free(script);
    free(style);
    free(js_path);
    free(css_path);
    return rc;
}
