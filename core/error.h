/* error — errors are values.
 *
 * Contract: a function that can fail takes a `struct lk_error *err` as its
 * last argument and returns -1 (or NULL) after filling it with lk_fail();
 * callers pass the value up unchanged (optionally adding context) until
 * `main` prints it with lk_error_print() as ONE line
 *     <prog>: <file>: <place>: <message>
 * (file/place omitted when unknown; place "" is shown as "(root)") and exits
 * with `err->status`:
 * LK_EXIT_INPUT (2) for bad input, LK_EXIT_FAIL (1) for everything else.
 * Library code never prints errors and never exits. The struct owns its
 * strings; lk_error_clear() frees them and may be called on a cleared one. */
#ifndef LAZYKITE_ERROR_H
#define LAZYKITE_ERROR_H

#include <stdio.h>

enum { LK_EXIT_FAIL = 1, LK_EXIT_INPUT = 2 };
/* The printed line shows at most this many bytes of each of file, place and
 * message: a longer one (an offending value echoed in full) keeps its first
 * and last LK_ERROR_PART_MAX / 2 bytes around "…" (U+2026). */
enum { LK_ERROR_PART_MAX = 400 };

struct lk_error {
    int status;  /* 0 while no error is set */
    char *file;  /* the input the error is about, or NULL */
    char *place; /* JSON pointer, line:column, byte offset, ... or NULL */
    char *msg;
};
#define LK_ERROR_INIT { 0, NULL, NULL, NULL }

/* Set the error (replacing any previous one). Always returns -1. */
int lk_fail(struct lk_error *err, int status, const char *file, const char *place,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Bad input: status LK_EXIT_INPUT. */
#define lk_bad_input(err, file, place, ...) lk_fail((err), LK_EXIT_INPUT, (file), (place), __VA_ARGS__)
/* A failed system call on `file`: message "<what>: strerror(errno)". */
int lk_fail_errno(struct lk_error *err, int status, const char *file, const char *what);
/* Put "<fmt...>: " in front of the message. */
void lk_error_prefix(struct lk_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set place if none is set yet (e.g. a caller that knows the location). */
void lk_error_default_place(struct lk_error *err, const char *place);
/* Set file if none is set yet. */
void lk_error_default_file(struct lk_error *err, const char *file);
/* "<file>: <place>: <msg>" without the program name; caller frees. */
char *lk_error_format(const struct lk_error *err);
void lk_error_print(const struct lk_error *err, const char *prog, FILE *to);
void lk_error_clear(struct lk_error *err);
/* For the end of main: flush and close stdout. On a write error (a full
 * disk, /dev/full) print one line `<prog>: cannot write standard output:
 * …` and return 1 if `status` was 0; else return `status`. */
int lk_finish_stdout(const char *prog, int status);

/* JSON pointer (RFC 6901) building: `base` + "/" + escaped token; caller frees. */
char *lk_pointer_join(const char *base, const char *token);
char *lk_pointer_index(const char *base, size_t index);
/* lk_pointer_join() into `buf` (`size` bytes) when it fits; otherwise into
 * a new string, also stored in *heap for the caller to free (*heap is NULL
 * when `buf` was used). Returns the pointer. */
const char *lk_pointer_join_buf(char *buf, size_t size, const char *base, const char *token,
                                  char **heap);

#endif
