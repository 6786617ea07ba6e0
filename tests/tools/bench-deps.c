/* bench-deps — time the dependency analysis alone (core/deps) over a
 * manifest's targets, as the generator runs it: every target known, the
 * closure read ahead (deps_read_ahead, on several threads), then
 * deps_closest() for each in manifest order.
 *
 * usage: bench-deps MANIFEST STORE_DIR
 * Prints one line: targets, .drv files read, dependency edges found, and the
 * wall, user and system seconds of the analysis (manifest loading excluded).
 * Exit status: 0, 1 on an analysis error, 2 on bad arguments or manifest. */
#include <jansson.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "deps.h"

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench-deps MANIFEST STORE_DIR\n");
        return 2;
    }
    json_error_t jerr;
    json_t *m = json_load_file(argv[1], 0, &jerr);
    json_t *targets = m ? json_object_get(m, "targets") : NULL;
    if (!json_is_array(targets)) {
        fprintf(stderr, "bench-deps: %s: not a manifest\n", argv[1]);
        json_decref(m);
        return 2;
    }
    size_t n = json_array_size(targets);
    struct rusage r0, r1;
    struct timespec t0, t1;
    getrusage(RUSAGE_SELF, &r0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct deps *d = deps_new(argv[2]);
    for (size_t i = 0; i < n; i++)
        deps_add_known(d, json_string_value(json_object_get(json_array_get(targets, i), "drvPath")), i);
    deps_read_ahead(d);
    size_t edges = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const size_t *ids;
        size_t n_ids;
        struct lk_error err = LK_ERROR_INIT;
        const char *p = json_string_value(json_object_get(json_array_get(targets, i), "drvPath"));
        if (deps_closest(d, p, &ids, &n_ids, &err) != 0) {
            lk_error_print(&err, "bench-deps", stderr);
            lk_error_clear(&err);
            rc = 1;
        }
        edges += n_ids;
    }
    size_t files = deps_files_read(d);
    deps_free(d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &r1);
    printf("%zu targets, %zu .drv files read, %zu edges: %.3f s wall, %.3f s user, %.3f s sys\n",
           n, files, edges,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           seconds(r1.ru_utime) - seconds(r0.ru_utime), seconds(r1.ru_stime) - seconds(r0.ru_stime));
    json_decref(m);
    return rc;
}
