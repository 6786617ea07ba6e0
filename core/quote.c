/* quote — see quote.h. */
#include "quote.h"

#include <string.h>

#include "strbuf.h"

void quote_nix_string(struct strbuf *out, const char *s)
{
    sb_addc(out, '"');
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '\\': sb_adds(out, "\\\\"); break;
        case '"': sb_adds(out, "\\\""); break;
        case '\n': sb_adds(out, "\\n"); break;
        case '\r': sb_adds(out, "\\r"); break;
        case '\t': sb_adds(out, "\\t"); break;
        case '$':
            /* `${` starts an interpolation; Nix reads `$\{` as a literal
             * `${` (and `\${` would put a backslash before a `$`). */
            if (p[1] == '{') {
                sb_adds(out, "$\\{");
                p++;
            } else {
                sb_addc(out, '$');
            }
            break;
        default: sb_addc(out, *p); break;
        }
    }
    sb_addc(out, '"');
}

void quote_shell_word(struct strbuf *out, const char *s)
{
    sb_addc(out, '\'');
    const char *plain = s; /* start of the run copied as it is */
    for (const char *p = s; *p; p++) {
        const char *esc = *p == '\'' ? "'\\''" : *p == '\\' && p[1] == '$' ? "\\''" : NULL;
        if (esc) {
            sb_add(out, plain, (size_t)(p - plain));
            sb_adds(out, esc);
            plain = p + 1;
        }
    }
    sb_adds(out, plain);
    sb_addc(out, '\'');
}

void quote_upload(struct strbuf *out, const char *s)
{
    for (const char *dollar; (dollar = strchr(s, '$')); s = dollar + 1) {
        sb_add(out, s, (size_t)(dollar - s));
        sb_add(out, "$$", 2);
    }
    sb_adds(out, s);
}

bool quote_upload_carries(const char *s)
{
    /* Buildkite reads `\\` as a kept pair and `\$` as an escaped `$`:
     * only an odd run of backslashes right before a `$` is lost. */
    size_t run = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '$' && run % 2 == 1)
            return false;
        run = *p == '\\' ? run + 1 : 0;
    }
    return true;
}

char *quote_upload_dup(const char *s)
{
    struct strbuf sb = STRBUF_INIT;
    quote_upload(&sb, s);
    return sb_detach(&sb);
}
