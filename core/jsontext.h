/* jsontext — compact JSON text written straight into a buffer, for output
 * too large to build as jansson values first (the generator's steps and
 * drvmap: about a kilobyte of text per target).
 *
 * Contract: the text is byte-identical to what jansson writes for the same
 * value with json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY):
 *   - strings: `"` and `\` escaped, \b \f \n \r \t for those controls,
 *     \u00XX (upper-case hex) for the other characters below 0x20, every
 *     other byte ('/', DEL, UTF-8 sequences) as it is;
 *   - objects: members sorted by key bytes (memcmp; on a common prefix the
 *     shorter key first), a later set of a key replacing the earlier value;
 *   - json_t values (configuration the user wrote) are written by jansson.
 * Strings must be valid UTF-8 (jansson checked them when the input was
 * read); they are not checked again.
 *
 * A jt_object collects members in any order and writes them sorted:
 *     struct jt_object o = JT_OBJECT_INIT;
 *     jt_string(jt_member(&o, "label"), label);
 *     sb_adds(jt_member(&o, "skip"), "false");
 *     jt_object_write(&o, out);
 * jt_member() starts a member and returns the buffer its value text goes
 * into; the value ends where the next jt_member()/jt_object_update()/
 * jt_object_write() begins. Setting a key again replaces its value.
 *
 * Ownership: keys are borrowed and must outlive the object; the object owns
 * its text, released by jt_object_release() (also resets it for reuse). */
#ifndef LAZYKITE_JSONTEXT_H
#define LAZYKITE_JSONTEXT_H

#include <jansson.h>
#include <stddef.h>

#include "strbuf.h"

/* Append `s` (`len` bytes) as a JSON string. */
void jt_string_len(struct strbuf *out, const char *s, size_t len);
void jt_string(struct strbuf *out, const char *s);
/* Append any jansson value (sorted keys, compact). */
void jt_value(struct strbuf *out, const json_t *v);

struct jt_member {
    const char *key;
    size_t key_len;
    size_t off, len;    /* the value's text in jt_object.text */
};

struct jt_object {
    struct strbuf text;
    struct jt_member *members;
    size_t n, alloc;
    size_t open;        /* index + 1 of the member being written, 0: none */
};
#define JT_OBJECT_INIT { STRBUF_INIT, NULL, 0, 0, 0 }

/* Start member `key` (replacing an earlier one); append its value text to
 * the returned buffer. */
struct strbuf *jt_member(struct jt_object *o, const char *key);
/* Every member of the jansson object `from`, as json_object_update would. */
void jt_object_update(struct jt_object *o, const json_t *from);
/* The value text of `key` (`*len` bytes, not terminated), or NULL. Valid
 * until the object is next changed. */
const char *jt_object_get(struct jt_object *o, const char *key, size_t *len);
/* Remove member `key` if present. */
void jt_object_del(struct jt_object *o, const char *key);
/* Append the object's text to `out`. */
void jt_object_write(struct jt_object *o, struct strbuf *out);
void jt_object_release(struct jt_object *o);

#endif
