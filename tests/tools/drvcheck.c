/* drvcheck — check lazykite's derivation code against `.drv` files Nix wrote.
 *
 * Usage: drvcheck [--store DIR] DRV...
 *        drvcheck [--store DIR] --modulo DRV
 *        drvcheck --path NAME FILE
 *        drvcheck --text NAME FILE [REF...]
 *        drvcheck --bench N FILE
 * For each `.drv` store path (read from DIR, default /nix/store, where
 * /nix/store/X is DIR/X): parse it and write it back (must be byte-identical
 * to the file); recompute its output paths from scratch (blank the outputs,
 * hash modulo with the inputs read from DIR) and its own `.drv` store path;
 * both must equal what Nix wrote. Prints one line per derivation ("ok PATH"
 * or "FAIL PATH: what differs"). Exit 0 if all match, 1 on any difference,
 * 2 on unreadable or malformed input.
 * With --modulo, print the ATerm whose sha256 is DRV's hash modulo with
 * its outputs masked (paths and the env vars they have blank, as when its output
 * paths are computed; the inputs' hashes read from DIR).
 * With --path, print the `.drv` store path of the derivation in FILE named
 * NAME.
 * With --text, print the store path of a text (builtins.toFile) named NAME
 * with the contents of FILE and the given references.
 * With --bench, parse FILE N times and print the time taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drv.h"
#include "fileio.h"
#include "drvhash.h"
#include "storepath.h"
#include "strbuf.h"
#include "xalloc.h"

/* --modulo and --path: print one derived text; 0, or 2 with `err` set. */
static int print_derived(const char *store_dir, const char *mode, const char *name,
                         const char *file, struct lk_error *err)
{
    static const char prefix[] = NIX_STORE_DIR "/";
    struct drv d = DRV_INIT;
    struct strbuf text = STRBUF_INIT;
    char *host = strcmp(mode, "--modulo") == 0 && strncmp(file, prefix, sizeof prefix - 1) == 0
                     ? xasprintf("%s/%s", store_dir, file + sizeof prefix - 1)
                     : xstrdup(file);
    struct drv_store_hashes *cache = drv_store_hashes_new(store_dir);
    int r = drv_read(host, &d, err);
    if (r == 0 && strcmp(mode, "--modulo") == 0) {
        for (size_t i = 0; i < d.n_outputs; i++) {
            free(d.outputs[i].path);
            d.outputs[i].path = xstrdup("");
            if (drv_get_env(&d, d.outputs[i].name))
                drv_set_env(&d, d.outputs[i].name, "");
        }
        r = drv_modulo_text(&d, drv_store_hashes_lookup, cache, &text, err);
    } else if (r == 0) {
        char *p = drv_store_path(&d, name);
        sb_adds(&text, p);
        free(p);
    }
    if (r == 0)
        printf("%s\n", text.buf);
    drv_store_hashes_free(cache);
    sb_release(&text);
    drv_free(&d);
    free(host);
    return r < 0 ? 2 : 0;
}

static int check_one(const char *store_dir, const char *path, struct drv_store_hashes *cache,
                     struct lk_error *err)
{
    static const char prefix[] = NIX_STORE_DIR "/";
    if (strncmp(path, prefix, sizeof prefix - 1) != 0)
        return lk_bad_input(err, path, NULL, "expected a path in %s", NIX_STORE_DIR);
    char *name = drv_name_from_path(path);
    if (!name)
        return lk_bad_input(err, path, NULL, "expected a .drv store path");
    char *host = xasprintf("%s/%s", store_dir, path + sizeof prefix - 1);
    char *data = NULL;
    size_t len;
    struct drv d = DRV_INIT, fresh = DRV_INIT;
    struct strbuf text = STRBUF_INIT, problems = STRBUF_INIT;
    int r = -1;
    if (file_read(host, &data, &len, err) < 0 || drv_parse(data, len, host, &d, err) < 0)
        goto out;

    drv_write(&d, &text);
    if (text.len != len || memcmp(text.buf, data, len) != 0) {
        size_t i = 0;
        while (i < len && i < text.len && text.buf[i] == data[i])
            i++;
        sb_addf(&problems, "; written ATerm differs from the file at byte %zu", i);
    }

