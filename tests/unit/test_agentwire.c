/* Unit tests of the agent wire format (agentwire.h): round trips with
 * blobs of every size class (binary bytes included, across the reader's
 * buffer), and every malformed message: no newline, a header that is not
 * an object, bad "blobs", a blob cut short, bytes after the blobs, a peer
 * that sends nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buildkite/agentwire.h"
#include "fileio.h"
#include "xalloc.h"

struct sender {
    int fd;
    const char *raw;
    size_t len;
};

static void *send_raw(void *arg)
{
    struct sender *s = arg;
    file_write_all(s->fd, s->raw, s->len);
    close(s->fd);
    return NULL;
}

/* aw_recv() of `raw` sent by another thread over a socket pair. */
static int recv_raw(const char *raw, size_t len, json_t **hdr, struct aw_blob **b, size_t *n,
                    struct lk_error *err)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct sender s = { sv[1], raw, len };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_raw, &s), 0);
    int rc = aw_recv(sv[0], hdr, b, n, err);
    close(sv[0]);
    pthread_join(t, NULL);
    return rc;
}

struct roundtrip {
    int fd;
    json_t *hdr;
    struct aw_blob *blobs;
    size_t n;
};

static void *send_msg(void *arg)
{
    struct roundtrip *r = arg;
    struct lk_error err = LK_ERROR_INIT;
    if (aw_send(r->fd, r->hdr, r->blobs, r->n, &err) < 0)
        abort();
    close(r->fd);
    return NULL;
}

static void test_round_trip(void **state)
{
    (void)state;
    size_t sizes[] = { 0, 1, 65535, 65536, 65537, 300000 };
    struct aw_blob blobs[6];
    for (size_t i = 0; i < 6; i++) {
        blobs[i].len = sizes[i];
        blobs[i].data = xmalloc(sizes[i] + 1);
        for (size_t k = 0; k < sizes[i]; k++)
            blobs[i].data[k] = (char)(k * 7 + i); /* NULs and newlines included */
    }
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct roundtrip r = { sv[1], json_pack("{s:s, s:[s]}", "command", "x\ny", "paths", "p"), blobs, 6 };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_msg, &r), 0);
    json_t *hdr;
    struct aw_blob *got;
    size_t n;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(aw_recv(sv[0], &hdr, &got, &n, &err), 0);
    pthread_join(t, NULL);
    close(sv[0]);
    assert_int_equal(n, 6);
    assert_string_equal(json_string_value(json_object_get(hdr, "command")), "x\ny");
    assert_null(json_object_get(hdr, "blobs")); /* the framing is not the caller's */
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(got[i].len, sizes[i]);
        if (sizes[i])
            assert_memory_equal(got[i].data, blobs[i].data, sizes[i]);
        assert_int_equal(got[i].data[sizes[i]], '\0');
        free(blobs[i].data);
    }
    aw_blobs_free(got, n);
    json_decref(hdr);
    json_decref(r.hdr);
}

static void bad(const char *raw, size_t len, const char *want)
{
    json_t *hdr = (json_t *)1;
    struct aw_blob *b = (struct aw_blob *)1;
    size_t n = 99;
    struct lk_error err = LK_ERROR_INIT;
    assert_int_equal(recv_raw(raw, len, &hdr, &b, &n, &err), -1);
    assert_null(hdr);
    assert_null(b);
    assert_int_equal(n, 0);
    assert_int_equal(err.status, LK_EXIT_FAIL);
    if (!strstr(err.msg, want))
        fail_msg("'%s' does not say '%s'", err.msg, want);
    lk_error_clear(&err);
}

static void test_malformed(void **state)
{
    (void)state;
    bad("", 0, "without a message");
    bad("{\"a\":1}", 7, "mid-message");
    bad("[1]\n", 4, "malformed message header");
    bad("not json\n", 9, "malformed message header");
    bad("{\"blobs\":3}\n", 12, "malformed message header");
    bad("{\"blobs\":[-1]}\n", 15, "malformed or over");
    bad("{\"blobs\":[\"3\"]}\n", 16, "malformed or over");
    bad("{\"blobs\":[1073741824,1]}\n", 25, "malformed or over");
    bad("{\"blobs\":[5]}\nab", 16, "mid-message");
    bad("{\"blobs\":[2]}\nabcd", 18, "bytes after its blobs");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
