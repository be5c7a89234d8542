/*
 * secp: the one libsecp256k1 context of the process.
 *
 * A context is costly to make and safe to share between threads for every
 * call that takes it const, so sluice makes one, randomizes it once against
 * side-channel leakage (with a seed from random_bytes), and hands out a
 * const pointer. Debian 12 ships libsecp256k1 0.2.0 with the recovery and
 * ECDH modules, which ethsig and keywrap use.
 */
#ifndef SLUICE_LIB_SECP_H
#define SLUICE_LIB_SECP_H

#include <secp256k1.h>

/* Return the process-wide context, creating and randomizing it on the first
 * call (thread-safe: pthread_once). Returns NULL if creation or
 * randomization failed, then and on every later call; never freed. */
const secp256k1_context *secp_context(void);

#endif
