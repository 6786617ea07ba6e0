/* journal — the validity journal of a nixsim store: the file
 * <state>/valid.journal that store.h describes, and its in-memory index.
 * Private to the store (store.c, storegc.c); a store's journal is made on
 * first use and freed by store_close().
 *
 * Contract: journal_is_valid() says whether the journal's last line for a
 * path is a "+" line, re-reading the file's new tail when the part read so
 * far does not say so; journal_record() gives that line's JSON record (not
 * NUL-terminated: `*len` bytes) or NULL. journal_add() buffers a line of
 * this process ('+' with its record, '-' without), seen by this process at
 * once and by others after store_sync(), which appends every buffered line
 * all or nothing (store.h). journal_list_valid() lists every valid path,
 * each once, in no order (the caller frees). journal_file() is the file's
 * path, for messages (the caller frees). */
#ifndef LAZYKITE_SIM_JOURNAL_H
#define LAZYKITE_SIM_JOURNAL_H

#include <stddef.h>

#include "error.h"
#include "nix/store.h"

int journal_is_valid(const struct store *s, const char *path);
const char *journal_record(const struct store *s, const char *path, size_t *len);
void journal_add(const struct store *s, char sign, const char *path, const char *json);
int journal_list_valid(const struct store *s, char ***paths, size_t *n, struct lk_error *err);
char *journal_file(const struct store *s);
void journal_free(struct store_journal *j);

#endif
