/* fuzz_drv — libFuzzer target for the `.drv` ATerm parser and writer.
 * Any input either is rejected with an error (a message and a byte offset)
 * or parses; a parsed derivation is written, the text re-parsed, and the
 * second writing must equal the first (write∘parse is a fixed point).
 * Hash-modulo and the .drv path of a parsed derivation must not crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drv.h"
#include "drvhash.h"
#include "storepath.h"
#include "strbuf.h"

static int no_inputs(void *ctx, const char *path, unsigned char out[SHA256_BYTES],
                     struct lk_error *err)
{
    (void)ctx;
    (void)err;
    /* a stand-in hash derived from the path: deterministic, never fails */
    sha256_digest(path, strlen(path), out);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct drv d;
    struct lk_error err = LK_ERROR_INIT;
    if (drv_parse((const char *)data, size, "fuzz", &d, &err) < 0) {
        if (!err.msg || !err.place || strncmp(err.place, "byte ", 5) != 0)
            abort();
        lk_error_clear(&err);
        return 0;
    }
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    drv_write(&d, &a);
    struct drv d2;
    if (drv_parse(a.buf, a.len, "fuzz-rewritten", &d2, &err) < 0)
        abort();
    drv_write(&d2, &b);
    if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0)
        abort();
    unsigned char h[SHA256_BYTES];
    if (drv_hash_modulo(&d2, no_inputs, NULL, h, &err) < 0)
        lk_error_clear(&err);
    drv_sort(&d2);
    char *p = drv_store_path(&d2, "fuzz");
    free(p);
    drv_free(&d);
    drv_free(&d2);
    sb_release(&a);
    sb_release(&b);
    return 0;
}
