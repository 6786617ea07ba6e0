/* jsonscan — where the members of a JSON object and the elements of a JSON
 * array lie in the text, without parsing them: so that a large document can
 * be read piece by piece (and the pieces in parallel) with jansson.
 *
 * Contract: jsonscan_object() and jsonscan_array() check the punctuation
 * and whitespace of one container (RFC 8259 whitespace: space, tab, LF,
 * CR) and return the spans of its keys and values. A value's span is found
 * structurally only: a string runs to its closing unescaped quote, an
 * array or object to the bracket that returns to its depth (bracket kinds
 * are not matched), a scalar to the next whitespace or punctuation. What is
 * inside a span is not checked: the caller parses every span with jansson,
 * and the text is valid JSON exactly when the scan succeeds and every span
 * parses. A failed scan (-1) means only "not valid JSON, or nested deeper
 * than JSONSCAN_MAX_DEPTH inside a value" (well below jansson's own limit,
 * so that a span never parses where the whole text would not): the caller
 * then reads the whole text with jansson, for its exact error.
 *
 * Ownership: *out arrays are the caller's to free. */
#ifndef LAZYKITE_JSONSCAN_H
#define LAZYKITE_JSONSCAN_H

#include <stddef.h>

#define JSONSCAN_MAX_DEPTH 512

struct json_span {
    size_t off, len;
};

struct json_member_span {
    struct json_span key;   /* the key with its quotes */
    struct json_span value;
};

/* The members of the object that is the whole of text[0..len) (whitespace
 * around it allowed). */
int jsonscan_object(const char *text, size_t len, struct json_member_span **out, size_t *n);
/* The elements of the array that is exactly `array` (a value span). */
int jsonscan_array(const char *text, struct json_span array, struct json_span **out, size_t *n);

#endif
