/*
 * u256: unsigned 256-bit integers, for amounts in wei (DESIGN.md 3.2, 4).
 *
 * Solidity's uint256 is what a payment carries on chain; the ledger turns
 * it into units with floor(amount / unit_wei) and keeps the remainder. A
 * value is four 64-bit limbs, least significant first, so that arithmetic
 * needs no library and every result is exact. Arithmetic never wraps: a
 * sum, difference or product that does not fit is reported, and the output
 * is then zero. As text, an amount is decimal matching 0|[1-9][0-9]*; on
 * chain it is 32 bytes big-endian.
 *
 * Outputs may alias inputs in every function here.
 */
#ifndef SLUICE_LIB_U256_H
#define SLUICE_LIB_U256_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define U256_BYTES 32
/* The most digits a value has (2^256 - 1 has 78), and room for a NUL. */
#define U256_DECIMAL_MAX_DIGITS 78
#define U256_DECIMAL_SIZE 79

struct u256 {
    uint64_t limb[4]; /* limb[0] is the least significant */
};

/* Set *out to v. */
void u256_from_u64(struct u256 *out, uint64_t v);

/* Put a in *out and return 0 when a < 2^64; otherwise return -1 with
 * *out = 0. */
int u256_to_u64(uint64_t *out, const struct u256 *a)
    __attribute__((warn_unused_result));

/* Set *out to the 32 big-endian bytes at in (the ABI's uint256 word). */
void u256_from_be32(struct u256 *out, const uint8_t in[U256_BYTES]);

/* Write a as 32 big-endian bytes to out. */
void u256_to_be32(uint8_t out[U256_BYTES], const struct u256 *a);

/* Parse text[0..len) as decimal matching 0|[1-9][0-9]* with a value of at
 * most 2^256 - 1. Returns 0 with *out set; on failure -1 with *out = 0 and
 * f FAULT_INVALID naming field (may be NULL) with a detail that says what
 * is wrong: empty, a character other than 0-9 (a sign, point, exponent,
 * space or NUL), a leading zero, or too large. text may be NULL only when
 * len is 0. */
int u256_parse_decimal(struct u256 *out, const char *text, size_t len,
                       const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Write a in decimal (no sign, no leading zero; "0" for zero) and a NUL to
 * out. Returns the number of digits. */
size_t u256_to_decimal(char out[U256_DECIMAL_SIZE], const struct u256 *a);

/* Return -1, 0 or 1 as a is less than, equal to or greater than b. */
int u256_cmp(const struct u256 *a, const struct u256 *b);

/* Return 1 if a is zero, else 0. */
int u256_is_zero(const struct u256 *a);

/* Return the number of significant bits of a: 0 for zero, 256 when the
 * top bit is set. a < 2^k exactly when u256_bits(a) <= k. */
unsigned u256_bits(const struct u256 *a);

/* Set *out to a + b. Returns 0; -1 with *out = 0 when the sum is 2^256 or
 * more. */
int u256_add(struct u256 *out, const struct u256 *a, const struct u256 *b)
    __attribute__((warn_unused_result));

/* Set *out to a - b. Returns 0; -1 with *out = 0 when b > a. */
int u256_sub(struct u256 *out, const struct u256 *a, const struct u256 *b)
    __attribute__((warn_unused_result));

/* Set *out to a * m. Returns 0; -1 with *out = 0 when the product is 2^256
 * or more. */
int u256_mul_u64(struct u256 *out, const struct u256 *a, uint64_t m)
    __attribute__((warn_unused_result));

/* Divide a by b: *quot = floor(a / b) and *rem = a - *quot * b (either may
 * be NULL when not wanted; quot and rem may not be the same object).
 * Returns 0; -1 with *quot = *rem = 0 when b is zero. */
int u256_divmod(struct u256 *quot, struct u256 *rem, const struct u256 *a,
                const struct u256 *b) __attribute__((warn_unused_result));

#endif
