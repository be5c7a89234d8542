/*
 * tx: an EIP-1559 (type 2) Ethereum transaction, signed by the CLI's own
 * key, as `sluice buy` and `sluice withdraw` send it.
 *
 * The fields are those of EIP-1559 with an empty access list and always a
 * recipient (the CLI never creates contracts). What is signed is
 * keccak256(0x02 || rlp([chainId, nonce, maxPriorityFeePerGas,
 * maxFeePerGas, gasLimit, to, value, data, accessList])); the raw
 * transaction is 0x02 || rlp([..., yParity, r, s]) and its hash, the one
 * nodes and explorers show, is keccak256 of the raw bytes. Signatures are
 * lib/ethsig's: deterministic (RFC 6979) and low-s, so that the same key
 * and fields give the same bytes as other tools (`cast mktx`).
 */
#ifndef SLUICE_CLIENT_TX_H
#define SLUICE_CLIENT_TX_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ethaddr.h"
#include "lib/ethkey.h"
#include "lib/fault.h"

#define TX_DATA_MAX 4096 /* calldata bytes; sluice's calls need 132 */
#define TX_RAW_MAX (TX_DATA_MAX + 320)

/* The fields. Fees are in wei per gas; value is a 256-bit big-endian
 * integer in wei. data is borrowed. */
struct tx {
    uint64_t chain_id;
    uint64_t nonce;
    uint64_t max_priority_fee;
    uint64_t max_fee;
    uint64_t gas_limit;
    struct ethaddr to;
    uint8_t value[32];
    const uint8_t *data;
    size_t data_len;
};

/* A signed transaction. */
struct tx_signed {
    uint8_t raw[TX_RAW_MAX]; /* 0x02 || rlp(...) */
    size_t raw_len;
    uint8_t hash[32];        /* keccak256(raw) */
    uint8_t y_parity;        /* 0 or 1 */
    uint8_t r[32];
    uint8_t s[32];
};

/* Write the hash that signs t: keccak256(0x02 || rlp(the nine fields)).
 * Returns 0; on failure -1 with out zeroed and f set (FAULT_INVALID naming
 * "data" when t->data_len > TX_DATA_MAX, or when max_priority_fee is
 * above max_fee, which nodes refuse). */
int tx_signing_hash(uint8_t out[32], const struct tx *t, struct fault *f)
    __attribute__((warn_unused_result));

/* Sign t with key into *out (the raw bytes, their hash, yParity, r, s).
 * Returns 0; on failure -1 with *out zeroed and f set (as
 * tx_signing_hash, or ethsig_sign_hash's fault). */
int tx_sign(struct tx_signed *out, const struct tx *t,
            const struct ethkey *key, struct fault *f)
    __attribute__((warn_unused_result));

#endif
