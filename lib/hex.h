/*
 * hex: byte strings as hexadecimal text (DESIGN.md 3.2).
 *
 * Output is always lowercase. Input accepts either digit case. The "0x"
 * forms are for ids, hashes and keys; the bare forms for object ids and
 * digests that protocol text writes without a prefix.
 */
#ifndef SLUICE_LIB_HEX_H
#define SLUICE_LIB_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

/* Write the 2*inlen lowercase hex digits of in, then a NUL, into out.
 * Returns 0, or -1 (out set to "" when outcap > 0) if outcap < 2*inlen+1. */
int hex_encode(char *out, size_t outcap, const uint8_t *in, size_t inlen)
    __attribute__((warn_unused_result));

/* As hex_encode, with "0x" before the digits: needs outcap >= 2*inlen+3. */
int hex_encode_0x(char *out, size_t outcap, const uint8_t *in, size_t inlen)
    __attribute__((warn_unused_result));

/* Parse exactly 2*outlen hex digits (no prefix) from in[0..inlen) into out.
 * Returns 0; on failure -1 with out zeroed and f naming field: wrong length,
 * or a character that is not a hex digit (by its position). */
int hex_decode(uint8_t *out, size_t outlen, const char *in, size_t inlen,
               const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Parse "0x" followed by exactly 2*outlen hex digits. Returns 0; on failure
 * -1 with out zeroed and f naming field (missing prefix, wrong length, bad
 * digit). */
int hex_decode_0x(uint8_t *out, size_t outlen, const char *in, size_t inlen,
                  const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Parse "0x" followed by an even number of hex digits, of at most outcap
 * bytes ("0x" alone is the empty string). Returns 0 with *outlen set; on
 * failure -1 with *outlen = 0, out zeroed and f naming field (missing
 * prefix, odd length, too long, bad digit). */
int hex_decode_0x_var(uint8_t *out, size_t outcap, size_t *outlen,
                      const char *in, size_t inlen, const char *field,
                      struct fault *f) __attribute__((warn_unused_result));

#endif
