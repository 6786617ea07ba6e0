/* strindex — see strindex.h. */
#include "strindex.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void place(struct strindex_slot *slots, size_t cap, const struct strindex_slot *s)
{
    size_t mask = cap - 1;
    size_t i = (size_t)s->hash & mask;
    while (slots[i].key)
        i = (i + 1) & mask;
    slots[i] = *s;
}

size_t strindex_get(const struct strindex *t, const char *key)
{
    if (!t->cap)
        return STRINDEX_NONE;
    uint64_t h = hash_key(key);
    size_t mask = t->cap - 1;
    for (size_t i = (size_t)h & mask; t->slots[i].key; i = (i + 1) & mask)
        if (t->slots[i].hash == h && strcmp(t->slots[i].key, key) == 0)
            return t->slots[i].value;
    return STRINDEX_NONE;
}

void strindex_put(struct strindex *t, const char *key, size_t value)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct strindex_slot *slots = xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].key)
                place(slots, cap, &t->slots[i]);
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    struct strindex_slot s = { key, hash_key(key), value };
    place(t->slots, t->cap, &s);
    t->n++;
}

void strindex_release(struct strindex *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->n = 0;
}
