/* nixsim-tools — nix-build and nix-instantiate (the forms in nixsim.c;
 * see nixsimint.h): a derivation selected and realised or printed, and the
 * target manifest of a depot, whole or one shard. */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "eventlog.h"
#include "nix/depot.h"
#include "nix/nixexpr.h"
#include "nix/nixsimint.h"
#include "nix/realise.h"
#include "nix/store.h"
#include "strbuf.h"
#include "version.h"
#include "xalloc.h"

/* A word no option of the tool took: an unknown flag is an error, the
 * first operand is the FILE, a second one an error. */
static int take_operand(const char *tool, const char *a, const char **file, struct lk_error *err)
{
    if (a[0] == '-' && a[1])
        return nsim_usage_error(err, "unrecognised flag '%s'", a);
    if (*file)
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "nixsim: %s takes one file, got another: '%s'", tool, a);
    *file = a;
    return 0;
}

int nsim_build_main(int argc, char **argv, struct lk_error *err)
{
    const char *expr = NULL, *attr = NULL, *file = NULL, *out_link = "result";
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-E") || !strcmp(a, "--expr")) && i + 1 < argc)
            expr = argv[++i];
        else if ((!strcmp(a, "-A") || !strcmp(a, "--attr")) && i + 1 < argc)
            attr = argv[++i];
        else if ((!strcmp(a, "-o") || !strcmp(a, "--out-link")) && i + 1 < argc)
            out_link = argv[++i];
        else if (!strcmp(a, "--no-out-link"))
            out_link = NULL;
        else if (!strcmp(a, "--show-trace") || !strcmp(a, "--quiet") || !strcmp(a, "-Q"))
            ;
        else if (!strcmp(a, "--option") && i + 2 < argc)
            i += 2;
        else
            rc = take_operand("nix-build", a, &file, err);
    }
    if (rc != 0)
        return rc;
    if (expr && file)
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                       "nixsim: nix-build -E takes no file argument");
    struct store s;
    struct evalctx c;
    if (nsim_open_eval(&c, &s, nsim_depot_dir_of(expr ? "." : file), err) != 0)
        return -1;
    struct depot_value v = { 0 };
    rc = nsim_eval_selection(&c, expr, attr, &v, err);
    if (rc == 0)
        rc = nsim_instantiate(&c, v.drv, err);
    const struct depot_drv *dd = rc == 0 ? depot_drv_at(c.d, v.drv) : NULL;
    if (rc == 0) {
        struct realise_opts o = { NULL, stderr };
        rc = realise(&s, &dd->drv_path, 1, &o, err);
    }
    if (rc == 0) {
        const char *output = v.output ? v.output : "out";
        const char *path = depot_output_path(c.d, v.drv, output);
        if (!path)
            rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                         "derivation '%s' does not have an output named '%s'", dd->drv_path,
                         output);
        if (rc == 0 && out_link) {
            char *link = strcmp(output, "out") ? xasprintf("%s-%s", out_link, output)
                                               : xstrdup(out_link);
            char *abs = NULL;
            rc = store_add_root(&s, path, link, &abs, err);
            free(abs);
            free(link);
        }
        if (rc == 0)
            printf("%s\n", path);
    }
    nsim_close_depot(&c);
    store_close(&s);
    return rc;
}

static void collect_manifest_drvs(struct evalctx *c, json_t *manifest, size_t **out, size_t *n)
{
    size_t *v = NULL, len = 0, alloc = 0;
    json_t *targets = json_object_get(manifest, "targets"), *t;
    size_t i;
    json_array_foreach(targets, i, t)
    {
        const char *paths[64];
        size_t np = 0;
        paths[np++] = json_string_value(json_object_get(t, "drvPath"));
        json_t *steps = json_object_get(json_object_get(json_object_get(t, "meta"), "ci"),
                                        "extraSteps");
        const char *key;
        json_t *st;
        json_object_foreach(steps, key, st)
        {
            if (np + 2 > sizeof paths / sizeof *paths)
                break;
            paths[np++] = json_string_value(
                json_object_get(json_object_get(st, "command"), "drvPath"));
            paths[np++] = json_string_value(
                json_object_get(json_object_get(st, "parentOverride"), "drvPath"));
        }
        for (size_t k = 0; k < np; k++) {
            size_t idx;
            if (paths[k] && depot_find_drv_path(c->d, paths[k], &idx) == 0) {
                XGROW(v, alloc, len + 1);
                v[len++] = idx;
            }
        }
    }
    *out = v;
    *n = len;
}

/* A `--arg shard`/`--arg shards` value: an integer literal (what lazykite
 * passes), else -1. */
static long shard_arg(const char *text)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    return errno || end == text || *end || v < 0 ? -1 : v;
}

/* Keep the targets of shard `shard` of `shards` (index modulo shards), and
 * say so on stderr as manifest.nix's builtins.trace does. */
