/* digest — SHA-256 and SHA-1 (OpenSSL EVP) and lowercase hex encoding.
 *
 * Contract: one-shot helpers hash a byte buffer into a caller-provided
 * array; the *_hex variants write lowercase hex plus a terminating NUL.
 * They keep one OpenSSL context per thread (freed when the thread exits)
 * and the fetched digest implementations for the life of the process.
 * The incremental `struct digest` hashes data fed in pieces; it owns an
 * OpenSSL context from digest_begin() until digest_end() (which also
 * frees it). Hashing cannot fail on valid arguments; an OpenSSL failure
 * (out of memory) prints one line and aborts, like xalloc. */
#ifndef LAZYKITE_DIGEST_H
#define LAZYKITE_DIGEST_H

#include <stddef.h>

#include "error.h"

#define SHA256_BYTES 32
#define SHA1_BYTES 20
#define SHA256_HEX_LEN 64
#define SHA1_HEX_LEN 40

enum digest_algo { DIGEST_SHA1, DIGEST_SHA256 };

void sha256_digest(const void *data, size_t len, unsigned char out[SHA256_BYTES]);
void sha1_digest(const void *data, size_t len, unsigned char out[SHA1_BYTES]);
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
void sha1_hex(const void *data, size_t len, char out[SHA1_HEX_LEN + 1]);

/* Incremental hashing. */
struct digest {
    void *ctx; /* EVP_MD_CTX */
    enum digest_algo algo;
};
void digest_begin(struct digest *d, enum digest_algo algo);
void digest_add(struct digest *d, const void *data, size_t len);
/* Writes digest_size(algo) bytes to `out` and releases the context. */
void digest_end(struct digest *d, unsigned char *out);
size_t digest_size(enum digest_algo algo);

/* `len` bytes -> 2*len lowercase hex digits + NUL in `out`. */
void hex_encode(const unsigned char *in, size_t len, char *out);
/* Exactly 2*outlen hex digits (either case) from `hex` (`hexlen` chars) into
 * `out`. -1 with a message (no file/place) on a wrong length or a non-hex
 * character. */
int hex_decode(const char *hex, size_t hexlen, unsigned char *out, size_t outlen,
               struct lk_error *err);

#endif
