/*
 * base64: standard base64 with padding (RFC 4648 section 4), for bulk
 * ciphertext in JSON (DESIGN.md 3.2). Decoding is strict: no whitespace,
 * no URL-safe alphabet, padding required, and non-zero trailing bits in the
 * last digit are refused, so one byte string has exactly one encoding.
 */
#ifndef SLUICE_LIB_BASE64_H
#define SLUICE_LIB_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

/* Return the length of the encoding of n bytes, without the NUL. */
size_t base64_encoded_len(size_t n);

/* Return an upper bound of the bytes that a text of n characters decodes to. */
size_t base64_decoded_max(size_t n);

/* Write the encoding of in and a NUL into out. Returns 0, or -1 (out set to
 * "" when outcap > 0) if outcap < base64_encoded_len(inlen) + 1. */
int base64_encode(char *out, size_t outcap, const uint8_t *in, size_t inlen)
    __attribute__((warn_unused_result));

/* Decode in[0..inlen) into out (outcap bytes). Returns 0 with *outlen set;
 * on failure -1 with *outlen = 0, out zeroed and f naming field: a length
 * that is not a multiple of 4, a bad character (by its position), misplaced
 * padding, non-canonical trailing bits, or outcap too small. */
int base64_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *in,
                  size_t inlen, const char *field, struct fault *f)
    __attribute__((warn_unused_result));

#endif
