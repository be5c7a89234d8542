/*
 * numtext: numbers as text, compared by exact value (DESIGN.md 3.6).
 *
 * A value is a number iff its bytes match the JSON number grammar
 * (RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?): "1e3" is
 * 1000 and "-0" is 0; "NaN", "007", "+5", " 1", "1." are not numbers.
 * Comparison is exact at any length or exponent, never through a double:
 * "1e400" > "9e399" and 0.1 + 0.2 questions never arise.
 */
#ifndef SLUICE_STORAGE_NUMTEXT_H
#define SLUICE_STORAGE_NUMTEXT_H

#include <stddef.h>
#include <stdint.h>

/* Return 1 if s[0..len) matches the JSON number grammar, else 0. */
int numtext_is_number(const char *s, size_t len);

/* Compare two numbers by value: return <0, 0 or >0 as a is less than,
 * equal to or greater than b. Both must satisfy numtext_is_number
 * (otherwise the result is unspecified but the call is memory-safe).
 * Exponents of any size are handled without overflow. */
int numtext_compare(const char *a, size_t alen, const char *b, size_t blen);

/* A number split into its parts by numtext_parse, so that a value compared
 * many times (a running min or max) is scanned once. Offsets are from the
 * start of the text, so the parts stay valid when the text is copied. */
struct numtext_parts {
    size_t int_off, int_len;   /* integer digits */
    size_t frac_off, frac_len; /* fraction digits, after '.' (len 0: none) */
    size_t exp_off, exp_len;   /* exponent digits, after e/E and sign */
    unsigned char neg;         /* a leading '-' */
    unsigned char exp_neg;     /* the exponent's sign is '-' */
    unsigned char fast;        /* no exponent, <= 19 integer and <= 19
                                  fraction digits: hi/lo hold the value */
    uint64_t hi;               /* fast: the integer part */
    uint64_t lo;               /* fast: the fraction scaled to 19 digits */
};

/* Parse s[0..len) into *out. Return 1 if it matches the JSON number
 * grammar (out filled), else 0 (out zeroed). */
int numtext_parse(struct numtext_parts *out, const char *s, size_t len);

/* numtext_parse, faster for short plain decimals, for callers whose
 * buffer has at least 16 readable bytes after s[len) (it may load them;
 * they do not change the result). Same result and outputs as
 * numtext_parse. */
int numtext_parse_padded(struct numtext_parts *out, const char *s,
                         size_t len);

/* Compare, by value, text a with its parts pa and text b with its parts
 * pb (both from numtext_parse returning 1): <0, 0 or >0. */
int numtext_compare_parts(const char *a, const struct numtext_parts *pa,
                          const char *b, const struct numtext_parts *pb);

/* A short plain decimal (no exponent; after the sign at most 16
 * characters with a '.', 15 without) as a key whose order is its value's
 * order, so that a running min or max is kept without parsing digits:
 * the sign, the count of integer digits (the grammar allows no leading
 * zero), then the text with the point at that count, filled with '0'
 * ("1.5" and "1.50" and "15e-1" are one value; only the first two have a
 * key). */
struct numtext_key {
    uint64_t hi, lo; /* integer digits, '.', fraction digits, then '0' up
                        to 16 bytes, big-endian: integer order is text
                        order */
    uint32_t int_len; /* integer digits, 1 to 15 */
    int32_t sign;     /* -1, 0 (the value is zero, "-0" too) or 1 */
};

enum numtext_key_result {
    NUMTEXT_KEY_NOT = 0,  /* not a number: numtext_parse returns 0 */
    NUMTEXT_KEY_OK = 1,   /* a short plain decimal: *out holds its key */
    NUMTEXT_KEY_OTHER = 2 /* an exponent or a long text: numtext_parse
                             decides */
};

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>

/* Classify s[0..len) as a short plain decimal (*out its key), not a
 * number, or neither (*out is then unspecified), with a few vector
 * instructions. Like numtext_parse_padded, the buffer must hold at least
 * 16 readable bytes after s[len) (they do not change the result). Inline:
 * the splitter calls it for every CSV field that may be a number. */
