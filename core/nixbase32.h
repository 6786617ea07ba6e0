/* nixbase32 — Nix's base-32 encoding of hashes.
 *
 * Contract: the alphabet is "0123456789abcdfghijklmnpqrsvwxyz" (no e, o, u,
 * t) and the bit order is Nix's: the string's last character holds the
 * lowest 5 bits of the first byte, i.e. the text reads from the last byte to
 * the first. `n` bytes encode to nixbase32_encoded_len(n) = ceil(8n/5)
 * characters. Decoding accepts only strings of exactly that length for the
 * requested byte count, with no character outside the alphabet and no bit
 * set beyond the last byte. Memory is the caller's. */
#ifndef LAZYKITE_NIXBASE32_H
#define LAZYKITE_NIXBASE32_H

#include <stddef.h>

#include "error.h"

extern const char nixbase32_alphabet[33];

size_t nixbase32_encoded_len(size_t n);
/* The byte count whose encoding has `len` characters, or (size_t)-1 if no
 * byte count encodes to exactly `len` characters. */
size_t nixbase32_decoded_len(size_t len);
/* Writes nixbase32_encoded_len(len) characters and a NUL to `out`. */
void nixbase32_encode(const unsigned char *in, size_t len, char *out);
/* Decodes `slen` characters of `s` into exactly `outlen` bytes. -1 (status
 * LK_EXIT_INPUT, message only, no file/place) if `slen` is not
 * nixbase32_encoded_len(outlen), on a character outside the alphabet, or
 * when bits beyond the last byte are set. */
int nixbase32_decode(const char *s, size_t slen, unsigned char *out, size_t outlen,
                     struct lk_error *err);
/* Whether `c` is in the alphabet. */
int nixbase32_is_digit(char c);

#endif
