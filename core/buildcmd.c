/* buildcmd — see buildcmd.h. */
#include "buildcmd.h"

#include <stdlib.h>

#include "quote.h"
#include "strbuf.h"
#include "xalloc.h"

void buildcmd_attr_expr(struct strbuf *out, const char *base, char *const *attrs, size_t n)
{
    struct strbuf expr = STRBUF_INIT;
    sb_adds(&expr, base ? base : "import ./. {}");
    for (size_t i = 0; i < n; i++) {
        struct strbuf next = STRBUF_INIT;
        sb_adds(&next, "builtins.getAttr ");
        quote_nix_string(&next, attrs[i]);
        sb_adds(&next, " (");
        sb_add(&next, expr.buf, expr.len);
        sb_addc(&next, ')');
        sb_release(&expr);
        expr = next;
    }
    sb_add(out, expr.buf, expr.len);
    sb_release(&expr);
}

void buildcmd_override_expr(struct strbuf *out, char *const *attrs, size_t n,
                            const char *step_name)
{
    struct strbuf target = STRBUF_INIT;
    buildcmd_attr_expr(&target, NULL, attrs, n);
    char *const path[] = { "meta", "ci", "extraSteps", (char *)step_name, "parentOverride" };
    sb_addc(out, '(');
    buildcmd_attr_expr(out, sb_str(&target), path, sizeof(path) / sizeof(path[0]));
    sb_adds(out, ") (");
    sb_add(out, target.buf, target.len);
    sb_addc(out, ')');
    sb_release(&target);
}

void buildcmd_command(struct strbuf *out, const char *drv_path, const char *expr,
                      const char *out_link)
{
    if (!out_link)
        out_link = "result";
    sb_adds(out, "set -o pipefail; (nix-store --realise ");
    quote_shell_word(out, drv_path);
    sb_adds(out, " --add-root ");
    quote_shell_word(out, out_link);
    sb_adds(out, " --indirect | xargs -r realpath) || (test ! -f ");
    quote_shell_word(out, drv_path);
    sb_adds(out, " && nix-build -E ");
    quote_shell_word(out, expr);
    sb_adds(out, " --show-trace --out-link ");
    quote_shell_word(out, out_link);
    sb_addc(out, ')');
}
