/* quote — escaping for the three languages a generated command passes through.
 *
 * A command the core writes travels: JSON -> Buildkite's upload
 * interpolation -> bash -> (inside single-quoted words) Nix's parser. This
 * module escapes for each layer:
 *   quote_nix_string()   a Nix string literal ("..."), `\` `"` newline CR tab
 *                        escaped and a literal `${` written `$\{` (never
 *                        `\${`, see below);
 *   quote_shell_word()   one bash word in single quotes, `'` written `'\''`;
 *   quote_upload()       every `$` written `$$`, so that Buildkite's upload
 *                        interpolation gives back exactly the text bash must see.
 * Buildkite keeps `\\` as a pair but reads `\$` as an escaped `$`, so text
 * handed to quote_upload() must never hold a backslash right before a `$`.
 * The two other functions guarantee that for what they write: the Nix
 * escapes never end in a backslash before `$`, and quote_shell_word()
 * closes and reopens the quotes (`''`) between a backslash and a `$` of the
 * word (bash joins the pieces, the word is unchanged).
 * For text without special characters every function writes the plain form
 * (`"a"`, `'a'`, `a`). All functions append to `out` and cannot fail. */
#ifndef LAZYKITE_QUOTE_H
#define LAZYKITE_QUOTE_H

#include <stdbool.h>

#include "strbuf.h"

/* Append `s` as a Nix string literal, with its double quotes. */
void quote_nix_string(struct strbuf *out, const char *s);
/* Append `s` as one single-quoted bash word. */
void quote_shell_word(struct strbuf *out, const char *s);
/* Append `s` with every `$` doubled (Buildkite upload interpolation escape). */
void quote_upload(struct strbuf *out, const char *s);
/* Whether quote_upload(s) survives upload interpolation as `s`: false when
 * `s` holds an odd run of backslashes right before a `$` (Buildkite keeps
 * `\\` as a pair but reads `\$` as an escaped `$`, and has no escape that
 * yields a lone backslash before a `$`). */
bool quote_upload_carries(const char *s);
/* quote_upload() into a new string; the caller frees. */
char *quote_upload_dup(const char *s);

#endif
