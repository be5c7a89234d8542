/*
 * keccak: Ethereum's Keccak-256 (the original Keccak padding 0x01..0x80,
 * rate 136 bytes), not FIPS 202 SHA3-256 (padding 0x06). OpenSSL 3.0 has no
 * Keccak-256, so this wraps nettle's Keccak-f[1600] permutation and writes
 * only the sponge and the padding.
 */
#ifndef SLUICE_LIB_KECCAK_H
#define SLUICE_LIB_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define KECCAK256_LEN 32

struct keccak256_ctx {
    uint64_t state[25];
    uint8_t block[136];
    size_t used; /* bytes of block filled, < 136 */
};

/* Start a new hash in ctx. */
void keccak256_init(struct keccak256_ctx *ctx);

/* Absorb len bytes of data (data may be NULL when len is 0). */
void keccak256_update(struct keccak256_ctx *ctx, const uint8_t *data,
                      size_t len);

/* Write the 32-byte digest to out and wipe ctx. */
void keccak256_final(struct keccak256_ctx *ctx, uint8_t out[KECCAK256_LEN]);

/* Write keccak256(data) to out in one call. */
void keccak256(uint8_t out[KECCAK256_LEN], const uint8_t *data, size_t len);

#endif
