/* store — nixsim's private Nix store: path mapping, validity, roots, locks.
 *
 * Contract: a `struct store` is a host directory (`dir`) presented as
 * /nix/store plus a state directory holding
 *   valid.journal          the validity records, an append-only log of lines
 *                          "+<basename> <JSON>\n" (valid), the JSON being
 *                          {"deriver": "/nix/store/…drv" or null,
 *                           "references": ["/nix/store/…", …]} (sorted), and
 *                          "-<basename>\n" (deleted); the last line of a
 *                          basename wins. store_register() (built outputs,
 *                          only after they are complete) appends its line at
 *                          once; store_add_text() (the `.drv` files) buffers
 *                          its lines until store_sync(). Lines go out with
 *                          O_APPEND in single write(2)s of whole lines (at
 *                          most 1 MiB each), writers taking turns under the
 *                          journal's flock. An append is all or nothing: a
 *                          failed or short write (a full disk) is cut off
 *                          again, and a writer first cuts off an unfinished
 *                          last record (one whose writer died), so that no
 *                          record is glued to it; a reader ignores an
 *                          unfinished last line. It is read once per process
 *                          and its new tail re-read when a lookup misses;
 *                          lookups use an index of every line read.
 * A path is valid when the journal's last line for it is a "+" line.
 *   roots/<hash of link>   indirect roots: symlinks to out-links (absolute);
 *                          the name is a 128-bit non-cryptographic hash
 *   locks/<basename>.lock  per-path locks, taken with flock(2)
 *   gc.lock, temproots/    the GC lock and temporary roots (temproots.h)
 * Every path the API takes or returns is a logical `/nix/store/<name>` path;
 * store_host() maps one to the host file. When `dir` is the directory seen at
 * /nix/store (the same inode: inside the sandbox, or NIXSIM_STORE=/nix/store)
 * the mapping is the identity and `in_place` is set.
 *
 * Errors follow core/error.h; messages that real Nix also prints use Nix 2.8's
 * wording (e.g. "path '…' is not valid", "path '…' is not in the Nix store").
 * Ownership: every returned string / array is the caller's (free(), or
 * store_info_free()/strv_free() of strbuf.h); arguments are borrowed. */
#ifndef LAZYKITE_STORE_H
#define LAZYKITE_STORE_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"

#define STORE_DIR "/nix/store"
#define STORE_PREFIX "/nix/store/"
#define STORE_PREFIX_LEN 11

struct store_journal; /* private to store.c */

struct store {
    char *dir;    /* host directory presented as /nix/store (absolute) */
    char *state;  /* state directory (absolute) */
    int in_place; /* `dir` is what /nix/store shows: no mapping needed */
    struct store_journal *journal; /* loaded on first use; owned, freed by store_close */
};

/* Open the store named by $NIXSIM_STORE and $NIXSIM_STATE (both required;
 * an unset one is an error naming the variable). Creates missing dirs. */
int store_open_env(struct store *s, struct lk_error *err);
int store_open(struct store *s, const char *dir, const char *state, struct lk_error *err);
/* Append the validity lines this process has buffered (store_add_text) to
 * the journal; until then only this process sees those paths valid. */
int store_sync(const struct store *s, struct lk_error *err);
/* A best-effort store_sync() (call store_sync() first to see its errors),
 * then free everything. */
void store_close(struct store *s);

/* 1 if `path` is "/nix/store/<32 base32 chars>-<name>" with a valid name
 * (no further '/' components), else 0. */
int store_is_store_path(const char *path);
/* The base name ("<hash>-<name>") of a store path; points into `path`. */
const char *store_basename(const char *path);
/* Host file of a path under /nix/store (sub-paths allowed); NULL if `path`
 * is not under /nix/store. */
char *store_host(const struct store *s, const char *path);
/* Logical /nix/store path of a host path under `dir` (or already under
 * /nix/store); NULL otherwise. */
char *store_logical(const struct store *s, const char *host_path);
/* The store path (the first component under the store) of a logical path
 * in the store: /nix/store/h-x/bin/y gives /nix/store/h-x (caller frees). */
char *store_path_of(const char *logical);
/* `path` made absolute (against the working directory) and canonical as
 * Nix's canonPath makes it, without following links (caller frees). */
char *store_abs_path(const char *path);
/* Nix's followLinksToStorePath: make `arg` absolute, follow symlinks until
 * it is inside the store, strip any sub-path. Returns the store path. */
