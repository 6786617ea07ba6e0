/* Unit tests: the realisation log (sim/nix/eventlog) — line format, and
 * concurrent appenders never interleave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "nix/eventlog.h"
#include "xalloc.h"

static char *tmpdir(void)
{
    char *d = xstrdup("/tmp/lk-evlog-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void test_format(void **state)
{
    (void)state;
    setenv("LAZYKITE_PHASE", "construction", 1);
    unsetenv("LAZYKITE_STEP");
    const char *names[] = { "out", "dev" };
    const char *paths[] = { "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x",
                            "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x-dev" };
    struct eventlog_event ev = { .event = "build", .drv = "/nix/store/cccccccccccccccccccccccccccccccc-x.drv",
                                 .out_names = names, .out_paths = paths, .n_outputs = 2,
                                 .cause = "ifd while evaluating web/site" };
    char *line = eventlog_format(&ev);
    size_t len = strlen(line);
    assert_true(len > 0 && line[len - 1] == '\n');
    assert_null(memchr(line, '\n', len - 1));
    json_error_t jerr;
    json_t *j = json_loads(line, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event")), "build");
    assert_string_equal(json_string_value(json_object_get(j, "drv")), ev.drv);
    json_t *outs = json_object_get(j, "outputs");
    assert_int_equal(json_object_size(outs), 2);
    assert_string_equal(json_string_value(json_object_get(outs, "dev")), paths[1]);
    assert_string_equal(json_string_value(json_object_get(j, "phase")), "construction");
    assert_true(json_is_null(json_object_get(j, "step")));
    assert_string_equal(json_string_value(json_object_get(j, "cause")), ev.cause);
    assert_int_equal(json_integer_value(json_object_get(j, "pid")), getpid());
    assert_true(json_is_real(json_object_get(j, "time")));
    assert_null(json_object_get(j, "root"));
    /* The field order is part of the format. */
    const char *order[] = { "event", "drv", "outputs", "phase", "step", "cause", "pid", "time" };
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        assert_true(i < 8);
        assert_string_equal(key, order[i++]);
    }
    json_decref(j);
    free(line);

    /* delete / root events: drv null, extra fields. */
    struct eventlog_event del = { .event = "delete", .path = paths[0] };
    line = eventlog_format(&del);
    j = json_loads(line, 0, &jerr);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "drv")));
    assert_string_equal(json_string_value(json_object_get(j, "path")), paths[0]);
    assert_int_equal(json_object_size(json_object_get(j, "outputs")), 0);
    json_decref(j);
    free(line);
    unsetenv("LAZYKITE_PHASE");
}

static void test_unset_is_noop(void **state)
{
    (void)state;
    unsetenv("LAZYKITE_LOG");
    struct eventlog_event ev = { .event = "valid" };
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(eventlog_write(&ev, &err), 0);
    setenv("LAZYKITE_LOG", "/nonexistent-dir/log", 1);
    assert_int_equal(eventlog_write(&ev, &err), -1);
    assert_non_null(strstr(err.file, "/nonexistent-dir/log"));
    lk_error_clear(&err);
    unsetenv("LAZYKITE_LOG");
}

enum { PROCS = 12, LINES = 400 };

static void test_concurrent_appends(void **state)
{
    (void)state;
    char *dir = tmpdir();
    char *log = xasprintf("%s/log", dir);
    setenv("LAZYKITE_LOG", log, 1);
    /* Long lines make interleaving likely if writes were split. */
    char cause[3000];
    memset(cause, 'c', sizeof cause - 1);
    cause[sizeof cause - 1] = '\0';
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            for (int i = 0; i < LINES; i++) {
                char step[32];
                snprintf(step, sizeof step, "%d", i);
                setenv("LAZYKITE_STEP", step, 1);
                struct eventlog_event ev = { .event = "build", .cause = cause };
                struct lk_error err = LK_ERROR_INIT;
                if (eventlog_write(&ev, &err) != 0)
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int st;
        assert_int_equal(waitpid(pids[p], &st, 0), pids[p]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    unsetenv("LAZYKITE_LOG");
    char *data;
    size_t len;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(file_read(log, &data, &len, &err), 0);
    int count[PROCS] = { 0 };
    size_t lines = 0;
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        json_error_t jerr;
        json_t *j = json_loads(l, 0, &jerr);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "cause")), cause);
        pid_t pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
        int found = 0;
        for (int p = 0; p < PROCS; p++)
            if (pids[p] == pid) {
                /* each process's lines arrive in its own order */
                assert_int_equal(atoi(json_string_value(json_object_get(j, "step"))), count[p]);
                count[p]++;
                found = 1;
            }
        assert_true(found);
        json_decref(j);
        lines++;
    }
    assert_int_equal(lines, PROCS * LINES);
    free(data);
    assert_int_equal(file_remove_tree(dir), 0);
    free(log);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_unset_is_noop),
        cmocka_unit_test(test_concurrent_appends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
