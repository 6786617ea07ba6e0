/* drvhash — derivation hashes exactly as Nix 2.8 computes them:
 * hashDerivationModulo, the output paths of a derivation, the `.drv` path
 * of a derivation, and a memoised lookup of input derivations' hashes from
 * their `.drv` files in a directory.
 *
 * Contract: hashing needs the hashes of input derivations; the caller
 * passes a lookup callback (drv_hash_lookup_fn), drv_store_hashes is a
 * ready one. Store paths are storepath.h's (in NIX_STORE_DIR). Functions
 * returning `char *` return a fresh malloc()ed string the caller frees;
 * fallible ones take `struct lk_error *err` last. */
#ifndef LAZYKITE_DRVHASH_H
#define LAZYKITE_DRVHASH_H

#include <stddef.h>

#include "digest.h"
#include "drv.h"
#include "error.h"
#include "storepath.h"

/* Looks up the hashDerivationModulo of the input derivation `drv_path`
 * (a /nix/store path) into `out`. Returns 0, or -1 with `err` set. */
typedef int (*drv_hash_lookup_fn)(void *ctx, const char *drv_path,
                                  unsigned char out[SHA256_BYTES], struct lk_error *err);

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
