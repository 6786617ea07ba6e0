/* drv — Nix derivations: the in-memory form, the ATerm `.drv` parser and writer.
 *
 * Contract: drv_parse() accepts exactly the text Nix writes for a derivation
 * (`Derive([outputs],[inputDrvs],[inputSrcs],platform,builder,[args],[env])`)
 * and rejects anything else with an error naming `file` and the byte offset
 * of the problem ("byte N", N counted from 0) and what was expected.
 * drv_write() produces the exact bytes Nix would write, so parse∘write is the
 * identity on real `.drv` files. Lists are kept in the order of the text (Nix
 * writes them sorted; drv_sort() sorts a derivation built in memory the way
 * Nix does before writing or hashing).
 *
 * String escapes are Nix's: the writer turns `"` `\` newline CR tab into
 * `\"` `\\` `\n` `\r` `\t` and writes every other byte raw; the parser also
 * reads `\x` for any other byte x as x (as Nix's parser does).
 *
 * Ownership: a `struct drv` owns every string and array in it, each one a
 * separate malloc() block, so a caller may replace a single string (free the
 * old one, store an xstrdup()ed new one) or grow an array with XGROW (the
 * arrays' allocated sizes are not tracked: realloc to the new count).
 * drv_free() releases everything and leaves the struct empty (all zero).
 * An all-zero struct (`struct drv d = DRV_INIT;`) is a valid empty drv.
 * Strings are NUL-free C strings (Nix strings cannot contain NUL; a NUL byte
 * in the text is rejected). */
#ifndef LAZYKITE_DRV_H
#define LAZYKITE_DRV_H

#include <stddef.h>

#include "error.h"
#include "strbuf.h"

struct drv_output {
    char *name;      /* "out", "dev", ... */
    char *path;      /* store path, or "" while being computed */
    char *hash_algo; /* "" for input-addressed; "sha256", "r:sha256" for fixed-output */
    char *hash;      /* "" for input-addressed; hex digest for fixed-output */
};

struct drv_input {
    char *path;      /* store path of the input `.drv` */
    char **outputs;  /* output names used, sorted */
    size_t n_outputs;
};

struct drv_env {
    char *key;
    char *value;
};

struct drv {
    struct drv_output *outputs;
    size_t n_outputs;
    struct drv_input *inputs;   /* inputDrvs */
    size_t n_inputs;
    char **srcs;                /* inputSrcs */
    size_t n_srcs;
    char *platform;             /* NULL only in an empty (DRV_INIT) drv */
    char *builder;              /* NULL only in an empty (DRV_INIT) drv */
    char **args;
    size_t n_args;
    struct drv_env *env;
    size_t n_env;
};
#define DRV_INIT { NULL, 0, NULL, 0, NULL, 0, NULL, NULL, NULL, 0, NULL, 0 }

/* Parse `len` bytes of ATerm text (need not be NUL-terminated). On error:
 * -1, `err` (status LK_EXIT_INPUT) names `file` and "byte N" as the place.
 * `out` is overwritten (not freed first) and left empty (DRV_INIT) on error. */
int drv_parse(const char *text, size_t len, const char *file, struct drv *out,
              struct lk_error *err);
/* drv_parse() for readers that need only the input derivations: the same
 * parser checks the same text with the same errors, but `out` receives only
 * `inputs` (paths, in text order; each with n_outputs 0 and outputs NULL);
 * everything else stays empty (NULL/0) and no other string is allocated. */
int drv_parse_inputs(const char *text, size_t len, const char *file, struct drv *out,
                     struct lk_error *err);
/* Read and parse a `.drv` file at `path` (a host path); errors name `path`. */
int drv_read(const char *path, struct drv *out, struct lk_error *err);
/* Append the exact ATerm text of `d` to `out`. NULL platform/builder are
 * written as "". */
void drv_write(const struct drv *d, struct strbuf *out);
/* Append `s` as an ATerm string literal, escaped exactly as Nix does. */
void drv_write_string(struct strbuf *out, const char *s);
/* Sort outputs by name, inputs by path (each input's output names sorted),
 * srcs, and env by key, in byte order (as Nix's std::map/std::set do), and
 * drop duplicates as Nix's maps/sets would: for outputs and env the last
 * entry of a name wins, an input path listed twice gets the union of its
 * output names, srcs and output names are deduplicated. */
void drv_sort(struct drv *d);
void drv_free(struct drv *d);

/* Deep copy of `src` into `dst` (dst's old contents are not freed). */
void drv_clone(struct drv *dst, const struct drv *src);

/* Building a derivation in memory. Each copies its string arguments. */
void drv_add_output(struct drv *d, const char *name, const char *path,
                    const char *hash_algo, const char *hash);
/* Adds `output` to the input `path` (the input is created if missing). */
void drv_add_input(struct drv *d, const char *path, const char *output);
void drv_add_src(struct drv *d, const char *path);
void drv_add_arg(struct drv *d, const char *arg);
/* Sets `key` (replacing the value if the key exists). */
void drv_set_env(struct drv *d, const char *key, const char *value);
/* Replaces d->platform / d->builder. */
void drv_set_platform(struct drv *d, const char *platform);
void drv_set_builder(struct drv *d, const char *builder);

/* Lookups; NULL when absent. The result belongs to `d`. */
const char *drv_get_env(const struct drv *d, const char *key);
const struct drv_output *drv_get_output(const struct drv *d, const char *name);

#endif
