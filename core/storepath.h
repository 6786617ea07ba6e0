/* storepath — Nix store paths: validation, and computing them exactly as
 * Nix 2.8 does (store paths of texts, fixed outputs and derivation outputs,
 * hashDerivationModulo, the `.drv` path of a derivation).
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
 * Derivation hashing (hashDerivationModulo, output paths) needs the hashes
 * of input derivations: the caller passes a lookup callback; drv_store_hashes
 * is a ready one that reads the inputs' `.drv` files from a directory. */
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

/* -------------------------------------------------------- path computing */

/* XOR-fold `in` into `outlen` bytes: out[i % outlen] ^= in[i] (Nix's compressHash). */
void storepath_compress_hash(const unsigned char *in, size_t inlen, unsigned char *out,
                             size_t outlen);
/* makeStorePath: `type` e.g. "text:/nix/store/…", "output:out", "source". `name`
 * is not validated (callers check it where it comes from input). */
char *storepath_make(const char *type, const unsigned char hash[SHA256_BYTES],
                     const char *name);
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
/* The name of output `output` of a derivation named `drv_name`:
 * `drv_name` for "out", else "<drv_name>-<output>". */
char *storepath_output_name(const char *drv_name, const char *output);
/* makeOutputPath: storepath_make("output:<output>", drv_hash, output name). */
char *storepath_make_output(const unsigned char drv_hash[SHA256_BYTES], const char *drv_name,
                            const char *output);

/* ----------------------------------------------------- derivation hashes */

/* Looks up the hashDerivationModulo of the input derivation `drv_path`
 * (a /nix/store path) into `out`. Returns 0, or -1 with `err` set. */
typedef int (*drv_hash_lookup_fn)(void *ctx, const char *drv_path,
                                  unsigned char out[SHA256_BYTES], struct lk_error *err);

/* Whether `d` is a fixed-output derivation (its outputs carry a hash). */
int drv_is_fixed_output(const struct drv *d);

/* The ATerm whose sha256 is the hash modulo of `d` (not fixed-output; `d`
 * sorted), appended to `out`: `d` with its input derivations replaced by
 * the lowercase hex of their hash modulo (from `lookup`), re-sorted by it;
 * inputs of equal hash become one entry with the union of their output
 * names, and an input that uses no output is left out, as in Nix 2.8.
 * Errors: from `lookup`; an output with a hash but no algorithm. */
int drv_modulo_text(const struct drv *d, drv_hash_lookup_fn lookup, void *ctx,
                    struct strbuf *out, struct lk_error *err);

/* hashDerivationModulo of `d` as Nix 2.8 computes it (maskOutputs off: the
 * output paths and env are hashed as they are in `d`). `d` must be sorted
 * (drv_sort). Fixed-output: sha256("fixed:out:<hash_algo>:<hex>:<out path>").
 * Otherwise: sha256 of the ATerm of `d` with each input derivation path
 * replaced as drv_modulo_text() says. Errors: from `lookup`; a
 * content-addressed (floating) or malformed fixed-output derivation. */
int drv_hash_modulo(const struct drv *d, drv_hash_lookup_fn lookup, void *ctx,
                    unsigned char out[SHA256_BYTES], struct lk_error *err);

/* Compute and fill in the output paths of `d` as `derivation` does in Nix
 * 2.8. `name` is the derivation name (NULL: the env var "name"). The drv is
 * sorted first (drv_sort). Fixed-output (one output "out" with a hash):
 * path = storepath_make_fixed(). Input-addressed: every output path and
 * every env var named after an output are set to "", the hash modulo is
 * taken, then output o gets storepath_make_output(hash, name, o), in
 * `outputs` and in env var o (added if missing). On error `d` may have its
 * output paths blanked. */
int drv_fill_outputs(struct drv *d, const char *name, drv_hash_lookup_fn lookup, void *ctx,
                     struct lk_error *err);

/* The store path of the `.drv` file of `d` (whose written ATerm is hashed
 * as is: sort it first) named "<name>.drv": a text path with references
 * srcs ∪ input derivation paths. */
char *drv_store_path(const struct drv *d, const char *name);
/* drv_store_path() of a derivation whose ATerm (drv_write of `d` as it is)
 * the caller already has: `text`, `len` bytes. */
char *drv_store_path_of_text(const struct drv *d, const char *name, const char *text,
                             size_t len);

/* The derivation name of a `.drv` store path: its name without ".drv";
 * NULL if `drv_path` is not a valid store path ending in ".drv". */
char *drv_name_from_path(const char *drv_path);

/* A memoising drv_hash_lookup_fn over `.drv` files in a directory: input
 * "/nix/store/X.drv" is read from "<store_dir>/X.drv" (store_dir e.g.
 * "/nix/store" or a private store), parsed, and hashed with the same cache
 * for its own inputs. Errors name the file (and byte offset); a dependency
 * cycle is an error. Not thread-safe. */
struct drv_store_hashes;
struct drv_store_hashes *drv_store_hashes_new(const char *store_dir);
/* The callback: pass drv_store_hashes_lookup with ctx = the cache. */
int drv_store_hashes_lookup(void *cache, const char *drv_path,
                            unsigned char out[SHA256_BYTES], struct lk_error *err);
void drv_store_hashes_free(struct drv_store_hashes *cache);

#endif
