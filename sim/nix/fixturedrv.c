/* fixturedrv — the fixture loader's derivations: the `derivations` mapping
 * and inline target derivations, their Nix and output names, and the build
 * script parsed into text and `@{key^output}` references (fixture-loader.h). */
#include "nix/fixture-loader.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

#define MAX_NAME_LEN 207 /* derivation name: `<name>.drv` <= 211 */

/* ---- names ------------------------------------------------------------ */

static int nix_name_char(unsigned char c)
{
    return isalnum(c) || strchr("+-._?=", c) != NULL;
}

static const char *bad_nix_name(const char *s)
{
    if (!*s)
        return "is empty";
    if (strlen(s) > MAX_NAME_LEN)
        return "is longer than 207 characters";
    if (*s == '.')
        return "starts with '.'";
    for (const char *p = s; *p; p++)
        if (!nix_name_char((unsigned char)*p))
            return "contains a character outside A-Z a-z 0-9 + - . _ ? =";
    return NULL;
}

/* The default derivation name: the key's last `/` component, with every
 * character Nix does not allow in names replaced by `-`. */
static char *name_from_key(const char *key)
{
    const char *slash = strrchr(key, '/');
    const char *base = slash ? slash + 1 : key;
    size_t n = strlen(base);
    if (n > 200)
        n = 200;
    char *s = xstrndup(base, n);
    for (char *p = s; *p; p++)
        if (!nix_name_char((unsigned char)*p))
            *p = '-';
    if (*s == '.')
        *s = '-';
    if (!*s) {
        free(s);
        s = xstrdup("unnamed");
    }
    return s;
}

/* Output names: shell identifiers (the builder reads `$name`), not "drv",
 * and none of the names `derivation` or the derivation attribute set already
 * uses (an output called `all` or `PATH` would shadow or clobber them). */
