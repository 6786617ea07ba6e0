/* exportnix — writes a fixture as a real Nix depot (see exportnix.h).
 *
 * Each derivation is `mk { name; args = [ "-c" <script> ]; deps; outputs; }`
 * with `mk` adding system, builder and PATH and calling `derivation`; this
 * is the attribute set depot.c hashes (fixtures/README.md documents it). A
 * reference `@{key^o}` becomes `${drvs."key"."o"}` (string context makes it
 * an input), `ifd` wraps the name in `builtins.seq (builtins.pathExists
 * "${drvs."i"}")`, which makes evaluation build `i` without changing the
 * derivation. Generic JSON values (agents, step args, pipeline settings)
 * are written as `builtins.fromJSON "<json>"`, so their meaning cannot
 * drift between the two languages. */
#include "nix/exportnix.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "outdir.h"
#include "nix/depot.h"
#include "xalloc.h"

void exportnix_string(struct strbuf *out, const char *s)
{
    sb_addc(out, '"');
    for (; *s; s++) {
        switch (*s) {
        case '"': sb_adds(out, "\\\""); break;
        case '\\': sb_adds(out, "\\\\"); break;
        case '$': sb_adds(out, "\\$"); break;
        case '\n': sb_adds(out, "\\n"); break;
        case '\r': sb_adds(out, "\\r"); break;
        case '\t': sb_adds(out, "\\t"); break;
        default: sb_addc(out, *s);
        }
    }
    sb_addc(out, '"');
}

static void indent(struct strbuf *sb, int n)
{
    for (int i = 0; i < n; i++)
        sb_adds(sb, "  ");
}

static void drv_ref(struct strbuf *sb, const struct fixture *f, size_t i)
{
    sb_adds(sb, "drvs.");
    exportnix_string(sb, f->drvs[i].key);
}

static void nix_of_json(struct strbuf *sb, const json_t *j)
{
    if (json_is_boolean(j)) {
        sb_adds(sb, json_is_true(j) ? "true" : "false");
        return;
    }
    if (json_is_string(j)) {
        exportnix_string(sb, json_string_value(j));
        return;
    }
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    sb_adds(sb, "(builtins.fromJSON ");
    exportnix_string(sb, text ? text : "null");
    sb_addc(sb, ')');
    free(text);
}

static void string_list(struct strbuf *sb, char *const *v, size_t n)
{
    sb_adds(sb, "[");
    for (size_t i = 0; i < n; i++) {
        sb_addc(sb, ' ');
        exportnix_string(sb, v[i]);
    }
    sb_adds(sb, " ]");
}

static void render_drv(struct strbuf *sb, const struct fixture *f, size_t i)
{
    const struct fixture_drv *d = &f->drvs[i];
    indent(sb, 2);
    exportnix_string(sb, d->key);
    sb_adds(sb, " = mk {\n");
    indent(sb, 3);
    sb_adds(sb, "name = ");
    for (size_t j = 0; j < d->n_ifd; j++) {
        sb_adds(sb, "builtins.seq (builtins.pathExists \"${");
        drv_ref(sb, f, d->ifd[j]);
        sb_adds(sb, "}\") (");
    }
    exportnix_string(sb, d->name);
    for (size_t j = 0; j < d->n_ifd; j++)
        sb_addc(sb, ')');
    sb_adds(sb, ";\n");
    indent(sb, 3);
    sb_adds(sb, "args = [ \"-c\" \"");
    for (size_t j = 0; j < d->n_script; j++) {
        const struct fixture_script_part *p = &d->script[j];
        if (p->text) {
            /* The literal without its quotes. */
            struct strbuf lit = STRBUF_INIT;
            exportnix_string(&lit, p->text);
            sb_add(sb, lit.buf + 1, lit.len - 2);
            sb_release(&lit);
        } else {
            sb_adds(sb, "${");
            drv_ref(sb, f, p->drv);
            sb_addc(sb, '.');
            exportnix_string(sb, p->output);
            sb_addc(sb, '}');
        }
    }
    if (d->fail)
        sb_adds(sb, "\\nexit 1");
    sb_adds(sb, "\" ];\n");
    if (d->n_deps) {
        indent(sb, 3);
        sb_adds(sb, "deps = [");
        for (size_t j = 0; j < d->n_deps; j++) {
            sb_addc(sb, ' ');
            drv_ref(sb, f, d->deps[j]);
        }
        sb_adds(sb, " ];\n");
    }
    if (d->outputs_explicit) {
        indent(sb, 3);
        sb_adds(sb, "outputs = ");
        string_list(sb, d->outputs, d->n_outputs);
        sb_adds(sb, ";\n");
    }
    indent(sb, 2);
    sb_adds(sb, "};\n");
}

