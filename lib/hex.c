#include "lib/hex.h"

#include <stdint.h>
#include <string.h>

static const char hex_digits[16] = "0123456789abcdef";

/* One more than the value of each byte as a hex digit, 0 when it is not
 * one (so the holes of the designated initialiser mean "invalid"). A table,
 * not isxdigit(): no locale, no call and no branch per byte. */
static const uint8_t hex_value1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,
    ['5'] = 6,  ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10,
    ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static void hex_write(char *out, const uint8_t *in, size_t inlen)
{
    for (size_t i = 0; i < inlen; i++) {
        out[2 * i] = hex_digits[in[i] >> 4];
        out[2 * i + 1] = hex_digits[in[i] & 0x0f];
    }
    out[2 * inlen] = '\0';
}

int hex_encode(char *out, size_t outcap, const uint8_t *in, size_t inlen)
{
    if (inlen > (SIZE_MAX - 1) / 2 || outcap < 2 * inlen + 1) {
        if (outcap > 0)
            out[0] = '\0';
        return -1;
    }
    hex_write(out, in, inlen);
    return 0;
}

int hex_encode_0x(char *out, size_t outcap, const uint8_t *in, size_t inlen)
{
    if (inlen > (SIZE_MAX - 3) / 2 || outcap < 2 * inlen + 3) {
        if (outcap > 0)
            out[0] = '\0';
        return -1;
    }
    out[0] = '0';
    out[1] = 'x';
    hex_write(out + 2, in, inlen);
    return 0;
}

/* Decode 2*n digits of in into out; return 0, or -1 with *bad set to the
 * offset of the first character that is not a hex digit. The loop runs
 * without a branch per digit and looks for the culprit only on failure. */
static int hex_digits_decode(uint8_t *out, const char *in, size_t n,
                             size_t *bad)
{
    unsigned ok = 1;

    for (size_t i = 0; i < n; i++) {
        unsigned hi = hex_value1[(unsigned char)in[2 * i]];
        unsigned lo = hex_value1[(unsigned char)in[2 * i + 1]];
        ok &= (hi != 0) & (lo != 0);
        out[i] = (uint8_t)(((hi - 1) << 4) | ((lo - 1) & 0x0f));
    }
    if (ok)
        return 0;
    for (size_t i = 0; i < 2 * n; i++) {
        if (hex_value1[(unsigned char)in[i]] == 0) {
            *bad = i;
            break;
        }
    }
    return -1;
}

int hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen,
               const char *field, struct fault *f)
{
    size_t bad = 0;
    int rv = -1;

    if (outlen > SIZE_MAX / 2 || inlen != 2 * outlen) {
        fault_set(f, FAULT_INVALID, field,
                  "expected %zu hex digits, got %zu characters",
                  outlen > SIZE_MAX / 2 ? SIZE_MAX : 2 * outlen, inlen);
        goto done;
    }
    if (hex_digits_decode(out, in, outlen, &bad) != 0) {
        fault_set(f, FAULT_INVALID, field,
                  "the character at offset %zu is not a hex digit", bad);
        goto done;
    }
    rv = 0;
done:
    if (rv != 0 && outlen > 0)
        memset(out, 0, outlen);
    return rv;
}

static int hex_has_prefix(const char *in, size_t inlen)
{
    return inlen >= 2 && in[0] == '0' && in[1] == 'x';
}

int hex_decode_0x(uint8_t *out, size_t outlen, const char *in, size_t inlen,
                  const char *field, struct fault *f)
{
    size_t bad = 0;
    int rv = -1;

    if (!hex_has_prefix(in, inlen)) {
        fault_set(f, FAULT_INVALID, field, "must start with \"0x\"");
        goto done;
    }
    if (outlen > SIZE_MAX / 2 - 1 || inlen - 2 != 2 * outlen) {
        fault_set(f, FAULT_INVALID, field,
                  "expected \"0x\" and %zu hex digits, got %zu digits",
                  outlen > SIZE_MAX / 2 - 1 ? SIZE_MAX : 2 * outlen,
                  inlen - 2);
        goto done;
    }
    if (hex_digits_decode(out, in + 2, outlen, &bad) != 0) {
        fault_set(f, FAULT_INVALID, field,
                  "the character at offset %zu is not a hex digit", bad + 2);
        goto done;
    }
    rv = 0;
done:
    if (rv != 0 && outlen > 0)
        memset(out, 0, outlen);
    return rv;
}

int hex_decode_0x_var(uint8_t *out, size_t outcap, size_t *outlen,
                      const char *in, size_t inlen, const char *field,
                      struct fault *f)
{
    size_t bad = 0;
    size_t n;
    int rv = -1;

    *outlen = 0;
    if (!hex_has_prefix(in, inlen)) {
        fault_set(f, FAULT_INVALID, field, "must start with \"0x\"");
        goto done;
    }
    if ((inlen - 2) % 2 != 0) {
        fault_set(f, FAULT_INVALID, field,
                  "has an odd number of hex digits (%zu)", inlen - 2);
        goto done;
    }
    n = (inlen - 2) / 2;
    if (n > outcap) {
        fault_set(f, FAULT_INVALID, field,
                  "is %zu bytes long, more than the %zu allowed", n, outcap);
        goto done;
    }
    if (hex_digits_decode(out, in + 2, n, &bad) != 0) {
        fault_set(f, FAULT_INVALID, field,
                  "the character at offset %zu is not a hex digit", bad + 2);
        goto done;
    }
    *outlen = n;
    rv = 0;
done:
    if (rv != 0 && outcap > 0)
        memset(out, 0, outcap);
    return rv;
}