static int valid_output_name(const char *s)
{
    static const char *const reserved[] = { "drv", "all", "drvAttrs", "drvPath", "outPath",
                                            "outputName", "type", "name", "system", "builder",
                                            "args", "PATH", "deps", "outputs", "meta", NULL };
    for (size_t i = 0; reserved[i]; i++)
        if (!strcmp(s, reserved[i]))
            return 0;
    if (!*s || strlen(s) > 64)
        return 0;
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return 0;
    for (const char *p = s; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_'))
            return 0;
    return 1;
}

/* ---- derivations ----------------------------------------------------- */

static const char *const drv_fields[] = { "build", "deps", "outputs", "fail", "ifd", "name", NULL };

/* Room for exactly `n` script parts (`d` has none yet): most scripts are one
 * part, and 10^5 derivations each with room for 8 are 17 MB. */
static void alloc_parts(struct fixture_drv *d, size_t *alloc, size_t n)
{
    d->script = xmalloc(n * sizeof *d->script);
    *alloc = n;
}

static void add_part_text(struct fixture_drv *d, size_t *alloc, const char *s, size_t n)
{
    if (!n)
        return;
    if (d->n_script && d->script[d->n_script - 1].text) {
        struct fixture_script_part *last = &d->script[d->n_script - 1];
        size_t old = strlen(last->text);
        last->text = xrealloc(last->text, old + n + 1);
        memcpy(last->text + old, s, n);
        last->text[old + n] = 0;
        return;
    }
    XGROW(d->script, *alloc, d->n_script + 1);
    d->script[d->n_script].text = xstrndup(s, n);
    d->script[d->n_script].drv = FIXTURE_NONE;
    d->script[d->n_script].output = NULL;
    d->n_script++;
}

/* Split a build script into text and `@{key}` / `@{key^output}` references.
 * `@@` is a literal `@`; any other `@` is itself. Script parts are allocated
 * at their final size before references point into them. */
static int parse_script(struct loader *L, struct fixture_drv *d, const char *s,
                        struct fixture_pos pos)
{
    size_t alloc = 0;
    /* Count references first so the parts array never moves afterwards. */
    size_t refs = 0;
    for (const char *p = s; *p; p++) {
        if (p[0] == '@' && p[1] == '@')
            p++;
        else if (p[0] == '@' && p[1] == '{')
            refs++;
    }
    alloc_parts(d, &alloc, 2 * refs + 1);
    const char *p = s, *lit = s;
    while (*p) {
        if (p[0] == '@' && p[1] == '@') {
            add_part_text(d, &alloc, lit, (size_t)(p - lit) + 1);
            p += 2;
            lit = p;
        } else if (p[0] == '@' && p[1] == '{') {
            add_part_text(d, &alloc, lit, (size_t)(p - lit));
            const char *start = p + 2, *end = strchr(start, '}');
            size_t off = (size_t)(p - s);
            if (!end)
                return fx_fail_pos(L, pos,
                                   "derivation '%s': build script: '@{' at character %zu is not "
                                   "closed by '}' (write '@@{' for a literal '@{')",
                                   d->key, off + 1);
            char *ref = xstrndup(start, (size_t)(end - start));
            char *caret = strrchr(ref, '^');
            char *output = NULL;
            if (caret) {
                *caret = 0;
                output = caret + 1;
            }
            if (!*ref || (output && !*output)) {
                free(ref);
                return fx_fail_pos(L, pos,
                                   "derivation '%s': build script: '@{...}' at character %zu: "
                                   "expected '@{key}' or '@{key^output}'",
                                   d->key, off + 1);
            }
            if (d->n_script + 1 > alloc)
                XGROW(d->script, alloc, d->n_script + 1);
            struct fixture_script_part *part = &d->script[d->n_script++];
            part->text = NULL;
            part->drv = FIXTURE_NONE;
            part->output = NULL;
            fx_add_pending(L, REF_SCRIPT, ref, &part->drv, "build script", pos);
            L->pend[L->n_pend - 1].output = output ? xstrdup(output) : NULL;
            L->pend[L->n_pend - 1].output_dest = &part->output;
            free(ref);
            p = end + 1;
            lit = p;
        } else {
            p++;
        }
    }
    add_part_text(d, &alloc, lit, (size_t)(p - lit));
    return 0;
}

/* Keys are any non-empty string; one containing '}' or '^' cannot be named
 * in a build script's `@{...}` (fixtures/README.md), but deps, drv, command
 * and the other fields can still name it. */
int fx_check_key(struct loader *L, struct ynode *n, const char *key, const char *what)
{
    if (!*key)
        return fx_fail(L, n, "%s: a derivation key must not be empty", what);
    return 0;
}

size_t fx_new_drv(struct loader *L, const char *key, struct ynode *at)
{
    struct fixture *f = L->f;
    XGROW(f->drvs, L->alloc_drvs, f->n_drvs + 1);
    struct fixture_drv *d = &f->drvs[f->n_drvs];
    memset(d, 0, sizeof *d);
    d->key = xstrdup(key);
    d->pos = fx_pos_of(at);
    return f->n_drvs++;
}

/* Fill drv `i` from the derivation fields in `vals` (drv_fields order). */
int fx_load_drv_fields(struct loader *L, size_t i, struct ynode **vals, const char *what)
{
    struct fixture_drv *d = &L->f->drvs[i];
    if (vals[DF_NAME]) {
        if (fx_get_string(L, vals[DF_NAME], "name", &d->name) < 0)
            return -1;
        const char *why = bad_nix_name(d->name);
        if (why)
            return fx_fail(L, vals[DF_NAME], "%s '%s': name '%s' is not a valid Nix name: it %s",
                           what, d->key, d->name, why);
    } else {
        d->name = name_from_key(d->key);
    }
    if (vals[DF_OUTPUTS]) {
        if (fx_get_string_list(L, vals[DF_OUTPUTS], "outputs", &d->outputs, &d->n_outputs) < 0)
            return -1;
        if (!d->n_outputs)
            return fx_fail(L, vals[DF_OUTPUTS], "%s '%s': outputs: expected at least one output",
                           what, d->key);
        for (size_t j = 0; j < d->n_outputs; j++) {
            if (!valid_output_name(d->outputs[j]))
                return fx_fail(L, vals[DF_OUTPUTS],
                               "%s '%s': output name '%s' is not valid: expected a shell "
                               "identifier (letters, digits, '_') that is not a reserved name "
                               "(drv, all, drvAttrs, drvPath, outPath, outputName, type, name, "
                               "system, builder, args, PATH, deps, outputs, meta)",
                               what, d->key, d->outputs[j]);
            for (size_t m = 0; m < j; m++)
                if (!strcmp(d->outputs[m], d->outputs[j]))
                    return fx_fail(L, vals[DF_OUTPUTS], "%s '%s': output '%s' listed twice", what,
                                   d->key, d->outputs[j]);
            if (strlen(d->name) + 1 + strlen(d->outputs[j]) > MAX_NAME_LEN + 4)
                return fx_fail(L, vals[DF_OUTPUTS], "%s '%s': name '%s-%s' is too long", what,
                               d->key, d->name, d->outputs[j]);
        }
        d->outputs_explicit = !(d->n_outputs == 1 && !strcmp(d->outputs[0], "out"));
    } else {
        d->outputs = xcalloc(1, sizeof *d->outputs);
        d->outputs[0] = xstrdup("out");
        d->n_outputs = 1;
    }
    if (vals[DF_FAIL] && fx_get_bool(L, vals[DF_FAIL], "fail", &d->fail) < 0)
        return -1;
    if (vals[DF_DEPS] && fx_get_ref_list(L, vals[DF_DEPS], REF_DRV, "deps", &d->deps, &d->n_deps) < 0)
        return -1;
    if (vals[DF_IFD] && fx_get_ref_list(L, vals[DF_IFD], REF_DRV, "ifd", &d->ifd, &d->n_ifd) < 0)
        return -1;
    if (vals[DF_BUILD]) {
        if (fx_get_string(L, vals[DF_BUILD], "build", &d->build) < 0)
            return -1;
        if (parse_script(L, d, d->build, fx_pos_of(vals[DF_BUILD])) < 0)
            return -1;
    } else {
        /* The default script creates every output. */
        struct strbuf sb = STRBUF_INIT;
        for (size_t j = 0; j < d->n_outputs; j++)
            sb_addf(&sb, "%smkdir \"$%s\"", j ? "; " : "", d->outputs[j]);
        size_t alloc;
        alloc_parts(d, &alloc, 1);
        add_part_text(d, &alloc, sb.buf, sb.len);
        sb_release(&sb);
    }
    return 0;
}

int fx_load_derivations(struct loader *L, struct ynode *n)
{
    struct ynode_pair *pairs;
    size_t k;
    if (fx_get_map(L, n, "derivations", &pairs, &k) < 0)
        return -1;
    XGROW(L->f->drvs, L->alloc_drvs, L->f->n_drvs + k); /* at once: they are large */
    for (size_t i = 0; i < k; i++) {
        struct ynode *kn = fx_node(L, pairs[i].key), *vn = fx_node(L, pairs[i].value);
        if (fx_check_key(L, kn, fx_scalar(kn), "derivation") < 0)
            return -1;
        char *what = xasprintf("derivation '%s'", fx_scalar(kn));
        struct ynode *vals[DF_N];
        int r = fx_get_fields(L, vn, what, drv_fields, vals);
        free(what);
        if (r < 0)
            return -1;
        size_t idx = fx_new_drv(L, fx_scalar(kn), kn);
        if (fx_load_drv_fields(L, idx, vals, "derivation") < 0)
            return -1;
    }
    return 0;
}
