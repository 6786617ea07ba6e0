/* nixsim-store — nix-store: --realise, --query, --check-validity, --delete
 * (the forms in nixsim.c; see nixsimint.h). */
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
#include "storepath.h"
#include "strbuf.h"
#include "version.h"
#include "xalloc.h"

static int store_realise_cmd(struct store *s, char **args, size_t n, const char *root,
                             struct lk_error *err)
{
    char **paths = xcalloc(n ? n : 1, sizeof *paths);
    char **wanted = xcalloc(n ? n : 1, sizeof *wanted); /* "!o1,o2" selections */
    size_t np = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        AUTOFREE char *arg = xstrdup(args[i]);
        char *bang = strchr(arg, '!');
        if (bang) {
            *bang = '\0';
            /* "P!" names no output: Nix 2.8 then builds and prints them all */
            if (bang[1])
                wanted[np] = xasprintf(",%s,", bang + 1);
        }
        if ((rc = store_follow_arg(s, arg, &paths[np], err)) == 0)
            np++;
        else
            free(wanted[np]), wanted[np] = NULL;
    }
    AUTOFREE const char **drvs = xcalloc(np ? np : 1, sizeof *drvs);
    size_t nd = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        if (storepath_is_drv(paths[i]) && wanted[i] && store_is_valid(s, paths[i])) {
            /* every selected output must exist (checked before building) */
            struct drv d = DRV_INIT;
            if ((rc = realise_read_drv(s, paths[i], &d, err)) != 0)
                break;
            AUTO_STRBUF struct strbuf missing = STRBUF_INIT;
            AUTOFREE char *list = xstrdup(wanted[i] + 1);
            char *save = NULL;
            for (char *o = strtok_r(list, ",", &save); o; o = strtok_r(NULL, ",", &save))
                if (!drv_get_output(&d, o))
                    sb_addf(&missing, "%s%s", missing.len ? ", " : "", o);
            if (missing.len)
                rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                             "derivation '%s' does not have wanted outputs '%s'", paths[i],
                             sb_str(&missing));
            drv_free(&d);
        }
        if (rc != 0)
            break;
        if (storepath_is_drv(paths[i]))
            drvs[nd++] = paths[i];
        else if (!store_is_valid(s, paths[i]))
            rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                         "path '%s' does not exist and cannot be created", paths[i]);
    }
    struct realise_opts opts = { NULL, stderr };
    if (rc == 0 && nd)
        rc = realise(s, drvs, nd, &opts, err);
    AUTO_STRBUF struct strbuf outb = STRBUF_INIT;
    int root_nr = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        char **lines = NULL;
        size_t nl = 0, alloc = 0;
        if (storepath_is_drv(paths[i])) {
            struct drv d = DRV_INIT;
            if ((rc = realise_read_drv(s, paths[i], &d, err)) != 0)
                break;
            root_nr++;
            for (size_t k = 0; k < d.n_outputs && rc == 0; k++) {
                if (wanted[i]) {
                    AUTOFREE char *needle = xasprintf(",%s,", d.outputs[k].name);
                    if (!strstr(wanted[i], needle))
                        continue;
                }
                XGROW(lines, alloc, nl + 1);
                if (!root) {
                    nsim_gc_warning();
                    lines[nl++] = xstrdup(d.outputs[k].path);
                    continue;
                }
                AUTO_STRBUF struct strbuf name = STRBUF_INIT;
                sb_adds(&name, root);
                if (root_nr > 1)
                    sb_addf(&name, "-%d", root_nr);
                if (strcmp(d.outputs[k].name, "out"))
                    sb_addf(&name, "-%s", d.outputs[k].name);
                char *abs;
                rc = store_add_root(s, d.outputs[k].path, sb_str(&name), &abs, err);
                if (rc == 0)
                    lines[nl++] = abs;
            }
            drv_free(&d);
        } else {
            XGROW(lines, alloc, 1);
            if (!root) {
                lines[nl++] = xstrdup(paths[i]);
            } else {
                root_nr++;
                AUTOFREE char *name = root_nr > 1 ? xasprintf("%s-%d", root, root_nr) : xstrdup(root);
                char *abs;
                rc = store_add_root(s, paths[i], name, &abs, err);
                if (rc == 0)
                    lines[nl++] = abs;
            }
        }
        if (nl) /* (no output selected: lines is NULL) */
            qsort(lines, nl, sizeof *lines, strv_cmp);
        for (size_t k = 0; k < nl; k++)
            if (k == 0 || strcmp(lines[k], lines[k - 1]))
                sb_addf(&outb, "%s\n", lines[k]);
        strv_free(lines, nl);
    }
    if (rc == 0)
        fputs(sb_str(&outb), stdout);
    strv_free(paths, np);
    strv_free(wanted, n);
    return rc;
}

enum query { Q_NONE, Q_OUTPUTS, Q_REFERENCES, Q_REQUISITES, Q_DERIVER };

