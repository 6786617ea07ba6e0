/* digest — see digest.h. */
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

static const EVP_MD *md_of(enum digest_algo algo)
{
    return algo == DIGEST_SHA1 ? EVP_sha1() : EVP_sha256();
}

size_t digest_size(enum digest_algo algo)
{
    return algo == DIGEST_SHA1 ? SHA1_BYTES : SHA256_BYTES;
}

static void crypto_failed(const char *what)
{
    fprintf(stderr, "lazykite: OpenSSL %s failed\n", what);
    abort();
}

static void oneshot(enum digest_algo algo, const void *data, size_t len, unsigned char *out)
{
    unsigned int n = 0;
    if (!EVP_Digest(data, len, out, &n, md_of(algo), NULL) || n != digest_size(algo))
        crypto_failed("EVP_Digest");
}

void sha256_digest(const void *data, size_t len, unsigned char out[SHA256_BYTES])
{
    oneshot(DIGEST_SHA256, data, len, out);
}

void sha1_digest(const void *data, size_t len, unsigned char out[SHA1_BYTES])
{
    oneshot(DIGEST_SHA1, data, len, out);
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
    unsigned char h[SHA256_BYTES];
    sha256_digest(data, len, h);
    hex_encode(h, sizeof h, out);
}

void sha1_hex(const void *data, size_t len, char out[SHA1_HEX_LEN + 1])
{
    unsigned char h[SHA1_BYTES];
    sha1_digest(data, len, h);
    hex_encode(h, sizeof h, out);
}

void digest_begin(struct digest *d, enum digest_algo algo)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, md_of(algo), NULL))
        crypto_failed("EVP_DigestInit_ex");
    d->ctx = ctx;
    d->algo = algo;
}

void digest_add(struct digest *d, const void *data, size_t len)
{
    if (!EVP_DigestUpdate(d->ctx, data, len))
        crypto_failed("EVP_DigestUpdate");
}

void digest_end(struct digest *d, unsigned char *out)
{
    unsigned int n = 0;
    if (!EVP_DigestFinal_ex(d->ctx, out, &n) || n != digest_size(d->algo))
        crypto_failed("EVP_DigestFinal_ex");
    EVP_MD_CTX_free(d->ctx);
    d->ctx = NULL;
}

void hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int hex_decode(const char *hex, size_t hexlen, unsigned char *out, size_t outlen,
               struct lk_error *err)
{
    if (hexlen != 2 * outlen)
        return lk_bad_input(err, NULL, NULL, "expected %zu hex digits, found %zu", 2 * outlen,
                            hexlen);
    for (size_t i = 0; i < outlen; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return lk_bad_input(err, NULL, NULL, "invalid hex digit at offset %zu",
                                2 * i + (hi < 0 ? 0 : 1));
    }
    for (size_t i = 0; i < outlen; i++)
        out[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
    return 0;
}
