#include "lib/keccak.h"

#include <nettle/sha3.h>
#include <string.h>

#include "lib/secret.h"

#define KECCAK256_RATE 136
#define KECCAK256_LANES (KECCAK256_RATE / 8)

/* nettle's state is a struct holding exactly our 25 lanes; the header keeps
 * a plain array so that it need not include nettle. */
_Static_assert(sizeof(struct sha3_state) == sizeof(uint64_t[25]),
               "nettle's sha3_state is not 25 lanes");
_Static_assert(sizeof(((struct keccak256_ctx *)0)->block) == KECCAK256_RATE,
               "keccak256_ctx.block is not one rate block");

static inline void keccak_permute(struct keccak256_ctx *ctx)
{
    /* Lanes are uint64_t on both sides; the cast is the layout checked by
     * the assertion above. nettle sits behind a library boundary, so there
     * is no aliasing to exploit across the call. */
    sha3_permute((struct sha3_state *)(void *)ctx->state);
}

static inline uint64_t keccak_load64_le(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
           (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/* XOR one full rate block into the state and permute. */
static inline void keccak_absorb_block(struct keccak256_ctx *ctx,
                                       const uint8_t *p)
{
    for (size_t i = 0; i < KECCAK256_LANES; i++)
        ctx->state[i] ^= keccak_load64_le(p + 8 * i);
    keccak_permute(ctx);
}

void keccak256_init(struct keccak256_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
}

void keccak256_update(struct keccak256_ctx *ctx, const uint8_t *data,
                      size_t len)
{
    if (len == 0)
        return;
    if (ctx->used > 0) {
        size_t take = KECCAK256_RATE - ctx->used;
        if (take > len)
            take = len;
        memcpy(ctx->block + ctx->used, data, take);
        ctx->used += take;
        data += take;
        len -= take;
        if (ctx->used < KECCAK256_RATE)
            return;
        keccak_absorb_block(ctx, ctx->block);
        ctx->used = 0;
    }
    /* Whole blocks straight from the input, without a copy. */
    while (len >= KECCAK256_RATE) {
        keccak_absorb_block(ctx, data);
        data += KECCAK256_RATE;
        len -= KECCAK256_RATE;
    }
    if (len > 0) {
        memcpy(ctx->block, data, len);
        ctx->used = len;
    }
}

void keccak256_final(struct keccak256_ctx *ctx, uint8_t out[KECCAK256_LEN])
{
    /* Keccak's original pad10*1 with the 0x01 domain byte; both bits land
     * in the same byte (0x81) when one byte of the block is left. */
    memset(ctx->block + ctx->used, 0, KECCAK256_RATE - ctx->used);
    ctx->block[ctx->used] ^= 0x01;
    ctx->block[KECCAK256_RATE - 1] ^= 0x80;
    keccak_absorb_block(ctx, ctx->block);
    for (size_t i = 0; i < KECCAK256_LEN / 8; i++) {
        uint64_t lane = ctx->state[i];
        for (size_t b = 0; b < 8; b++)
            out[8 * i + b] = (uint8_t)(lane >> (8 * b));
    }
    secret_wipe(ctx, sizeof *ctx);
}

void keccak256(uint8_t out[KECCAK256_LEN], const uint8_t *data, size_t len)
{
    struct keccak256_ctx ctx;

    keccak256_init(&ctx);
    keccak256_update(&ctx, data, len);
    keccak256_final(&ctx, out);
}
