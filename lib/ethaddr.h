/*
 * ethaddr: Ethereum addresses (the last 20 bytes of keccak256 of a public
 * key) and their EIP-55 mixed-case text (DESIGN.md 3.2).
 */
#ifndef SLUICE_LIB_ETHADDR_H
#define SLUICE_LIB_ETHADDR_H

#include <secp256k1.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define ETHADDR_LEN 20
#define ETHADDR_TEXT_SIZE 43 /* "0x" + 40 digits + NUL */

struct ethaddr {
    uint8_t bytes[ETHADDR_LEN];
};

/* Compute the address of pub: the last 20 bytes of keccak256 of the 64-byte
 * uncompressed X || Y. Returns 0; on failure -1 with *out zeroed and f set
 * (FAULT_INTERNAL: no secp256k1 context). */
int ethaddr_from_pubkey(struct ethaddr *out, const secp256k1_pubkey *pub,
                        struct fault *f) __attribute__((warn_unused_result));

/* Write a as "0x" + 40 hex digits in EIP-55 checksum case, and a NUL. */
void ethaddr_to_text(char out[ETHADDR_TEXT_SIZE], const struct ethaddr *a);

/* Parse in[0..inlen): "0x" and 40 hex digits, all lowercase, all uppercase
 * or in valid EIP-55 checksum case. Returns 0; on failure -1 with *out
 * zeroed and f FAULT_INVALID naming field (missing prefix, wrong length,
 * bad digit, or mixed case with a wrong checksum). */
int ethaddr_parse(struct ethaddr *out, const char *in, size_t inlen,
                  const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Return 1 if a and b are the same address, 0 otherwise. */
int ethaddr_equal(const struct ethaddr *a, const struct ethaddr *b);

/* Return 1 if a is the zero address 0x000...0, 0 otherwise. */
int ethaddr_is_zero(const struct ethaddr *a);

#endif