static void shard_manifest(json_t *m, long shard, long shards)
{
    json_t *all = json_object_get(m, "targets");
    size_t total = json_array_size(all);
    json_t *mine = json_array();
    for (size_t i = (size_t)shard; i < total; i += (size_t)shards)
        json_array_append(mine, json_array_get(all, i));
    json_t *info = json_pack("{s:I,s:I,s:I,s:I}", "count", (json_int_t)json_array_size(mine),
                             "shard", (json_int_t)shard, "shards", (json_int_t)shards, "total",
                             (json_int_t)total);
    if (json_array_size(mine) == 1) {
        json_t *t = json_array_get(mine, 0), *named = json_object();
        json_object_set_new(named, "index", json_integer(shard));
        json_object_set(named, "attrPath", json_object_get(t, "attrPath"));
        if (json_object_get(t, "subtarget"))
            json_object_set(named, "subtarget", json_object_get(t, "subtarget"));
        json_object_set_new(info, "target", named);
    }
    char *text = json_dumps(info, JSON_COMPACT | JSON_SORT_KEYS);
    fprintf(stderr, "trace: lazykite-shard %s\n", text);
    free(text);
    json_decref(info);
    json_object_set_new(m, "targets", mine);
}

int nsim_instantiate_main(int argc, char **argv, struct lk_error *err)
{
    int eval = 0, json = 0;
    const char *attr = NULL, *file = NULL, *depot_arg = NULL, *expr = NULL;
    const char *shard_text = NULL, *shards_text = NULL;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--eval"))
            eval = 1;
        else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--strict") || !strcmp(a, "--read-write-mode") ||
                 !strcmp(a, "--show-trace"))
            ;
        else if ((!strcmp(a, "-A") || !strcmp(a, "--attr")) && i + 1 < argc)
            attr = argv[++i];
        else if ((!strcmp(a, "-E") || !strcmp(a, "--expr")) && i + 1 < argc)
            expr = argv[++i];
        else if ((!strcmp(a, "--arg") || !strcmp(a, "--argstr")) && i + 2 < argc) {
            if (!strcmp(argv[i + 1], "depot"))
                depot_arg = argv[i + 2];
            else if (!strcmp(a, "--arg") && !strcmp(argv[i + 1], "shard"))
                shard_text = argv[i + 2];
            else if (!strcmp(a, "--arg") && !strcmp(argv[i + 1], "shards"))
                shards_text = argv[i + 2];
            i += 2;
        } else if (!strcmp(a, "--option") && i + 2 < argc)
            i += 2;
        else
            rc = take_operand("nix-instantiate", a, &file, err);
    }
    if (rc != 0)
        return rc;
    /* The call that opens the store before sharded evaluations. */
    if (eval && !depot_arg && expr && !strcmp(expr, "null") && !attr && !file) {
        struct store s;
        if (store_open_env(&s, err) != 0)
            return -1;
        store_close(&s);
        puts("null");
        return 0;
    }
    if (eval && (!json || !depot_arg))
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                       "nixsim: nix-instantiate --eval is supported only as the manifest "
                       "call (--eval --strict --json --read-write-mode FILE --arg depot DIR)");
    long shard = shard_text ? shard_arg(shard_text) : 0;
    long shards = shards_text ? shard_arg(shards_text) : 0;
    if (eval && shards_text && (shards < 1 || shard < 0 || shard >= shards))
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                       "lazykite manifest: 'shard' and 'shards' must be integers with 0 <= shard "
                       "< shards");
    char *dir = NULL;
    if (eval && nixexpr_path(depot_arg, &dir, err) != 0)
        return -1;
    struct store s;
    struct evalctx c;
    if (nsim_open_eval(&c, &s, eval ? dir : nsim_depot_dir_of(expr ? "." : file), err) != 0)
        return -1;
    if (eval) {
        json_t *m = depot_manifest(c.d, err);
        if (!m)
            rc = -1;
        size_t *idx = NULL, n = 0;
        if (rc == 0 && shards_text)
            shard_manifest(m, shard, shards);
        if (rc == 0)
            collect_manifest_drvs(&c, m, &idx, &n);
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = nsim_instantiate(&c, idx[i], err);
        free(idx);
        if (rc == 0) {
            /* Nix 2.8 prints --eval --json output without a final newline. */
            char *text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
            fputs(text, stdout);
            free(text);
        }
        json_decref(m);
    } else {
        struct depot_value v;
        rc = nsim_eval_selection(&c, expr, attr, &v, err);
        if (rc == 0)
            rc = nsim_instantiate(&c, v.drv, err);
        if (rc == 0) {
            /* Nix prints drvPath!output when the selected output is not out. */
            nsim_gc_warning();
            const char *o = v.output ? v.output : "out";
            if (strcmp(o, "out"))
                printf("%s!%s\n", depot_drv_at(c.d, v.drv)->drv_path, o);
            else
                printf("%s\n", depot_drv_at(c.d, v.drv)->drv_path);
        }
    }
    nsim_close_depot(&c);
    store_close(&s);
    return rc;
}

