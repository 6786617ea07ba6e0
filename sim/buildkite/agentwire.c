/* agentwire — see agentwire.h. */
#include "buildkite/agentwire.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "strbuf.h"
#include "xalloc.h"

int aw_send(int fd, json_t *hdr, const struct aw_blob *blobs, size_t n, struct lk_error *err)
{
    json_t *lens = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(lens, json_integer((json_int_t)blobs[i].len));
    json_object_set_new(hdr, "blobs", lens);
    char *text = json_dumps(hdr, JSON_COMPACT);
    if (!text)
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "cannot encode a message");
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps' terminator becomes the line's end */
    int rc = file_write_all(fd, text, len + 1);
    free(text);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = file_write_all(fd, blobs[i].data, blobs[i].len);
    if (rc < 0)
        return lk_fail_errno(err, LK_EXIT_FAIL, NULL, "sending a message");
    return 0;
}

/* Read exactly len bytes into buf. */
static int read_exact(int fd, char *buf, size_t len, struct lk_error *err)
{
    while (len > 0) {
        ssize_t r = read(fd, buf, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return lk_fail_errno(err, LK_EXIT_FAIL, NULL, "receiving a message");
        if (r == 0)
            return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "the other side closed the connection mid-message");
        buf += r;
        len -= (size_t)r;
    }
    return 0;
}

int aw_recv(int fd, json_t **hdr, struct aw_blob **blobs, size_t *n, struct lk_error *err)
{
    *hdr = NULL;
    *blobs = NULL;
    *n = 0;
    struct strbuf line = STRBUF_INIT;
    char buf[65536];
    size_t have = 0, used = 0; /* bytes in buf past the header's line */
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            sb_release(&line);
            return lk_fail_errno(err, LK_EXIT_FAIL, NULL, "receiving a message");
        }
        if (r == 0) {
            bool partial = line.len > 0;
            sb_release(&line);
            return lk_fail(err, LK_EXIT_FAIL, NULL, NULL,
                           partial ? "the other side closed the connection mid-message"
                                   : "the other side closed the connection without a message");
        }
        char *nl = memchr(buf, '\n', (size_t)r);
        size_t take = nl ? (size_t)(nl - buf) : (size_t)r;
        if (line.len + take > AW_HEADER_MAX) {
            sb_release(&line);
            return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "a message header over %zu bytes", AW_HEADER_MAX);
        }
        sb_add(&line, buf, take);
        if (nl) {
            used = take + 1;
            have = (size_t)r;
            break;
        }
    }
    json_error_t je;
    json_t *h = json_loadb(line.buf, line.len, 0, &je);
    sb_release(&line);
    json_t *lens = h ? json_object_get(h, "blobs") : NULL;
    if (!json_is_object(h) || (lens && !json_is_array(lens))) {
        json_decref(h);
        return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "a malformed message header");
    }
    size_t nb = lens ? json_array_size(lens) : 0, total = 0;
    for (size_t i = 0; i < nb; i++) {
        json_t *l = json_array_get(lens, i);
        if (!json_is_integer(l) || json_integer_value(l) < 0 ||
            (size_t)json_integer_value(l) > AW_BLOBS_MAX - total) {
            json_decref(h);
            return lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "a message whose blobs are malformed or over %zu bytes",
                           AW_BLOBS_MAX);
        }
        total += (size_t)json_integer_value(l);
    }
    struct aw_blob *b = xcalloc(nb ? nb : 1, sizeof(*b));
    int rc = 0;
    for (size_t i = 0; i < nb && rc == 0; i++) {
        size_t len = (size_t)json_integer_value(json_array_get(lens, i));
        b[i].data = xmalloc(st_add(len, 1));
        b[i].len = len;
        size_t from_buf = have - used < len ? have - used : len;
        memcpy(b[i].data, buf + used, from_buf);
        used += from_buf;
        rc = read_exact(fd, b[i].data + from_buf, len - from_buf, err);
        b[i].data[len] = '\0';
    }
    if (rc == 0 && used != have)
        rc = lk_fail(err, LK_EXIT_FAIL, NULL, NULL, "a message with bytes after its blobs");
    if (rc < 0) {
        aw_blobs_free(b, nb);
        json_decref(h);
        return -1;
    }
    json_object_del(h, "blobs");
    *hdr = h;
    *blobs = b;
    *n = nb;
    return 0;
}

void aw_blobs_free(struct aw_blob *blobs, size_t n)
{
    for (size_t i = 0; blobs && i < n; i++)
        free(blobs[i].data);
    free(blobs);
}
