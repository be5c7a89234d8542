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
#include <string.h>

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

/* ---- keys of short plain decimals ----------------------------------
 *
 * A short plain decimal is a number with no exponent, 1 to 8 integer
 * digits and 0 to 8 fraction digits ("-12.5", "0.0042", "1013"). Its key
 * is an integer whose order is the value's order, so that a running min
 * or max costs one integer comparison per value and no digit is parsed:
 * the integer digits as ASCII, right-aligned in the high 64 bits, the
 * fraction digits as ASCII, left-aligned in the low 64 bits and filled
 * with '0', less the key of zero, negated for a '-'. The grammar allows no
 * leading zero, so a longer integer part is a larger number; the '0' fill
 * makes "1.5" and "1.50" one key; every zero ("0", "-0.00") has key 0.
 */
__extension__ typedef __int128 numtext_key;

/* The key of the digits hi (integer, right-aligned ASCII) and lo
 * (fraction, left-aligned ASCII, '0'-filled), negative when neg. */
static inline numtext_key numtext_key_make(uint64_t hi, uint64_t lo, int neg)
{
    __extension__ typedef unsigned __int128 u128;
    u128 mag = (((u128)hi << 64) | lo) -
               (((u128)0x30 << 64) | 0x3030303030303030ull);
    numtext_key k = (numtext_key)mag; /* < 2^127: hi's top byte is < 0x80 */

    return neg ? -k : k;
}

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>

/* Set *out to the key of s[0..len) and return 1 if it is a short plain
 * decimal of at most 16 bytes after the sign; else return 0 (*out
 * unspecified): s may still be a number (numtext_parse decides). Like
 * numtext_parse_padded, the buffer must hold at least 16 readable bytes
 * after s[len) (they do not change the result). */
static inline int numtext_key_padded(numtext_key *out, const char *s,
                                     size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t neg = len > 0 && u[0] == '-';
    size_t n = len - neg, il, fl;
    unsigned valid, dm, ok;
    uint64_t hi, lo, w;
    __m128i x, d;

    if (n - 1 >= 16) /* empty, or longer than one load */
        return 0;
    u += neg;
    x = _mm_loadu_si128((const __m128i *)(const void *)u);
    d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
    valid = (1u << n) - 1;
    dm = (unsigned)_mm_movemask_epi8(
             _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)) &
         valid;
    il = (size_t)__builtin_ctz(~dm); /* integer digits, <= n */
    fl = il < n ? n - il - 1 : 0;
    /* All digits (il == n), or one '.' at il with a digit on each side;
     * 1 to 8 digits on each side, no leading zero. */
    ok = (dm == valid) |
         (((dm | (1u << il)) == valid) & (il + 1 < n) & (u[il] == '.'));
    ok &= (il - 1 < 8) & (fl <= 8) & ((u[0] != '0') | (il == 1));
    if (!ok)
        return 0;
    memcpy(&w, u, 8);
    hi = __builtin_bswap64(w << (8 * (8 - il)));
    lo = 0x3030303030303030ull;
    if (fl > 0) {
        uint64_t m = ~0ull >> (64 - 8 * fl);
        memcpy(&w, u + il + 1, 8);
        lo = __builtin_bswap64((w & m) | (lo & ~m));
    }
    *out = numtext_key_make(hi, lo, (int)neg);
    return 1;
}
#else
/* The same, one byte at a time. */
static inline int numtext_key_padded(numtext_key *out, const char *s,
                                     size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t neg = len > 0 && u[0] == '-';
    size_t n = len - neg, il, fl = 0, i;
    uint64_t hi = 0, lo = 0;

    if (n - 1 >= 16)
        return 0;
    u += neg;
    for (il = 0; il < n && u[il] >= '0' && u[il] <= '9'; il++)
        ;
    if (il == 0 || il > 8 || (u[0] == '0' && il > 1))
        return 0;
    if (il < n) {
        if (u[il] != '.' || il + 1 == n)
            return 0;
        fl = n - il - 1;
        if (fl > 8)
            return 0;
        for (i = il + 1; i < n; i++)
            if (u[i] < '0' || u[i] > '9')
                return 0;
    }
    for (i = 0; i < il; i++)
        hi = hi << 8 | u[i];
    for (i = 0; i < 8; i++)
        lo = lo << 8 | (i < fl ? u[il + 1 + i] : '0');
    *out = numtext_key_make(hi, lo, (int)neg);
    return 1;
}
#endif