static void render_step(struct strbuf *sb, const struct fixture *f,
                        const struct fixture_extra_step *s, int in)
{
    indent(sb, in);
    exportnix_string(sb, s->name);
    sb_adds(sb, " = {\n");
    indent(sb, in + 1);
    sb_adds(sb, "command = ");
    drv_ref(sb, f, s->command);
    sb_adds(sb, ";\n");
    if (s->parent_override != FIXTURE_NONE) {
        indent(sb, in + 1);
        sb_adds(sb, "parentOverride = _: ");
        drv_ref(sb, f, s->parent_override);
        sb_adds(sb, ";\n");
    }
    const char *strs[] = { "label", s->label, "phase", s->phase };
    for (int k = 0; k < 4; k += 2)
        if (strs[k + 1]) {
            indent(sb, in + 1);
            sb_addf(sb, "%s = ", strs[k]);
            exportnix_string(sb, strs[k + 1]);
            sb_adds(sb, ";\n");
        }
    const char *bnames[] = { "needsOutput", "alwaysRun", "softFail" };
    int bvals[] = { s->needs_output, s->always_run, s->soft_fail };
    for (int k = 0; k < 3; k++)
        if (bvals[k] != FIXTURE_UNSET) {
            indent(sb, in + 1);
            sb_addf(sb, "%s = %s;\n", bnames[k], bvals[k] ? "true" : "false");
        }
    if (s->branches) {
        indent(sb, in + 1);
        sb_adds(sb, "branches = ");
        string_list(sb, s->branches, s->n_branches);
        sb_adds(sb, ";\n");
    }
    const char *jnames[] = { "prompt", "skip", "agents" };
    const json_t *jvals[] = { s->prompt, s->skip, s->agents };
    for (int k = 0; k < 3; k++)
        if (jvals[k]) {
            indent(sb, in + 1);
            sb_addf(sb, "%s = ", jnames[k]);
            nix_of_json(sb, jvals[k]);
            sb_adds(sb, ";\n");
        }
    indent(sb, in);
    sb_adds(sb, "};\n");
}

static void render_meta(struct strbuf *sb, const struct fixture *f,
                        const struct fixture_target *t, int in)
{
    indent(sb, in);
    sb_adds(sb, "meta = {\n");
    if (t->has_timeout) {
        indent(sb, in + 1);
        sb_addf(sb, "timeout = %lld;\n", t->timeout);
    }
    if (t->has_ci) {
        indent(sb, in + 1);
        sb_adds(sb, "ci = {\n");
        if (t->has_extra_deps) {
            indent(sb, in + 2);
            sb_adds(sb, "buildkiteExtraDeps = ");
            string_list(sb, t->extra_deps, t->n_extra_deps);
            sb_adds(sb, ";\n");
        }
        if (t->extra_step_args) {
            indent(sb, in + 2);
            sb_adds(sb, "buildkiteExtraStepArgs = ");
            nix_of_json(sb, t->extra_step_args);
            sb_adds(sb, ";\n");
        }
        if (t->post_build) {
            indent(sb, in + 2);
            sb_adds(sb, "postBuild = ");
            exportnix_string(sb, t->post_build);
            sb_adds(sb, ";\n");
        }
        if (t->has_extra_steps) {
            indent(sb, in + 2);
            sb_adds(sb, "extraSteps = {\n");
            for (size_t i = 0; i < t->n_steps; i++)
                render_step(sb, f, &t->steps[i], in + 3);
            indent(sb, in + 2);
            sb_adds(sb, "};\n");
        }
        indent(sb, in + 1);
        sb_adds(sb, "};\n");
    }
    indent(sb, in);
    sb_adds(sb, "};\n");
}

static const struct fixture *g_sort_fixture; /* qsort context */

static int cmp_paths(const void *a, const void *b)
{
    return fixture_target_path_cmp(&g_sort_fixture->targets[*(const size_t *)a],
                                   &g_sort_fixture->targets[*(const size_t *)b]);
}

