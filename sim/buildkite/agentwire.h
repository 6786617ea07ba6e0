/* agentwire — the messages between the simulated `buildkite-agent`
 * program and the simulated build it talks to (over a Unix socket).
 *
 * Contract: a message is one line of compact JSON (the header, an object)
 * followed by the raw bytes of its blobs, whose lengths the header lists
 * under "blobs" (an array of integers; absent: no blob). Blobs carry file
 * contents and pipeline texts byte for byte, so nothing binary goes
 * through JSON. aw_send() sets "blobs" in `hdr` and writes the whole
 * message; aw_recv() reads one message (a header of at most AW_HEADER_MAX
 * bytes, blobs of at most AW_BLOBS_MAX bytes together) and gives the
 * header (caller decrefs) and the blobs (caller frees with
 * aw_blobs_free()). A peer that closes early, a malformed header or a size
 * over the limits is an error (status 1) naming what was wrong. */
#ifndef LAZYKITE_BK_AGENTWIRE_H
#define LAZYKITE_BK_AGENTWIRE_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

#define AW_HEADER_MAX ((size_t)64 << 20)
#define AW_BLOBS_MAX ((size_t)1 << 30)

struct aw_blob {
    char *data; /* owned; NUL-terminated after len bytes (for convenience) */
    size_t len;
};

int aw_send(int fd, json_t *hdr, const struct aw_blob *blobs, size_t n, struct lk_error *err);
int aw_recv(int fd, json_t **hdr, struct aw_blob **blobs, size_t *n, struct lk_error *err);
void aw_blobs_free(struct aw_blob *blobs, size_t n);

#endif
