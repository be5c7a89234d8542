/*
 * dskey: the key hierarchy below the master key (DESIGN.md 3.3).
 *
 * Each data-set has its own random key DK, stored only sealed under the
 * master key MK with AES-256-GCM (AAD "sluice/dk/v1" || dataset_id, so a
 * sealed key cannot be moved to another data-set). Chunk i's key is
 * CK_i = HKDF-SHA256(IKM = DK, salt = dataset_id,
 * info = "sluice/chunk/v1" || u64be(i), L = 32): releasing CK_i tells
 * nothing about any other chunk's key.
 */
#ifndef SLUICE_STORAGE_DSKEY_H
#define SLUICE_STORAGE_DSKEY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

#define DSKEY_LEN 32
#define DSKEY_ID_LEN 32
#define DSKEY_SEALED_LEN (12 + DSKEY_LEN + 16) /* nonce || ct || tag */

/* Seal dk for dataset_id under mk with a random nonce into out. Returns 0;
 * on failure -1 with out zeroed and f set. */
int dskey_seal(uint8_t out[DSKEY_SEALED_LEN], const uint8_t mk[32],
               const uint8_t dataset_id[DSKEY_ID_LEN],
               const uint8_t dk[DSKEY_LEN], struct fault *f)
    __attribute__((warn_unused_result));

/* Open sealed (len bytes) for dataset_id under mk into dk. Returns 0; on
 * failure -1 with dk zeroed and f set (FAULT_CORRUPT when the length is
 * wrong, the tag does not verify, or it was sealed for another data-set or
 * under another master key). */
int dskey_unseal(uint8_t dk[DSKEY_LEN], const uint8_t mk[32],
                 const uint8_t dataset_id[DSKEY_ID_LEN], const uint8_t *sealed,
                 size_t len, struct fault *f)
    __attribute__((warn_unused_result));

/* Derive chunk index's key CK from dk and dataset_id into ck. Returns 0;
 * on failure -1 with ck zeroed and f set (FAULT_INTERNAL). */
int dskey_chunk_key(uint8_t ck[32], const uint8_t dk[DSKEY_LEN],
                    const uint8_t dataset_id[DSKEY_ID_LEN], uint64_t index,
                    struct fault *f) __attribute__((warn_unused_result));

#endif