/* Targets idx[lo..hi) share their first `depth` path elements and are all
 * longer than `depth`; write the attributes of that level. */
static void render_level(struct strbuf *sb, const struct fixture *f, const size_t *idx,
                         size_t lo, size_t hi, size_t depth, int in)
{
    size_t i = lo;
    while (i < hi) {
        const char *name = fixture_target_path_elem(&f->targets[idx[i]], depth);
        size_t j = i + 1;
        while (j < hi && !strcmp(fixture_target_path_elem(&f->targets[idx[j]], depth), name))
            j++;
        const struct fixture_target *node = NULL;
        size_t child_lo = i;
        if (fixture_target_path_len(&f->targets[idx[i]]) == depth + 1) {
            node = &f->targets[idx[i]];
            child_lo = i + 1;
        }
        indent(sb, in);
        exportnix_string(sb, name);
        sb_adds(sb, " = ");
        if (node) {
            drv_ref(sb, f, node->drv);
            sb_adds(sb, " // {\n");
            indent(sb, in + 1);
            sb_adds(sb, "__readTree = ");
            string_list(sb, node->attr_path, node->n_attr_path);
            sb_adds(sb, ";\n");
            if (node->subtarget) {
                indent(sb, in + 1);
                sb_adds(sb, "__subtarget = ");
                exportnix_string(sb, node->subtarget);
                sb_adds(sb, ";\n");
            }
            if (node->has_meta)
                render_meta(sb, f, node, in + 1);
        } else {
            sb_adds(sb, "{\n");
        }
        render_level(sb, f, idx, child_lo, j, depth + 1, in + 1);
        indent(sb, in);
        sb_adds(sb, "};\n");
        i = j;
    }
}

char *exportnix_render(const struct fixture *f)
{
    struct strbuf sb = STRBUF_INIT;
    sb_addf(&sb, "# The fixture depot \"%s\" (depot.yaml) for real Nix, written by\n"
                 "# `lazykite-sim export-nix`. Do not edit: export the fixture again.\n",
            f->depot);
    sb_adds(&sb, "{ ... }:\nlet\n"
                 "  mk = attrs: derivation ({\n"
                 "    system = \"" DEPOT_SYSTEM "\";\n"
                 "    builder = \"" DEPOT_BUILDER "\";\n"
                 "    PATH = \"" DEPOT_PATH "\";\n"
                 "  } // attrs);\n"
                 "  drvs = {\n");
    for (size_t i = 0; i < f->n_drvs; i++)
        render_drv(&sb, f, i);
    sb_adds(&sb, "  };\n  tree = {\n");
    size_t *idx = xcalloc(f->n_targets + 1, sizeof(size_t));
    for (size_t i = 0; i < f->n_targets; i++)
        idx[i] = i;
    g_sort_fixture = f;
    qsort(idx, f->n_targets, sizeof(size_t), cmp_paths);
    render_level(&sb, f, idx, 0, f->n_targets, 0, 2);
    free(idx);
    sb_adds(&sb, "  };\nin tree // {\n  ci = {\n    targets = [\n");
    for (size_t i = 0; i < f->n_targets; i++) {
        const struct fixture_target *t = &f->targets[i];
        sb_adds(&sb, "      tree");
        for (size_t k = 0; k < fixture_target_path_len(t); k++) {
            sb_addc(&sb, '.');
            exportnix_string(&sb, fixture_target_path_elem(t, k));
        }
        sb_addc(&sb, '\n');
    }
    sb_adds(&sb, "    ];\n    pipeline = ");
    nix_of_json(&sb, f->pipeline);
    sb_adds(&sb, ";\n  };\n}\n");
    return sb_detach(&sb);
}

int exportnix_write(const struct fixture *f, const char *dir, struct lk_error *err)
{
    struct outdir od;
    if (outdir_begin(&od, dir, err) < 0)
        return -1;
    char *text = exportnix_render(f);
    char *nix = outdir_path(&od, "default.nix");
    char *yaml = outdir_path(&od, "depot.yaml");
    int rc = -1;
    if (file_write_atomic(nix, text, strlen(text), err) == 0 &&
        file_write_atomic(yaml, f->text, f->text_len, err) == 0 && outdir_commit(&od, err) == 0)
        rc = 0;
    if (rc < 0)
        outdir_abort(&od);
    free(text);
    free(nix);
    free(yaml);
    return rc;
}
