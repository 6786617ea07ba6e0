/* manifestread — reading JSON values into C with errors that name the
 * file and the JSON pointer of the place (private to manifest.c and
 * drvmap.c, the readers of lazykite's two JSON inputs).
 *
 * Contract: each mr_* function checks one value and returns 0, or -1 with
 * a bad-input error in r->err: "expected <what>, found <kind>" at `ptr`
 * (mr_missing: "missing (expected <what>)"). The mr_string* functions give
 * copies the caller owns; mr_load_span() a new reference, or NULL when the
 * span is not valid JSON. */
#ifndef LAZYKITE_MANIFESTREAD_H
#define LAZYKITE_MANIFESTREAD_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "jsonscan.h"
#include "manifest.h"

/* The file being read and where errors go. */
struct reader {
    const char *file;
    struct lk_error *err;
};

int mr_expected(struct reader *r, const char *ptr, const json_t *v, const char *what);
int mr_missing(struct reader *r, const char *ptr, const char *what);
int mr_string(struct reader *r, json_t *v, const char *ptr, char **out);
int mr_bool(struct reader *r, json_t *v, const char *ptr, bool *out);
/* An array (`what`) whose every item is of `type` (`item_what`). */
int mr_check_array(struct reader *r, json_t *v, const char *ptr, json_type type, const char *what,
                   const char *item_what);
/* An array of strings, checked (mr_check_string_list) or copied. */
int mr_check_string_list(struct reader *r, json_t *v, const char *ptr);
int mr_string_list(struct reader *r, json_t *v, const char *ptr, struct string_list *out);
/* A store path of a derivation: absolute, base name `<32 [0-9a-z]>-<name>.drv`. */
int mr_drv_path(struct reader *r, json_t *v, const char *ptr, char **out);
int mr_check_object(struct reader *r, json_t *v, const char *ptr);
/* Member `key` of `obj` present; else mr_missing() at its pointer. */
int mr_require(struct reader *r, json_t *obj, const char *ptr, const char *key, const char *what);
/* Every key of `obj` one of `known` (NULL-terminated); else "unknown <what> \"key\"". */
int mr_check_known_keys(struct reader *r, json_t *obj, const char *ptr, const char *const *known,
                        const char *what);
/* One span of the text as a JSON value (NULL: not valid JSON). */
json_t *mr_load_span(const char *text, struct json_span s);

#endif
