/* drv — Nix derivations: the in-memory form, the ATerm `.drv` parser and writer.
 *
 * Contract: drv_parse() accepts exactly the text Nix writes for a derivation
 * (`Derive([outputs],[inputDrvs],[inputSrcs],platform,builder,[args],[env])`)
 * and rejects anything else with an error naming `file` and the byte offset
 * of the problem. drv_write() produces the exact bytes Nix would write, so
 * parse∘write is the identity on real `.drv` files. Lists are kept in the
 * order of the text (Nix writes them sorted; drv_sort() sorts a derivation
 * built in memory the way Nix does before writing or hashing). The struct
 * owns every string and array; drv_free() releases them. Strings are
 * NUL-free C strings (Nix strings cannot contain NUL; a `\0` is rejected). */
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
    char *platform;
    char *builder;
    char **args;
    size_t n_args;
    struct drv_env *env;
    size_t n_env;
};

/* Parse `len` bytes of ATerm text. On error: -1, `err` names `file` and
 * "byte N" as the place. `out` is left empty on error. */
int drv_parse(const char *text, size_t len, const char *file, struct drv *out,
              struct lk_error *err);
/* Read and parse a `.drv` file at `path` (a host path); errors name `path`. */
int drv_read(const char *path, struct drv *out, struct lk_error *err);
/* Append the exact ATerm text of `d` to `out`. */
void drv_write(const struct drv *d, struct strbuf *out);
/* Append `s` as an ATerm string literal, escaped exactly as Nix does. */
void drv_write_string(struct strbuf *out, const char *s);
/* Sort outputs, inputs (and their output names), srcs and env as Nix does. */
void drv_sort(struct drv *d);
void drv_free(struct drv *d);

#endif
