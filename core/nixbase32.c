/* nixbase32 — see nixbase32.h. Follows Nix's printHash32/parseHash32 bit
 * layout: output character k (from the end) holds bits 5k..5k+4 of the
 * little-endian bit string of the input bytes. */
#include "nixbase32.h"

#include <string.h>

const char nixbase32_alphabet[33] = "0123456789abcdfghijklmnpqrsvwxyz";

size_t nixbase32_encoded_len(size_t n)
{
    return (n * 8 + 4) / 5;
}

size_t nixbase32_decoded_len(size_t len)
{
    size_t n = len * 5 / 8;
    return nixbase32_encoded_len(n) == len ? n : (size_t)-1;
}

void nixbase32_encode(const unsigned char *in, size_t len, char *out)
{
    size_t slen = nixbase32_encoded_len(len);
    for (size_t k = 0; k < slen; k++) {
        size_t b = k * 5, i = b / 8, j = b % 8;
        unsigned c = (unsigned)in[i] >> j;
        if (i + 1 < len)
            c |= (unsigned)in[i + 1] << (8 - j);
        out[slen - 1 - k] = nixbase32_alphabet[c & 0x1f];
    }
    out[slen] = '\0';
}

static int digit_value(char c)
{
    /* '0'..'9' then the letters of the alphabet */
    if (c >= '0' && c <= '9')
        return c - '0';
    const char *p = c ? strchr(nixbase32_alphabet + 10, c) : NULL;
    return p ? (int)(p - nixbase32_alphabet) : -1;
}

int nixbase32_is_digit(char c)
{
    return digit_value(c) >= 0;
}

int nixbase32_decode(const char *s, size_t slen, unsigned char *out, size_t outlen,
                     struct lk_error *err)
{
    if (slen != nixbase32_encoded_len(outlen))
        return lk_bad_input(err, NULL, NULL,
                            "expected %zu base-32 characters for a %zu-byte hash, found %zu",
                            nixbase32_encoded_len(outlen), outlen, slen);
    memset(out, 0, outlen);
    for (size_t k = 0; k < slen; k++) {
        char ch = s[slen - 1 - k];
        int v = digit_value(ch);
        if (v < 0)
            return lk_bad_input(err, NULL, NULL,
                                "invalid base-32 character at offset %zu "
                                "(expected one of %s)",
                                slen - 1 - k, nixbase32_alphabet);
        size_t b = k * 5, i = b / 8, j = b % 8;
        out[i] |= (unsigned char)((unsigned)v << j);
        unsigned carry = (unsigned)v >> (8 - j);
        if (i + 1 < outlen)
            out[i + 1] |= (unsigned char)carry;
        else if (carry)
            return lk_bad_input(err, NULL, NULL,
                                "invalid base-32 hash: bits set beyond the last byte");
    }
    return 0;
}
