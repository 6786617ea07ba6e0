/* depot-drvs — print a fixture's in-memory instantiation, for comparing it
 * with real Nix (tests/realnix-export).
 *
 * usage: depot-drvs FIXTURE [--dump DIR] [--targets] [--outputs] [--manifest]
 * With --manifest, prints the target manifest (depot_manifest) as JSON
 * and nothing else. Otherwise prints one line `<key> <drv path>` per derivation in dependency order;
 * with --targets, one line `<label> <drv path>` per target in fixture order
 * instead; with --outputs, one line `<key> <output> <path>` per output.
 * Keys and labels are printed with `\`, space and newline escaped as `\\`,
 * `\s`, `\n` so every record is one line of two or three fields. With
 * --dump DIR, also writes each `.drv` file's bytes to DIR/<base name>.
 * Exit 2 on bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "nix/depot.h"
#include "xalloc.h"

static void put_field(const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", stdout);
        else if (*s == ' ')
            fputs("\\s", stdout);
        else if (*s == '\n')
            fputs("\\n", stdout);
        else
            putchar(*s);
    }
}

int main(int argc, char **argv)
{
    const char *fixture_path = NULL, *dump = NULL;
    int targets = 0, outputs = 0, manifest = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dump") && i + 1 < argc)
            dump = argv[++i];
        else if (!strcmp(argv[i], "--targets"))
            targets = 1;
        else if (!strcmp(argv[i], "--outputs"))
            outputs = 1;
        else if (!strcmp(argv[i], "--manifest"))
            manifest = 1;
        else if (!fixture_path)
            fixture_path = argv[i];
        else {
            fprintf(stderr, "usage: depot-drvs FIXTURE [--dump DIR] [--targets] [--outputs]\n");
            return 2;
        }
    }
    if (!fixture_path) {
        fprintf(stderr, "usage: depot-drvs FIXTURE [--dump DIR] [--targets] [--outputs]\n");
        return 2;
    }
    struct lk_error err = LK_ERROR_INIT;
    struct fixture *f = NULL;
    struct depot *d = NULL;
    int status = 0;
    if (fixture_load(fixture_path, &f, &err) < 0 || depot_from_fixture(f, &d, &err) < 0) {
        lk_error_print(&err, "depot-drvs", stderr);
        status = err.status;
        goto out;
    }
    if (manifest) {
        json_t *m = depot_manifest(d, &err);
        json_dumpf(m, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(m);
    } else if (targets) {
        for (size_t i = 0; i < f->n_targets; i++) {
            put_field(f->targets[i].label);
            printf(" %s\n", depot_drv_at(d, depot_index_of_fixture_drv(d, f->targets[i].drv))->drv_path);
        }
    } else {
        for (size_t i = 0; i < depot_n_drvs(d); i++) {
            const struct depot_drv *v = depot_drv_at(d, i);
            if (outputs) {
                for (size_t j = 0; j < v->n_outputs; j++) {
                    put_field(v->key);
                    printf(" %s %s\n", v->out_names[j], v->out_paths[j]);
                }
            } else {
                put_field(v->key);
                printf(" %s\n", v->drv_path);
            }
        }
    }
    for (size_t i = 0; dump && i < depot_n_drvs(d); i++) {
        const struct depot_drv *v = depot_drv_at(d, i);
        char *path = xasprintf("%s/%s", dump, strrchr(v->drv_path, '/') + 1);
        int rc = file_write_atomic(path, v->aterm, v->aterm_len, &err);
        free(path);
        if (rc < 0) {
            lk_error_print(&err, "depot-drvs", stderr);
            status = err.status;
            break;
        }
    }
out:
    depot_free(d);
    fixture_free(f);
    lk_error_clear(&err);
    return status;
}
