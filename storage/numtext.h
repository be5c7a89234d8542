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

#endif
