/* interpolate — Buildkite's pipeline-upload variable interpolation.
 *
 * Contract: bk_interpolate() expands one string exactly as the
 * buildkite/interpolate Go library does (the library `buildkite-agent
 * pipeline upload` uses); the rules, from its parser and tests:
 *   $NAME, ${NAME}        value, or "" when unset
 *   ${NAME:-word}         word when NAME is unset or empty
 *   ${NAME-word}          word when NAME is unset
 *   ${NAME?word}          error "$NAME: word" ("$NAME: not set" without
 *                         word) when NAME is unset (an empty value is fine)
 *   ${NAME:off}, ${NAME:off:len}   byte substring, bash-like negative
 *                         offsets/lengths (write "${X: -3}"), clamped
 *   $$ and \$             a literal "$" (whatever follows)
 *   \\                    kept as the two characters "\\"
 *   $( and a "$" not followed by a letter or "{"   kept literally
 * Words are themselves expanded (nested ${A:-${B}}). NAME starts with a
 * letter and continues with letters, digits and "_" (Unicode letters are
 * classified with the C library's C.UTF-8 tables). Note that the library
 * has no ":?" form: "${X:?msg}" is a substring with a bad offset and fails.
 * Invalid UTF-8 bytes at the start of a text run become U+FFFD, as in Go.
 * The whole input is parsed before anything is expanded, so a syntax error
 * wins over a "?" error. Errors are bad input (status 2) with the library's
 * message and no file or place (the caller knows them).
 * *out is allocated (caller frees) on success and NULL on failure. */
#ifndef LAZYKITE_BK_INTERPOLATE_H
#define LAZYKITE_BK_INTERPOLATE_H

#include "buildkite/env.h"
#include "error.h"

int bk_interpolate(const struct bk_env *env, const char *in, char **out, struct lk_error *err);

#endif
