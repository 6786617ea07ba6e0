/* synth-manifest — a synthetic depot for benchmarks: a target manifest and
 * the real `.drv` files of its derivation graph in a store directory.
 *
 * usage: synth-manifest [--flat] N SEED OUT_DIR
 *
 * Writes OUT_DIR/manifest.json (DESIGN §3) and OUT_DIR/store/<hash>-<name>.drv
 * (the directory to pass as --store-dir). The same N and SEED give the same
 * bytes. Every `.drv` is real ATerm with Nix's exact store paths
 * (drv_fill_outputs, drv_store_path), written in dependency order.
 *
 * The graph: N/100 (at least 8) shared library derivations, each using up to
 * two earlier ones; each target has a private chain of 0-2 (1 on average)
 * intermediate derivations, the lowest using 1-3 libraries; 30% of the
 * targets reach an earlier target through their chain (an unknown path to a
 * known dependency), 10% use one directly. 10% of the targets have 1-3 extra
 * steps (phase build or release; prompts on some release steps;
 * needsOutput, branches, alwaysRun, softFail, parentOverride on some), whose
 * commands use a library and often another target. 5% are subtargets, 5%
 * have a timeout. About 2.2 N `.drv` files in all.
 *
 * --flat: the same kind of manifest, but no derivation has inputs and there
 * are no library or intermediate derivations (about 1.2 N files): the
 * dependency analysis then reads each target's `.drv` once and finds
 * nothing, which measures the generator without the graph walk.
 *
 * Exit status: 0, 1 on a write error, 2 on bad arguments. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drv.h"
#include "error.h"
#include "drvhash.h"
#include "storepath.h"
#include "strbuf.h"
#include "xalloc.h"

struct synth {
    uint64_t rng;
    char *store_dir;
    struct drv_store_hashes *hashes;
    size_t n_written;
    const char *seed;
};

static uint64_t next(struct synth *s)
{
    /* xorshift64* */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ULL;
}

static size_t below(struct synth *s, size_t n)
{
    return n ? (size_t)(next(s) % n) : 0;
}

static int chance(struct synth *s, unsigned percent)
{
    return below(s, 100) < percent;
}

/* Write a derivation named `name` with the given inputs ("out" of each);
 * returns its .drv store path (caller frees), or NULL with `err`. */
static char *put_drv(struct synth *s, const char *name, char *const *inputs, size_t n_inputs,
                     struct lk_error *err)
{
    struct drv d;
    memset(&d, 0, sizeof d);
    drv_set_platform(&d, "x86_64-linux");
    drv_set_builder(&d, "/bin/sh");
    drv_add_arg(&d, "-c");
    struct strbuf script = STRBUF_INIT;
    sb_adds(&script, "mkdir -p $out");
    for (size_t i = 0; i < n_inputs; i++)
        sb_addf(&script, "; echo %s >> $out/inputs", inputs[i]);
    drv_add_arg(&d, sb_str(&script));
    sb_release(&script);
    drv_set_env(&d, "name", name);
    drv_set_env(&d, "builder", "/bin/sh");
    drv_set_env(&d, "system", "x86_64-linux");
    drv_set_env(&d, "PATH", "/usr/bin:/bin");
    drv_set_env(&d, "SYNTH_SEED", s->seed);
    drv_add_output(&d, "out", "", "", "");
    for (size_t i = 0; i < n_inputs; i++)
        drv_add_input(&d, inputs[i], "out");
    if (drv_fill_outputs(&d, name, drv_store_hashes_lookup, s->hashes, err) != 0) {
        drv_free(&d);
        return NULL;
    }
    char *path = drv_store_path(&d, name);
    struct strbuf text = STRBUF_INIT;
    drv_write(&d, &text);
    drv_free(&d);
    char *file = xasprintf("%s/%s", s->store_dir, path + strlen(NIX_STORE_DIR "/"));
    FILE *f = fopen(file, "w");
    int ok = f && fwrite(text.buf, 1, text.len, f) == text.len;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot write");
    free(file);
    sb_release(&text);
    if (!ok) {
        free(path);
        return NULL;
    }
    s->n_written++;
    return path;
}

struct strv {
    char **items;
    size_t n, alloc;
};

static void strv_push(struct strv *v, char *owned)
{
    XGROW(v->items, v->alloc, v->n + 1);
    v->items[v->n++] = owned;
}

static void strv_release(struct strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->items[i]);
    free(v->items);
}

