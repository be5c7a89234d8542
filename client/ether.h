/*
 * ether: amounts of ether as people type them ("0.05", "1.5") and as the
 * chain counts them (wei, 256-bit unsigned integers held big-endian in 32
 * bytes, the way ABI words and RLP carry them).
 *
 * 1 ETH = 10^18 wei, so an amount has at most 18 fraction digits and is
 * converted exactly: no floating point anywhere. This is the CLI's small
 * local share of big-number work; a shared 256-bit type may replace it.
 */
#ifndef SLUICE_CLIENT_ETHER_H
#define SLUICE_CLIENT_ETHER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define ETHER_DECIMALS 18
#define ETHER_WEI_TEXT_SIZE 80 /* 2^256 - 1 has 78 digits; a '.' and NUL */

/* Parse text as an amount of ether: decimal digits, optionally a '.' and
 * 1 to 18 more digits (no sign, no exponent, no spaces), above zero and
 * at most 2^256 - 1 wei. Returns 0 with wei the amount in wei; on failure
 * -1 with wei zeroed and f FAULT_INVALID naming field, saying what is
 * wrong (not a number, a sign, more than 18 decimals, zero, too large). */
int ether_parse(uint8_t wei[32], const char *text, const char *field,
                struct fault *f) __attribute__((warn_unused_result));

/* Write the wei amount as a decimal integer ("1500000000000000000"; "0")
 * into out[0..cap). Returns 0, or -1 with out = "" (when cap > 0) if it
 * does not fit (ETHER_WEI_TEXT_SIZE always does). */
int ether_wei_text(char *out, size_t cap, const uint8_t wei[32])
    __attribute__((warn_unused_result));

/* Write the wei amount in ether, exactly, without trailing fraction zeros
 * ("1.5", "0.000000000000000001", "2") into out[0..cap). Returns 0, or -1
 * with out = "" (when cap > 0) if it does not fit (ETHER_WEI_TEXT_SIZE
 * always does). */
int ether_eth_text(char *out, size_t cap, const uint8_t wei[32])
    __attribute__((warn_unused_result));

/* Set wei to the 64-bit value v. */
void ether_from_u64(uint8_t wei[32], uint64_t v);

/* Return 1 if the 32-byte amount is zero, else 0. */
int ether_is_zero(const uint8_t wei[32]);

#endif
