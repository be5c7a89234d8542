/*
 * bytes: fixed-width big-endian integers in byte strings, the order every
 * sluice format and Ethereum use on the wire.
 */
#ifndef SLUICE_LIB_BYTES_H
#define SLUICE_LIB_BYTES_H

#include <stdint.h>

/* Store v at p as 8 big-endian bytes. */
static inline void bytes_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* Store v at p as 4 big-endian bytes. */
static inline void bytes_put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* Return the 8 big-endian bytes at p as an integer. */
static inline uint64_t bytes_get_be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Return the 4 big-endian bytes at p as an integer. */
static inline uint32_t bytes_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

#endif