static inline enum numtext_key_result
numtext_key_padded(struct numtext_key *out, const char *s, size_t len)
{
    /* Byte i of mask(L) = tab + 16 - L is 0xff iff i < L; byte i of
     * dots + 16 - L is '.' iff i == L, else '0'. */
    static const unsigned char tab[32] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const char dots[32] = "0000000000000000.000000000000000";
    const unsigned char *u = (const unsigned char *)s;
    size_t neg, n, il, fl, end;
    unsigned dm, nd;
    __m128i x, m, pad, v;
    uint64_t hi, lo;

    neg = len > 0 && u[0] == '-';
    n = len - neg;
    if (n == 0)
        return NUMTEXT_KEY_NOT;
    if (n > 16)
        return NUMTEXT_KEY_OTHER;
    u += neg;
    x = _mm_loadu_si128((const __m128i *)(const void *)u);
    dm = (unsigned)_mm_movemask_epi8(
        _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)),
                      _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1))));
    dm &= (1u << n) - 1;
    nd = ~dm; /* bits n..31 are set: every count below stops at n */
    il = (size_t)__builtin_ctz(nd);
    if (il == 0 || (u[0] == '0' && il > 1))
        return NUMTEXT_KEY_NOT;
    m = _mm_loadu_si128((const __m128i *)(const void *)(tab + 16 - n));
    if (il == n) {
        if (n == 16)
            return NUMTEXT_KEY_OTHER;
        pad = _mm_loadu_si128((const __m128i *)(const void *)(dots + 16 - n));
    } else if (u[il] == '.') {
        fl = (size_t)__builtin_ctz(nd >> (il + 1));
        if (fl == 0)
            return NUMTEXT_KEY_NOT;
        end = il + 1 + fl;
        if (end != n)
            return (u[end] == 'e' || u[end] == 'E') ? NUMTEXT_KEY_OTHER
                                                    : NUMTEXT_KEY_NOT;
        pad = _mm_set1_epi8('0');
    } else {
        return (u[il] == 'e' || u[il] == 'E') ? NUMTEXT_KEY_OTHER
                                              : NUMTEXT_KEY_NOT;
    }
    v = _mm_or_si128(_mm_and_si128(m, x), _mm_andnot_si128(m, pad));
    hi = __builtin_bswap64((uint64_t)_mm_cvtsi128_si64(v));
    lo = __builtin_bswap64(
        (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v)));
    out->hi = hi;
    out->lo = lo;
    out->int_len = (uint32_t)il;
    /* Zero is "0." and '0's, whatever was written. */
    out->sign = (il == 1 && hi == 0x302e303030303030ull &&
                 lo == 0x3030303030303030ull)
                    ? 0
                    : (neg ? -1 : 1);
    return NUMTEXT_KEY_OK;
}
#else
/* The same, one byte at a time. */
static inline enum numtext_key_result
numtext_key_padded(struct numtext_key *out, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char t[16];
    size_t neg, n, il, i, end;
    uint64_t hi = 0, lo = 0;
    int zero = 1;

    neg = len > 0 && u[0] == '-';
    n = len - neg;
    if (n == 0)
        return NUMTEXT_KEY_NOT;
    if (n > 16)
        return NUMTEXT_KEY_OTHER;
    u += neg;
    for (il = 0; il < n && u[il] >= '0' && u[il] <= '9'; il++)
        ;
    if (il == 0 || (u[0] == '0' && il > 1))
        return NUMTEXT_KEY_NOT;
    if (il == n) {
        if (n == 16)
            return NUMTEXT_KEY_OTHER;
        end = n;
    } else if (u[il] == '.') {
        for (end = il + 1; end < n && u[end] >= '0' && u[end] <= '9'; end++)
            ;
        if (end == il + 1)
            return NUMTEXT_KEY_NOT;
        if (end != n)
            return (u[end] == 'e' || u[end] == 'E') ? NUMTEXT_KEY_OTHER
                                                    : NUMTEXT_KEY_NOT;
    } else {
        return (u[il] == 'e' || u[il] == 'E') ? NUMTEXT_KEY_OTHER
                                              : NUMTEXT_KEY_NOT;
    }
    for (i = 0; i < 16; i++) {
        t[i] = i < n ? u[i] : (i == il ? '.' : '0');
        if (t[i] != '0' && t[i] != '.')
            zero = 0;
    }
    for (i = 0; i < 8; i++) {
        hi = hi << 8 | t[i];
        lo = lo << 8 | t[8 + i];
    }
    out->hi = hi;
    out->lo = lo;
    out->int_len = (uint32_t)il;
    out->sign = zero ? 0 : (neg ? -1 : 1);
    return NUMTEXT_KEY_OK;
}
#endif

/* Compare the values of two keys from numtext_key_padded: <0, 0 or >0, as
 * numtext_compare on their texts. */
static inline int numtext_key_compare(const struct numtext_key *a,
                                      const struct numtext_key *b)
{
    int m;

    if (a->sign != b->sign)
        return a->sign < b->sign ? -1 : 1;
    if (a->int_len != b->int_len)
        m = a->int_len < b->int_len ? -1 : 1;
    else if (a->hi != b->hi)
        m = a->hi < b->hi ? -1 : 1;
    else if (a->lo != b->lo)
        m = a->lo < b->lo ? -1 : 1;
    else
        return 0;
    return a->sign > 0 ? m : -m;
}

#endif
