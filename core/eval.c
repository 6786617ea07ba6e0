/* eval — see eval.h. */
#include "eval.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "evalmerge.h"
#include "evalpool.h"
#include "quote.h"
#include "strbuf.h"
#include "xalloc.h"

#ifndef LAZYKITE_DATADIR
#define LAZYKITE_DATADIR "/usr/local/share/lazykite"
#endif

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* `<dir of the running binary>/<relative>`, if it is a file. */
static char *beside_binary(const char *relative)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    char *candidate = xasprintf("%s/%s", exe, relative);
    char *found = is_file(candidate) ? realpath(candidate, NULL) : NULL;
    free(candidate);
    return found;
}

/* The manifest.nix eval_depot_manifest() uses, or NULL with an error. */
static char *eval_manifest_nix_path(struct lk_error *err)
{
    const char *env = getenv("LAZYKITE_MANIFEST_NIX");
    if (env && *env) {
        if (is_file(env))
            return xstrdup(env);
        lk_fail(err, LK_EXIT_FAIL, env, NULL,
                "LAZYKITE_MANIFEST_NIX names no file (expected the path of manifest.nix)");
        return NULL;
    }
    /* A source tree (build/lazykite), then a relocated installation
     * (<prefix>/bin/lazykite), then the configured installation. */
    char *found = beside_binary("../core/nix/manifest.nix");
    if (!found)
        found = beside_binary("../share/lazykite/manifest.nix");
    if (found)
        return found;
    char *installed = xasprintf("%s/manifest.nix", LAZYKITE_DATADIR);
    if (is_file(installed))
        return installed;
    lk_fail(err, LK_EXIT_FAIL, installed, NULL,
            "cannot find manifest.nix (not beside the binary in a source tree, not installed "
            "here); set LAZYKITE_MANIFEST_NIX");
    free(installed);
    return NULL;
}

/* Can `path` be written as a Nix path literal (an absolute one)? */
static int is_path_literal(const char *path)
{
    if (path[0] != '/' || path[1] == '\0')
        return 0;
    for (const char *p = path; *p; p++) {
        if (*p == '/') {
            if (p[1] == '/' || p[1] == '\0')
                return 0;
        } else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || strchr("._+-", *p))) {
            return 0;
        }
    }
    return 1;
}

/* Does shard a come before b (its first target first)? */
static int shard_before(const struct evalpool_shard *a, const struct evalpool_shard *b)
{
    return a->index < b->index || (a->index == b->index && a->count < b->count);
}

int eval_depot_manifest(const char *depot_dir, const struct eval_options *opts,
                        char **manifest_json, size_t *len, struct lk_error *err)
{
    *manifest_json = NULL;
    *len = 0;
    char *abs = realpath(depot_dir, NULL);
    if (!abs)
        return lk_fail_errno(err, LK_EXIT_INPUT, depot_dir, "cannot resolve the depot directory");
    struct stat st;
    if (stat(abs, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(abs);
        return lk_bad_input(err, depot_dir, NULL, "expected a depot directory");
    }
    char *nix_file = eval_manifest_nix_path(err);
    if (!nix_file) {
        free(abs);
        return -1;
    }
    /* The depot as a Nix path: a literal when it can be one, else built
     * from a string (any byte but NUL). */
    struct strbuf depot = STRBUF_INIT;
    if (is_path_literal(abs)) {
        sb_adds(&depot, abs);
    } else {
        sb_adds(&depot, "/. + ");
        quote_nix_string(&depot, abs);
    }
    const char *env = getenv("LAZYKITE_NIX_INSTANTIATE");
    const char *prog = opts->nix_instantiate ? opts->nix_instantiate
                       : env && *env         ? env
                                             : "nix-instantiate";
    const char *targets = opts->targets_attr ? opts->targets_attr : "ci.targets";
    char **argv = xcalloc(opts->n_extra + 16, sizeof *argv);
    size_t k = 0;
    argv[k++] = (char *)prog;
    for (size_t i = 0; i < opts->n_extra; i++)
        argv[k++] = (char *)opts->extra[i];
    const char *fixed[] = { "--eval", "--strict", "--json", "--read-write-mode", nix_file, "--arg",
                            "depot", depot.buf, "--argstr", "targetsAttr", targets };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        argv[k++] = (char *)fixed[i];
    argv[k] = NULL;
    /* The same program and pass-through words, opening the store only. */
    char **open_argv = xcalloc(opts->n_extra + 6, sizeof *open_argv);
    size_t ko = 0;
    open_argv[ko++] = (char *)prog;
    for (size_t i = 0; i < opts->n_extra; i++)
        open_argv[ko++] = (char *)opts->extra[i];
    open_argv[ko++] = (char *)"--eval";
    open_argv[ko++] = (char *)"-E";
    open_argv[ko++] = (char *)"null";
    open_argv[ko] = NULL;
    char *what = xasprintf("the depot's %s", targets);
    char *bound = xasprintf("%lu", opts->max_memory_mib);
    /* One worker and no bound: the one unsharded call. */
    size_t workers = opts->workers > 1 || opts->max_memory_mib ? (opts->workers ? opts->workers : 1)
                                                              : 0;
    struct evalpool_options po = { argv,    open_argv, depot_dir, what, targets, workers,
                                   opts->max_memory_mib * 1024, bound, opts->notice,
                                   opts->notice_ctx };
    struct evalpool_shard *shards = NULL;
    size_t n_shards = 0;
    double t0 = lk_clock_seconds();
    int rc = evalpool_run(&po, &shards, &n_shards, err);
    if (rc == 0 && opts->stats) {
        struct eval_stats *st = opts->stats;
        st->seconds = lk_clock_seconds() - t0;
        st->workers = workers ? workers : 1;
        st->n_processes = n_shards;
        st->peak_kib = xcalloc(n_shards + 1, sizeof *st->peak_kib);
        /* in shard order: by the index each stands for, then its modulus */
        for (size_t i = 0; i < n_shards; i++) {
            size_t rank = 0;
            for (size_t j = 0; j < n_shards; j++)
                rank += shard_before(&shards[j], &shards[i]);
            st->peak_kib[rank] = shards[i].peak_kib;
        }
    }
    if (rc == 0 && !workers) {
        *len = shards[0].len;
        *manifest_json = shards[0].out;
        shards[0].out = NULL;
    } else if (rc == 0) {
        struct eval_shard_text *texts = xcalloc(n_shards, sizeof *texts);
        for (size_t i = 0; i < n_shards; i++)
            texts[i] = (struct eval_shard_text){ shards[i].index, shards[i].count, shards[i].out,
                                                 shards[i].len };
        rc = eval_merge(texts, n_shards, depot_dir, manifest_json, len, err);
        free(texts);
    }
    evalpool_free(shards, n_shards);
    free(bound);
    free(what);
    free(argv);
    free(open_argv);
    sb_release(&depot);
    free(nix_file);
    free(abs);
    return rc;
}
