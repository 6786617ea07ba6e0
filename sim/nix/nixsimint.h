/* nixsimint — private to the nixsim program (nixsim.c: main and the
 * helpers every tool shares; nixsim-store.c: nix-store; nixsim-eval.c:
 * evaluating a depot and writing its .drv files; nixsim-tools.c:
 * nix-build and nix-instantiate). The forms each tool implements are
 * listed in nixsim.c. Not for use outside those files. */
#ifndef LAZYKITE_NIXSIMINT_H
#define LAZYKITE_NIXSIMINT_H

#include <stddef.h>

#include "error.h"
#include "nix/depot.h"
#include "nix/store.h"

/* An evaluation: the store, the depot, which .drv files are written. */
struct evalctx {
    struct store *s;
    struct depot *d;
    unsigned char *done; /* per depot drv: its .drv is in the store */
};

/* Each tool's main: argv[0] is the tool's name; 0, or -1 with err. */
int nsim_store_main(int argc, char **argv, struct lk_error *err);
int nsim_build_main(int argc, char **argv, struct lk_error *err);
int nsim_instantiate_main(int argc, char **argv, struct lk_error *err);

/* A usage error (`fmt` with one %s, `arg`), exit status 1 as Nix's. */
int nsim_usage_error(struct lk_error *err, const char *fmt, const char *arg);
/* Nix's warning about a result without --add-root, once per process. */
void nsim_gc_warning(void);

/* Open the store and the depot in `dir` for evaluating; `dir` is freed.
 * On an error nothing stays open; nsim_close_depot() closes what it opened. */
int nsim_open_eval(struct evalctx *c, struct store *s, char *dir, struct lk_error *err);
void nsim_close_depot(struct evalctx *c);
/* The directory of a FILE argument (a directory stands for its default.nix). */
char *nsim_depot_dir_of(const char *file);
/* Write the .drv file of depot derivation `idx` and its closure (an
 * instantiate event for each one not yet valid; declared IFD built first). */
int nsim_instantiate(struct evalctx *c, size_t idx, struct lk_error *err);
/* Evaluate `-E expr` (or the depot when NULL) and select `-A attr` (when
 * not NULL) from it; the result must be a derivation. */
int nsim_eval_selection(struct evalctx *c, const char *expr, const char *attr, struct depot_value *out,
                        struct lk_error *err);

#endif