static json_t *strings(const char *a, const char *b)
{
    json_t *l = json_array();
    json_array_append_new(l, json_string(a));
    if (b)
        json_array_append_new(l, json_string(b));
    return l;
}

/* The extra steps of target `i` (path `target_drv`). */
static int extra_steps(struct synth *s, size_t i, const char *target_drv, const struct strv *libs,
                       const struct strv *targets, json_t *ci, struct lk_error *err)
{
    json_t *steps = json_object();
    json_object_set_new(ci, "extraSteps", steps);
    size_t n = 1 + below(s, 3);
    for (size_t j = 0; j < n; j++) {
        char *inputs[2];
        size_t n_in = 0;
        if (libs->n) /* none in --flat mode */
            inputs[n_in++] = libs->items[below(s, libs->n)];
        if (libs->n && targets->n && chance(s, 60))
            inputs[n_in++] = targets->items[below(s, targets->n)];
        char *name = xasprintf("t%zu-step%zu", i, j);
        char *cmd = put_drv(s, name, inputs, n_in, err);
        free(name);
        if (!cmd)
            return -1;
        json_t *step = json_object();
        json_t *command = json_object();
        json_object_set_new(command, "drvPath", json_string(cmd));
        json_object_set_new(command, "outputs", strings("out", NULL));
        json_object_set_new(step, "command", command);
        free(cmd);
        int release = chance(s, 50);
        if (release) {
            json_object_set_new(step, "phase", json_string("release"));
            if (chance(s, 30))
                json_object_set_new(step, "prompt", json_string("Release it?"));
        }
        if (chance(s, 30)) {
            json_object_set_new(step, "needsOutput", json_true());
            if (chance(s, 20)) {
                char *oname = xasprintf("t%zu-override%zu", i, j);
                char *in[1] = { (char *)target_drv };
                char *over = put_drv(s, oname, in, libs->n ? 1 : 0, err);
                free(oname);
                if (!over)
                    return -1;
                json_t *po = json_object();
                json_object_set_new(po, "drvPath", json_string(over));
                json_object_set_new(step, "parentOverride", po);
                free(over);
            }
        }
        if (chance(s, 30))
            json_object_set_new(step, "branches", strings("refs/heads/canon", "refs/heads/main"));
        if (chance(s, 10))
            json_object_set_new(step, "alwaysRun", json_true());
        if (chance(s, 10))
            json_object_set_new(step, "softFail", json_true());
        if (chance(s, 20)) {
            char *label = xasprintf("Step %zu of t%zu", j, i);
            json_object_set_new(step, "label", json_string(label));
            free(label);
        }
        char key[32];
        snprintf(key, sizeof key, "step%zu", j);
        json_object_set_new(steps, key, step);
    }
    return 0;
}

