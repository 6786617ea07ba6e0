/* jsontext — see jsontext.h. */
#include "jsontext.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void jt_string_len(struct strbuf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    sb_grow(out, len + 2);
    sb_addc(out, '"');
    size_t plain = 0; /* start of the run of bytes copied as they are */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sb_add(out, s + plain, i - plain);
        plain = i + 1;
        char esc[6] = { '\\', 0 };
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        sb_add(out, esc, n);
    }
    sb_add(out, s + plain, len - plain);
    sb_addc(out, '"');
}

void jt_string(struct strbuf *out, const char *s)
{
    jt_string_len(out, s, strlen(s));
}

static int append_text(const char *buffer, size_t size, void *data)
{
    sb_add(data, buffer, size);
    return 0;
}

void jt_value(struct strbuf *out, const json_t *v)
{
    if (json_dump_callback(v, append_text, out, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) != 0)
        abort(); /* only on allocation failure: the callback cannot fail */
}

static void close_open(struct jt_object *o)
{
    if (o->open) {
        struct jt_member *m = &o->members[o->open - 1];
        m->len = o->text.len - m->off;
        o->open = 0;
    }
}

static struct jt_member *find(struct jt_object *o, const char *key, size_t key_len)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->members[i].key_len == key_len && !memcmp(o->members[i].key, key, key_len))
            return &o->members[i];
    return NULL;
}

static struct strbuf *member_len(struct jt_object *o, const char *key, size_t key_len)
{
    close_open(o);
    struct jt_member *m = find(o, key, key_len);
    if (!m) {
        XGROW(o->members, o->alloc, o->n + 1);
        m = &o->members[o->n++];
        m->key = key;
        m->key_len = key_len;
    }
    /* A replaced value's old text stays unused in the buffer. */
    m->off = o->text.len;
    m->len = 0;
    o->open = (size_t)(m - o->members) + 1;
    return &o->text;
}

struct strbuf *jt_member(struct jt_object *o, const char *key)
{
    return member_len(o, key, strlen(key));
}

void jt_object_update(struct jt_object *o, const json_t *from)
{
    const char *key;
    json_t *value;
    void *iter = json_object_iter((json_t *)from);
    for (; iter; iter = json_object_iter_next((json_t *)from, iter)) {
        key = json_object_iter_key(iter);
        value = json_object_iter_value(iter);
        jt_value(member_len(o, key, json_object_iter_key_len(iter)), value);
    }
    close_open(o);
}

const char *jt_object_get(struct jt_object *o, const char *key, size_t *len)
{
    close_open(o);
    struct jt_member *m = find(o, key, strlen(key));
    if (!m)
        return NULL;
    *len = m->len;
    return o->text.buf + m->off;
}

void jt_object_del(struct jt_object *o, const char *key)
{
    close_open(o);
    struct jt_member *m = find(o, key, strlen(key));
    if (m)
        *m = o->members[--o->n];
}

static int key_before(const struct jt_member *a, const struct jt_member *b)
{
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    return c < 0 || (c == 0 && a->key_len < b->key_len);
}

void jt_object_write(struct jt_object *o, struct strbuf *out)
{
    close_open(o);
    /* Insertion sort: a step has a dozen members at most. */
    for (size_t i = 1; i < o->n; i++) {
        struct jt_member m = o->members[i];
        size_t j = i;
        for (; j > 0 && key_before(&m, &o->members[j - 1]); j--)
            o->members[j] = o->members[j - 1];
        o->members[j] = m;
    }
    sb_addc(out, '{');
    for (size_t i = 0; i < o->n; i++) {
        const struct jt_member *m = &o->members[i];
        if (i)
            sb_addc(out, ',');
        jt_string_len(out, m->key, m->key_len);
        sb_addc(out, ':');
        sb_add(out, o->text.buf + m->off, m->len);
    }
    sb_addc(out, '}');
}

void jt_object_release(struct jt_object *o)
{
    sb_release(&o->text);
    free(o->members);
    memset(o, 0, sizeof(*o));
}
