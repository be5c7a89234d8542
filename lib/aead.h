/*
 * aead: AES-256-GCM over OpenSSL's EVP interface, for chunk objects, sealed
 * data-set keys and key wraps (DESIGN.md 3.3-3.5).
 *
 * The nonce is the caller's: each (key, nonce) pair must seal at most one
 * message. The tag is always 16 bytes and follows the ciphertext. Lengths
 * are size_t and may exceed INT_MAX (EVP is fed in pieces).
 */
#ifndef SLUICE_LIB_AEAD_H
#define SLUICE_LIB_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define AEAD_KEY_LEN 32
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN 16

/* Encrypt pt[0..ptlen) under key and nonce, authenticating aad as well, and
 * write ptlen bytes of ciphertext followed by the 16-byte tag to out (room
 * for ptlen + AEAD_TAG_LEN bytes). out may equal pt (in place) but must not
 * overlap it otherwise; pt may be NULL when ptlen is 0, aad when aadlen is 0.
 * Returns 0; on failure -1 with out zeroed and f set (FAULT_INTERNAL). */
int aead_seal(uint8_t *out, const uint8_t key[AEAD_KEY_LEN],
              const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *aad,
              size_t aadlen, const uint8_t *pt, size_t ptlen,
              struct fault *f) __attribute__((warn_unused_result));

/* Check and decrypt in[0..inlen) = ciphertext || tag under key and nonce
 * with aad, writing inlen - AEAD_TAG_LEN bytes of plaintext to out. out may
 * equal in (in place) but must not overlap it otherwise. Returns 0; on
 * failure -1 with out zeroed (inlen - AEAD_TAG_LEN bytes, when inlen is at
 * least AEAD_TAG_LEN) and f set: FAULT_CORRUPT when inlen < AEAD_TAG_LEN or
 * the tag does not match (wrong key, nonce, aad, or damaged bytes),
 * FAULT_INTERNAL when OpenSSL fails. No unauthenticated plaintext is ever
 * left in out. */
int aead_open(uint8_t *out, const uint8_t key[AEAD_KEY_LEN],
              const uint8_t nonce[AEAD_NONCE_LEN], const uint8_t *aad,
              size_t aadlen, const uint8_t *in, size_t inlen,
              struct fault *f) __attribute__((warn_unused_result));

#endif
