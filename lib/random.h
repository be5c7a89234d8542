/*
 * random: bytes from the operating system's CSPRNG (through OpenSSL's
 * RAND_bytes), for keys, nonces and ids. Never seeded by us, never rand().
 */
#ifndef SLUICE_LIB_RANDOM_H
#define SLUICE_LIB_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#include "lib/fault.h"

/* Fill out with len random bytes. Returns 0; on failure -1 with out zeroed
 * and f set (FAULT_INTERNAL). */
int random_bytes(uint8_t *out, size_t len, struct fault *f)
    __attribute__((warn_unused_result));

#endif