static int store_query_cmd(struct store *s, enum query q, char **args, size_t n,
                           struct lk_error *err)
{
    char **paths = xcalloc(n ? n : 1, sizeof *paths);
    size_t np = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = store_follow_arg(s, args[i], &paths[np], err)) == 0)
            np++;
    AUTO_STRBUF struct strbuf outb = STRBUF_INIT;
    if (rc == 0 && q == Q_REQUISITES) {
        for (size_t i = 0; i < np && rc == 0; i++)
            if (!store_is_valid(s, paths[i]))
                rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not valid", paths[i]);
        char **cl = NULL;
        size_t nc = 0;
        if (rc == 0)
            rc = store_closure(s, (const char *const *)paths, np, &cl, &nc, err);
        if (rc == 0)
            rc = store_topo_order(s, cl, nc, err);
        for (size_t i = 0; i < nc && rc == 0; i++)
            sb_addf(&outb, "%s\n", cl[i]);
        strv_free(cl, nc);
    }
    for (size_t i = 0; i < np && rc == 0 && q != Q_REQUISITES; i++) {
        if (q == Q_OUTPUTS && storepath_is_drv(paths[i])) {
            struct drv d = DRV_INIT;
            if ((rc = realise_read_drv(s, paths[i], &d, err)) != 0)
                break;
            AUTOFREE char **outs = xcalloc(d.n_outputs ? d.n_outputs : 1, sizeof *outs);
            for (size_t k = 0; k < d.n_outputs; k++)
                outs[k] = d.outputs[k].path;
            qsort(outs, d.n_outputs, sizeof *outs, strv_cmp);
            for (size_t k = 0; k < d.n_outputs; k++)
                sb_addf(&outb, "%s\n", outs[k]);
            drv_free(&d);
            continue;
        }
        struct store_info info;
        if ((rc = store_query(s, paths[i], &info, err)) != 0)
            break;
        if (q == Q_OUTPUTS)
            sb_addf(&outb, "%s\n", paths[i]);
        else if (q == Q_DERIVER)
            sb_addf(&outb, "%s\n", info.deriver ? info.deriver : "unknown-deriver");
        else
            for (size_t k = 0; k < info.n_refs; k++)
                sb_addf(&outb, "%s\n", info.refs[k]);
        store_info_free(&info);
    }
    if (rc == 0)
        fputs(sb_str(&outb), stdout);
    strv_free(paths, np);
    return rc;
}

int nsim_store_main(int argc, char **argv, struct lk_error *err)
{
    enum { OP_NONE, OP_REALISE, OP_QUERY, OP_CHECK, OP_DELETE } op = OP_NONE;
    enum query q = Q_NONE;
    const char *root = NULL;
    AUTOFREE char **args = xcalloc((size_t)argc + 1, sizeof *args);
    size_t n = 0;
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--realise") || !strcmp(a, "-r"))
            op = OP_REALISE;
        else if (!strcmp(a, "--query") || !strcmp(a, "-q"))
            op = OP_QUERY;
        else if (!strcmp(a, "--check-validity"))
            op = OP_CHECK;
        else if (!strcmp(a, "--delete"))
            op = OP_DELETE;
        else if (!strcmp(a, "--outputs"))
            q = Q_OUTPUTS;
        else if (!strcmp(a, "--references"))
            q = Q_REFERENCES;
        else if (!strcmp(a, "--requisites") || !strcmp(a, "-R"))
            q = Q_REQUISITES;
        else if (!strcmp(a, "--deriver") || !strcmp(a, "-d"))
            q = Q_DERIVER;
        else if (!strcmp(a, "--indirect"))
            ; /* every root nixsim makes is indirect */
        else if (!strcmp(a, "--add-root")) {
            if (i + 1 >= argc)
                rc = nsim_usage_error(err, "flag '%s' requires 1 argument", a);
            else
                root = argv[++i];
        } else if (!strcmp(a, "--option")) {
            if (i + 2 >= argc)
                rc = nsim_usage_error(err, "flag '%s' requires 2 arguments", a);
            i += 2;
        } else if (a[0] == '-' && a[1])
            rc = nsim_usage_error(err, "unrecognised flag '%s'", a);
        else
            args[n++] = argv[i];
    }
    struct store s = { 0 };
    if (rc == 0 && op == OP_NONE)
        rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "no operation specified");
    if (rc == 0 && op == OP_QUERY && q == Q_NONE)
        rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                     "nixsim supports nix-store -q with --outputs, --references, --requisites, "
                     "--deriver");
    if (rc == 0)
        rc = store_open_env(&s, err);
    if (rc == 0) {
        switch (op) {
        case OP_REALISE:
            rc = store_realise_cmd(&s, args, n, root, err);
            break;
        case OP_QUERY:
            rc = store_query_cmd(&s, q, args, n, err);
            break;
        case OP_CHECK:
            for (size_t i = 0; i < n && rc == 0; i++) {
                AUTOFREE char *p = NULL;
                if ((rc = store_follow_arg(&s, args[i], &p, err)) != 0)
                    break;
                if (!store_is_valid(&s, p))
                    rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "path '%s' is not valid", p);
            }
            break;
        case OP_DELETE: {
            char **paths = xcalloc(n ? n : 1, sizeof *paths);
            size_t np = 0;
            for (size_t i = 0; i < n && rc == 0; i++)
                if ((rc = store_follow_arg(&s, args[i], &paths[np], err)) == 0)
                    np++;
            size_t deleted = 0;
            unsigned long long bytes = 0;
            if (rc == 0)
                rc = store_delete(&s, (const char *const *)paths, np, stderr, &deleted, &bytes,
                                  err);
            printf("%zu store paths deleted, %.2f MiB freed\n", deleted,
                   (double)bytes / (1024.0 * 1024.0));
            strv_free(paths, np);
            break;
        }
        case OP_NONE:
            break;
        }
        store_close(&s);
    }
    return rc;
}

