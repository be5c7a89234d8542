/*
 * ethsig: Ethereum's recoverable ECDSA signatures, r || s || v (65 bytes),
 * over a 32-byte hash or an EIP-191 personal message (DESIGN.md 3.1).
 *
 * Signing is deterministic (RFC 6979, libsecp256k1's default nonce) and
 * always low-s, with v = 27 + recovery id. Recovery is strict: r and s
 * non-zero and below n, s <= n/2 (a high-s twin of a valid signature is
 * refused, so one message and key give one accepted signature), and v one
 * of 0, 1, 27, 28.
 */
#ifndef SLUICE_LIB_ETHSIG_H
#define SLUICE_LIB_ETHSIG_H

#include <secp256k1.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/fault.h"

#define ETHSIG_LEN 65
#define ETHSIG_TEXT_SIZE 133 /* "0x" + 130 digits + NUL */

/* The field that recovery failures name: signatures reach us in it. */
#define ETHSIG_FIELD "X-Sluice-Signature"

/* Write the EIP-191 hash of msg[0..len) to out: keccak256 of
 * "\x19Ethereum Signed Message:\n", len in decimal, then msg. msg may be
 * NULL when len is 0. */
void ethsig_personal_hash(uint8_t out[32], const uint8_t *msg, size_t len);

/* Sign the 32-byte hash with key. Returns 0 with sig = r || s || v (low-s,
 * v = 27 + recovery id); on failure -1 with sig zeroed and f set
 * (FAULT_INVALID for an invalid key, FAULT_INTERNAL otherwise). */
int ethsig_sign_hash(uint8_t sig[ETHSIG_LEN], const struct ethkey *key,
                     const uint8_t hash[32], struct fault *f)
    __attribute__((warn_unused_result));

/* Sign msg[0..len) as an EIP-191 personal message (what personal_sign and
 * wallets do). Returns and fails as ethsig_sign_hash. */
int ethsig_sign_personal(uint8_t sig[ETHSIG_LEN], const struct ethkey *key,
                         const uint8_t *msg, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Recover the public key and address that signed hash with sig. Returns 0
 * with *pub and *addr set; on failure -1 with *pub and *addr zeroed and f
 * FAULT_UNAUTHORIZED naming ETHSIG_FIELD: r or s zero or not below n, high
 * s, v not in {0, 1, 27, 28}, or no key recovers (FAULT_INTERNAL without
 * a secp256k1 context). Either of pub and addr may be NULL when not
 * wanted. */
int ethsig_recover_hash(secp256k1_pubkey *pub, struct ethaddr *addr,
                        const uint8_t sig[ETHSIG_LEN], const uint8_t hash[32],
                        struct fault *f) __attribute__((warn_unused_result));

/* Recover the signer of the EIP-191 personal message msg[0..len). Returns
 * and fails as ethsig_recover_hash. */
int ethsig_recover_personal(secp256k1_pubkey *pub, struct ethaddr *addr,
                            const uint8_t sig[ETHSIG_LEN], const uint8_t *msg,
                            size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Parse in[0..inlen) as "0x" and 130 hex digits (either case) into sig. The
 * values of r, s and v are checked by recovery, not here. Returns 0; on
 * failure -1 with sig zeroed and f FAULT_INVALID naming field. */
int ethsig_parse(uint8_t sig[ETHSIG_LEN], const char *in, size_t inlen,
                 const char *field, struct fault *f)
    __attribute__((warn_unused_result));

/* Write sig as "0x" and 130 lowercase hex digits, and a NUL. */
void ethsig_to_text(char out[ETHSIG_TEXT_SIZE], const uint8_t sig[ETHSIG_LEN]);

#endif
