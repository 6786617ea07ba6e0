/* eventlog — see eventlog.h.
 *
 * A line is written straight into a buffer: the fields are fixed, and
 * building a jansson object per event cost more than the rest of an
 * instantiation. Strings made only of printable ASCII other than `"` and `\`
 * (store paths, names, phases) are copied as they are, which is exactly what
 * jansson writes for them; any other string is encoded by jansson. */
#include "eventlog.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

/* Append the JSON text of a jansson value (which this function consumes);
 * `null` when the value could not be made (a string that is not UTF-8). */
static void add_json_value(struct strbuf *out, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    sb_adds(out, text ? text : "null");
    free(text);
}

static void add_string(struct strbuf *out, const char *s)
{
    if (!s) {
        sb_add(out, "null", 4);
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
        p++;
    if (*p) {
        add_json_value(out, json_string(s));
        return;
    }
    sb_addc(out, '"');
    sb_add(out, s, (size_t)(p - (const unsigned char *)s));
    sb_addc(out, '"');
}

static void add_env(struct strbuf *out, const char *name)
{
    const char *v = getenv(name);
    add_string(out, v && *v ? v : NULL);
}

/* The writing process's id, asked once (a system call per event was a
 * noticeable part of instantiating 10^5 derivations); a forked child, which
 * has one thread, asks again. */
static pid_t cached_pid;
static pthread_once_t pid_once = PTHREAD_ONCE_INIT;

static void ask_pid(void)
{
    cached_pid = getpid();
}

static void init_pid(void)
{
    ask_pid();
    pthread_atfork(NULL, NULL, ask_pid);
}

static pid_t current_pid(void)
{
    pthread_once(&pid_once, init_pid);
    return cached_pid;
}

/* Append the decimal digits of `v`. */
static void add_uint(struct strbuf *out, unsigned long long v)
{
    char buf[24];
    size_t i = sizeof buf;
    do
        buf[--i] = (char)('0' + v % 10);
    while (v /= 10);
    sb_add(out, buf + i, sizeof buf - i);
}

static void format_into(struct strbuf *out, const struct eventlog_event *ev)
{
    sb_add(out, "{\"event\":", 9);
    add_string(out, ev->event);
    sb_add(out, ",\"drv\":", 7);
    add_string(out, ev->drv);
    sb_add(out, ",\"outputs\":{", 12);
    for (size_t i = 0; i < ev->n_outputs; i++) {
        /* a later output of the same name replaces the earlier one, as
         * json_object_set does (outputs are unique in practice) */
        size_t last = i;
        for (size_t k = i + 1; k < ev->n_outputs; k++)
            if (!strcmp(ev->out_names[k], ev->out_names[i]))
                last = k;
        int first = 1;
        for (size_t k = 0; k < i && first; k++)
            if (!strcmp(ev->out_names[k], ev->out_names[i]))
                first = 0;
        if (!first)
            continue;
        if (out->buf[out->len - 1] != '{')
            sb_addc(out, ',');
        add_string(out, ev->out_names[i]);
        sb_addc(out, ':');
        add_string(out, ev->out_paths[last]);
    }
    sb_add(out, "},\"phase\":", 10);
    add_env(out, "LAZYKITE_PHASE");
    sb_add(out, ",\"step\":", 8);
    add_env(out, "LAZYKITE_STEP");
    sb_add(out, ",\"cause\":", 9);
    add_string(out, ev->cause);
    sb_add(out, ",\"pid\":", 7);
    add_uint(out, (unsigned long long)current_pid());
    /* unix seconds with their microseconds: "<sec>.<6 digits>", a JSON real */
    struct timeval tv;
    gettimeofday(&tv, NULL);
    sb_add(out, ",\"time\":", 8);
    add_uint(out, (unsigned long long)tv.tv_sec);
    char frac[8] = { '.' };
    for (int i = 6, u = (int)tv.tv_usec; i >= 1; i--, u /= 10)
        frac[i] = (char)('0' + u % 10);
    sb_add(out, frac, 7);
    if (ev->root) {
        sb_add(out, ",\"root\":", 8);
        add_string(out, ev->root);
    }
    if (ev->path) {
        sb_add(out, ",\"path\":", 8);
        add_string(out, ev->path);
    }
    sb_add(out, "}\n", 2);
}

char *eventlog_format(const struct eventlog_event *ev)
{
    struct strbuf sb = STRBUF_INIT;
    format_into(&sb, ev);
    return sb_detach(&sb);
}

/* The log stays open for the life of the process (one open per process, not
 * per event); it is reopened when $LAZYKITE_LOG names another file. Held
 * lines wait in `held` (whole lines) until eventlog_flush(). */
#define HELD_WRITE_MAX (1u << 20)
static int log_fd = -1;
static char *log_name;
static int holding;
static struct strbuf held = STRBUF_INIT;
static struct strbuf line = STRBUF_INIT;

static int flush_held(struct lk_error *err);

static int open_log(const char *file, struct lk_error *err)
{
    if (log_fd >= 0 && log_name && strcmp(log_name, file) == 0)
        return 0;
    if (held.len && flush_held(err) != 0)
        return -1;
    if (log_fd >= 0)
        close(log_fd);
    free(log_name);
    log_name = NULL;
    log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (log_fd < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, file, "cannot open the realisation log");
    log_name = xstrdup(file);
    return 0;
}

/* One write(2) of `len` bytes of whole lines: O_APPEND makes it atomic with
 * respect to other appenders. */
static int write_lines(const char *text, size_t len, struct lk_error *err)
{
    ssize_t n;
    do
        n = write(log_fd, text, len);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)len)
        return 0;
    return n < 0 ? lk_fail_errno(err, LK_EXIT_FAIL, log_name, "cannot write to the realisation log")
                 : lk_fail(err, LK_EXIT_FAIL, log_name, NULL,
                           "short write to the realisation log");
}

/* $LAZYKITE_LOG, or NULL when unset or empty. */
static const char *log_file(void)
{
    const char *file = getenv("LAZYKITE_LOG");
    return file && *file ? file : NULL;
}

int eventlog_active(void)
{
    return log_file() != NULL;
}

int eventlog_write_lines(const char *text, size_t len, struct lk_error *err)
{
    const char *file = log_file();
    if (!file)
        return 0;
    if (open_log(file, err) != 0)
        return -1;
    if (holding) {
        sb_add(&held, text, len);
        return held.len >= HELD_WRITE_MAX ? flush_held(err) : 0;
    }
    return write_lines(text, len, err);
}

int eventlog_write(const struct eventlog_event *ev, struct lk_error *err)
{
    if (!log_file())
        return 0;
    sb_reset(&line);
    format_into(&line, ev);
    return eventlog_write_lines(line.buf, line.len, err);
}

void eventlog_hold(void)
{
    holding = 1;
}

/* Write the held lines (in writes of whole lines). */
static int flush_held(struct lk_error *err)
{
    int rc = 0;
    size_t done = 0;
    while (rc == 0 && done < held.len) {
        size_t len = whole_lines_prefix(held.buf + done, held.len - done, HELD_WRITE_MAX);
        rc = log_fd >= 0 ? write_lines(held.buf + done, len, err) : 0;
        done += len;
    }
    sb_reset(&held);
    return rc;
}

int eventlog_flush(struct lk_error *err)
{
    holding = 0;
    return flush_held(err);
}

void eventlog_close(void)
{
    struct lk_error ignore = LK_ERROR_INIT;
    eventlog_flush(&ignore);
    lk_error_clear(&ignore);
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    free(log_name);
    log_name = NULL;
    sb_release(&held);
    sb_release(&line);
}