int store_follow_arg(const struct store *s, const char *arg, char **store_path,
                     struct lk_error *err);

/* Validity. */
struct store_info {
    char *deriver;     /* NULL when unknown */
    char **refs;       /* sorted store paths */
    size_t n_refs;
};
int store_is_valid(const struct store *s, const char *path);
/* -1 with "path '…' is not valid" when it is not. */
int store_query(const struct store *s, const char *path, struct store_info *info,
                struct lk_error *err);
void store_info_free(struct store_info *info);
/* Record `path` as valid (it must exist): a journal line, appended before
 * this returns. `refs` need not be sorted. */
int store_register(const struct store *s, const char *path, const char *deriver,
                   const char *const *refs, size_t n_refs, struct lk_error *err);
/* Add a file with `data` at `path` and register it with `refs` (a journal
 * line, buffered until store_sync()), unless it is already valid.
 * The file is created with O_EXCL and written in place (nothing reads an
 * invalid path); if it exists (a concurrent writer, or a leftover), it is
 * replaced atomically (temp + rename). *added = 1 when this call added it. */
int store_add_text(const struct store *s, const char *path, const char *data, size_t len,
                   const char *const *refs, size_t n_refs, int *added, struct lk_error *err);
/* One file for store_add_texts(). */
struct store_text {
    const char *path;          /* /nix/store/<name> */
    const char *data;
    size_t len;
    const char *const *refs;
    size_t n_refs;
    int added;                 /* set: this call added it */
};
/* store_add_text() of items[0..n), in that order, the new files created on
 * several threads at once (files are independent; the journal lines are
 * still buffered in item order). On an error the items before the failing
 * one are added as by store_add_text(), and no file of a later item is left
 * behind; the error is the one store_add_text() of the failing item gives. */
int store_add_texts(const struct store *s, struct store_text *items, size_t n,
                    struct lk_error *err);
/* All valid paths, sorted. */
int store_list_valid(const struct store *s, char ***paths, size_t *n, struct lk_error *err);

/* Closure of `paths` under references (the paths themselves included),
 * sorted; every path must be valid. */
int store_closure(const struct store *s, const char *const *paths, size_t n, char ***out,
                  size_t *n_out, struct lk_error *err);
/* The order `nix-store -q --requisites` prints a closure in: depth-first
 * post-order over sorted paths and sorted references (dependencies first). */
int store_topo_order(const struct store *s, char **paths, size_t n, struct lk_error *err);

/* Per-path lock: blocks until this process holds the exclusive flock on
 * locks/<basename>.lock; *fd is released with store_unlock(). */
int store_lock(const struct store *s, const char *path, int *fd, struct lk_error *err);
void store_unlock(int fd);
/* The same for the lock file `file` (created when missing), shared or
 * exclusive. */
int store_lock_file(const char *file, int exclusive, int *fd, struct lk_error *err);

/* Make `link` (made absolute against the cwd) a symlink to the host file of
 * `path` (replacing an existing link into the store atomically) and register
 * it as an indirect root. Anything else at `link` (a file, a directory, a
 * symlink outside the store) stays, and the error is Nix's "cannot create
 * symlink '…'; already exists". *abs_link receives the absolute link path. */
int store_add_root(const struct store *s, const char *path, const char *link, char **abs_link,
                   struct lk_error *err);
/* The store paths the roots point at, sorted and unique; roots whose link is
 * gone or points outside the store are removed (as Nix removes stale links). */
int store_roots(const struct store *s, char ***paths, size_t *n, struct lk_error *err);

/* nix-store --delete: delete each path in order unless it is live (in the
 * closure of the roots and of the temporary roots of running builds
 * (temproots.h), a temporary root itself, or referenced by a valid path not
 * being deleted), holding the GC lock exclusively throughout:
 * then "Cannot delete path '…' since it is still alive. To find out why,
 * use: nix-store --query --roots" (status 1) and nothing more is deleted.
 * `log` (may be NULL) gets Nix's progress lines; each deletion logs a
 * `delete` event. *n_deleted and *bytes count what was deleted. */
int store_delete(const struct store *s, const char *const *paths, size_t n, FILE *log,
                 size_t *n_deleted, unsigned long long *bytes, struct lk_error *err);
/* Remove the file or tree at host path `host`, read-only directories (as
 * builders leave them) included: 0 (nothing there is 0 too), or -1 with errno. */
int store_remove_tree(const char *host);

#endif