static int synth(struct synth *s, size_t n, int flat, json_t *manifest, struct lk_error *err)
{
    struct strv libs = { 0 }, targets = { 0 };
    int rc = 0;
    size_t n_libs = n / 100 < 8 ? 8 : n / 100;
    for (size_t j = 0; j < n_libs && !flat && rc == 0; j++) {
        char *in[2];
        size_t n_in = 0;
        for (size_t k = 0; k < 2 && j > 0; k++)
            if (chance(s, 60))
                in[n_in++] = libs.items[below(s, j)];
        char *name = xasprintf("lib%zu", j);
        char *p = put_drv(s, name, in, n_in, err);
        free(name);
        if (p)
            strv_push(&libs, p);
        else
            rc = -1;
    }
    json_t *list = json_object_get(manifest, "targets");
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *below_in[4];
        size_t n_below = 0;
        char *chain = NULL;
        if (!flat) {
            size_t depth = chance(s, 25) ? 0 : chance(s, 67) ? 1 : 2;
            size_t k = 1 + below(s, 3);
            for (size_t m = 0; m < k; m++)
                below_in[n_below++] = libs.items[below(s, libs.n)];
            if (targets.n && chance(s, 30))
                below_in[n_below++] = targets.items[below(s, targets.n)];
            for (size_t m = 0; m < depth && rc == 0; m++) {
                char *name = xasprintf("t%zu-src%zu", i, m);
                char *in1[1] = { chain };
                char *p = m == 0 ? put_drv(s, name, below_in, n_below, err)
                                 : put_drv(s, name, in1, 1, err);
                free(name);
                free(chain);
                chain = p;
                if (!p)
                    rc = -1;
            }
            if (rc != 0)
                break;
        }
        char *tin[5];
        size_t n_tin = 0;
        if (chain)
            tin[n_tin++] = chain;
        else
            for (size_t m = 0; m < n_below; m++)
                tin[n_tin++] = below_in[m];
        if (!flat && targets.n && chance(s, 10))
            tin[n_tin++] = targets.items[below(s, targets.n)];
        int sub = chance(s, 5);
        char *name = xasprintf(sub ? "t%zu-sub" : "t%zu", i);
        char *drv_path = put_drv(s, name, tin, n_tin, err);
        free(name);
        free(chain);
        if (!drv_path) {
            rc = -1;
            break;
        }
        json_t *t = json_object();
        json_t *attr = json_array();
        char g[32], tn[32];
        snprintf(g, sizeof g, "g%zu", i / 100);
        snprintf(tn, sizeof tn, "t%zu", i);
        json_array_append_new(attr, json_string("pkgs"));
        json_array_append_new(attr, json_string(g));
        json_array_append_new(attr, json_string(tn));
        if (sub) {
            json_array_append_new(attr, json_string("sub"));
            json_object_set_new(t, "subtarget", json_string("sub"));
        }
        json_object_set_new(t, "attrPath", attr);
        json_object_set_new(t, "drvPath", json_string(drv_path));
        json_object_set_new(t, "outputs", strings("out", NULL));
        json_t *meta = json_object();
        if (chance(s, 5))
            json_object_set_new(meta, "timeout", json_integer(3600));
        if (chance(s, 10)) {
            json_t *ci = json_object();
            json_object_set_new(meta, "ci", ci);
            if (extra_steps(s, i, drv_path, &libs, &targets, ci, err) != 0)
                rc = -1;
        }
        json_object_set_new(t, "meta", meta);
        json_array_append_new(list, t);
        strv_push(&targets, drv_path);
    }
    strv_release(&libs);
    strv_release(&targets);
    return rc;
}

int main(int argc, char **argv)
{
    int flat = argc > 1 && strcmp(argv[1], "--flat") == 0;
    if (argc - flat != 4) {
        fprintf(stderr, "usage: synth-manifest [--flat] N SEED OUT_DIR\n");
        return 2;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(argv[1 + flat], &end, 10);
    if (errno || *end || n == 0 || n > 10000000) {
        fprintf(stderr, "synth-manifest: N must be a number from 1 to 10000000\n");
        return 2;
    }
    const char *seed = argv[2 + flat];
    const char *out = argv[3 + flat];
    struct synth s = { 0 };
    s.seed = seed;
    s.rng = 0x9E3779B97F4A7C15ULL;
    for (const char *p = seed; *p; p++)
        s.rng = (s.rng ^ (unsigned char)*p) * 1099511628211ULL;
    if (!s.rng)
        s.rng = 1;
    s.store_dir = xasprintf("%s/store", out);
    struct lk_error err = LK_ERROR_INIT;
    if ((mkdir(out, 0755) != 0 && errno != EEXIST) ||
        (mkdir(s.store_dir, 0755) != 0 && errno != EEXIST)) {
        lk_fail_errno(&err, LK_EXIT_FAIL, s.store_dir, "cannot create");
        lk_error_print(&err, "synth-manifest", stderr);
        free(s.store_dir);
        return 1;
    }
    s.hashes = drv_store_hashes_new(s.store_dir);
    json_t *manifest = json_object();
    json_object_set_new(manifest, "version", json_integer(1));
    json_t *pipeline = json_object();
    json_object_set_new(pipeline, "headBranch", json_string("refs/heads/canon"));
    json_object_set_new(manifest, "pipeline", pipeline);
    json_object_set_new(manifest, "targets", json_array());
    int rc = synth(&s, (size_t)n, flat, manifest, &err);
    if (rc == 0) {
        char *file = xasprintf("%s/manifest.json", out);
        if (json_dump_file(manifest, file, JSON_COMPACT) != 0)
            rc = lk_fail(&err, LK_EXIT_FAIL, file, NULL, "cannot write the manifest");
        free(file);
    }
    json_decref(manifest);
    drv_store_hashes_free(s.hashes);
    free(s.store_dir);
    if (rc != 0) {
        lk_error_print(&err, "synth-manifest", stderr);
        lk_error_clear(&err);
        return 1;
    }
    printf("%llu targets, %zu .drv files\n", n, s.n_written);
    return 0;
}
