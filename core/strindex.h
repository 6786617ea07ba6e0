/* strindex — a hash index from strings to the positions of the things they name.
 *
 * Contract: strindex_put() records that `key` names `value` (typically the
 * position of an entry in the caller's own array); strindex_get() returns the
 * value, or STRINDEX_NONE. The index keeps the key *pointer*, not a copy: the
 * caller owns every key and keeps it valid and unchanged while it is in the
 * index (heap strings inside array entries stay put when the array grows).
 * Open addressing with linear probing, at most half full; lookups are O(1)
 * expected. Nothing fails (allocation aborts, see xalloc.h). */
#ifndef LAZYKITE_STRINDEX_H
#define LAZYKITE_STRINDEX_H

#include <stddef.h>
#include <stdint.h>

#define STRINDEX_NONE ((size_t)-1)

struct strindex_slot {
    const char *key; /* NULL: empty */
    uint64_t hash;
    size_t value;
};

struct strindex {
    struct strindex_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
};
#define STRINDEX_INIT { NULL, 0, 0 }

size_t strindex_get(const struct strindex *t, const char *key);
/* `key` must not be in the index yet. */
void strindex_put(struct strindex *t, const char *key, size_t value);
void strindex_release(struct strindex *t);

#endif
