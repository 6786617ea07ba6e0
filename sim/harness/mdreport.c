/* mdreport — the Markdown summary of one played fixture (see mdreport.h). */
#include "harness/mdreport.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

/* Report text as Markdown text (see the header for what is escaped). */
static void add_text(struct strbuf *sb, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': sb_adds(sb, "&lt;"); break;
        case '>': sb_adds(sb, "&gt;"); break;
        case '&': sb_adds(sb, "&amp;"); break;
        case '\n': case '\r': sb_addc(sb, ' '); break;
        case '\\': case '`': case '*': case '[': case ']': case '#': case '|':
            sb_addc(sb, '\\');
            sb_addc(sb, *s);
            break;
        default: sb_addc(sb, *s);
        }
    }
}

static const char *str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *step_name(json_t *s)
{
    return str(s, "label") ? str(s, "label") : str(s, "key") ? str(s, "key") : str(s, "type");
}

static void add_lines(struct strbuf *sb, json_t *lines, const char *indent)
{
    size_t i, n = json_array_size(lines);
    json_t *l;
    json_array_foreach(lines, i, l) {
        if (i == MDREPORT_MAX_LINES) {
            sb_addf(sb, "%s- … and %zu more (the JSON report has them all)\n", indent, n - i);
            break;
        }
        sb_addf(sb, "%s- ", indent);
        add_text(sb, json_string_value(l));
        sb_addc(sb, '\n');
    }
}

static int by_seconds(const void *a, const void *b)
{
    double x = json_real_value(json_object_get(*(json_t *const *)a, "seconds"));
    double y = json_real_value(json_object_get(*(json_t *const *)b, "seconds"));
    return x < y ? 1 : x > y ? -1 : 0;
}

static void slowest(struct strbuf *sb, json_t *steps)
{
    size_t i, n = 0;
    json_t *s, **ran = xcalloc(json_array_size(steps) + 1, sizeof(*ran));
    json_array_foreach(steps, i, s)
        if (json_is_number(json_object_get(s, "seconds")))
            ran[n++] = s;
    qsort(ran, n, sizeof(*ran), by_seconds);
    if (n) {
        sb_addf(sb, "\n**The slowest step%s** (of %zu that ran)\n\n| step | outcome | agent | seconds |\n"
                    "|---|---|---|---:|\n", n > 1 ? "s" : "", n);
        for (i = 0; i < n && i < MDREPORT_SLOWEST; i++) {
            sb_adds(sb, "| ");
            add_text(sb, step_name(ran[i]));
            sb_adds(sb, " | ");
            add_text(sb, str(ran[i], "outcome"));
            sb_adds(sb, " | ");
            add_text(sb, str(ran[i], "agent") ? str(ran[i], "agent") : "-");
            sb_addf(sb, " | %.2f |\n", json_real_value(json_object_get(ran[i], "seconds")));
        }
    }
    free(ran);
}

char *mdreport_render(json_t *report)
{
    struct strbuf sb = STRBUF_INIT;
    int ok = json_is_true(json_object_get(report, "ok"));
    json_t *steps = json_object_get(report, "steps"), *invs = json_object_get(report, "invariants");
    json_t *builds = json_object_get(report, "builds"), *s, *inv;
    size_t i, ran = 0, built = 0;
    json_array_foreach(steps, i, s)
        ran += json_is_number(json_object_get(s, "seconds"));
    json_array_foreach(builds, i, s)
        built += !strcmp(str(s, "event") ? str(s, "event") : "", "build");
    sb_addf(&sb, "### %s lazykite-sim: ", ok ? "\xe2\x9c\x85" : "\xe2\x9d\x8c");
    add_text(&sb, str(report, "fixture"));
    sb_addf(&sb, " %s\n\ndepot ", ok ? "ok" : "FAILED");
    add_text(&sb, str(report, "depot"));
    sb_adds(&sb, ", branch ");
    add_text(&sb, str(report, "branch"));
    sb_addf(&sb, ", %lld agent(s), generator: ", (long long)json_integer_value(json_object_get(report, "agents")));
    add_text(&sb, str(report, "generator") ? str(report, "generator") : "lazykite (the static pipeline's)");
    sb_addf(&sb, "; %zu steps, %zu ran, %zu derivation build(s); %.2f s\n",
            json_array_size(steps), ran, built, json_real_value(json_object_get(report, "seconds")));
    if (str(report, "failure")) {
        sb_adds(&sb, "\n**The run failed:** ");
        add_text(&sb, str(report, "failure"));
        sb_addc(&sb, '\n');
    }
    sb_adds(&sb, "\n| invariant | verdict | checked | what |\n|---|---|---:|---|\n");
    json_array_foreach(invs, i, inv) {
        const char *v = str(inv, "verdict");
        int bad = v && !strcmp(v, "violated");
        sb_adds(&sb, "| ");
        add_text(&sb, str(inv, "id"));
        sb_addf(&sb, " | %s%s%s%s | %lld | ", bad ? "**" : "", v ? v : "?", bad ? "**" : "",
                json_is_true(json_object_get(inv, "expected_violation")) ? " (expected)" : "",
                (long long)json_integer_value(json_object_get(inv, "checked")));
        add_text(&sb, str(inv, "summary"));
        sb_adds(&sb, " |\n");
    }
    int heading = 0;
    json_array_foreach(invs, i, inv) {
        if (strcmp(str(inv, "verdict") ? str(inv, "verdict") : "", "violated"))
            continue;
        if (!heading++)
            sb_adds(&sb, "\n**Violations**\n\n");
        sb_adds(&sb, "- ");
        add_text(&sb, str(inv, "id"));
        sb_adds(&sb, json_is_true(json_object_get(inv, "expected_violation")) ? " (expected)\n" : "\n");
        add_lines(&sb, json_object_get(inv, "evidence"), "  ");
    }
    json_t *unmet = json_object_get(report, "unmet");
    if (json_array_size(unmet)) {
        sb_adds(&sb, "\n**Unmet expectations**\n\n");
        add_lines(&sb, unmet, "");
    }
    slowest(&sb, steps);
    return sb_detach(&sb);
}

int mdreport_write(json_t *report, const char *path, struct lk_error *err)
{
    char *text = mdreport_render(report);
    int rc = file_write_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}
