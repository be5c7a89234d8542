/*
 * ethkey: a secp256k1 private key with its public key and address, as every
 * sluice actor holds one (DESIGN.md 3.1).
 */
#ifndef SLUICE_LIB_ETHKEY_H
#define SLUICE_LIB_ETHKEY_H

#include <secp256k1.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ethaddr.h"
#include "lib/fault.h"

#define ETHKEY_SECRET_LEN 32
#define ETHKEY_PUBKEY_LEN 33 /* compressed */

struct ethkey {
    uint8_t secret[ETHKEY_SECRET_LEN]; /* big-endian; see ethkey_wipe */
    secp256k1_pubkey pub;
    struct ethaddr addr;
};

/* Load the 32-byte big-endian private key secret into out, computing its
 * public key and address. Returns 0; on failure -1 with *out wiped and f
 * set: FAULT_INVALID when secret is zero or not below the curve order n,
 * FAULT_INTERNAL when there is no secp256k1 context. secret may point into
 * *out. The caller wipes out with ethkey_wipe when done. */
int ethkey_from_secret(struct ethkey *out, const uint8_t secret[32],
                       struct fault *f) __attribute__((warn_unused_result));

/* Make a new random key pair in out (random_bytes). Returns 0; on failure -1
 * with *out wiped and f set (FAULT_INTERNAL). The caller wipes out with
 * ethkey_wipe when done. */
int ethkey_generate(struct ethkey *out, struct fault *f)
    __attribute__((warn_unused_result));

/* Overwrite all of k with zeros (the compiler keeps it). k may be NULL. */
void ethkey_wipe(struct ethkey *k);

/* Write pub in 33-byte compressed form to out. Returns 0; on failure -1 with
 * out zeroed (no secp256k1 context). */
int ethkey_pubkey_serialize(uint8_t out[33], const secp256k1_pubkey *pub)
    __attribute__((warn_unused_result));

/* Parse a public key of in[0..inlen): 33 bytes compressed or 65 bytes
 * uncompressed, a point on the curve. Returns 0; on failure -1 with *out
 * zeroed and f set (FAULT_INVALID, or FAULT_INTERNAL without a context). */
int ethkey_pubkey_parse(secp256k1_pubkey *out, const uint8_t *in,
                        size_t inlen, struct fault *f)
    __attribute__((warn_unused_result));

#endif
