#include "lib/base64.h"

#include <stdint.h>
#include <string.h>

static const char base64_alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* One more than each character's 6-bit value, 0 when it is not in the
 * standard alphabet ('=' included: padding is handled apart). */
static const uint8_t base64_value1[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,
    ['G'] = 7,  ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12,
    ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18,
    ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24,
    ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
    ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48,
    ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54,
    ['2'] = 55, ['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
    ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

size_t base64_encoded_len(size_t n)
{
    return (n / 3 + (n % 3 != 0)) * 4;
}

size_t base64_decoded_max(size_t n)
{
    return n / 4 * 3;
}

int base64_encode(char *out, size_t outcap, const uint8_t *in, size_t inlen)
{
    size_t need;
    size_t i = 0;
    char *o = out;

    if (inlen / 3 > (SIZE_MAX - 5) / 4) {
        if (outcap > 0)
            out[0] = '\0';
        return -1;
    }
    need = base64_encoded_len(inlen) + 1;
    if (outcap < need) {
        if (outcap > 0)
            out[0] = '\0';
        return -1;
    }
    for (; inlen - i >= 3; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
                     in[i + 2];
        o[0] = base64_alphabet[v >> 18];
        o[1] = base64_alphabet[(v >> 12) & 63];
        o[2] = base64_alphabet[(v >> 6) & 63];
        o[3] = base64_alphabet[v & 63];
        o += 4;
    }
    if (inlen - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        o[0] = base64_alphabet[v >> 18];
        o[1] = base64_alphabet[(v >> 12) & 63];
        o[2] = '=';
        o[3] = '=';
        o += 4;
    } else if (inlen - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        o[0] = base64_alphabet[v >> 18];
        o[1] = base64_alphabet[(v >> 12) & 63];
        o[2] = base64_alphabet[(v >> 6) & 63];
        o[3] = '=';
        o += 4;
    }
    *o = '\0';
    return 0;
}

/* Return the offset of the first character of in[0..n) outside the
 * alphabet, or n when there is none. Used only to name the culprit. */
static size_t base64_first_bad(const char *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (base64_value1[(unsigned char)in[i]] == 0)
            return i;
    return n;
}

/* Name the character at offset pos, which is not a base64 digit. */
static void base64_fail_at(struct fault *f, const char *field, const char *in,
                           size_t pos)
{
    if (in[pos] == '=')
        fault_set(f, FAULT_INVALID, field,
                  "is not base64: misplaced padding at offset %zu", pos);
    else
        fault_set(f, FAULT_INVALID, field,
                  "is not base64: the character at offset %zu is not in the "
                  "standard alphabet", pos);
}

int base64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
                  size_t inlen, const char *field, struct fault *f)
{
    size_t pad = 0;
    size_t body;  /* characters before the last quad */
    size_t n;     /* bytes the text decodes to */
    size_t bad;
    unsigned ok = 1;
    uint8_t *o = out;
    int rv = -1;

    *outlen = 0;
    if (inlen % 4 != 0) {
        fault_set(f, FAULT_INVALID, field,
                  "is not base64: its length %zu is not a multiple of 4",
                  inlen);
        goto done;
    }
    if (inlen == 0) {
        rv = 0;
        goto done;
    }
    if (in[inlen - 1] == '=')
        pad = in[inlen - 2] == '=' ? 2 : 1;
    n = inlen / 4 * 3 - pad;
    if (n > outcap) {
        fault_set(f, FAULT_INVALID, field,
                  "decodes to %zu bytes, more than the %zu allowed", n,
                  outcap);
        goto done;
    }
    body = inlen - 4;
    for (size_t i = 0; i < body; i += 4) {
        unsigned a = base64_value1[(unsigned char)in[i]];
        unsigned b = base64_value1[(unsigned char)in[i + 1]];
        unsigned c = base64_value1[(unsigned char)in[i + 2]];
        unsigned d = base64_value1[(unsigned char)in[i + 3]];
        uint32_t v;

        ok &= (a != 0) & (b != 0) & (c != 0) & (d != 0);
        v = (a - 1) << 18 | ((b - 1) & 63) << 12 | ((c - 1) & 63) << 6 |
            ((d - 1) & 63);
        o[0] = (uint8_t)(v >> 16);
        o[1] = (uint8_t)(v >> 8);
        o[2] = (uint8_t)v;
        o += 3;
    }
    if (!ok) {
        base64_fail_at(f, field, in, base64_first_bad(in, body));
        goto done;
    }
    /* The last quad: 4 digits, or 3 and "=", or 2 and "==". */
    {
        size_t digits = 4 - pad;
        uint32_t v = 0;

        bad = base64_first_bad(in + body, digits);
        if (bad < digits) {
            base64_fail_at(f, field, in, body + bad);
            goto done;
        }
        for (size_t i = 0; i < digits; i++)
            v |= (uint32_t)(base64_value1[(unsigned char)in[body + i]] - 1)
                 << (18 - 6 * i);
        /* Padding bits must be zero: one byte string, one encoding. */
        if ((pad == 1 && (v & 0xff) != 0) ||
            (pad == 2 && (v & 0xffff) != 0)) {
            fault_set(f, FAULT_INVALID, field,
                      "is not canonical base64: the bits before the padding "
                      "are not zero");
            goto done;
        }
        o[0] = (uint8_t)(v >> 16);
        if (pad < 2)
            o[1] = (uint8_t)(v >> 8);
        if (pad < 1)
            o[2] = (uint8_t)v;
    }
    *outlen = n;
    rv = 0;
done:
    if (rv != 0 && outcap > 0)
        memset(out, 0, outcap);
    return rv;
}
