/* evalmerge — see evalmerge.h. */
#include "evalmerge.h"

#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "strbuf.h"
#include "xalloc.h"

/* One shard's text, scanned. */
struct scanned {
    struct json_member_span *members;
    size_t n_members;
    size_t targets;            /* the member holding "targets" */
    struct json_span *elems;   /* its elements */
    size_t n_elems;
};

static int span_equal(const char *a, struct json_span sa, const char *b, struct json_span sb)
{
    return sa.len == sb.len && !memcmp(a + sa.off, b + sb.off, sa.len);
}

static int scan_shard(const struct eval_shard_text *s, struct scanned *sc)
{
    memset(sc, 0, sizeof *sc);
    if (jsonscan_object(s->text, s->len, &sc->members, &sc->n_members) != 0)
        return -1;
    for (size_t i = 0; i < sc->n_members; i++) {
        struct json_span k = sc->members[i].key;
        if (k.len == 9 && !memcmp(s->text + k.off, "\"targets\"", 9)) {
            struct json_span v = sc->members[i].value;
            if (v.len < 2 || s->text[v.off] != '[')
                return -1;
            sc->targets = i;
            return jsonscan_array(s->text, v, &sc->elems, &sc->n_elems);
        }
    }
    return -1;
}

int eval_merge(const struct eval_shard_text *shards, size_t n, const char *file, char **json,
               size_t *len, struct lk_error *err)
{
    *json = NULL;
    *len = 0;
    if (n == 0)
        return lk_fail(err, LK_EXIT_FAIL, file, NULL, "no shard to merge");
    struct scanned *sc = xcalloc(n, sizeof *sc);
    size_t total = 0;
    int rc = 0;
    for (size_t s = 0; s < n && rc == 0; s++) {
        if (scan_shard(&shards[s], &sc[s]) != 0) {
            rc = lk_bad_input(err, file, NULL,
                              "shard %zu of %zu: nix-instantiate printed no manifest (expected "
                              "a JSON object with a \"targets\" array)",
                              shards[s].index, shards[s].count);
            break;
        }
        total += sc[s].n_elems;
        /* the other members: the same text as the first shard's */
        if (s > 0 && sc[s].n_members != sc[0].n_members)
            rc = lk_fail(err, LK_EXIT_FAIL, file, NULL,
                         "shard %zu of %zu printed other members than shard %zu of %zu",
                         shards[s].index, shards[s].count, shards[0].index, shards[0].count);
        for (size_t m = 0; s > 0 && rc == 0 && m < sc[s].n_members; m++) {
            const struct json_member_span *a = &sc[0].members[m], *b = &sc[s].members[m];
            if (!span_equal(shards[0].text, a->key, shards[s].text, b->key) ||
                (m != sc[s].targets && !span_equal(shards[0].text, a->value, shards[s].text, b->value)))
                rc = lk_fail(err, LK_EXIT_FAIL, file, NULL,
                             "shard %zu of %zu and shard %zu of %zu disagree on member %.*s",
                             shards[s].index, shards[s].count, shards[0].index, shards[0].count,
                             (int)(a->key.len > 60 ? 60 : a->key.len), shards[0].text + a->key.off);
        }
    }
    /* Every index once: shard I of N holds I, I+N, ... below the total. */
    size_t *owner = rc == 0 ? xcalloc(total + 1, sizeof *owner) : NULL; /* shard + 1, 0: none */
    for (size_t s = 0; s < n && rc == 0; s++) {
        size_t i = shards[s].index, m = shards[s].count;
        size_t want = m && i < total ? (total - i + m - 1) / m : 0;
        if (m == 0 || i >= m || sc[s].n_elems != want) {
            rc = lk_fail(err, LK_EXIT_FAIL, file, NULL,
                         "shard %zu of %zu holds %zu targets, not the %zu of its indices "
                         "among %zu",
                         i, m, sc[s].n_elems, want, total);
            break;
        }
        for (size_t k = 0; k < want && rc == 0; k++) {
            if (owner[i + k * m])
                rc = lk_fail(err, LK_EXIT_FAIL, file, NULL,
                             "target %zu is in shard %zu of %zu and in shard %zu of %zu",
                             i + k * m, shards[owner[i + k * m] - 1].index,
                             shards[owner[i + k * m] - 1].count, i, m);
            owner[i + k * m] = s + 1;
        }
    }
    for (size_t t = 0; t < total && rc == 0; t++)
        if (!owner[t])
            rc = lk_fail(err, LK_EXIT_FAIL, file, NULL, "target %zu is in no shard", t);
    if (rc == 0) {
        const char *first = shards[0].text;
        struct json_span tv = sc[0].members[sc[0].targets].value;
        struct strbuf sb = STRBUF_INIT;
        size_t bytes = shards[0].len;
        for (size_t s = 1; s < n; s++)
            bytes += sc[s].members[sc[s].targets].value.len;
        sb_grow(&sb, bytes + 16);
        sb_add(&sb, first, tv.off);
        sb_addc(&sb, '[');
        size_t *next = xcalloc(n, sizeof *next); /* per shard: its next element */
        for (size_t t = 0; t < total; t++) {
            size_t s = owner[t] - 1;
            struct json_span e = sc[s].elems[next[s]++];
            if (t)
                sb_addc(&sb, ',');
            sb_add(&sb, shards[s].text + e.off, e.len);
        }
        free(next);
        sb_addc(&sb, ']');
        sb_add(&sb, first + tv.off + tv.len, shards[0].len - tv.off - tv.len);
        *len = sb.len;
        *json = sb_detach(&sb);
    }
    free(owner);
    for (size_t s = 0; s < n; s++) {
        free(sc[s].members);
        free(sc[s].elems);
    }
    free(sc);
    return rc;
}
