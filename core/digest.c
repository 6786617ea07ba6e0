/* digest — see digest.h. */
#include "digest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

/* The digest implementations, fetched from the default provider once per
 * process. EVP_sha256() and EVP_sha1() return legacy handles that OpenSSL 3
 * resolves again on every EVP_DigestInit_ex (a provider lookup that costs
 * several times the hashing of a short text); an explicitly fetched EVP_MD
 * is resolved once. The fetched objects live as long as the process.
 * One-shot hashing also keeps one context per thread (EVP_MD_CTX_new and
 * EVP_MD_CTX_free per call cost as much as hashing a `.drv` text); a
 * thread's context is freed when the thread exits. */
static EVP_MD *fetched[2];
static pthread_key_t ctx_key;
static int have_key;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void free_ctx(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void init_digests(void)
{
    fetched[0] = EVP_MD_fetch(NULL, "SHA1", NULL);
    fetched[1] = EVP_MD_fetch(NULL, "SHA256", NULL);
    have_key = pthread_key_create(&ctx_key, free_ctx) == 0;
}

static const EVP_MD *md_of(enum digest_algo algo)
{
    pthread_once(&init_once, init_digests);
    const EVP_MD *md = fetched[algo == DIGEST_SHA1 ? 0 : 1];
    if (md)
        return md;
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
    const EVP_MD *md = md_of(algo);
    EVP_MD_CTX *ctx = have_key ? pthread_getspecific(ctx_key) : NULL;
    int keep = ctx != NULL;
    if (!ctx) {
        if (!(ctx = EVP_MD_CTX_new()))
            crypto_failed("EVP_MD_CTX_new");
        keep = have_key && pthread_setspecific(ctx_key, ctx) == 0;
    }
    unsigned int n = 0;
    if (!EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, data, len) ||
        !EVP_DigestFinal_ex(ctx, out, &n) || n != digest_size(algo))
        crypto_failed("EVP_Digest");
    if (!keep)
        EVP_MD_CTX_free(ctx);
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