/* Texts of at most 8 bytes, loaded into a word w (byte i of the text in
 * bits 8i to 8i+7, whatever the host's byte order; the bytes past the text
 * zero), are keyed faster by their shape: which bytes are not digits. For each of the 256 shapes, numtext_shape_init works out
 * once which layout a short plain decimal of that shape has ('-' first,
 * one '.', digits elsewhere, zeros after) and where its digits go in the
 * key; a text of that shape is then checked and keyed with a few masks and
 * shifts. */
enum numtext_shape_state {
    NUMTEXT_SHAPE_UNKNOWN = 0, /* numtext_shape_init not called yet */
    NUMTEXT_SHAPE_NONE,        /* no short plain decimal has this shape */
    NUMTEXT_SHAPE_OK
};

struct numtext_shape {
    uint64_t ndmask, ndval; /* the bytes that are not digits and their
                               values: '-', '.', zeros after the text */
    uint64_t lzmask, lzval; /* (w & lzmask) == lzval: a leading zero */
    uint64_t m1, m2, padz;  /* with b = bswap(w), the key less that of
                               zero: hi = ((b >> s1) & m1) - '0',
                               lo = ((b << s2) & m2) + padz */
    uint64_t negmask;       /* all ones for a '-': the key is negated */
    uint8_t s1, s2, len;    /* len 0: no text has this shape (yet) */
    uint8_t state;          /* enum numtext_shape_state */
};

/* Return the shape of w: bit i set when byte i is not an ASCII digit. */
static inline unsigned numtext_word_shape(uint64_t w)
{
#if defined(__SSE2__) && defined(__x86_64__)
    __m128i d = _mm_sub_epi8(_mm_cvtsi64_si128((long long)w),
                             _mm_set1_epi8('0'));
    unsigned dm = (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));

    return ~dm & 0xff;
#else
    uint64_t t = w ^ 0x3030303030303030ull; /* digits become 0 to 9 */
    uint64_t nd = (((t & 0x7f7f7f7f7f7f7f7full) + 0x7676767676767676ull) |
                   t) &
                  0x8080808080808080ull;

    return (unsigned)(((nd >> 7) * 0x0102040810204080ull) >> 56);
#endif
}

/* Fill *sh for shape (0 to 255), state NONE or OK. */
void numtext_shape_init(struct numtext_shape *sh, unsigned shape);

/* Set *out to the key of the len-byte text (1 to 8) held in w, and return
 * 1 if it is a short plain decimal; else return 0 (*out unspecified;
 * numtext_parse decides). sh is the entry of numtext_word_shape(w), as
 * numtext_shape_init made it (an entry not yet made returns 0). */
static inline int numtext_key_word(numtext_key *out,
                                   const struct numtext_shape *sh,
                                   uint64_t w, size_t len)
{
    __extension__ typedef unsigned __int128 u128;
    uint64_t b = __builtin_bswap64(w), hi, lo, nm = sh->negmask;

    if (sh->len != len || (w & sh->ndmask) != sh->ndval ||
        (w & sh->lzmask) == sh->lzval)
        return 0;
    /* Digits never borrow: every byte of hi and lo is at least '0'. */
    hi = ((b >> sh->s1) & sh->m1) - '0';
    lo = ((b << sh->s2) & sh->m2) + sh->padz;
    /* Negated when nm is all ones, in 64-bit halves (gcc builds 128-bit
     * masks slowly): -(hi:lo) = (~hi + (lo == 0) : -lo). */
    hi = (hi ^ nm) + (nm & (uint64_t)(lo == 0));
    lo = (lo ^ nm) - nm;
    *out = (numtext_key)(((u128)hi << 64) | lo);
    return 1;
}

#endif