    drv_clone(&fresh, &d);
    if (drv_fill_outputs(&fresh, name, drv_store_hashes_lookup, cache, err) < 0)
        goto out;
    if (fresh.n_outputs != d.n_outputs) {
        sb_addf(&problems, "; output count changed");
    } else {
        for (size_t i = 0; i < d.n_outputs; i++)
            if (strcmp(fresh.outputs[i].path, d.outputs[i].path) != 0)
                sb_addf(&problems, "; output %s: computed %s, file has %s", d.outputs[i].name,
                        fresh.outputs[i].path, d.outputs[i].path);
    }
    struct strbuf t2 = STRBUF_INIT;
    drv_write(&fresh, &t2);
    if (t2.len != len || memcmp(t2.buf, data, len) != 0)
        sb_addf(&problems, "; derivation with recomputed outputs differs from the file");
    sb_release(&t2);

    char *self = drv_store_path(&d, name);
    if (strcmp(self, path) != 0)
        sb_addf(&problems, "; .drv path computed as %s", self);
    free(self);

    if (problems.len)
        printf("FAIL %s:%s\n", path, problems.buf + 1);
    else
        printf("ok   %s (%zu outputs, %zu input drvs, %zu srcs)\n", path, d.n_outputs,
               d.n_inputs, d.n_srcs);
    r = problems.len ? 1 : 0;
out:
    drv_free(&d);
    drv_free(&fresh);
    sb_release(&text);
    sb_release(&problems);
    free(data);
    free(host);
    free(name);
    return r;
}

int main(int argc, char **argv)
{
    const char *store_dir = NIX_STORE_DIR;
    int i = 1;
    if (argc == 4 && strcmp(argv[1], "--bench") == 0) {
        struct lk_error err = LK_ERROR_INIT;
        char *data;
        size_t len;
        long n = strtol(argv[2], NULL, 10);
        if (n <= 0 || file_read(argv[3], &data, &len, &err) < 0) {
            if (err.msg)
                lk_error_print(&err, "drvcheck", stderr);
            lk_error_clear(&err);
            return 2;
        }
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long k = 0; k < n; k++) {
            struct drv d;
            if (drv_parse(data, len, argv[3], &d, &err) < 0) {
                lk_error_print(&err, "drvcheck", stderr);
                lk_error_clear(&err);
                free(data);
                return 2;
            }
            drv_free(&d);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("%zu bytes x %ld parses: %.3f s (%.2f us/parse, %.0f MB/s)\n", len, n, sec,
               sec / (double)n * 1e6, (double)len * (double)n / sec / 1e6);
        free(data);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "--text") == 0) {
        struct lk_error err = LK_ERROR_INIT;
        char *data;
        size_t len;
        if (file_read(argv[3], &data, &len, &err) < 0) {
            lk_error_print(&err, "drvcheck", stderr);
            lk_error_clear(&err);
            return 2;
        }
        char *p = storepath_make_text(argv[2], data, len, argv + 4, (size_t)(argc - 4));
        printf("%s\n", p);
        free(p);
        free(data);
        return 0;
    }
    if (i + 1 < argc && strcmp(argv[i], "--store") == 0) {
        store_dir = argv[i + 1];
        i += 2;
    }
    if ((argc == i + 3 && strcmp(argv[i], "--path") == 0) ||
        (argc == i + 2 && strcmp(argv[i], "--modulo") == 0)) {
        struct lk_error err = LK_ERROR_INIT;
        int r = print_derived(store_dir, argv[i], argv[i + 1], argv[argc - 1], &err);
        if (r)
            lk_error_print(&err, "drvcheck", stderr);
        lk_error_clear(&err);
        return r;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: drvcheck [--store DIR] DRV...\n");
        return 2;
    }
    struct drv_store_hashes *cache = drv_store_hashes_new(store_dir);
    int status = 0;
    for (; i < argc; i++) {
        struct lk_error err = LK_ERROR_INIT;
        int r = check_one(store_dir, argv[i], cache, &err);
        if (r < 0) {
            printf("FAIL %s: error\n", argv[i]);
            lk_error_print(&err, "drvcheck", stderr);
            status = err.status > status ? err.status : status;
            lk_error_clear(&err);
        } else if (r > 0 && status == 0) {
            status = 1;
        }
    }
    drv_store_hashes_free(cache);
    fflush(stdout);
    return status;
}
