/* eventlog — see eventlog.h. */
#include "eventlog.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "fileio.h"
#include "xalloc.h"

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *env_or_null(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? json_string(v) : json_null();
}

char *eventlog_format(const struct eventlog_event *ev)
{
    json_t *o = json_object();
    json_object_set_new(o, "event", json_string(ev->event));
    json_object_set_new(o, "drv", str_or_null(ev->drv));
    json_t *outs = json_object();
    for (size_t i = 0; i < ev->n_outputs; i++)
        json_object_set_new(outs, ev->out_names[i], json_string(ev->out_paths[i]));
    json_object_set_new(o, "outputs", outs);
    json_object_set_new(o, "phase", env_or_null("LAZYKITE_PHASE"));
    json_object_set_new(o, "step", env_or_null("LAZYKITE_STEP"));
    json_object_set_new(o, "cause", str_or_null(ev->cause));
    json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
    struct timeval tv;
    gettimeofday(&tv, NULL);
    json_object_set_new(o, "time", json_real((double)tv.tv_sec + (double)tv.tv_usec / 1e6));
    if (ev->root)
        json_object_set_new(o, "root", json_string(ev->root));
    if (ev->path)
        json_object_set_new(o, "path", json_string(ev->path));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text)
        abort(); /* only on out-of-memory or invalid UTF-8, which store paths never contain */
    char *line = xasprintf("%s\n", text);
    free(text);
    return line;
}

/* The log stays open for the life of the process (one open per process, not
 * per event); it is reopened when $LAZYKITE_LOG names another file. */
static int log_fd = -1;
static char *log_name;

int eventlog_write(const struct eventlog_event *ev, struct lk_error *err)
{
    const char *file = getenv("LAZYKITE_LOG");
    if (!file || !*file)
        return 0;
    if (log_fd < 0 || !log_name || strcmp(log_name, file) != 0) {
        if (log_fd >= 0)
            close(log_fd);
        free(log_name);
        log_name = NULL;
        log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (log_fd < 0)
            return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot open the realisation log");
        log_name = xstrdup(file);
    }
    char *line = eventlog_format(ev);
    size_t len = strlen(line);
    /* One write(2): O_APPEND makes it atomic with respect to other appenders. */
    ssize_t n;
    do
        n = write(log_fd, line, len);
    while (n < 0 && errno == EINTR);
    int rc = 0;
    if (n != (ssize_t)len)
        rc = n < 0 ? lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot write to the realisation log")
                   : lk_fail(err, LK_EXIT_FAIL, file, NULL, "short write to the realisation log");
    free(line);
    return rc;
}

void eventlog_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    free(log_name);
    log_name = NULL;
}
