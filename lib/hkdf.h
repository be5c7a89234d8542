/*
 * hkdf: HKDF-SHA256 (RFC 5869) over OpenSSL 3's EVP_KDF "HKDF", for chunk
 * keys (DESIGN.md 3.3) and key-wrap keys (3.5).
 */
#ifndef SLUICE_LIB_HKDF_H
#define SLUICE_LIB_HKDF_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

/* The most output HKDF-SHA256 can give: 255 blocks of 32 bytes. */
#define HKDF_SHA256_MAX_OUT (255 * 32)

/* Derive outlen bytes (1 to HKDF_SHA256_MAX_OUT) into out from the input
 * key material ikm, salt and info (extract then expand). An empty salt is
 * RFC 5869's default of 32 zero bytes; any buffer may be NULL when its
 * length is 0. Returns 0; on failure -1 with out zeroed and f set
 * (FAULT_INTERNAL: outlen out of range, or OpenSSL failed). */
int hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm,
                size_t ikmlen, const uint8_t *salt, size_t saltlen,
                const uint8_t *info, size_t infolen, struct fault *f)
    __attribute__((warn_unused_result));

#endif
