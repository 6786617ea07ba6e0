/* storepath — see storepath.h. Mirrors Nix 2.8's store-api.cc
 * (makeStorePath, makeFixedOutputPath, computeStorePathForText); the
 * derivation hashes are drvhash.c's. */
#include "storepath.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nixbase32.h"
#include "strbuf.h"
#include "xalloc.h"

/* ------------------------------------------------------------ validation */

static int name_char_ok(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '+' || c == '-' || c == '.' || c == '_' || c == '?' || c == '=';
}

int storepath_check_name(const char *name, struct lk_error *err)
{
    size_t n = strlen(name);
    if (n == 0)
        return lk_bad_input(err, NULL, NULL, "store path name is empty");
    if (n > STORE_NAME_MAX)
        return lk_bad_input(err, NULL, NULL,
                            "store path name is longer than %d characters", STORE_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!name_char_ok(c)) {
            if (c > 0x20 && c < 0x7f)
                return lk_bad_input(err, NULL, NULL,
                                    "store path name '%s' contains the illegal character '%c'",
                                    name, c);
            return lk_bad_input(err, NULL, NULL,
                                "store path name contains the illegal byte 0x%02x at offset %zu",
                                c, i);
        }
    }
    return 0;
}

int storepath_parse(const char *path, struct storepath_parts *parts, struct lk_error *err)
{
    static const char prefix[] = NIX_STORE_DIR "/";
    size_t plen = sizeof prefix - 1;
    if (strncmp(path, prefix, plen) != 0)
        return lk_bad_input(err, NULL, NULL, "'%s' is not in the store (%s)", path,
                            NIX_STORE_DIR);
    const char *base = path + plen;
    size_t blen = strlen(base);
    if (blen < STORE_HASH_CHARS + 2 || base[STORE_HASH_CHARS] != '-')
        return lk_bad_input(err, NULL, NULL,
                            "'%s' is not a store path (expected %s/<32-character hash>-<name>)",
                            path, NIX_STORE_DIR);
    for (size_t i = 0; i < STORE_HASH_CHARS; i++)
        if (!nixbase32_is_digit(base[i]))
            return lk_bad_input(err, NULL, NULL,
                                "store path '%s' has an invalid base-32 character in its hash",
                                path);
    if (storepath_check_name(base + STORE_HASH_CHARS + 1, err) < 0) {
        lk_error_prefix(err, "'%s'", path);
        return -1;
    }
    if (parts) {
        parts->base = base;
        parts->hash = base;
        parts->name = base + STORE_HASH_CHARS + 1;
    }
    return 0;
}

int storepath_is_drv(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && !strcmp(path + n - 4, ".drv");
}

int storepath_is_valid(const char *path)
{
    struct lk_error err = LK_ERROR_INIT;
    int r = storepath_parse(path, NULL, &err);
    lk_error_clear(&err);
    return r == 0;
}

/* -------------------------------------------------------- path computing */

void storepath_compress_hash(const unsigned char *in, size_t inlen, unsigned char *out,
                             size_t outlen)
{
    memset(out, 0, outlen);
    for (size_t i = 0; i < inlen; i++)
        out[i % outlen] ^= in[i];
}

/* makeStorePath: `type` e.g. "text:/nix/store/…", "output:out", "source". `name`
 * is not validated (callers check it where it comes from input). */
static char *storepath_make(const char *type, const unsigned char hash[SHA256_BYTES],
                            const char *name)
{
    static const char dir[] = ":" NIX_STORE_DIR ":";
    size_t tlen = strlen(type), nlen = strlen(name);
    struct strbuf s = STRBUF_INIT;
    sb_grow(&s, tlen + 8 + SHA256_HEX_LEN + sizeof dir + nlen);
    sb_add(&s, type, tlen);
    sb_add(&s, ":sha256:", 8);
    hex_encode(hash, SHA256_BYTES, s.buf + s.len);
    s.len += SHA256_HEX_LEN;
    sb_add(&s, dir, sizeof dir - 1);
    sb_add(&s, name, nlen);
    unsigned char full[SHA256_BYTES], small[STORE_HASH_BYTES];
    sha256_digest(s.buf, s.len, full);
    sb_release(&s);
    storepath_compress_hash(full, sizeof full, small, sizeof small);
    /* "/nix/store/" + 32 base-32 characters + "-" + name */
    size_t plen = sizeof NIX_STORE_DIR + STORE_HASH_CHARS + 1 + nlen;
    char *p = xmalloc(plen + 1);
    memcpy(p, NIX_STORE_DIR "/", sizeof NIX_STORE_DIR);
    nixbase32_encode(small, sizeof small, p + sizeof NIX_STORE_DIR);
    p[sizeof NIX_STORE_DIR + STORE_HASH_CHARS] = '-';
    memcpy(p + sizeof NIX_STORE_DIR + STORE_HASH_CHARS + 1, name, nlen + 1);
    return p;
}

