/* storepath — Nix store paths: validation, and computing them exactly as
 * Nix 2.8 does (store paths of texts, fixed outputs and derivation outputs).
 *
 * Contract: every path is in the store directory NIX_STORE_DIR ("/nix/store"),
 * which is also the directory hashed into every path (a private store
 * presented as /nix/store hashes the same). A store path is
 * "/nix/store/" + 32 Nix base-32 characters + "-" + name, the name 1..211
 * characters of [A-Za-z0-9+-._?=]. Functions returning `char *` return a
 * fresh malloc()ed string the caller frees. Fallible functions take
 * `struct lk_error *err` last, fail with status LK_EXIT_INPUT and a message
 * (file/place left to the caller unless stated).
 *
 * makeStorePath(type, h, name) = "/nix/store/" +
 *   base32(compress20(sha256("<type>:sha256:<hex h>:/nix/store:<name>"))) + "-" + name.
 * Derivation hashing (hashDerivationModulo, output paths, the `.drv` path)
 * is drvhash.h's. */
#ifndef LAZYKITE_STOREPATH_H
#define LAZYKITE_STOREPATH_H

#include <stddef.h>

#include "digest.h"
#include "drv.h"
#include "error.h"

#define NIX_STORE_DIR "/nix/store"
#define STORE_HASH_CHARS 32 /* base-32 characters of a store path's hash part */
#define STORE_HASH_BYTES 20 /* bytes of the compressed hash */
#define STORE_NAME_MAX 211

/* ------------------------------------------------------------ validation */

/* Whether `name` is a valid store path name; the message names the problem. */
int storepath_check_name(const char *name, struct lk_error *err);

/* The parts of a store path; the pointers point into the parsed string. */
struct storepath_parts {
    const char *base; /* "<hash>-<name>" */
    const char *hash; /* the 32 hash characters (not NUL-terminated) */
    const char *name; /* "<name>" (NUL-terminated: the end of the path) */
};
/* Validate a full store path (no trailing '/', nothing after the name)
 * and split it. `parts` may be NULL. */
int storepath_parse(const char *path, struct storepath_parts *parts, struct lk_error *err);
/* storepath_parse() without the message. */
int storepath_is_valid(const char *path);
/* Whether a path or name ends in ".drv" after at least one character. */
int storepath_is_drv(const char *path);

/* -------------------------------------------------------- path computing */

/* XOR-fold `in` into `outlen` bytes: out[i % outlen] ^= in[i] (Nix's compressHash). */
void storepath_compress_hash(const unsigned char *in, size_t inlen, unsigned char *out,
                             size_t outlen);
/* The store path of a text (builtins.toFile, a `.drv` file): type "text"
 * followed by ":<ref>" for each reference, sorted and deduplicated. */
char *storepath_make_text(const char *name, const void *content, size_t len,
                          char *const *refs, size_t n_refs);
/* The path of a fixed output. `hash_algo` as in a derivation output: "sha256",
 * "r:sha256", "sha1", "r:sha1", "md5", "sha512" (with or without "r:");
 * `hash_hex` the digest in hex. Recursive SHA-256 is a "source" path of the
 * hash itself; everything else is "output:out" of
 * sha256("fixed:out:<r:?><algo>:<hex>:"). -1 on an unknown algorithm or a
 * hash of the wrong length. */
int storepath_make_fixed(const char *name, const char *hash_algo, const char *hash_hex,
                         char **out, struct lk_error *err);
/* Split a fixed output's hash algorithm ("r:sha256": recursive=1, algo
 * "sha256"), check its hash `hash_hex`, give the raw bytes (raw_len) and
 * the lowercase hex in `hex` (at least 129 bytes). */
int storepath_parse_fixed(const char *hash_algo, const char *hash_hex, int *recursive, const char **algo,
                          unsigned char *raw, size_t *raw_len, char *hex, struct lk_error *err);
/* The name of output `output` of a derivation named `drv_name`:
 * `drv_name` for "out", else "<drv_name>-<output>". */
char *storepath_output_name(const char *drv_name, const char *output);
/* makeOutputPath: makeStorePath("output:<output>", drv_hash, output name). */
char *storepath_make_output(const unsigned char drv_hash[SHA256_BYTES], const char *drv_name,
                            const char *output);

#endif
