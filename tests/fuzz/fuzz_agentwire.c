/* libFuzzer target: the agent wire format (agentwire.h) on any bytes, as
 * a job's buildkite-agent could send them to the simulated build. Checks:
 * no crash/leak; a message read has an object header and blobs of the
 * lengths it says; sending it back and reading it again gives the same
 * header and blobs. The input goes through a pipe (at most what the pipe
 * holds without a reader: 60 KiB). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildkite/agentwire.h"
#include "fileio.h"

static int pipe_of(const uint8_t *data, size_t size)
{
    int fds[2];
    if (pipe(fds) < 0)
        abort();
    if (size && file_write_all(fds[1], data, size) < 0)
        abort();
    close(fds[1]);
    return fds[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 60 * 1024)
        return 0;
    int fd = pipe_of(data, size);
    json_t *hdr;
    struct aw_blob *blobs;
    size_t n;
    struct lk_error err = LK_ERROR_INIT;
    int rc = aw_recv(fd, &hdr, &blobs, &n, &err);
    close(fd);
    if (rc < 0) {
        if (hdr || blobs || !err.msg)
            abort();
        lk_error_clear(&err);
        return 0;
    }
    if (!json_is_object(hdr) || json_object_get(hdr, "blobs"))
        abort();
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += blobs[i].len;
    if (total > 60 * 1024)
        abort();
    /* round trip */
    int fds[2];
    if (pipe(fds) < 0)
        abort();
    json_t *copy = json_deep_copy(hdr);
    if (aw_send(fds[1], copy, blobs, n, &err) < 0) /* fits: no larger than the input */
        abort();
    close(fds[1]);
    json_t *hdr2;
    struct aw_blob *blobs2;
    size_t n2;
    if (aw_recv(fds[0], &hdr2, &blobs2, &n2, &err) < 0 || n2 != n || !json_equal(hdr, hdr2))
        abort();
    for (size_t i = 0; i < n; i++)
        if (blobs2[i].len != blobs[i].len || memcmp(blobs2[i].data, blobs[i].data, blobs[i].len))
            abort();
    close(fds[0]);
    json_decref(copy);
    json_decref(hdr2);
    aw_blobs_free(blobs2, n2);
    json_decref(hdr);
    aw_blobs_free(blobs, n);
    return 0;
}
