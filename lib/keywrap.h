/*
 * keywrap: chunk keys wrapped to a worker's public key (DESIGN.md 3.5).
 *
 * With an ephemeral secret e and E = e*G (33 bytes compressed):
 *   S  = SHA-256(compressed e*P)             libsecp256k1's default ECDH
 *   WK = HKDF-SHA256(IKM = S, salt = E, info = "sluice/wrap/v1", L = 32)
 *   plaintext = u64be(i) || CK_i for each entry, ascending by i
 *   ciphertext || tag = AES-256-GCM(WK, nonce,
 *                     AAD = "sluice/wrap/v1" || dataset_id || query_id)
 * Only the holder of the worker's private key can open it, and a wrap made
 * for one (data-set, query) does not open for another.
 */
#ifndef SLUICE_LIB_KEYWRAP_H
#define SLUICE_LIB_KEYWRAP_H

#include <jansson.h>
#include <secp256k1.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define KEYWRAP_ALG "secp256k1-ecdh-hkdf-sha256-aes256gcm"
#define KEYWRAP_LABEL "sluice/wrap/v1"
#define KEYWRAP_EPK_LEN 33
#define KEYWRAP_NONCE_LEN 12
#define KEYWRAP_ENTRY_LEN 40 /* u64be index || 32-byte key */

struct keywrap_entry {
    uint64_t index;
    uint8_t ck[32];
};

struct keywrap {
    uint8_t epk[KEYWRAP_EPK_LEN];
    uint8_t nonce[KEYWRAP_NONCE_LEN];
    uint8_t *ciphertext;   /* malloc'd; ciphertext then the 16-byte tag */
    size_t ciphertext_len; /* 40 * entries + 16 */
};

/* The intermediates of a seal, for test vectors (DESIGN.md 3.8). Secret:
 * clear with keywrap_trace_clear. */
struct keywrap_trace {
    uint8_t shared_secret[32];
    uint8_t wk[32];
    uint8_t *plaintext; /* malloc'd, NULL when empty */
    size_t plaintext_len;
};

/* Wrap entries[0..n) (strictly ascending by index; n may be 0, the wrap is
 * still made) to the worker's public key for dataset_id and query_id.
 * ephemeral_secret (32 bytes) and nonce (12 bytes) are fixed inputs for
 * test vectors; NULL means fresh random ones, as production must use.
 * trace, when not NULL, receives the intermediates. Returns 0 with *out
 * filled (the caller frees it with keywrap_clear) and *trace filled (the
 * caller clears it with keywrap_trace_clear); on failure -1 with *out and
 * *trace cleared and f set: FAULT_INVALID for entries out of order or an
 * invalid ephemeral_secret, FAULT_INTERNAL otherwise. */
int keywrap_seal(struct keywrap *out, struct keywrap_trace *trace,
                 const secp256k1_pubkey *worker, const uint8_t dataset_id[32],
                 const uint8_t query_id[16],
                 const struct keywrap_entry *entries, size_t n,
                 const uint8_t *ephemeral_secret, const uint8_t *nonce,
                 struct fault *f) __attribute__((warn_unused_result));

/* Unwrap w with the worker's private key for dataset_id and query_id.
 * Returns 0 with *entries a malloc'd array of *n entries in ascending index
 * order (NULL when *n is 0; the caller frees it with keywrap_entries_free);
 * on failure -1 with *entries = NULL, *n = 0 and f set: FAULT_INVALID for an
 * invalid worker_secret, FAULT_CORRUPT when w does not open (wrong key,
 * data-set or query, damaged bytes, bad epk, or a plaintext that is not
 * ascending entries), FAULT_INTERNAL otherwise. */
int keywrap_open(struct keywrap_entry **entries, size_t *n,
                 const struct keywrap *w, const uint8_t worker_secret[32],
                 const uint8_t dataset_id[32], const uint8_t query_id[16],
                 struct fault *f) __attribute__((warn_unused_result));

/* Wipe and free entries[0..n) as returned by keywrap_open. NULL is a
 * no-op. */
void keywrap_entries_free(struct keywrap_entry *entries, size_t n);

/* Free w's ciphertext and zero w. w may be NULL. */
void keywrap_clear(struct keywrap *w);

/* Wipe t's secrets, free its plaintext and zero t. t may be NULL. */
void keywrap_trace_clear(struct keywrap_trace *t);

/* Build the JSON form {"alg", "epk", "nonce", "ciphertext"} of w (epk and
 * nonce "0x" + lowercase hex, ciphertext standard base64). Returns 0 with
 * *out a new reference (the caller json_decref's it); on failure -1 with
 * *out = NULL and f set (FAULT_INTERNAL). */
int keywrap_to_json(json_t **out, const struct keywrap *w, struct fault *f)
    __attribute__((warn_unused_result));

/* Parse the JSON form of a wrap strictly: an object with exactly the four
 * members, alg equal to KEYWRAP_ALG, epk a compressed point on the curve,
 * nonce 12 bytes, ciphertext base64 of 40 * k + 16 bytes. Returns 0 with
 * *out filled (the caller frees it with keywrap_clear); on failure -1 with
 * *out cleared and f FAULT_INVALID naming the field ("keys", "keys.alg",
 * "keys.epk", "keys.nonce", "keys.ciphertext", or "keys.<unknown>"). */
int keywrap_from_json(struct keywrap *out, const json_t *j, struct fault *f)
    __attribute__((warn_unused_result));

#endif