/* "<type>:<ref1>:<ref2>…" with the references sorted and deduplicated. */
static char *make_type(const char *type, char *const *refs, size_t n_refs)
{
    char **sorted = xmalloc((n_refs ? n_refs : 1) * sizeof *sorted);
    if (n_refs)
        memcpy(sorted, refs, n_refs * sizeof *sorted);
    qsort(sorted, n_refs, sizeof *sorted, strv_cmp);
    struct strbuf s = STRBUF_INIT;
    sb_adds(&s, type);
    for (size_t i = 0; i < n_refs; i++) {
        if (i && strcmp(sorted[i], sorted[i - 1]) == 0)
            continue;
        sb_addc(&s, ':');
        sb_adds(&s, sorted[i]);
    }
    free(sorted);
    return sb_detach(&s);
}

char *storepath_make_text(const char *name, const void *content, size_t len,
                          char *const *refs, size_t n_refs)
{
    unsigned char h[SHA256_BYTES];
    sha256_digest(content, len, h);
    char *type = make_type("text", refs, n_refs);
    char *p = storepath_make(type, h, name);
    free(type);
    return p;
}

/* The digest size of a fixed-output hash algorithm, 0 if unknown. */
static size_t fixed_algo_size(const char *algo)
{
    if (strcmp(algo, "md5") == 0)
        return 16;
    if (strcmp(algo, "sha1") == 0)
        return 20;
    if (strcmp(algo, "sha256") == 0)
        return 32;
    if (strcmp(algo, "sha512") == 0)
        return 64;
    return 0;
}

int storepath_parse_fixed(const char *hash_algo, const char *hash_hex, int *recursive,
                       const char **algo, unsigned char *raw, size_t *raw_len, char *hex,
                       struct lk_error *err)
{
    *recursive = strncmp(hash_algo, "r:", 2) == 0;
    *algo = hash_algo + (*recursive ? 2 : 0);
    size_t n = fixed_algo_size(*algo);
    if (!n)
        return lk_bad_input(err, NULL, NULL,
                            "unknown output hash algorithm '%s' (expected md5, sha1, sha256 or "
                            "sha512, optionally with \"r:\")",
                            hash_algo);
    if (hex_decode(hash_hex, strlen(hash_hex), raw, n, err) < 0) {
        lk_error_prefix(err, "output hash of a fixed-output derivation (%s)", hash_algo);
        return -1;
    }
    *raw_len = n;
    hex_encode(raw, n, hex);
    return 0;
}

int storepath_make_fixed(const char *name, const char *hash_algo, const char *hash_hex,
                         char **out, struct lk_error *err)
{
    int recursive;
    const char *algo;
    unsigned char raw[64];
    size_t raw_len;
    char hex[129];
    *out = NULL;
    if (storepath_parse_fixed(hash_algo, hash_hex, &recursive, &algo, raw, &raw_len, hex, err) < 0)
        return -1;
    if (recursive && strcmp(algo, "sha256") == 0) {
        *out = storepath_make("source", raw, name);
        return 0;
    }
    char *pre = xasprintf("fixed:out:%s%s:%s:", recursive ? "r:" : "", algo, hex);
    unsigned char h[SHA256_BYTES];
    sha256_digest(pre, strlen(pre), h);
    free(pre);
    *out = storepath_make("output:out", h, name);
    return 0;
}

char *storepath_output_name(const char *drv_name, const char *output)
{
    if (strcmp(output, "out") == 0)
        return xstrdup(drv_name);
    return xasprintf("%s-%s", drv_name, output);
}

char *storepath_make_output(const unsigned char drv_hash[SHA256_BYTES], const char *drv_name,
                            const char *output)
{
    char *type = xasprintf("output:%s", output);
    char *name = storepath_output_name(drv_name, output);
    char *p = storepath_make(type, drv_hash, name);
    free(type);
    free(name);
    return p;
}
